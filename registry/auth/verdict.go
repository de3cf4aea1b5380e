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
	"context"
	"net/http"

	distauth "github.com/distribution/distribution/v3/registry/auth"
)

// verdictKey is the request-context key of the gate's *Verdict.
type verdictKey struct{}

// Verdict is what the gate allowed for one request.
type Verdict struct {
	ID *Identity
	// Access are the (repository, distribution action) pairs the gate allowed, in
	// distribution's terms: pull for GET and HEAD, pull and push for POST, PUT and PATCH,
	// delete for DELETE, and pull on a kept mount source.
	Access []distauth.Access
	// Catalog is true when the catalog was allowed.
	Catalog bool
}

// WithVerdict returns ctx carrying v.
func WithVerdict(ctx context.Context, v *Verdict) context.Context {
	return context.WithValue(ctx, verdictKey{}, v)
}

// VerdictFrom returns the gate's Verdict for the request ctx belongs to, or nil.
func VerdictFrom(ctx context.Context) *Verdict {
	v, _ := ctx.Value(verdictKey{}).(*Verdict)
	return v
}

// Allow records the distribution access records a request with method needs on repository.
func (v *Verdict) Allow(method, repository string) {
	res := distauth.Resource{Type: "repository", Name: repository}
	switch method {
	case http.MethodGet, http.MethodHead:
		v.Access = append(v.Access, distauth.Access{Resource: res, Action: "pull"})
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		v.Access = append(v.Access, distauth.Access{Resource: res, Action: "pull"}, distauth.Access{Resource: res, Action: "push"})
	case http.MethodDelete:
		v.Access = append(v.Access, distauth.Access{Resource: res, Action: "delete"})
	}
}

// Covers reports whether the Verdict allows access record a.
func (v *Verdict) Covers(a distauth.Access) bool {
	if a.Type == "registry" && a.Name == "catalog" {
		return v.Catalog
	}
	for _, g := range v.Access {
		if g.Type == a.Type && g.Name == a.Name && g.Action == a.Action {
			return true
		}
	}
	return false
}
