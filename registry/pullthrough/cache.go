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

package pullthrough

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/distribution/distribution/v3"
	"github.com/distribution/distribution/v3/registry/storage"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	ipt "github.com/berth-dev/berth/internal/pullthrough"
	"github.com/berth-dev/berth/registry/middleware"
	"github.com/berth-dev/berth/registry/store"
)

// repositoryWait bounds the wait for the registry's informer to see a Repository it created.
const repositoryWait = 10 * time.Second

// Cache stores what the upstream gave in the registry's storage and creates cached
// Repositories.
type Cache struct {
	Upstream *Upstream
	Rules    store.CacheRules
	Store    store.Store
	// Writer creates Repositories and RepositoryPolicies.
	Writer client.Writer
	Deps   *middleware.Deps
	Now    func() time.Time

	// importing are the blob imports in flight in this process, by repository and digest,
	// each closed when its import ended (stored or not).
	mu        sync.Mutex
	importing map[string]chan struct{}
}

// repository is the storage repository name ("namespace/name") with Berth's repository
// middleware around it: tag mutability, the garbage collector's journal.
func (c *Cache) repository(ctx context.Context, name string) (distribution.Repository, error) {
	st := c.Deps.Storage()
	if st == nil {
		return nil, errors.New("the registry's storage is not ready")
	}
	named, err := reference.WithName(name)
	if err != nil {
		return nil, fmt.Errorf("repository name %q: %w", name, err)
	}
	repo, err := st.Namespace.Repository(ctx, named)
	if err != nil {
		return nil, fmt.Errorf("opening repository %s: %w", name, err)
	}
	return middleware.NewImmutableRepository(ctx, repo, map[string]any{middleware.DepsOption: c.Deps})
}

// tagRecordPath is where the time a cached tag was last fetched or confirmed upstream is kept,
// next to the repository in a folder distribution neither reads nor walks.
func tagRecordPath(repo, tag string) string {
	return middleware.RepositoryRoot(repo) + "/_berth/pullthrough/tags/" + tag
}

// TagFetchedAt is when tag of repo was last fetched or confirmed upstream; zero when never.
func (c *Cache) TagFetchedAt(ctx context.Context, repo, tag string) (time.Time, error) {
	st := c.Deps.Storage()
	if st == nil {
		return time.Time{}, errors.New("the registry's storage is not ready")
	}
	b, err := st.Driver.GetContent(ctx, tagRecordPath(repo, tag))
	if err != nil {
		if middleware.IsPathNotFound(err) {
			return time.Time{}, nil
		}
		return time.Time{}, fmt.Errorf("reading when %s:%s was fetched: %w", repo, tag, err)
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return time.Time{}, nil //nolint:nilerr // an unreadable record is a tag to fetch again
	}
	return t, nil
}

// TouchTag records that tag of repo matches the upstream now.
func (c *Cache) TouchTag(ctx context.Context, repo, tag string) error {
	st := c.Deps.Storage()
	if st == nil {
		return errors.New("the registry's storage is not ready")
	}
	if err := st.Driver.PutContent(ctx, tagRecordPath(repo, tag), []byte(c.CurrentTime().UTC().Format(time.RFC3339Nano))); err != nil {
		return fmt.Errorf("recording when %s:%s was fetched: %w", repo, tag, err)
	}
	return nil
}

// CurrentTime is the cache's clock: Now, or time.Now.
func (c *Cache) CurrentTime() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// LocalTag is the digest tag points at in repo, or "" when the tag is not stored.
func (c *Cache) LocalTag(ctx context.Context, repo, tag string) (digest.Digest, error) {
	r, err := c.repository(ctx, repo)
	if err != nil {
		return "", err
	}
	desc, err := r.Tags(ctx).Get(ctx, tag)
	if err != nil {
		if errors.As(err, new(distribution.ErrTagUnknown)) || errors.As(err, new(distribution.ErrRepositoryUnknown)) {
			return "", nil
		}
		return "", fmt.Errorf("reading tag %s of %s: %w", tag, repo, err)
	}
	return desc.Digest, nil
}

