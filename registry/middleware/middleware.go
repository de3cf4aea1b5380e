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
	"fmt"
	"hash/fnv"
	"io"
	"sync"
	"sync/atomic"

	"github.com/distribution/distribution/v3"
	"github.com/distribution/distribution/v3/registry/api/errcode"
	storagedriver "github.com/distribution/distribution/v3/registry/storage/driver"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	"github.com/berth-dev/berth/internal/policy"
	"github.com/berth-dev/berth/registry/auth"
	"github.com/berth-dev/berth/registry/store"
)

// The repository rules are distribution middleware rather than HTTP wrapping, because they
// need what only distribution knows: the registry middleware sees every resolution of a
// repository name (so no request reaches storage for a name without a Repository, uploads
// included) and the catalog's storage walk; the repository middleware sees the manifest
// being stored with its tag, before storage, and the tag being written.

// Deps are what the middleware needs from its server. distribution builds its middleware by
// name from its configuration, so Deps reach the middleware as the value of option DepsOption
// in the configuration the server builds in code: each App (and each test server) has its
// own, although distribution keeps the middleware registry process-global.
type Deps struct {
	// Store reads Repositories (NAME_UNKNOWN, tag mutability).
	Store store.Store
	// Authz filters the catalog to what the caller may pull.
	Authz *auth.Authorizer
	// Leases, when set, make protected tag writes atomic across replicas (taglease.go).
	Leases *TagLeases
	// AfterTagCheck, when set, runs between a tag's check and its write: a seam for the
	// tests that race two replicas on one tag. Production leaves it nil.
	AfterTagCheck func()
	// ManifestDeleted, when set, is called after a manifest was deleted (lifecycle expiry,
	// forceDelete, BatchDeleteImage): garbage collection runs soon after.
	ManifestDeleted func()

	locks tagLocks
	// storage is the App's own storage, captured when the App builds its registry middleware.
	storage atomic.Pointer[Storage]
}

// Storage is the App's storage: the namespace under Berth's middleware (so a listing does
// not go through it again) and the driver, for what the OCI API does not expose (push and
// pull times).
type Storage struct {
	Namespace distribution.Namespace
	Driver    storagedriver.StorageDriver
}

// Storage is the App's storage once the App has been built (distribution creates the driver
// and hands it only to its middleware), else nil.
func (d *Deps) Storage() *Storage { return d.storage.Load() }

// DepsOption is the middleware option key that carries *Deps.
const DepsOption = "berth.dependencies"

func depsFrom(options map[string]any) (*Deps, error) {
	d, ok := options[DepsOption].(*Deps)
	if !ok || d == nil {
		return nil, fmt.Errorf("berth middleware needs option %q: configure it through registry.New, not a configuration file", DepsOption)
	}
	return d, nil
}

// NewNamespace is the registry middleware: it wraps distribution's repository namespace.
func NewNamespace(_ context.Context, ns distribution.Namespace, driver storagedriver.StorageDriver, options map[string]any) (distribution.Namespace, error) {
	d, err := depsFrom(options)
	if err != nil {
		return nil, err
	}
	d.storage.Store(&Storage{Namespace: ns, Driver: driver})
	return &namespace{Namespace: ns, deps: d}, nil
}

// namespace answers NAME_UNKNOWN for names without a Repository resource and filters the
// catalog to what the caller may pull.
type namespace struct {
	distribution.Namespace
	deps *Deps
}

var (
	_ distribution.RepositoryRemover    = (*namespace)(nil)
	_ distribution.RepositoryEnumerator = (*namespace)(nil)
)

// Repository refuses names that are not a Repository resource <namespace>/<name>: ECR has no
// implicit repository creation, and a refusal here comes before any blob is stored.
func (n *namespace) Repository(ctx context.Context, named reference.Named) (distribution.Repository, error) {
	name := named.Name()
	ns, repo, err := policy.SplitRepository(name)
	if err != nil {
		return nil, NameUnknownError(name, "Berth repositories are named <namespace>/<name>, after a Repository resource")
	}
	r, err := n.deps.Store.Repository(ctx, ns, repo)
	if err != nil {
		return nil, errcode.ErrorCodeUnavailable.WithMessage(err.Error())
	}
	if r == nil {
		return nil, NameUnknownError(name, fmt.Sprintf("create a Repository named %s in namespace %s to push to it", repo, ns))
	}
	return n.Namespace.Repository(ctx, named)
}

