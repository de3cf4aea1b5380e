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

package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/distribution/distribution/v3/registry/api/errcode"
	"github.com/distribution/distribution/v3/registry/auth"
	"github.com/go-logr/logr"

	"github.com/berth-dev/berth/internal/policy"
)

// Access control happens in two places, on purpose:
//
//   - the gate, an http.Handler in front of distribution's App, authenticates the caller, maps
//     the request to its ECR actions (internal/policy) and decides them. Deciding before
//     distribution sees the request is what lets a denial be a 403 DENIED rather than
//     distribution's fixed 401, lets a denied mount source become a plain upload by removing
//     mount and from from the URL, and lets the metrics see every decision;
//   - the access controller registered with distribution (accessController) is a backstop: it
//     lets a request through only if the gate's verdict, carried in the request context, covers
//     every access record distribution derived from the request by its own routing. A request
//     that reaches the App without a verdict, or whose repository distribution reads
//     differently, is refused. It also hands the user name to distribution, which puts it in
//     logs and in the actor of notifications.

// verdictKey is the request-context key of the gate's *verdict.
type verdictKey struct{}

// verdict is what the gate allowed for one request.
type verdict struct {
	id *identity
	// access are the (repository, distribution action) pairs the gate allowed, in
	// distribution's terms: pull for GET and HEAD, pull and push for POST, PUT and PATCH,
	// delete for DELETE, and pull on a kept mount source.
	access []auth.Access
	// catalog is true when the catalog was allowed.
	catalog bool
}

func withVerdict(ctx context.Context, v *verdict) context.Context {
	return context.WithValue(ctx, verdictKey{}, v)
}

// verdictFrom returns the gate's verdict for the request ctx belongs to, or nil.
func verdictFrom(ctx context.Context) *verdict {
	v, _ := ctx.Value(verdictKey{}).(*verdict)
	return v
}

// allow records the distribution access records a request with method needs on repository.
func (v *verdict) allow(method, repository string) {
	res := auth.Resource{Type: "repository", Name: repository}
	switch method {
	case http.MethodGet, http.MethodHead:
		v.access = append(v.access, auth.Access{Resource: res, Action: "pull"})
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		v.access = append(v.access, auth.Access{Resource: res, Action: "pull"}, auth.Access{Resource: res, Action: "push"})
	case http.MethodDelete:
		v.access = append(v.access, auth.Access{Resource: res, Action: "delete"})
	}
}

// covers reports whether the verdict allows access record a.
func (v *verdict) covers(a auth.Access) bool {
	if a.Type == "registry" && a.Name == "catalog" {
		return v.catalog
	}
	for _, g := range v.access {
		if g.Type == a.Type && g.Name == a.Name && g.Action == a.Action {
			return true
		}
	}
	return false
}

// gate authenticates and authorizes requests before distribution's App serves them.
type gate struct {
	authn   *tokenAuthenticator
	authz   *authorizer
	store   store
	realm   string
	metrics *metrics
	next    http.Handler
	log     logr.Logger
	// pulls records successful manifest pulls (lastPulledAt); nil records none.
	pulls *pullRecorder
}

// outcome is the gate's decision about one request.
type outcome struct {
	// verdict is set when the request may proceed.
	verdict *verdict
	// request is the request to hand on (the original, or one without a denied mount).
	request *http.Request
	// action and decision label the metrics; action is empty for requests not counted.
	action, decision string
	// fail answers a refused request.
	fail func(w http.ResponseWriter)
	// passThrough hands a request the gate cannot parse to distribution without a verdict,
	// where the backstop refuses it if distribution routes it to anything but a 404.
	passThrough bool
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	o := g.check(r.Context(), r)
	g.metrics.authorization.Observe(time.Since(start).Seconds())
	if o.action != "" {
		g.metrics.requests.WithLabelValues(o.action, o.decision).Inc()
	}
	switch {
	case o.passThrough:
		g.next.ServeHTTP(w, r)
	case o.fail != nil:
		// Refusals say which API they speak, as distribution's answers do: clients read it
		// from the 401 of their first /v2/ ping.
		w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
		o.fail(w)
	default:
		req := o.request.WithContext(withVerdict(o.request.Context(), o.verdict))
		if g.pulls != nil && r.Method == http.MethodGet {
			if ep, err := policy.ParsePath(r.URL.Path); err == nil && ep.Route == policy.RouteManifest {
				g.pulls.servePull(g.next, w, req, ep)
				return
			}
		}
		g.next.ServeHTTP(w, req)
	}
}

