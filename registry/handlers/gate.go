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
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/distribution/distribution/v3/registry/api/errcode"
	"github.com/go-logr/logr"

	"github.com/berth-dev/berth/registry/auth"

	"github.com/berth-dev/berth/internal/policy"
	"github.com/berth-dev/berth/registry/metrics"
	"github.com/berth-dev/berth/registry/middleware"
	"github.com/berth-dev/berth/registry/store"
)

// Access control happens in two places, on purpose:
//
//   - the Gate, an http.Handler in front of distribution's App, authenticates the caller, maps
//     the request to its ECR actions (internal/policy) and decides them. Deciding before
//     distribution sees the request is what lets a denial be a 403 DENIED rather than
//     distribution's fixed 401, lets a denied mount source become a plain upload by removing
//     mount and from from the URL, and lets the metrics see every decision;
//   - the access controller registered with distribution (accessController) is a backstop: it
//     lets a request through only if the Gate's verdict, carried in the request context, covers
//     every access record distribution derived from the request by its own routing. A request
//     that reaches the App without a verdict, or whose repository distribution reads
//     differently, is refused. It also hands the user name to distribution, which puts it in
//     logs and in the actor of notifications.

// Gate authenticates and authorizes requests before distribution's App serves them.
type Gate struct {
	// Authn authenticates the token of the Authorization header.
	Authn *auth.TokenAuthenticator
	// Authz decides each ECR action.
	Authz *auth.Authorizer
	// Store says which Repositories exist.
	Store store.Store
	// Challenger writes the challenges of 401 answers.
	Challenger auth.Challenger
	// Metrics counts and times the decisions.
	Metrics *metrics.Metrics
	// Next serves what the gate allows: distribution's App.
	Next http.Handler
	Log  logr.Logger
	// Pulls records successful manifest pulls (lastPulledAt); nil records none.
	Pulls *PullRecorder
	// Digests serves content named by sha512 (digest aliases); nil leaves such requests
	// to distribution, which addresses content by sha256.
	Digests *Digests
	// Referrers answers the OCI referrers API, which distribution does not have; nil leaves
	// it to distribution (404).
	Referrers *Referrers
	// PullThrough serves the namespaces' pull through cache rules; nil serves none.
	PullThrough *PullThrough
}

// outcome is the Gate's decision about one request.
type outcome struct {
	// verdict is set when the request may proceed.
	verdict *auth.Verdict
	// request is the request to hand on (the original, or one without a denied mount).
	request *http.Request
	// endpoint is what the request's path names, when it may proceed.
	endpoint policy.Endpoint
	// action and decision label the metrics; action is empty for requests not counted.
	action, decision string
	// fail answers a refused request.
	fail func(w http.ResponseWriter)
	// passThrough hands a request the Gate cannot parse to distribution without a verdict,
	// where the backstop refuses it if distribution routes it to anything but a 404.
	passThrough bool
	// cache is set for a pull through a PullThroughCacheRule.
	cache *cacheRequest
}

// ServeHTTP decides the request, then answers a refusal or hands the request on with its
// verdict in the context.
func (g *Gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	o := g.check(r.Context(), r)
	g.Metrics.Decided(o.action, o.decision, time.Since(start))
	switch {
	case o.passThrough:
		g.Next.ServeHTTP(w, r)
	case o.fail != nil:
		// Refusals say which API they speak, as distribution's answers do: clients read it
		// from the 401 of their first /v2/ ping.
		w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
		o.fail(w)
	default:
		ep, req := o.endpoint, o.request.WithContext(auth.WithVerdict(o.request.Context(), o.verdict))
		if ep.Route == policy.RouteManifest && req.Method == http.MethodPut {
			// Checked once the caller may push, so nobody else makes the registry read 4 MiB.
			if e := checkManifestBody(req); e != nil {
				writeError(w, *e)
				return
			}
			// The manifest middleware adds OCI-Subject when it recorded a subject.
			req = req.WithContext(middleware.WithResponseHeader(req.Context(), w.Header()))
		}
		if o.cache != nil && g.PullThrough.serve(w, req, ep, o.cache, o.verdict.ID, g) {
			return
		}
		switch d, aliasedDigest := aliased(req, ep); {
		case aliasedDigest && g.Digests != nil:
			g.Digests.serve(w, req, ep, d, g.Next)
		case ep.Route == policy.RouteReferrers && g.Referrers != nil:
			g.Referrers.serve(w, req, ep)
		case ep.Route == policy.RouteManifest && req.Method == http.MethodGet && g.Pulls != nil:
			g.Pulls.servePull(g.Next, w, req, ep)
		default:
			g.Next.ServeHTTP(w, req)
		}
	}
}

