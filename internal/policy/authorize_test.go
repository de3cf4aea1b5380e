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

package policy

import (
	"testing"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
)

// rbac is a fake SubjectAccessReview: the verbs each user holds, per namespace.
type rbac map[string]map[string][]Verb // user → namespace → verbs

func (r rbac) allows(c Caller, namespace string, verb Verb) bool {
	for _, v := range r[c.User][namespace] {
		if v == verb {
			return true
		}
	}
	return false
}

// outcome of a request in the registry flow.
type outcome struct {
	allowed      bool
	mountDropped bool
}

// authorize is the whole decision docs/registry-internals.md describes, as the registry is
// expected to assemble it from this package: map the request, then for each requirement
// explicit Deny → deny, Allow → allow, otherwise RBAC, otherwise deny; a denied mount source
// drops the mount.
func authorize(t *testing.T, policies []ecrv1alpha1.RepositoryPolicy, r rbac, c Caller, method, path, mountFrom string) outcome {
	t.Helper()
	e, err := ParsePath(path)
	if err != nil {
		t.Fatalf("ParsePath(%q): %v", path, err)
	}
	reqs, err := RequiredActions(method, e.Route, e.Name, mountFrom)
	if err != nil {
		t.Fatalf("RequiredActions(%s %s): %v", method, path, err)
	}
	var o outcome
	for _, req := range reqs {
		ok := false
		if req.Repository == "" { // registry level: RBAC only (the catalog is filtered later)
			ok = r.allows(c, "", req.Verb)
		} else {
			ns, name, err := SplitRepository(req.Repository)
			if err != nil {
				t.Fatalf("SplitRepository(%q): %v", req.Repository, err)
			}
			switch Evaluate(policies, c, req.Action, ns, name).Decision {
			case DecisionAllow:
				ok = true
			case DecisionNoOpinion:
				ok = r.allows(c, ns, req.Verb)
			}
		}
		switch {
		case ok:
		case req.MountSource:
			o.mountDropped = true
		default:
			return outcome{}
		}
	}
	o.allowed = true
	return o
}

func TestAuthorizeFlow(t *testing.T) {
	reader := NewCaller("reader", nil)
	power := NewCaller("power", nil)
	admin := NewCaller("admin", nil)
	builder := saCaller("team-b", "builder")
	r := rbac{
		"reader": {"team-a": {VerbPull}},
		"power":  {"team-a": {VerbPull, VerbPush}},
		"admin":  {"team-a": {VerbPull, VerbPush, VerbDelete}, "": {VerbList}},
		ServiceAccountUsername("team-b", "builder"): {"team-b": {VerbPull, VerbPush}},
	}
	const (
		manifest = "/v2/team-a/web-app/manifests/v1"
		blob     = "/v2/team-a/web-app/blobs/" + digestA
		upload   = "/v2/team-a/web-app/blobs/uploads/"
	)
	freeze := pol("team-a", "freeze", "*", deny("NoDeletes", who(group(GroupAuthenticated)), ActionBatchDeleteImage))
	crossPull := pol("team-a", "cross", "web-app", allow("TeamB", who(sa("team-b", "builder")), pullActions...))
	public := pol("team-a", "public", "web-app", allow("Public", who(group(GroupUnauthenticated)), pullActions...))
	pushOnly := pol("team-a", "ci", "web-app", allow("CI", who(user("ci")), pushActions...))

	tests := []struct {
		name      string
		policies  []ecrv1alpha1.RepositoryPolicy
		caller    Caller
		method    string
		path      string
		mountFrom string
		want      outcome
	}{
		{name: "RBAC reader pulls", caller: reader, method: "GET", path: manifest, want: outcome{allowed: true}},
		{name: "RBAC reader may not push", caller: reader, method: "PUT", path: manifest},
		{name: "RBAC power user pushes", caller: power, method: "PUT", path: manifest, want: outcome{allowed: true}},
		{name: "RBAC power user may not delete a manifest", caller: power, method: "DELETE", path: manifest},
		{name: "RBAC power user may not delete a blob", caller: power, method: "DELETE", path: blob},
		{name: "policy push-only caller may not delete", policies: ps(pushOnly), caller: NewCaller("ci", nil), method: "DELETE", path: manifest},
		{name: "policy push-only caller pushes", policies: ps(pushOnly), caller: NewCaller("ci", nil), method: "PATCH", path: upload + "u1", want: outcome{allowed: true}},
		{name: "RBAC admin deletes", caller: admin, method: "DELETE", path: manifest, want: outcome{allowed: true}},
		{name: "policy Deny beats RBAC admin", policies: ps(freeze), caller: admin, method: "DELETE", path: manifest},
		{name: "policy Deny leaves other actions to RBAC", policies: ps(freeze), caller: admin, method: "PUT", path: manifest, want: outcome{allowed: true}},
		{name: "another namespace pulls through a policy", policies: ps(crossPull), caller: builder, method: "GET", path: blob, want: outcome{allowed: true}},
		{name: "another namespace without a policy", caller: builder, method: "GET", path: blob},
		{name: "a pull policy gives another namespace no push", policies: ps(crossPull), caller: builder, method: "POST", path: upload},
		{name: "anonymous without a policy", caller: AnonymousCaller(), method: "GET", path: manifest},
		{name: "anonymous through a public policy", policies: ps(public), caller: AnonymousCaller(), method: "GET", path: manifest, want: outcome{allowed: true}},
		{name: "anonymous may not push to a public repository", policies: ps(public), caller: AnonymousCaller(), method: "PUT", path: manifest},
		{name: "mount with pull on the source", caller: power, method: "POST", path: upload, mountFrom: "team-a/base", want: outcome{allowed: true}},
		{name: "mount without pull on the source drops the mount", caller: power, method: "POST", path: upload, mountFrom: "team-c/secret", want: outcome{allowed: true, mountDropped: true}},
		{name: "mount without push on the target fails", caller: builder, method: "POST", path: upload, mountFrom: "team-b/base"},
		{name: "mount source allowed by a policy", policies: ps(pol("team-c", "share", "base", allow("", who(user("power")), ActionGetDownloadURLForLayer))), caller: power, method: "POST", path: upload, mountFrom: "team-c/base", want: outcome{allowed: true}},
		{name: "catalog needs list", caller: reader, method: "GET", path: "/v2/_catalog"},
		{name: "catalog with list", caller: admin, method: "GET", path: "/v2/_catalog", want: outcome{allowed: true}},
		{name: "base authenticates only", caller: reader, method: "GET", path: "/v2/", want: outcome{allowed: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := authorize(t, tt.policies, r, tt.caller, tt.method, tt.path, tt.mountFrom); got != tt.want {
				t.Errorf("authorize(%s %s from=%q) = %+v, want %+v", tt.method, tt.path, tt.mountFrom, got, tt.want)
			}
		})
	}
}
