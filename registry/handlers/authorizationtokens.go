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
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/go-logr/logr"
	authzv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	authzv1client "k8s.io/client-go/kubernetes/typed/authorization/v1"

	registryv1alpha1 "github.com/berth-dev/berth/api/registry/v1alpha1"
	"github.com/berth-dev/berth/registry/auth"
	"github.com/berth-dev/berth/registry/authtoken"
)

// maxTokenRequestBytes bounds an AuthorizationToken request body.
const maxTokenRequestBytes = 64 << 10

// AuthorizationTokens serves the registry.berth.dev API through the Kubernetes API server's
// aggregation layer: discovery, and create of AuthorizationToken in a namespace, which
// returns a registry credential for the caller's own identity (ECR's GetAuthorizationToken).
// The API server authenticates the caller (client certificate, OIDC, ServiceAccount,
// webhook: whatever it accepts) and authorizes the create with RBAC before it proxies; the
// handler believes the proxied identity only from the API server's front proxy (auth.FrontProxy)
// and checks the create permission again with a SubjectAccessReview.
type AuthorizationTokens struct {
	FrontProxy *auth.FrontProxy
	Reviews    authzv1client.SubjectAccessReviewInterface
	Ring       *authtoken.Keyring
	// MaxLifetime caps a token's life; a longer request is cut down to it.
	MaxLifetime time.Duration
	// ProxyEndpoint is the registry's external address, returned with each token.
	ProxyEndpoint string
	Now           func() time.Time
	Log           logr.Logger
}

const apiPrefix = "/apis/" + registryv1alpha1.GroupName

// ServeHTTP routes the API's paths.
func (h *AuthorizationTokens) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	gv := registryv1alpha1.GroupName + "/" + registryv1alpha1.Version
	group := metav1.APIGroup{
		TypeMeta:         metav1.TypeMeta{Kind: "APIGroup", APIVersion: "v1"},
		Name:             registryv1alpha1.GroupName,
		Versions:         []metav1.GroupVersionForDiscovery{{GroupVersion: gv, Version: registryv1alpha1.Version}},
		PreferredVersion: metav1.GroupVersionForDiscovery{GroupVersion: gv, Version: registryv1alpha1.Version},
	}
	path := strings.TrimSuffix(r.URL.Path, "/")
	switch {
	case path == "/apis" && r.Method == http.MethodGet:
		writeObject(w, http.StatusOK, metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}, Groups: []metav1.APIGroup{group}})
	case path == apiPrefix && r.Method == http.MethodGet:
		writeObject(w, http.StatusOK, group)
	case path == apiPrefix+"/"+registryv1alpha1.Version && r.Method == http.MethodGet:
		writeObject(w, http.StatusOK, metav1.APIResourceList{
			TypeMeta:     metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"},
			GroupVersion: gv,
			APIResources: []metav1.APIResource{{
				Name: registryv1alpha1.Resource, SingularName: "authorizationtoken", Namespaced: true,
				Kind: registryv1alpha1.Kind, Verbs: metav1.Verbs{"create"}, Categories: []string{"berth"},
			}},
		})
	default:
		ns, ok := tokenCollection(path)
		switch {
		case !ok:
			writeStatus(w, http.StatusNotFound, metav1.StatusReasonNotFound, fmt.Sprintf("the server could not find the requested resource %s", r.URL.Path))
		case r.Method != http.MethodPost:
			w.Header().Set("Allow", http.MethodPost)
			writeStatus(w, http.StatusMethodNotAllowed, metav1.StatusReasonMethodNotAllowed, "authorizationtokens support create only")
		default:
			h.create(w, r, ns)
		}
	}
}

// tokenCollection reads the namespace of .../namespaces/<ns>/authorizationtokens.
func tokenCollection(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, apiPrefix+"/"+registryv1alpha1.Version+"/namespaces/")
	if !ok {
		return "", false
	}
	ns, res, ok := strings.Cut(rest, "/")
	if !ok || res != registryv1alpha1.Resource || len(validation.IsDNS1123Label(ns)) > 0 {
		return "", false
	}
	return ns, true
}

