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

package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/distribution/distribution/v3/registry/api/errcode"
	"github.com/go-logr/logr"
	"github.com/opencontainers/go-digest"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	"github.com/berth-dev/berth/internal/policy"
	ipt "github.com/berth-dev/berth/internal/pullthrough"
	"github.com/berth-dev/berth/registry/auth"
	"github.com/berth-dev/berth/registry/metrics"
	"github.com/berth-dev/berth/registry/pullthrough"
)

// importTimeout bounds an import that goes on after its client went away.
const importTimeout = 30 * time.Minute

// PullThrough serves pulls of <namespace>/<prefix>/<upstream repository> for the namespace's
// PullThroughCacheRule <prefix> (docs/registry-internals.md, "Pull through cache"). The Gate
// rewrites such a request to the Repository that stores the cache, authorizes it as a pull of
// that Repository, and then lets PullThrough fetch from the upstream what storage lacks (when
// the caller may import) before distribution answers from storage.
type PullThrough struct {
	Cache   *pullthrough.Cache
	Metrics *metrics.Metrics
	Log     logr.Logger
}

// cacheRequest is a request the Gate rewrote for a PullThroughCacheRule.
type cacheRequest struct {
	rule *ecrv1alpha1.PullThroughCacheRule
	// repository is the storage name <namespace>/<Repository name>; upstream the upstream
	// repository, upstreamRef the UpstreamAnnotation value of the Repository.
	repository, upstream, upstreamRef string
	// create is set when the Repository does not exist yet.
	create bool
}

// resolve rewrites a request for a cache path to the Repository that stores it. It returns a
// nil cacheRequest for everything else, and an outcome for a cache path it refuses.
func (p *PullThrough) resolve(ctx context.Context, r *http.Request, ep policy.Endpoint) (*http.Request, policy.Endpoint, *cacheRequest, *outcome, error) {
	path, ok := ipt.SplitCachePath(ep.Name)
	if !ok {
		return r, ep, nil, nil, nil
	}
	rule, err := p.Cache.Rules.PullThroughCacheRule(ctx, path.Namespace, path.Prefix)
	if err != nil || rule == nil {
		return r, ep, nil, nil, err
	}
	readOnly := r.Method == http.MethodGet || r.Method == http.MethodHead
	switch ep.Route {
	case policy.RouteManifest, policy.RouteBlob, policy.RouteTags, policy.RouteReferrers:
	default:
		readOnly = false
	}
	name, err := path.RepositoryName()
	if err == nil && !readOnly {
		err = fmt.Errorf("pull through cache path %s is read-only: push to %s/%s instead", ep.Name, path.Namespace, name)
		return r, ep, nil, &outcome{fail: func(w http.ResponseWriter) { writeError(w, errcode.ErrorCodeUnsupported.WithMessage(err.Error())) }}, nil
	}
	if err != nil {
		msg := err.Error()                                                                                                                   // a refusal for the client, not a failure of the registry
		return r, ep, nil, &outcome{fail: func(w http.ResponseWriter) { writeError(w, errcode.ErrorCodeNameInvalid.WithMessage(msg)) }}, nil //nolint:nilerr // a refusal, not a failure
	}
	u, err := ipt.UpstreamURL(rule.Spec.UpstreamRegistryURL)
	if err != nil {
		msg := err.Error()                                                                                                     // the rule got past the schema: an answer for the client
		return r, ep, nil, &outcome{fail: func(w http.ResponseWriter) { badGateway(w, "pull through cache rule: "+msg) }}, nil //nolint:nilerr // a refusal, not a failure
	}
	cr := &cacheRequest{rule: rule, repository: path.Namespace + "/" + name, upstream: path.UpstreamRepository(rule.Spec.UpstreamRepositoryPrefix)}
	cr.upstreamRef = ipt.Upstream(u.String(), cr.upstream)
	ep.Name = cr.repository
	uu := *r.URL
	uu.Path, uu.RawPath = ep.Path(), ""
	return withURL(r, uu), ep, cr, nil, nil
}

// checkExisting checks that an existing Repository caches this upstream repository: two
// upstream names that differ by "/" against "." map to one Repository name.
func (cr *cacheRequest) checkExisting(repo *ecrv1alpha1.Repository) error {
	if got, ok := repo.Annotations[ipt.UpstreamAnnotation]; ok && got != cr.upstreamRef {
		return fmt.Errorf("repository %s caches %s, not %s", cr.repository, got, cr.upstreamRef)
	}
	return nil
}

// serve fetches from the upstream what storage lacks for the request; it reports whether it
// answered the request itself (a blob streamed from the upstream, or a refusal). Otherwise
// distribution answers from storage.
func (p *PullThrough) serve(w http.ResponseWriter, r *http.Request, ep policy.Endpoint, cr *cacheRequest, id *auth.Identity, g *Gate) bool {
	switch ep.Route {
	case policy.RouteManifest:
		return p.manifest(w, r, ep, cr, id, g)
	case policy.RouteBlob:
		return p.blob(w, r, ep, cr, id, g)
	}
	if cr.create {
		writeError(w, errcode.ErrorCodeNameUnknown.WithMessage(fmt.Sprintf("repository %s is not cached yet: pull an image through it first", cr.repository)))
		return true
	}
	return false
}