// Repositories fills repos with the next repositories in storage after last that have a
// Repository resource and that the caller may pull, so the catalog shows nothing the caller
// could not read anyway. It returns io.EOF once storage is exhausted, and never (0, nil),
// which distribution's catalog handler cannot page from.
func (n *namespace) Repositories(ctx context.Context, repos []string, last string) (int, error) {
	v := auth.VerdictFrom(ctx)
	if v == nil || len(repos) == 0 {
		return 0, io.EOF
	}
	buf := make([]string, len(repos))
	filled := 0
	for {
		k, err := n.Namespace.Repositories(ctx, buf, last)
		end := err != nil || k == 0
		if err != nil && !errors.Is(err, io.EOF) && !IsPathNotFound(err) {
			return filled, fmt.Errorf("listing repositories in storage: %w", err)
		}
		for i, name := range buf[:k] {
			last = name
			if !n.listable(ctx, v.ID, name) {
				continue
			}
			repos[filled] = name
			filled++
			if filled == len(repos) {
				if end && i == k-1 {
					return filled, io.EOF
				}
				return filled, nil
			}
		}
		if end {
			return filled, io.EOF
		}
	}
}

// listable reports whether name belongs in id's catalog.
func (n *namespace) listable(ctx context.Context, id *auth.Identity, name string) bool {
	ns, repo, err := policy.SplitRepository(name)
	if err != nil {
		return false
	}
	if r, err := n.deps.Store.Repository(ctx, ns, repo); err != nil || r == nil {
		return false
	}
	return n.deps.Authz.MayPull(ctx, id, name)
}

// Remove deletes a repository's storage, as distribution's own namespace does (NewApp looks
// for this interface; embedding would hide it).
func (n *namespace) Remove(ctx context.Context, name reference.Named) error {
	rr, ok := n.Namespace.(distribution.RepositoryRemover)
	if !ok {
		return distribution.ErrUnsupported
	}
	return rr.Remove(ctx, name)
}

// Enumerate walks every repository in storage (garbage collection needs it).
func (n *namespace) Enumerate(ctx context.Context, ingester func(string) error) error {
	re, ok := n.Namespace.(distribution.RepositoryEnumerator)
	if !ok {
		return distribution.ErrUnsupported
	}
	return re.Enumerate(ctx, ingester)
}

// NewImmutableRepository is the repository middleware: it wraps one repository for one request.
func NewImmutableRepository(_ context.Context, repo distribution.Repository, options map[string]any) (distribution.Repository, error) {
	d, err := depsFrom(options)
	if err != nil {
		return nil, err
	}
	name := repo.Named().Name()
	ns, short, err := policy.SplitRepository(name)
	if err != nil {
		return nil, NameUnknownError(name, err.Error())
	}
	return &immutableRepository{Repository: repo, deps: d, namespace: ns, short: short}, nil
}

// immutableRepository enforces the Repository's imageTagMutability: a manifest PUT that would
// move a tag the mode protects answers 400 TAG_INVALID before the manifest is stored; pushing
// the digest a tag already has is fine.
type immutableRepository struct {
	distribution.Repository
	deps      *Deps
	namespace string
	short     string
	// tagged is the tag and digest this request's manifest PUT wrote under the tag's lock
	// ("tag@digest"): distribution's own tag step that follows has nothing left to do.
	tagged string
}

// Manifests checks tags before a manifest is stored.
func (r *immutableRepository) Manifests(ctx context.Context, options ...distribution.ManifestServiceOption) (distribution.ManifestService, error) {
	ms, err := r.Repository.Manifests(ctx, options...)
	if err != nil {
		return nil, err
	}
	return &immutableManifests{ManifestService: ms, repo: r}, nil
}