// HasManifest reports whether repo holds manifest d.
func (c *Cache) HasManifest(ctx context.Context, repo string, d digest.Digest) (bool, error) {
	r, err := c.repository(ctx, repo)
	if err != nil {
		return false, err
	}
	ms, err := r.Manifests(ctx)
	if err != nil {
		return false, fmt.Errorf("opening the manifests of %s: %w", repo, err)
	}
	ok, err := ms.Exists(ctx, d)
	if err != nil && !errors.Is(err, distribution.ErrBlobUnknown) {
		return false, fmt.Errorf("looking for manifest %s in %s: %w", d, repo, err)
	}
	return ok && err == nil, nil
}

// HasBlob reports whether repo holds blob d.
func (c *Cache) HasBlob(ctx context.Context, repo string, d digest.Digest) (bool, error) {
	r, err := c.repository(ctx, repo)
	if err != nil {
		return false, err
	}
	_, err = r.Blobs(ctx).Stat(ctx, d)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, distribution.ErrBlobUnknown):
		return false, nil
	}
	return false, fmt.Errorf("looking for blob %s in %s: %w", d, repo, err)
}

// StoreManifest stores m in repo, under tag unless it is empty, before its blobs (they come
// on the client's blob requests, as distribution's own proxy does it). A tag the Repository's
// mutability protects refuses to move (TAG_INVALID).
func (c *Cache) StoreManifest(ctx context.Context, repo string, m *Manifest, tag string) error {
	r, err := c.repository(ctx, repo)
	if err != nil {
		return err
	}
	mf, _, err := distribution.UnmarshalManifest(m.MediaType, m.Payload)
	if err != nil {
		return &Error{Failure: FailureUnavailable, Err: fmt.Errorf("the upstream's manifest (%s) cannot be stored: %w", m.MediaType, err)}
	}
	ms, err := r.Manifests(ctx, storage.SkipLayerVerification())
	if err != nil {
		return fmt.Errorf("opening the manifests of %s: %w", repo, err)
	}
	var opts []distribution.ManifestServiceOption
	if tag != "" {
		opts = append(opts, distribution.WithTag(tag))
	}
	if _, err := ms.Put(ctx, mf, opts...); err != nil {
		return err
	}
	if tag != "" {
		// distribution's manifest handler tags after Put; the middleware tags inside Put only
		// for protected tags, so tag here too (a no-op when already done).
		desc := v1.Descriptor{MediaType: m.MediaType, Digest: m.Digest, Size: int64(len(m.Payload))}
		if err := r.Tags(ctx).Tag(ctx, tag, desc); err != nil {
			return err
		}
	}
	return nil
}

// ImportBlob copies blob d from src to the client (dst) and, on the way, into storage
// (repository repo). It returns once the client has every byte, with the commit still to do:
// the caller runs commit (in the background: the client's next request on its connection
// waits for the handler), and until it is done WaitForImport makes another request for the
// same blob wait rather than fetch it from the upstream again. Errors of the client (gone
// away) are ignored: the import goes on, so that the next pull finds the blob. On an error
// there is nothing to commit.
func (c *Cache) ImportBlob(ctx context.Context, repo string, d digest.Digest, src io.Reader, dst io.Writer) (commit func() error, err error) {
	done := c.startImport(repo, d)
	defer func() {
		if err != nil {
			done()
		}
	}()
	r, err := c.repository(ctx, repo)
	if err != nil {
		_, cerr := io.Copy(dst, src)
		return nil, errors.Join(err, cerr)
	}
	bw, err := r.Blobs(ctx).Create(ctx)
	if err != nil {
		_, cerr := io.Copy(dst, src)
		return nil, errors.Join(fmt.Errorf("starting the import of %s into %s: %w", d, repo, err), cerr)
	}
	// The blob writer reads the upstream in one ReadFrom (its digest state is kept right only
	// that way); what it reads goes to the client on the way.
	cw := &clientWriter{dst: dst}
	n, err := io.Copy(bw, io.TeeReader(src, cw))
	if err != nil {
		_ = bw.Cancel(ctx)
		_, _ = io.Copy(cw, src)
		cw.flush()
		return nil, fmt.Errorf("importing %s into %s: %w", d, repo, err)
	}
	cw.flush()
	return func() error {
		defer done()
		if _, err := bw.Commit(ctx, v1.Descriptor{Digest: d, Size: n, MediaType: "application/octet-stream"}); err != nil {
			_ = bw.Cancel(ctx)
			return fmt.Errorf("committing %s in %s: %w", d, repo, err)
		}
		return nil
	}, nil
}

