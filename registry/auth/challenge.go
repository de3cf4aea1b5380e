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

package auth

import (
	"fmt"
	"net/http"
	"strings"
)

// berth-registry speaks the Docker registry token protocol, which every client implements
// (docker, containerd, podman, skopeo, crane, oras, regctl): a 401 carries a Bearer challenge
// naming the token endpoint; the client asks it for a token, with Basic credentials when it
// has some and without when it has none, and retries with the token. A Basic challenge would
// make docker give up on anonymous (public) pulls: it has no credentials to answer it with.
//
// The token endpoint authenticates the Basic password (a Kubernetes token) like the gate and
// hands the same Kubernetes token back as the Bearer token, or AnonymousToken to callers
// without credentials. Tokens carry no grants: every request is authorized on its own, by
// policy and RBAC, as ECR authorizes every call, so a token's scope never outlives a
// RoleBinding. Basic credentials sent with each request keep working too.

// TokenPath is the path of the token endpoint.
const TokenPath = "/berth/v1/token" //nolint:gosec // a URL path, not a credential

// AnonymousToken is the Bearer token the token endpoint gives callers without credentials;
// the gate reads it as the anonymous caller.
const AnonymousToken = "berth.anonymous"

// Challenger writes the challenge of a 401.
type Challenger struct {
	// Service names the registry in challenges (the realm option).
	Service string
	// Host is the registry's external URL (https://registry.example.com); empty: the scheme
	// and Host of each request.
	Host string
}

// Challenge sets the Bearer challenge of a 401 answer to r. scope, when set, is the access
// the request needs in the protocol's terms (repository:team-a/app:pull).
func (c Challenger) Challenge(w http.ResponseWriter, r *http.Request, scope string) {
	v := fmt.Sprintf("Bearer realm=%q,service=%q", c.baseURL(r)+TokenPath, c.Service)
	if scope != "" {
		v += fmt.Sprintf(",scope=%q", scope)
	}
	w.Header().Set("WWW-Authenticate", v)
}

// baseURL is the registry's URL as the client reached it.
func (c Challenger) baseURL(r *http.Request) string {
	if c.Host != "" {
		return strings.TrimSuffix(c.Host, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	return scheme + "://" + r.Host
}

// Scope is the token protocol's scope of a request with method on repository name ("" for
// registry-level requests): pull for reads, pull,push for writes, delete for deletes.
func Scope(method, name string) string {
	if name == "" {
		return "registry:catalog:*"
	}
	switch method {
	case http.MethodGet, http.MethodHead:
		return "repository:" + name + ":pull"
	case http.MethodDelete:
		return "repository:" + name + ":delete"
	default:
		return "repository:" + name + ":pull,push"
	}
}