// Tags checks tags again when they are written, under a lock per tag, so two pushes of one
// new tag cannot both win: a lock in this process, and for a protected tag a Lease that every
// replica sees (when the registry has a lease namespace).
func (r *immutableRepository) Tags(ctx context.Context) distribution.TagService {
	return &immutableTags{TagService: r.Repository.Tags(ctx), repo: r}
}

// resource is the Repository resource behind this repository, from the cache.
func (r *immutableRepository) resource(ctx context.Context) (*ecrv1alpha1.Repository, error) {
	repo, err := r.deps.Store.Repository(ctx, r.namespace, r.short)
	if err != nil {
		return nil, errcode.ErrorCodeUnavailable.WithMessage(err.Error())
	}
	if repo == nil {
		return nil, NameUnknownError(r.Named().Name(), "its Repository resource was deleted")
	}
	return repo, nil
}

// checkTag returns TAG_INVALID if storing newDigest under tag would move a tag the
// Repository's mutability mode protects.
func (r *immutableRepository) checkTag(ctx context.Context, tag string, newDigest digest.Digest) error {
	repo, err := r.resource(ctx)
	if err != nil {
		return err
	}
	mode, filters := repo.Spec.ImageTagMutability, repo.Spec.ImageTagMutabilityExclusionFilters
	if policy.TagMutable(mode, filters, tag) {
		return nil
	}
	name := r.Named().Name()
	current, err := r.Repository.Tags(ctx).Get(ctx, tag)
	var unknown distribution.ErrTagUnknown
	switch {
	case errors.As(err, &unknown):
		return nil
	case err != nil:
		return fmt.Errorf("reading tag %s of %s: %w", tag, name, err)
	}
	return TagError(name, mode, filters, tag, current, newDigest)
}

// protected reports whether the Repository's mutability mode keeps tag from moving.
func (r *immutableRepository) protected(ctx context.Context, tag string) (bool, error) {
	repo, err := r.resource(ctx)
	if err != nil {
		return false, err
	}
	return !policy.TagMutable(repo.Spec.ImageTagMutability, repo.Spec.ImageTagMutabilityExclusionFilters, tag), nil
}

// TagError applies policy.CheckTagMutability and words a refusal as TAG_INVALID.
func TagError(name string, mode ecrv1alpha1.ImageTagMutability, filters []ecrv1alpha1.ImageTagMutabilityExclusionFilter, tag string, current v1.Descriptor, newDigest digest.Digest) error {
	err := policy.CheckTagMutability(mode, filters, tag, current.Digest.String(), newDigest.String())
	if err == nil {
		return nil
	}
	return errcode.ErrorCodeTagInvalid.WithMessage(fmt.Sprintf("repository %s: %v", name, err)).
		WithDetail(map[string]string{"tag": tag, "digest": current.Digest.String()})
}

type immutableManifests struct {
	distribution.ManifestService
	repo *immutableRepository
}

// Put refuses to store a manifest whose tag may not move to it. For a tag the Repository
// protects, the check, the manifest and the tag are written under the tag's lock (lockTag), so
// the loser of two concurrent pushes of one new tag gets 400 TAG_INVALID here: distribution
// reports any error of its own tag step afterwards as 500 UNKNOWN. A manifest with a subject
// is recorded as a referrer of it (referrers.go) before its tag is written; one whose
// descriptors' sizes are wrong is refused first (sizes.go).
func (m *immutableManifests) Put(ctx context.Context, manifest distribution.Manifest, options ...distribution.ManifestServiceOption) (digest.Digest, error) {
	tag := ""
	for _, o := range options {
		if t, ok := o.(distribution.WithTagOption); ok {
			tag = t.Tag
		}
	}
	mediaType, payload, err := manifest.Payload()
	if err != nil {
		return "", fmt.Errorf("reading the manifest payload: %w", err)
	}
	dgst := digest.FromBytes(payload)
	subject, referrer, err := ReferrerOf(mediaType, payload, dgst)
	if err != nil {
		return "", errcode.ErrorCodeManifestInvalid.WithMessage(err.Error())
	}
	if err := m.checkSizes(ctx, payload); err != nil {
		return "", err
	}
	if err := m.repo.journal(ctx, manifestDigests(dgst, payload)...); err != nil {
		return "", err
	}
	if tag == "" {
		stored, err := m.ManifestService.Put(ctx, manifest, options...)
		if err != nil {
			return "", manifestError(err)
		}
		return stored, m.recordSubject(ctx, subject, referrer)
	}
	release, err := m.repo.lockTag(ctx, tag)
	if err != nil {
		return "", err
	}
	defer release()
	if err := m.repo.checkTag(ctx, tag, dgst); err != nil {
		return "", err
	}
	if hook := m.repo.deps.AfterTagCheck; hook != nil {
		hook()
	}
	stored, err := m.ManifestService.Put(ctx, manifest, options...)
	if err != nil {
		return "", manifestError(err)
	}
	if err := m.recordSubject(ctx, subject, referrer); err != nil {
		return "", err
	}
	// Tag it now, under the lock; distribution's own tag step then rewrites the same digest.
	desc := v1.Descriptor{MediaType: mediaType, Digest: stored, Size: int64(len(payload))}
	if err := m.repo.Repository.Tags(ctx).Tag(ctx, tag, desc); err != nil {
		return "", fmt.Errorf("tagging %s as %s: %w", stored, tag, err)
	}
	m.repo.tagged = tag + "@" + stored.String()
	return stored, nil
}