// check decides a request; see the comment at the top of the file.
func (g *gate) check(ctx context.Context, r *http.Request) outcome {
	ep, err := policy.ParsePath(r.URL.Path)
	if err != nil {
		if errors.Is(err, policy.ErrInvalidName) {
			return outcome{fail: func(w http.ResponseWriter) {
				writeError(w, errcode.ErrorCodeNameInvalid.WithMessage(err.Error()))
			}}
		}
		return outcome{passThrough: true}
	}
	id, err := g.authenticate(ctx, r)
	if err != nil {
		return g.authenticationFailure(r, ep, err)
	}
	r, reqs, err := requirements(r, ep)
	if err != nil {
		return outcome{fail: func(w http.ResponseWriter) {
			writeError(w, errcode.ErrorCodeUnsupported.WithMessage(err.Error()))
		}}
	}
	if len(reqs) == 0 { // the /v2/ ping: authentication only
		if id.caller.Anonymous {
			return outcome{action: actionNone, decision: decisionDeny, fail: func(w http.ResponseWriter) {
				unauthorized(w, g.realm, "authentication required: log in with a Kubernetes token as the password")
			}}
		}
		return outcome{verdict: &verdict{id: id}, request: r, action: actionNone, decision: decisionAllow}
	}
	return g.decideAll(ctx, r, ep, id, reqs)
}

// authenticationFailure answers a request whose credentials could not be checked: 401 with a
// challenge when they are wrong, 503 when the API server could not be asked.
func (g *gate) authenticationFailure(r *http.Request, ep policy.Endpoint, err error) outcome {
	if errors.Is(err, errUnauthenticated) || errors.Is(err, errBadCredentials) {
		g.log.V(1).Info("authentication failed", "path", r.URL.Path, "reason", err.Error())
		return outcome{action: actionOf(r, ep), decision: decisionUnauthenticated, fail: func(w http.ResponseWriter) {
			unauthorized(w, g.realm, "authentication failed: "+err.Error())
		}}
	}
	g.log.Error(err, "cannot authenticate a registry request", "path", r.URL.Path)
	return outcome{action: actionOf(r, ep), decision: decisionError, fail: func(w http.ResponseWriter) {
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
func (g *gate) decideAll(ctx context.Context, r *http.Request, ep policy.Endpoint, id *identity, reqs []policy.Requirement) outcome {
	v := &verdict{id: id}
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
				return outcome{action: action, decision: decisionDeny, fail: func(w http.ResponseWriter) {
					writeError(w, nameUnknownError(req.Repository, "Berth repositories are named <namespace>/<name>, after a Repository resource"))
				}}
			}
		}
		d, err := g.authz.decide(ctx, id, req)
		if err != nil {
			return g.failure(r, req, action, err)
		}
		switch {
		case req.MountSource:
			exists, err := g.exists(ctx, ns, name)
			if err != nil {
				return g.failure(r, req, action, err)
			}
			if d.allowed && exists {
				v.allow(http.MethodGet, req.Repository)
				continue
			}
			// Not an error: the client uploads the blob instead (containerd gives up on a
			// 403 here), and a mount from the storage of a deleted Repository never happens.
			g.log.V(1).Info("dropping a cross-repository mount", "from", req.Repository, "to", ep.Name, "allowed", d.allowed, "exists", exists)
			r = withoutMount(r)
		case !d.allowed:
			return g.refuse(id, req, d, action)
		case req.Repository == "":
			v.catalog = true
		default:
			// Existence is checked after authorization, so that callers without rights learn
			// nothing about which repositories exist.
			repo, err := g.store.repository(ctx, ns, name)
			if err != nil {
				return g.failure(r, req, action, err)
			}
			if repo == nil {
				return outcome{action: action, decision: decisionAllow, fail: func(w http.ResponseWriter) {
					writeError(w, nameUnknownError(req.Repository, fmt.Sprintf("create a Repository named %s in namespace %s", name, ns)))
				}}
			}
			if !repo.DeletionTimestamp.IsZero() && pushAction(req.Action) {
				// Reads and deletes go on (the controller empties a force-deleted repository
				// through them), but nothing new is stored in a repository on its way out.
				return outcome{action: action, decision: decisionDeny, fail: func(w http.ResponseWriter) {
					writeError(w, nameUnknownError(req.Repository, "the Repository is being deleted; create it again once it is gone"))
				}}
			}
			v.allow(r.Method, req.Repository)
		}
	}
	return outcome{verdict: v, request: r, action: action, decision: decisionAllow}
}