// mayImport decides the import requirements; refuse answers a denial.
func (p *PullThrough) mayImport(ctx context.Context, r *http.Request, cr *cacheRequest, id *auth.Identity, g *Gate) (ok bool, refuse func(http.ResponseWriter)) {
	for _, req := range policy.ImportRequirements(cr.repository, cr.create) {
		d, err := g.Authz.Decide(ctx, id, req)
		if err != nil {
			o := g.failure(r, req, req.Action, err)
			return false, o.fail
		}
		if !d.Allowed {
			o := g.refuse(r, id, req, d, req.Action)
			return false, o.fail
		}
	}
	return true, nil
}

func (p *PullThrough) manifest(w http.ResponseWriter, r *http.Request, ep policy.Endpoint, cr *cacheRequest, id *auth.Identity, g *Gate) bool {
	ctx := r.Context()
	ref, tag := ep.Reference, ""
	var local digest.Digest
	if _, err := digest.Parse(ref); err != nil {
		tag = ref
	}
	if !cr.create {
		var err error
		fresh := false
		if tag == "" {
			fresh, err = p.Cache.HasManifest(ctx, cr.repository, digest.Digest(ref))
		} else if local, err = p.Cache.LocalTag(ctx, cr.repository, tag); err == nil && local != "" {
			var at time.Time
			at, err = p.Cache.TagFetchedAt(ctx, cr.repository, tag)
			fresh = ipt.TagFresh(at, p.Cache.CurrentTime(), refreshInterval(cr.rule))
		}
		if err != nil {
			unavailable(w, err.Error())
			return true
		}
		if fresh {
			p.Metrics.CacheResult("manifest", metrics.CacheHit)
			return false
		}
	}
	if ok, refuse := p.mayImport(ctx, r, cr, id, g); !ok {
		if local != "" {
			p.Metrics.CacheResult("manifest", metrics.CacheStale)
			return false
		}
		refuse(w)
		return true
	}
	if local != "" {
		if d, err := p.Cache.Upstream.HeadManifest(ctx, cr.rule, cr.upstream, tag); err == nil && d == local {
			p.touch(ctx, cr, tag)
			p.Metrics.CacheResult("manifest", metrics.CacheRevalidated)
			return false
		}
	}
	m, err := p.Cache.Upstream.GetManifest(ctx, cr.rule, cr.upstream, ref)
	if err != nil {
		p.Metrics.CacheUpstreamError(string(pullthrough.FailureOf(err)))
		if local != "" {
			p.Log.Info("serving a cached tag the upstream could not refresh", "repository", cr.repository, "tag", tag, "error", err.Error())
			p.Metrics.CacheResult("manifest", metrics.CacheStale)
			return false
		}
		p.upstreamError(w, err, errcode.ErrorCodeManifestUnknown)
		return true
	}
	if cr.create {
		if err := p.Cache.EnsureRepository(ctx, cr.rule, repositoryName(cr), cr.upstreamRef); err != nil {
			p.Log.Error(err, "cannot create a cached Repository", "repository", cr.repository)
			unavailable(w, err.Error())
			return true
		}
	}
	if err := p.Cache.StoreManifest(ctx, cr.repository, m, tag); err != nil {
		var ec errcode.Error
		if errors.As(err, &ec) && ec.Code == errcode.ErrorCodeTagInvalid && local != "" {
			// The Repository's mutability keeps the tag where it was: serve that.
			p.Metrics.CacheResult("manifest", metrics.CacheStale)
			return false
		}
		p.Log.Error(err, "cannot store a manifest from the upstream", "repository", cr.repository, "reference", ref)
		if errors.As(err, &ec) {
			writeError(w, ec)
		} else {
			unavailable(w, "storing the upstream's manifest: "+err.Error())
		}
		return true
	}
	p.touch(ctx, cr, tag)
	p.Metrics.CacheResult("manifest", metrics.CacheMiss)
	return false
}

func (p *PullThrough) touch(ctx context.Context, cr *cacheRequest, tag string) {
	if tag == "" {
		return
	}
	if err := p.Cache.TouchTag(ctx, cr.repository, tag); err != nil {
		p.Log.Error(err, "cannot record a tag's refresh", "repository", cr.repository, "tag", tag)
	}
}