// recordSubject records referrer as a referrer of subject (none when subject is nil) and says
// so in the response's OCI-Subject header.
func (m *immutableManifests) recordSubject(ctx context.Context, subject *v1.Descriptor, referrer v1.Descriptor) error {
	if subject == nil {
		return nil
	}
	st := m.repo.deps.Storage()
	if st == nil {
		return errcode.ErrorCodeUnavailable.WithMessage("the registry's storage is not ready")
	}
	if err := writeReferrer(ctx, st.Driver, m.repo.Named().Name(), subject.Digest, referrer); err != nil {
		return err
	}
	if h := responseHeader(ctx); h != nil {
		h.Set(subjectHeader, subject.Digest.String())
	}
	return nil
}

// maxReferrerDepth bounds how deep a delete follows referrers of referrers (a signature of
// an SBOM of an image is depth 2).
const maxReferrerDepth = 8

// Delete deletes the manifest and, first, its referrers (ECR deletes the artifacts attached to
// an image with it), and drops it from the referrers of its own subject. Errors of the
// manifest's own delete are returned as distribution returned them: its handler compares them.
func (m *immutableManifests) Delete(ctx context.Context, dgst digest.Digest) error {
	err := m.deleteWithReferrers(ctx, dgst, 0)
	if err == nil && m.repo.deps.ManifestDeleted != nil {
		m.repo.deps.ManifestDeleted()
	}
	return err
}

func (m *immutableManifests) deleteWithReferrers(ctx context.Context, dgst digest.Digest, depth int) error {
	st := m.repo.deps.Storage()
	if st == nil {
		return m.ManifestService.Delete(ctx, dgst)
	}
	repo := m.repo.Named().Name()
	var subject *v1.Descriptor
	if mf, err := m.Get(ctx, dgst); err == nil {
		if mediaType, payload, err := mf.Payload(); err == nil {
			subject, _, _ = ReferrerOf(mediaType, payload, dgst)
		}
	}
	if depth < maxReferrerDepth {
		refs, err := ListReferrers(ctx, st.Driver, repo, dgst, "")
		if err != nil {
			return err
		}
		for _, r := range refs {
			if err := m.deleteReferrer(ctx, r.Digest, depth+1); err != nil {
				return fmt.Errorf("deleting %s, a referrer of %s: %w", r.Digest, dgst, err)
			}
		}
	}
	if err := m.ManifestService.Delete(ctx, dgst); err != nil {
		return err
	}
	if err := st.Driver.Delete(ctx, referrersDir(repo, dgst)); err != nil && !IsPathNotFound(err) {
		return fmt.Errorf("removing the referrers of %s: %w", dgst, err)
	}
	if subject != nil {
		if err := st.Driver.Delete(ctx, referrerPath(repo, subject.Digest, dgst)); err != nil && !IsPathNotFound(err) {
			return fmt.Errorf("removing %s from the referrers of %s: %w", dgst, subject.Digest, err)
		}
	}
	return nil
}