// check decides a request; see the comment at the top of the file.
func (g *Gate) check(ctx context.Context, r *http.Request) outcome {
	ep, err := policy.ParsePath(r.URL.Path)
	if err != nil {
		if errors.Is(err, policy.ErrInvalidName) {
			return outcome{fail: func(w http.ResponseWriter) {
				writeError(w, errcode.ErrorCodeNameInvalid.WithMessage(err.Error()))
			}}
		}
		return outcome{passThrough: true}
	}
	if e := validateRequest(r, ep); e != nil {
		return outcome{fail: func(w http.ResponseWriter) { writeError(w, *e) }}
	}
	id, err := g.authenticate(ctx, r)
	if err != nil {
		return g.authenticationFailure(r, ep, err)
	}
	var cached *cacheRequest
	if g.PullThrough != nil {
		var refused *outcome
		r, ep, cached, refused, err = g.PullThrough.resolve(ctx, r, ep)
		if err != nil {
			return g.failure(r, policy.Requirement{Repository: ep.Name, Action: actionOf(r, ep)}, actionOf(r, ep), err)
		}
		if refused != nil {
			refused.action, refused.decision = actionOf(r, ep), metrics.DecisionDeny
			return *refused
		}
	}
	r, reqs, err := requirements(r, ep)
	if err != nil {
		return outcome{fail: func(w http.ResponseWriter) {
			writeError(w, errcode.ErrorCodeUnsupported.WithMessage(err.Error()))
		}}
	}
	if len(reqs) == 0 { // the /v2/ ping: authentication only
		if id.Caller.Anonymous {
			return outcome{action: metrics.ActionNone, decision: metrics.DecisionDeny, fail: func(w http.ResponseWriter) {
				unauthorized(w, r, g.Challenger, "", "authentication required: log in with a Kubernetes token as the password")
			}}
		}
		return outcome{verdict: &auth.Verdict{ID: id}, request: r, endpoint: ep, action: metrics.ActionNone, decision: metrics.DecisionAllow}
	}
	return g.decideAll(ctx, r, ep, id, reqs, cached)
}

// authenticationFailure answers a request whose credentials could not be checked: 401 with a
// challenge when they are wrong, 503 when the API server could not be asked.
func (g *Gate) authenticationFailure(r *http.Request, ep policy.Endpoint, err error) outcome {
	if errors.Is(err, auth.ErrUnauthenticated) || errors.Is(err, errBadCredentials) {
		g.Log.V(1).Info("authentication failed", "path", r.URL.Path, "reason", err.Error())
		return outcome{action: actionOf(r, ep), decision: metrics.DecisionUnauthenticated, fail: func(w http.ResponseWriter) {
			unauthorized(w, r, g.Challenger, auth.Scope(r.Method, ep.Name), "authentication failed: "+err.Error())
		}}
	}
	g.Log.Error(err, "cannot authenticate a registry request", "path", r.URL.Path)
	return outcome{action: actionOf(r, ep), decision: metrics.DecisionError, fail: func(w http.ResponseWriter) {
		unavailable(w, "cannot authenticate the request now: "+err.Error())
	}}
}