// create issues a token for the proxied caller.
func (h *AuthorizationTokens) create(w http.ResponseWriter, r *http.Request, ns string) {
	ctx := r.Context()
	u, err := h.FrontProxy.Authenticate(ctx, r)
	if err != nil {
		h.Log.Info("Refused an authorization token request", "reason", err.Error(), "remote", r.RemoteAddr)
		writeStatus(w, http.StatusUnauthorized, metav1.StatusReasonUnauthorized,
			"authorization tokens are created through the Kubernetes API server (kubectl create --raw /apis/registry.berth.dev/v1alpha1/namespaces/<namespace>/authorizationtokens)")
		return
	}
	req := registryv1alpha1.AuthorizationToken{}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxTokenRequestBytes+1))
	switch {
	case err != nil:
		writeStatus(w, http.StatusBadRequest, metav1.StatusReasonBadRequest, "reading the request: "+err.Error())
		return
	case len(body) > maxTokenRequestBytes:
		writeStatus(w, http.StatusRequestEntityTooLarge, metav1.StatusReasonRequestEntityTooLarge, "the request is larger than 64 KiB")
		return
	case len(strings.TrimSpace(string(body))) > 0:
		if err := json.Unmarshal(body, &req); err != nil {
			writeStatus(w, http.StatusBadRequest, metav1.StatusReasonBadRequest, "the request is not an AuthorizationToken: "+err.Error())
			return
		}
		if req.Kind != "" && req.Kind != registryv1alpha1.Kind {
			writeStatus(w, http.StatusBadRequest, metav1.StatusReasonBadRequest, fmt.Sprintf("kind %q: want %s", req.Kind, registryv1alpha1.Kind))
			return
		}
	}
	life, err := h.lifetime(req.Spec.ExpirationSeconds)
	if err != nil {
		writeStatus(w, http.StatusUnprocessableEntity, metav1.StatusReasonInvalid, err.Error())
		return
	}
	allowed, err := h.allowed(r, u, ns)
	switch {
	case err != nil:
		writeStatus(w, http.StatusServiceUnavailable, metav1.StatusReasonServiceUnavailable, "checking the permission: "+err.Error())
		return
	case !allowed:
		h.Log.Info("Refused an authorization token", "user", u.Name, "groups", u.Groups, "namespace", ns)
		writeStatus(w, http.StatusForbidden, metav1.StatusReasonForbidden, fmt.Sprintf(
			"authorizationtokens.%s is forbidden: User %q cannot create resource %q in API group %q in the namespace %q",
			registryv1alpha1.GroupName, u.Name, registryv1alpha1.Resource, registryv1alpha1.GroupName, ns))
		return
	}
	now := h.Now().Truncate(time.Second)
	exp := now.Add(life)
	token, err := h.Ring.Sign(authtoken.Claims{User: u.Name, UID: u.UID, Groups: u.Groups, Extra: u.Extra, IssuedAt: now.Unix(), Expires: exp.Unix()})
	if err != nil {
		writeStatus(w, http.StatusServiceUnavailable, metav1.StatusReasonServiceUnavailable, "signing the token: "+err.Error())
		return
	}
	h.Log.Info("Issued an authorization token", "user", u.Name, "groups", u.Groups, "namespace", ns, "expires", exp)
	secs := int64(life / time.Second)
	writeObject(w, http.StatusCreated, registryv1alpha1.AuthorizationToken{
		TypeMeta:   metav1.TypeMeta{Kind: registryv1alpha1.Kind, APIVersion: registryv1alpha1.GroupName + "/" + registryv1alpha1.Version},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, CreationTimestamp: metav1.NewTime(now)},
		Spec:       registryv1alpha1.AuthorizationTokenSpec{ExpirationSeconds: &secs},
		Status: registryv1alpha1.AuthorizationTokenStatus{
			Token: token, ExpirationTimestamp: metav1.NewTime(exp), Username: registryv1alpha1.BasicUsername, ProxyEndpoint: h.ProxyEndpoint,
			User: registryv1alpha1.UserInfo{Username: u.Name, UID: u.UID, Groups: u.Groups, Extra: u.Extra},
		},
	})
}

// lifetime is the life a request gets: the default, or what it asks cut to the maximum;
// below the minimum is an error.
func (h *AuthorizationTokens) lifetime(asked *int64) (time.Duration, error) {
	if asked == nil {
		return min(registryv1alpha1.DefaultExpirationSeconds*time.Second, h.MaxLifetime), nil
	}
	if *asked < registryv1alpha1.MinExpirationSeconds {
		return 0, fmt.Errorf("spec.expirationSeconds: Invalid value: %d: must be at least %d", *asked, registryv1alpha1.MinExpirationSeconds)
	}
	if *asked > int64(h.MaxLifetime/time.Second) {
		return h.MaxLifetime, nil
	}
	return time.Duration(*asked) * time.Second, nil
}

// allowed asks RBAC whether u may create authorization tokens in ns.
func (h *AuthorizationTokens) allowed(r *http.Request, u *auth.ProxiedUser, ns string) (bool, error) {
	sar, err := h.Reviews.Create(r.Context(), &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{
		User: u.Name, UID: u.UID, Groups: u.Groups, Extra: auth.ExtraValues(u.Extra),
		ResourceAttributes: &authzv1.ResourceAttributes{
			Namespace: ns, Verb: "create", Group: registryv1alpha1.GroupName, Resource: registryv1alpha1.Resource,
		},
	}}, metav1.CreateOptions{})
	if err != nil {
		return false, fmt.Errorf("creating a SubjectAccessReview: %w", err)
	}
	return sar.Status.Allowed, nil
}

func writeObject(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeStatus(w http.ResponseWriter, code int, reason metav1.StatusReason, msg string) {
	writeObject(w, code, metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure, Message: msg, Reason: reason, Code: int32(code), //nolint:gosec // HTTP status codes fit
	})
}
