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
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/distribution/distribution/v3"
	"github.com/distribution/distribution/v3/registry/api/errcode"
	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// Descriptor sizes. distribution v3 checks that a manifest's descriptors point at content the
// repository has, never that their sizes are those of that content: a manifest saying -1, 0 or
// any wrong size for a layer, a config or an index entry was stored, and clients that trust the
// size (to allocate, to verify a download's length) then fail on pull, far from the push.
// Berth refuses such a manifest with 400 MANIFEST_INVALID naming the descriptor.

// NamedDescriptor is one descriptor of a manifest with where it sits ("layers[2]").
type NamedDescriptor struct {
	Field string
	v1.Descriptor
}

// Descriptors are the descriptors of an OCI or Docker image manifest or index (config,
// layers, manifests and subject: the media types share these field names), in order.
func Descriptors(payload []byte) ([]NamedDescriptor, error) {
	var m struct {
		Config    *v1.Descriptor  `json:"config"`
		Layers    []v1.Descriptor `json:"layers"`
		Manifests []v1.Descriptor `json:"manifests"`
		Subject   *v1.Descriptor  `json:"subject"`
	}
	if err := json.Unmarshal(payload, &m); err != nil {
		return nil, fmt.Errorf("the manifest's descriptors: %w", err)
	}
	var out []NamedDescriptor
	if m.Config != nil {
		out = append(out, NamedDescriptor{"config", *m.Config})
	}
	for i, d := range m.Layers {
		out = append(out, NamedDescriptor{fmt.Sprintf("layers[%d]", i), d})
	}
	for i, d := range m.Manifests {
		out = append(out, NamedDescriptor{fmt.Sprintf("manifests[%d]", i), d})
	}
	if m.Subject != nil {
		out = append(out, NamedDescriptor{"subject", *m.Subject})
	}
	return out, nil
}

// SizeProblem says what is wrong with d's size given the size of the content it points at
// (stored < 0: not in the repository, which only a negative size makes wrong), or "".
func SizeProblem(d NamedDescriptor, stored int64) string {
	switch {
	case d.Size < 0:
		return fmt.Sprintf("%s (%s) has size %d: a size is the content's length in bytes", d.Field, d.Digest, d.Size)
	case stored >= 0 && d.Size != stored:
		return fmt.Sprintf("%s (%s) has size %d, but the repository's content of that digest is %d bytes", d.Field, d.Digest, d.Size, stored)
	}
	return ""
}

// checkSizes refuses a manifest whose descriptors' sizes are not those of the content they
// point at in this repository. Content the repository does not have is left to distribution
// (MANIFEST_BLOB_UNKNOWN), and a subject may be pushed after its referrers; layers by URL are
// refused by manifestError.
func (m *immutableManifests) checkSizes(ctx context.Context, payload []byte) error {
	descs, err := Descriptors(payload)
	if err != nil {
		return errcode.ErrorCodeManifestInvalid.WithMessage(err.Error())
	}
	var problems []string
	for _, d := range descs {
		if len(d.URLs) > 0 {
			continue
		}
		stored := int64(-1)
		if d.Size >= 0 && d.Digest.Validate() == nil {
			if stored, err = m.storedSize(ctx, d.Digest); err != nil {
				return err
			}
		}
		if p := SizeProblem(d, stored); p != "" {
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		return errcode.ErrorCodeManifestInvalid.WithMessage("descriptor sizes do not match the content: " + strings.Join(problems, "; "))
	}
	return nil
}

// storedSize is the size of the blob or manifest dgst in this repository, or -1 if it has
// neither.
func (m *immutableManifests) storedSize(ctx context.Context, dgst digest.Digest) (int64, error) {
	desc, err := m.repo.Repository.Blobs(ctx).Stat(ctx, dgst)
	switch {
	case err == nil:
		return desc.Size, nil
	case !errors.Is(err, distribution.ErrBlobUnknown):
		return 0, fmt.Errorf("looking up blob %s: %w", dgst, err)
	}
	exists, err := m.Exists(ctx, dgst)
	if err != nil {
		return 0, fmt.Errorf("looking up manifest %s: %w", dgst, err)
	}
	if !exists {
		return -1, nil
	}
	mf, err := m.Get(ctx, dgst)
	if err != nil {
		var unknown distribution.ErrManifestUnknownRevision
		if errors.As(err, &unknown) {
			return -1, nil
		}
		return 0, fmt.Errorf("reading manifest %s: %w", dgst, err)
	}
	_, p, err := mf.Payload()
	if err != nil {
		return 0, fmt.Errorf("reading manifest %s: %w", dgst, err)
	}
	return int64(len(p)), nil
}