// requirements maps the request to what it needs (internal/policy). A mount source that
// cannot name a repository is dropped: it is no reason to refuse the upload.
func requirements(r *http.Request, ep policy.Endpoint) (*http.Request, []policy.Requirement, error) {
	mountFrom := ""
	if ep.Route == policy.RouteBlobUpload && r.Method == http.MethodPost {
		mountFrom = r.URL.Query().Get("from")
	}
	reqs, err := policy.RequiredActions(r.Method, ep.Route, ep.Name, mountFrom)
	if err != nil && mountFrom != "" && errors.Is(err, policy.ErrInvalidName) {
		r = withoutMount(r)
		reqs, err = policy.RequiredActions(r.Method, ep.Route, ep.Name, "")
	}
	return r, reqs, err
}

// decideAll decides every requirement of a request and builds its verdict.
func (g *Gate) decideAll(ctx context.Context, r *http.Request, ep policy.Endpoint, id *auth.Identity, reqs []policy.Requirement, cached *cacheRequest) outcome {
	v := &auth.Verdict{ID: id}
	action := reqs[0].Action
	for _, req := range reqs {
		var ns, name string
		if req.Repository != "" {
			var err error
			if ns, name, err = policy.SplitRepository(req.Repository); err != nil {
				if req.MountSource {
					r = withoutMount(r)
					continue
				}
				// A valid OCI name that cannot be a Repository resource: nothing to authorize.
				return outcome{action: action, decision: metrics.DecisionDeny, fail: func(w http.ResponseWriter) {
					writeError(w, middleware.NameUnknownError(req.Repository, "Berth repositories are named <namespace>/<name>, after a Repository resource"))
				}}
			}
		}
		d, err := g.Authz.Decide(ctx, id, req)
		if err != nil {
			return g.failure(r, req, action, err)
		}
		switch {
		case req.MountSource:
			exists, err := g.exists(ctx, ns, name)
			if err != nil {
				return g.failure(r, req, action, err)
			}
			if d.Allowed && exists {
				v.Allow(http.MethodGet, req.Repository)
				continue
			}
			// Not an error: the client uploads the blob instead (containerd gives up on a
			// 403 here), and a mount from the storage of a deleted Repository never happens.
			g.Log.V(1).Info("dropping a cross-repository mount", "from", req.Repository, "to", ep.Name, "allowed", d.Allowed, "exists", exists)
			r = withoutMount(r)
		case !d.Allowed:
			return g.refuse(r, id, req, d, action)
		case req.Repository == "":
			v.Catalog = true
		default:
			// Existence is checked after authorization, so that callers without rights learn
			// nothing about which repositories exist.
			repo, err := g.Store.Repository(ctx, ns, name)
			if err != nil {
				return g.failure(r, req, action, err)
			}
			if cached != nil && repo == nil {
				// Not cached yet: PullThrough asks for the import permissions and creates it.
				cached.create = true
				v.Allow(r.Method, req.Repository)
				continue
			}
			if cached != nil {
				if err := cached.checkExisting(repo); err != nil {
					return outcome{action: action, decision: metrics.DecisionAllow, fail: func(w http.ResponseWriter) {
						writeError(w, middleware.NameUnknownError(req.Repository, err.Error()))
					}}
				}
			}
			if repo == nil {
				return outcome{action: action, decision: metrics.DecisionAllow, fail: func(w http.ResponseWriter) {
					writeError(w, middleware.NameUnknownError(req.Repository, fmt.Sprintf("create a Repository named %s in namespace %s", name, ns)))
				}}
			}
			if !repo.DeletionTimestamp.IsZero() && pushAction(req.Action) {
				// Reads and deletes go on (the controller empties a force-deleted repository
				// through them), but nothing new is stored in a repository on its way out.
				return outcome{action: action, decision: metrics.DecisionDeny, fail: func(w http.ResponseWriter) {
					writeError(w, middleware.NameUnknownError(req.Repository, "the Repository is being deleted; create it again once it is gone"))
				}}
			}
			v.Allow(r.Method, req.Repository)
		}
	}
	return outcome{verdict: v, request: r, endpoint: ep, action: action, decision: metrics.DecisionAllow, cache: cached}
}