// startImport notes an import of d into repo; the returned function ends it.
func (c *Cache) startImport(repo string, d digest.Digest) (done func()) {
	key := importKey(repo, d)
	ch := make(chan struct{})
	c.mu.Lock()
	if c.importing == nil {
		c.importing = map[string]chan struct{}{}
	}
	if _, ok := c.importing[key]; !ok {
		c.importing[key] = ch
	}
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		if c.importing[key] == ch {
			delete(c.importing, key)
		}
		c.mu.Unlock()
		close(ch)
	}
}

// importKey names an import of d into repo.
func importKey(repo string, d digest.Digest) string { return repo + "@" + d.String() }

// WaitForImport waits while this process imports d into repo (until ctx ends): a client that
// has read a blob's last byte asks again before its commit is done, and must find it stored
// rather than make the registry fetch it from the upstream a second time.
func (c *Cache) WaitForImport(ctx context.Context, repo string, d digest.Digest) {
	c.mu.Lock()
	ch := c.importing[importKey(repo, d)]
	c.mu.Unlock()
	if ch == nil {
		return
	}
	select {
	case <-ch:
	case <-ctx.Done():
	}
}

// clientWriter writes to the client until the client is gone; its errors stop further writes
// and are never reported: the import goes on.
type clientWriter struct {
	dst  io.Writer
	gone bool
}

// flush sends what the HTTP server buffered.
func (w *clientWriter) flush() {
	if rw, ok := w.dst.(http.ResponseWriter); ok && !w.gone {
		_ = http.NewResponseController(rw).Flush()
	}
}

func (w *clientWriter) Write(p []byte) (int, error) {
	if !w.gone {
		if _, err := w.dst.Write(p); err != nil {
			w.gone = true
		}
	}
	return len(p), nil
}

// EnsureRepository creates the Repository namespace/name for upstream under rule, from the
// namespace's creation template for PULL_THROUGH_CACHE (and the template's RepositoryPolicy),
// unless it exists, and waits until the registry's informer has it.
func (c *Cache) EnsureRepository(ctx context.Context, rule *ecrv1alpha1.PullThroughCacheRule, name, upstream string) error {
	ns := rule.Namespace
	templates, err := c.Rules.CreationTemplates(ctx, ns)
	if err != nil {
		return err
	}
	tmpl := ipt.SelectTemplate(templates, rule.Spec.EcrRepositoryPrefix, ecrv1alpha1.AppliedForPullThroughCache)
	repo, pol := ipt.NewRepository(tmpl, ns, name, rule.Name, upstream)
	if pol != nil {
		if err := c.Writer.Create(ctx, pol); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating RepositoryPolicy %s/%s from template %s: %w", ns, name, tmpl.Name, err)
		}
	}
	if err := c.Writer.Create(ctx, repo); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating Repository %s/%s: %w", ns, name, err)
	}
	wctx, cancel := context.WithTimeout(ctx, repositoryWait)
	defer cancel()
	for {
		r, err := c.Store.Repository(wctx, ns, name)
		if err != nil {
			return err
		}
		if r != nil {
			return nil
		}
		select {
		case <-wctx.Done():
			return fmt.Errorf("the registry's cache did not see the new Repository %s/%s within %s", ns, name, repositoryWait)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