// failure answers a decision that could not be made (the API server or the cache failed):
// 503, never a denial.
func (g *gate) failure(r *http.Request, req policy.Requirement, action string, err error) outcome {
	g.log.Error(err, "cannot authorize a registry request", "path", r.URL.Path, "action", req.Action)
	return outcome{action: action, decision: decisionError, fail: func(w http.ResponseWriter) {
		unavailable(w, "cannot authorize the request now: "+err.Error())
	}}
}

// refuse answers a denied requirement: 401 with a challenge for anonymous callers, who may
// have credentials to send, 403 DENIED for authenticated ones.
func (g *gate) refuse(id *identity, req policy.Requirement, d decision, action string) outcome {
	target := "repository " + req.Repository
	if req.Repository == "" {
		target = "the registry"
	}
	g.log.V(1).Info("request denied", "user", id.caller.User, "action", req.Action, "repository", req.Repository, "reason", d.reason)
	if id.caller.Anonymous {
		msg := fmt.Sprintf("authentication required: anonymous callers may not perform %s on %s", req.Action, target)
		return outcome{action: action, decision: decisionDeny, fail: func(w http.ResponseWriter) { unauthorized(w, g.realm, msg) }}
	}
	msg := fmt.Sprintf("%s is not authorized to perform %s on %s: %s", id.caller.User, req.Action, target, d.reason)
	return outcome{action: action, decision: decisionDeny, fail: func(w http.ResponseWriter) { denied(w, msg) }}
}

// exists reports whether the Repository namespace/name exists.
func (g *gate) exists(ctx context.Context, namespace, name string) (bool, error) {
	r, err := g.store.repository(ctx, namespace, name)
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
func (g *gate) authenticate(ctx context.Context, r *http.Request) (*identity, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return anonymous, nil
	}
	var token string
	if _, password, ok := r.BasicAuth(); ok {
		token = password
	} else if scheme, rest, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
		token = strings.TrimSpace(rest)
	} else {
		return nil, fmt.Errorf("%w: use Basic authentication with a Kubernetes token as the password", errBadCredentials)
	}
	if token == "" {
		return nil, fmt.Errorf("%w: the password is empty; it must be a Kubernetes token", errBadCredentials)
	}
	return g.authn.authenticate(ctx, token)
}

// actionOf is the metrics label of a request that failed before its requirements were known.
func actionOf(r *http.Request, ep policy.Endpoint) string {
	reqs, err := policy.RequiredActions(r.Method, ep.Route, ep.Name, "")
	switch {
	case err != nil:
		return "invalid"
	case len(reqs) == 0:
		return actionNone
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
	r2 := r.Clone(r.Context())
	r2.URL = &u
	r2.RequestURI = u.RequestURI()
	return r2
}

// accessController is the backstop registered with distribution; see the top of the file.
type accessController struct {
	realm string
}

func newAccessController(options map[string]any) (auth.AccessController, error) {
	realm, _ := options["realm"].(string)
	if realm == "" {
		return nil, errors.New(`the berth access controller needs option "realm"`)
	}
	return accessController{realm: realm}, nil
}

// Authorized lets a request through when the gate's verdict covers every access record.
func (c accessController) Authorized(r *http.Request, access ...auth.Access) (*auth.Grant, error) {
	v := verdictFrom(r.Context())
	if v == nil {
		return nil, backstopChallenge{realm: c.realm, reason: "the request was not authorized by the registry's gate"}
	}
	for _, a := range access {
		if !v.covers(a) {
			return nil, backstopChallenge{realm: c.realm, reason: fmt.Sprintf("%s %s:%s was not authorized by the registry's gate", a.Type, a.Name, a.Action)}
		}
	}
	return &auth.Grant{User: auth.UserInfo{Name: v.id.caller.User}}, nil
}

// backstopChallenge is the backstop's refusal. It must be an auth.Challenge: distribution
// answers any other error with a bare 400.
type backstopChallenge struct {
	realm, reason string
}

func (e backstopChallenge) Error() string { return e.reason }

// SetHeaders adds the Basic challenge to distribution's 401.
func (e backstopChallenge) SetHeaders(_ *http.Request, w http.ResponseWriter) {
	challenge(w, e.realm)
}