// failure answers a decision that could not be made (the API server or the cache failed):
// 503, never a denial.
func (g *Gate) failure(r *http.Request, req policy.Requirement, action string, err error) outcome {
	g.Log.Error(err, "cannot authorize a registry request", "path", r.URL.Path, "action", req.Action)
	return outcome{action: action, decision: metrics.DecisionError, fail: func(w http.ResponseWriter) {
		unavailable(w, "cannot authorize the request now: "+err.Error())
	}}
}

// refuse answers a denied requirement: 401 with a challenge for anonymous callers, who may
// have credentials to send, 403 DENIED for authenticated ones.
func (g *Gate) refuse(r *http.Request, id *auth.Identity, req policy.Requirement, d auth.Decision, action string) outcome {
	target := "repository " + req.Repository
	if req.Repository == "" {
		target = "the registry"
	}
	g.Log.V(1).Info("request denied", "user", id.Caller.User, "action", req.Action, "repository", req.Repository, "reason", d.Reason)
	if id.Caller.Anonymous {
		msg := fmt.Sprintf("authentication required: anonymous callers may not perform %s on %s", req.Action, target)
		return outcome{action: action, decision: metrics.DecisionDeny, fail: func(w http.ResponseWriter) {
			unauthorized(w, r, g.Challenger, auth.Scope(r.Method, req.Repository), msg)
		}}
	}
	msg := fmt.Sprintf("%s is not authorized to perform %s on %s: %s", id.Caller.User, req.Action, target, d.Reason)
	return outcome{action: action, decision: metrics.DecisionDeny, fail: func(w http.ResponseWriter) { denied(w, msg) }}
}

// exists reports whether the Repository namespace/name exists.
func (g *Gate) exists(ctx context.Context, namespace, name string) (bool, error) {
	r, err := g.Store.Repository(ctx, namespace, name)
	return r != nil, err
}

// pushAction reports whether an ECR action stores something.
func pushAction(action string) bool {
	switch action {
	case policy.ActionInitiateLayerUpload, policy.ActionUploadLayerPart, policy.ActionCompleteLayerUpload, policy.ActionPutImage:
		return true
	}
	return false
}

// errBadCredentials reports an Authorization header the registry cannot use.
var errBadCredentials = errors.New("malformed credentials")

// authenticate returns the caller: anonymous without an Authorization header, otherwise the
// identity the API server gives the token sent as the Basic password (the user name is
// ignored, as ECR ignores "AWS") or as a Bearer token.
func (g *Gate) authenticate(ctx context.Context, r *http.Request) (*auth.Identity, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return auth.Anonymous, nil
	}
	var token string
	if user, password, ok := r.BasicAuth(); ok {
		if user == "" && password == "" {
			// podman and skopeo answer a challenge with an empty login when they have none.
			return auth.Anonymous, nil
		}
		token = password
	} else if scheme, rest, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
		token = strings.TrimSpace(rest)
	} else {
		return nil, fmt.Errorf("%w: use Basic authentication with a Kubernetes token as the password", errBadCredentials)
	}
	if token == auth.AnonymousToken {
		return auth.Anonymous, nil
	}
	if token == "" {
		return nil, fmt.Errorf("%w: the password is empty; it must be a Kubernetes token", errBadCredentials)
	}
	return g.Authn.Authenticate(ctx, token)
}

// actionOf is the metrics label of a request that failed before its requirements were known.
func actionOf(r *http.Request, ep policy.Endpoint) string {
	reqs, err := policy.RequiredActions(r.Method, ep.Route, ep.Name, "")
	switch {
	case err != nil:
		return "invalid"
	case len(reqs) == 0:
		return metrics.ActionNone
	default:
		return reqs[0].Action
	}
}

// withoutMount returns r without the mount and from query parameters, which turns a
// cross-repository mount into the start of a normal upload.
func withoutMount(r *http.Request) *http.Request {
	q := r.URL.Query()
	q.Del("mount")
	q.Del("from")
	u := *r.URL
	u.RawQuery = q.Encode()
	return withURL(r, u)
}

// withURL returns a copy of r for u, as if the client had sent that URL.
func withURL(r *http.Request, u url.URL) *http.Request {
	r2 := r.Clone(r.Context())
	r2.URL = &u
	r2.RequestURI = u.RequestURI()
	return r2
}