func (p *PullThrough) blob(w http.ResponseWriter, r *http.Request, ep policy.Endpoint, cr *cacheRequest, id *auth.Identity, g *Gate) bool {
	ctx := r.Context()
	d, err := digest.Parse(ep.Reference)
	if err != nil {
		return false // distribution answers DIGEST_INVALID
	}
	if !cr.create {
		p.Cache.WaitForImport(ctx, cr.repository, d)
		has, err := p.Cache.HasBlob(ctx, cr.repository, d)
		if err != nil {
			unavailable(w, err.Error())
			return true
		}
		if has {
			p.Metrics.CacheResult("blob", metrics.CacheHit)
			return false
		}
	}
	if ok, refuse := p.mayImport(ctx, r, cr, id, g); !ok {
		refuse(w)
		return true
	}
	if r.Method == http.MethodHead {
		size, err := p.Cache.Upstream.HeadBlob(ctx, cr.rule, cr.upstream, d)
		if err != nil {
			p.Metrics.CacheUpstreamError(string(pullthrough.FailureOf(err)))
			p.upstreamError(w, err, errcode.ErrorCodeBlobUnknown)
			return true
		}
		blobHeaders(w, d, size)
		w.WriteHeader(http.StatusOK)
		return true
	}
	// The import goes on if the client goes away, so that the next pull finds the blob.
	ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), importTimeout)
	commit := p.streamBlob(ictx, w, cr, d)
	if commit == nil {
		cancel()
		return true
	}
	// The client has the blob: the commit must not hold its next request (on the same
	// connection, it waits for this handler).
	go func() {
		defer cancel()
		if err := commit(); err != nil {
			p.Log.Error(err, "cannot import a blob from the upstream", "repository", cr.repository, "digest", d.String())
		}
	}()
	return true
}

// streamBlob fetches blob d from the upstream and sends it to the client while storing it,
// creating the cached Repository first when it does not exist. It returns the import's commit,
// or nil when there is nothing to commit (it answered or logged the failure).
func (p *PullThrough) streamBlob(ctx context.Context, w http.ResponseWriter, cr *cacheRequest, d digest.Digest) (commit func() error) {
	blob, err := p.Cache.Upstream.GetBlob(ctx, cr.rule, cr.upstream, d)
	if err != nil {
		p.Metrics.CacheUpstreamError(string(pullthrough.FailureOf(err)))
		p.upstreamError(w, err, errcode.ErrorCodeBlobUnknown)
		return nil
	}
	defer func() { _ = blob.Body.Close() }()
	if cr.create {
		if err := p.Cache.EnsureRepository(ctx, cr.rule, repositoryName(cr), cr.upstreamRef); err != nil {
			p.Log.Error(err, "cannot create a cached Repository", "repository", cr.repository)
			unavailable(w, err.Error())
			return nil
		}
	}
	blobHeaders(w, d, blob.Size)
	w.WriteHeader(http.StatusOK)
	p.Metrics.CacheResult("blob", metrics.CacheMiss)
	commit, err = p.Cache.ImportBlob(ctx, cr.repository, d, blob.Body, w)
	if err != nil {
		p.Log.Error(err, "cannot import a blob from the upstream", "repository", cr.repository, "digest", d.String())
		return nil
	}
	return commit
}

func blobHeaders(w http.ResponseWriter, d digest.Digest, size int64) {
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Docker-Content-Digest", d.String())
	h.Set("Etag", `"`+d.String()+`"`)
	if size >= 0 {
		h.Set("Content-Length", strconv.FormatInt(size, 10))
	}
}

// upstreamError answers an upstream failure: 404 with notFound when the upstream has no such
// content, 429 TOOMANYREQUESTS when it throttles, and otherwise 502 Bad Gateway with code
// UNAVAILABLE and the reason (refused credentials, a missing Secret, an unreachable upstream):
// the caller's request was fine, the registry's upstream was not.
func (p *PullThrough) upstreamError(w http.ResponseWriter, err error, notFound errcode.ErrorCode) {
	p.Log.V(1).Info("pull through cache upstream failure", "error", err.Error())
	switch pullthrough.FailureOf(err) {
	case pullthrough.FailureNotFound:
		writeError(w, notFound.WithMessage("not found upstream: "+err.Error()))
	case pullthrough.FailureThrottled:
		w.Header().Set("Retry-After", "60")
		writeError(w, errcode.ErrorCodeTooManyRequests.WithMessage("the upstream throttles: "+err.Error()))
	default:
		badGateway(w, "pull through cache upstream: "+err.Error())
	}
}

// badGateway writes a 502 with the OCI error body of code UNAVAILABLE.
func badGateway(w http.ResponseWriter, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadGateway)
	body := map[string]any{"errors": []map[string]string{{"code": errcode.ErrorCodeUnavailable.String(), "message": message}}}
	_ = json.NewEncoder(w).Encode(body)
}

func refreshInterval(rule *ecrv1alpha1.PullThroughCacheRule) time.Duration {
	if rule.Spec.TagRefreshInterval == nil {
		return ipt.DefaultTagRefreshInterval
	}
	return rule.Spec.TagRefreshInterval.Duration
}

// repositoryName is the Repository name of the cached repository (after the namespace).
func repositoryName(cr *cacheRequest) string {
	return cr.repository[len(cr.rule.Namespace)+1:]
}