// deleteReferrer deletes one referrer with its tags (distribution's handler untags only the
// manifest the request names); one already gone is fine.
func (m *immutableManifests) deleteReferrer(ctx context.Context, dgst digest.Digest, depth int) error {
	err := m.deleteWithReferrers(ctx, dgst, depth)
	var unknown distribution.ErrManifestUnknownRevision
	if err != nil && !errors.Is(err, distribution.ErrBlobUnknown) && !errors.As(err, &unknown) && !IsPathNotFound(err) {
		return err
	}
	ts := m.repo.Repository.Tags(ctx)
	tags, err := ts.Lookup(ctx, v1.Descriptor{Digest: dgst})
	if err != nil {
		return fmt.Errorf("looking up the tags of %s: %w", dgst, err)
	}
	for _, t := range tags {
		if err := ts.Untag(ctx, t); err != nil && !errors.As(err, new(distribution.ErrTagUnknown)) {
			return fmt.Errorf("untagging %s: %w", t, err)
		}
	}
	return nil
}

// errInvalidURLText is distribution's (unexported) verification error for a layer whose URLs
// the configuration does not allow.
const errInvalidURLText = "invalid URL on layer"

// manifestError turns the verification errors distribution's manifest handler would answer
// with 500 UNKNOWN into the 400 MANIFEST_INVALID they are: Berth accepts no layer URLs
// (non-distributable layers pointing outside the registry; docs/decisions.md).
func manifestError(err error) error {
	var verr distribution.ErrManifestVerification
	if errors.As(err, &verr) {
		for _, e := range verr {
			if e != nil && e.Error() == errInvalidURLText {
				return errcode.ErrorCodeManifestInvalid.WithMessage("the manifest references layers by URL (non-distributable layers): berth-registry stores every layer itself and accepts no layer URLs; push the layers instead")
			}
		}
	}
	return err
}

type immutableTags struct {
	distribution.TagService
	repo *immutableRepository
}

// Tag writes tag unless that moves a protected tag. The tag step distribution runs after a
// manifest PUT finds the tag already written by Put (same request, same digest) and skips it.
func (t *immutableTags) Tag(ctx context.Context, tag string, desc v1.Descriptor) error {
	if t.repo.tagged == tag+"@"+desc.Digest.String() {
		return nil
	}
	release, err := t.repo.lockTag(ctx, tag)
	if err != nil {
		return err
	}
	defer release()
	if err := t.repo.checkTag(ctx, tag, desc.Digest); err != nil {
		return err
	}
	return t.TagService.Tag(ctx, tag, desc)
}

// lockTag takes the tag's lock in this process and, when the Repository protects the tag and
// the registry has a lease namespace, its Lease, which every replica sees.
func (r *immutableRepository) lockTag(ctx context.Context, tag string) (release func(), err error) {
	key := r.Named().Name() + ":" + tag
	unlock := r.deps.locks.lock(key)
	leases := r.deps.Leases
	if leases == nil {
		return unlock, nil
	}
	protected, err := r.protected(ctx, tag)
	switch {
	case err != nil:
		unlock()
		return nil, err
	case !protected:
		return unlock, nil
	}
	unlease, err := leases.lock(ctx, key)
	if err != nil {
		unlock()
		return nil, errcode.ErrorCodeUnavailable.WithMessage(err.Error())
	}
	return func() { unlease(); unlock() }, nil
}

// tagLocks serialises tag writes per repository and tag, striped so memory stays fixed.
type tagLocks struct {
	stripes [64]sync.Mutex
}

func (l *tagLocks) lock(key string) (unlock func()) {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	mu := &l.stripes[h.Sum32()%uint32(len(l.stripes))]
	mu.Lock()
	return mu.Unlock
}

// NameUnknownError is the NAME_UNKNOWN error for a repository without a Repository resource
// (ECR's RepositoryNotFoundException).
func NameUnknownError(repository, why string) errcode.Error {
	return errcode.ErrorCodeNameUnknown.WithMessage(fmt.Sprintf("repository %s does not exist: %s", repository, why)).
		WithDetail(map[string]string{"name": repository})
}
