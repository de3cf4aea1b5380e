/*
Copyright 2026 The Berth Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package middleware

import (
	"context"
	"errors"

	"github.com/distribution/distribution/v3"
	"github.com/distribution/distribution/v3/registry/api/errcode"
	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/registry/gc"
)

// Online garbage collection (registry/gc) needs every write that makes a digest reachable to
// journal it first: a blob upload's commit, a cross-repository mount and a manifest push
// (which journals the manifest and every digest it references). Those writes all pass through
// this repository middleware, so the journaling lives here.

// journal records digests in the write log before a write, as the garbage collector requires.
func (r *immutableRepository) journal(ctx context.Context, digests ...digest.Digest) error {
	st := r.deps.Storage()
	if st == nil {
		return errcode.ErrorCodeUnavailable.WithMessage("the registry's storage is not ready")
	}
	if err := gc.Record(ctx, st.Driver, digests...); err != nil {
		if errors.Is(err, gc.ErrSweepBusy) {
			return errcode.ErrorCodeUnavailable.WithMessage(err.Error())
		}
		return errcode.ErrorCodeUnavailable.WithMessage("journaling the write for garbage collection: " + err.Error())
	}
	return nil
}

// Blobs journals commits and mounts.
func (r *immutableRepository) Blobs(ctx context.Context) distribution.BlobStore {
	return &journaledBlobs{BlobStore: r.Repository.Blobs(ctx), repo: r}
}

type journaledBlobs struct {
	distribution.BlobStore
	repo *immutableRepository
}

// Create journals the digest of a cross-repository mount before the mount links it. Errors of
// distribution, ErrBlobMounted among them, are returned as they are: its handler compares
// them by type.
func (b *journaledBlobs) Create(ctx context.Context, options ...distribution.BlobCreateOption) (distribution.BlobWriter, error) {
	var opts distribution.CreateOptions
	for _, o := range options {
		// Options of other types (none today) are distribution's business.
		_ = o.Apply(&opts)
	}
	if opts.Mount.ShouldMount && opts.Mount.From != nil {
		if err := b.repo.journal(ctx, opts.Mount.From.Digest()); err != nil {
			return nil, err
		}
	}
	w, err := b.BlobStore.Create(ctx, options...)
	if err != nil {
		return nil, err
	}
	return &journaledWriter{BlobWriter: w, repo: b.repo}, nil
}

// Resume journals the commit of a resumed upload (a PUT after PATCHes is one).
func (b *journaledBlobs) Resume(ctx context.Context, id string) (distribution.BlobWriter, error) {
	w, err := b.BlobStore.Resume(ctx, id)
	if err != nil {
		return nil, err
	}
	return &journaledWriter{BlobWriter: w, repo: b.repo}, nil
}

// Put journals a blob stored in one call.
func (b *journaledBlobs) Put(ctx context.Context, mediaType string, p []byte) (v1.Descriptor, error) {
	if err := b.repo.journal(ctx, digest.FromBytes(p)); err != nil {
		return v1.Descriptor{}, err
	}
	return b.BlobStore.Put(ctx, mediaType, p)
}

type journaledWriter struct {
	distribution.BlobWriter
	repo *immutableRepository
}

// Commit journals the digest the client names before distribution moves the blob into place
// and links it.
func (w *journaledWriter) Commit(ctx context.Context, desc v1.Descriptor) (v1.Descriptor, error) {
	if err := w.repo.journal(ctx, desc.Digest); err != nil {
		return v1.Descriptor{}, err
	}
	return w.BlobWriter.Commit(ctx, desc)
}

// manifestDigests are what a manifest push makes reachable: the manifest and what it
// references (config, layers, index entries; not its subject).
func manifestDigests(dgst digest.Digest, payload []byte) []digest.Digest {
	out := []digest.Digest{dgst}
	descs, err := Descriptors(payload)
	if err != nil {
		return out
	}
	for _, d := range descs {
		if d.Field != "subject" {
			out = append(out, d.Digest)
		}
	}
	return out
}
