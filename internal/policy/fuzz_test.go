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
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
)

// byteSource hands out fuzz bytes as small choices; it yields zeros once exhausted.
type byteSource struct{ b []byte }

func (s *byteSource) next() int {
	if len(s.b) == 0 {
		return 0
	}
	v := s.b[0]
	s.b = s.b[1:]
	return int(v)
}

// pick chooses one of options.
func pick[T any](s *byteSource, options ...T) T { return options[s.next()%len(options)] }

// fuzzScenario decodes policies, a caller, an action and a target repository from fuzz input.
// extra is an arbitrary string mixed into every vocabulary, so odd names are exercised too.
func fuzzScenario(data []byte, extra string) (policies []ecrv1alpha1.RepositoryPolicy, c Caller, action, namespace, repository string) {
	s := &byteSource{b: data}
	namespaces := []string{"a", "b", extra}
	repos := []string{"web", "api", "*", extra}
	users := []string{"alice", "bob", UserAnonymous, ServiceAccountUsername("a", "sa"), ServiceAccountUsername("b", "sa"), "system:serviceaccount:a:sa:x", "", "*", extra}
	groups := []string{"devs", GroupAuthenticated, GroupUnauthenticated, GroupServiceAccounts, ServiceAccountGroupPrefix + "a", GroupEveryone, ServiceAccountGroupPrefix + "*", extra}
	patterns := append([]string{"*", "ecr:*", "ecr:Get*", "ecr:Batch*", "ecr:Put*", "ecr:batchgetimage", "ECR:*", "ecr:*Image", "", extra}, knownActions[:12]...)
	effects := []ecrv1alpha1.Effect{ecrv1alpha1.EffectAllow, ecrv1alpha1.EffectDeny, "deny", ""}
	kinds := []ecrv1alpha1.PrincipalKind{ecrv1alpha1.PrincipalServiceAccount, ecrv1alpha1.PrincipalUser, ecrv1alpha1.PrincipalGroup, "Role"}

	for i, n := 0, s.next()%6; i < n; i++ {
		// Names are unique, as the API server keeps them within a namespace.
		p := pol(pick(s, namespaces...), fmt.Sprintf("p%d-%s", i, pick(s, "x", "y", extra)), pick(s, repos...))
		for j, m := 0, 1+s.next()%4; j < m; j++ {
			st := ecrv1alpha1.Statement{Sid: pick(s, "", "S1", "S2"), Effect: pick(s, effects...)}
			for k, l := 0, 1+s.next()%3; k < l; k++ {
				pr := ecrv1alpha1.Principal{Kind: pick(s, kinds...)}
				switch pr.Kind {
				case ecrv1alpha1.PrincipalServiceAccount:
					pr.Namespace, pr.Name = pick(s, "a", "b", "*", extra), pick(s, "sa", "sb", "*", extra)
				case ecrv1alpha1.PrincipalUser:
					pr.Name = pick(s, users...)
				default:
					pr.Name = pick(s, groups...)
				}
				st.Principals = append(st.Principals, pr)
			}
			for k, l := 0, 1+s.next()%3; k < l; k++ {
				st.Actions = append(st.Actions, ecrv1alpha1.Action(pick(s, patterns...)))
			}
			p.Spec.Statements = append(p.Spec.Statements, st)
		}
		policies = append(policies, p)
	}
	if s.next()%2 == 0 {
		var gs []string
		for i, n := 0, s.next()%3; i < n; i++ {
			gs = append(gs, pick(s, groups...))
		}
		c = NewCaller(pick(s, users...), gs)
	} else {
		c = Caller{User: pick(s, users...), Anonymous: s.next()%2 == 0}
		for i, n := 0, s.next()%3; i < n; i++ {
			c.Groups = append(c.Groups, pick(s, groups...))
		}
	}
	action = pick(s, append(slices.Clone(knownActions[:9]), extra)...)
	return policies, c, action, pick(s, "a", "b"), pick(s, "web", "api")
}

func FuzzEvaluate(f *testing.F) {
	f.Add([]byte{}, "")
	f.Add([]byte{3, 0, 0, 0, 2, 0, 1, 2, 0, 1, 1, 0, 1, 5, 0, 1}, "team-c")
	f.Add([]byte{5, 1, 2, 2, 3, 1, 1, 2, 1, 4, 2, 1, 0, 9, 1, 0, 2, 3, 4, 5, 6, 7, 8, 9, 10}, "*")
	f.Add([]byte("some longer input that decodes into several policies and statements"), "system:authenticated")
	f.Fuzz(func(t *testing.T, data []byte, extra string) {
		policies, c, action, ns, repo := fuzzScenario(data, extra)
		got := Evaluate(policies, c, action, ns, repo)

		// Deterministic, and independent of the policies' order.
		rev := slices.Clone(policies)
		slices.Reverse(rev)
		if again := Evaluate(rev, c, action, ns, repo); again != got {
			t.Fatalf("order changes the result: %+v vs %+v", got, again)
		}

		// A deciding statement exists, in the repository's namespace, with the right effect.
		if got.Decision != DecisionNoOpinion {
			found := false
			for _, p := range policies {
				if p.Name != got.Policy || p.Namespace != ns || (p.Spec.RepositoryName != repo && p.Spec.RepositoryName != "*") {
					continue
				}
				for _, st := range p.Spec.Statements {
					isAllow := st.Effect == ecrv1alpha1.EffectAllow
					if st.Sid == got.Sid && isAllow == (got.Decision == DecisionAllow) {
						found = true
					}
				}
			}
			if !found {
				t.Fatalf("result %+v names no matching statement in namespace %s", got, ns)
			}
		}

		// Without Deny statements there is no Deny.
		hasDeny := false
		for _, p := range policies {
			for _, st := range p.Spec.Statements {
				hasDeny = hasDeny || st.Effect != ecrv1alpha1.EffectAllow
			}
		}
		if !hasDeny && got.Decision == DecisionDeny {
			t.Fatalf("Deny without any Deny statement: %+v", got)
		}

		// Policies in other namespaces never decide anything here.
		moved := slices.Clone(policies)
		for i := range moved {
			moved[i].Namespace = "elsewhere-" + moved[i].Namespace
		}
		if r := Evaluate(moved, c, action, ns, repo); r.Decision != DecisionNoOpinion {
			t.Fatalf("policies from other namespaces decided %+v", r)
		}

		// A matching Deny always yields Deny, whatever else is there; a Deny for everyone ("*")
		// or for a principal that cannot be enforced (it fails closed) matches every caller.
		principal := pick(&byteSource{b: []byte(extra)},
			group(GroupAuthenticated), group(GroupUnauthenticated), user(c.User), group(GroupEveryone),
			group(ServiceAccountGroupPrefix+"*"), user("*"), sa("*", "sa"))
		if c.Anonymous || c.User == "" || c.User == UserAnonymous {
			if principal.Name != GroupEveryone && ValidatePrincipal(&principal) == nil {
				principal = group(GroupUnauthenticated)
			}
		} else if principal.Name == GroupUnauthenticated {
			principal = group(GroupAuthenticated)
		}
		for _, target := range []string{repo, "*"} {
			for _, pattern := range []string{action, "*"} {
				denied := append(slices.Clone(policies), pol(ns, "zz-deny", target, deny("D", who(principal), pattern)))
				if r := Evaluate(denied, c, action, ns, repo); r.Decision != DecisionDeny {
					t.Fatalf("a matching Deny (%+v on %s for %s) gave %+v", principal, target, pattern, r)
				}
			}
		}

		// An Allow through principals that cannot be enforced never grants: replacing every
		// Allow's principals with invalid ones leaves no Allow.
		invalid := slices.Clone(policies)
		for i := range invalid {
			invalid[i].Spec.Statements = slices.Clone(invalid[i].Spec.Statements)
			for j := range invalid[i].Spec.Statements {
				if st := &invalid[i].Spec.Statements[j]; st.Effect == ecrv1alpha1.EffectAllow {
					st.Principals = who(group(ServiceAccountGroupPrefix+"*"), user("*"), sa("*", "sa"), ecrv1alpha1.Principal{Kind: "Role", Name: "r"})
				}
			}
		}
		if r := Evaluate(invalid, c, action, ns, repo); r.Decision == DecisionAllow {
			t.Fatalf("an Allow through invalid principals granted: %+v", r)
		}

		// An Allow added in another namespace never grants.
		if got.Decision != DecisionAllow {
			other := "a"
			if ns == "a" {
				other = "b"
			}
			allowed := append(slices.Clone(policies), pol(other, "zz-allow", "*", allow("A", who(group(GroupAuthenticated), group(GroupUnauthenticated), user(c.User)), "*")))
			if r := Evaluate(allowed, c, action, ns, repo); r.Decision == DecisionAllow {
				t.Fatalf("an Allow in namespace %s granted in %s: %+v", other, ns, r)
			}
		}
	})
}

func FuzzParsePath(f *testing.F) {
	for _, p := range []string{
		"/v2/", "/v2/_catalog", "/v2/team-a/web-app/tags/list", "/v2/team-a/web-app/manifests/latest",
		"/v2/a/b/c/manifests/" + digestA, "/v2/a/blobs/" + digestA, "/v2/a/blobs/uploads/",
		"/v2/a/blobs/uploads/0e7c-11=", "/v2/a/referrers/" + digestA, "/v2/a/manifests/tags/list",
		"/v2/blobs/uploads/blobs/uploads/", "/v2//manifests/x", "/v2/a__b/c.d/e--f/manifests/_",
	} {
		f.Add(p)
	}
	methods := []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}
	f.Fuzz(func(t *testing.T, path string) {
		e, err := ParsePath(path)
		if err != nil {
			if !errors.Is(err, ErrInvalidPath) {
				t.Fatalf("ParsePath(%q) error %v does not wrap ErrInvalidPath", path, err)
			}
			return
		}
		if got := e.Path(); got != path {
			t.Fatalf("ParsePath(%q).Path() = %q", path, got)
		}
		if again, err := ParsePath(e.Path()); err != nil || again != e {
			t.Fatalf("ParsePath(Path()) = %+v, %v; want %+v", again, err, e)
		}
		if e.Route != RouteBase && e.Route != RouteCatalog {
			if err := ValidateName(e.Name); err != nil {
				t.Fatalf("accepted an invalid name: %v", err)
			}
		}
		served := 0
		for _, m := range methods {
			reqs, err := RequiredActions(m, e.Route, e.Name, "")
			if err != nil {
				continue
			}
			served++
			for _, r := range reqs {
				if (r.Verb == VerbDelete) != (m == http.MethodDelete && (e.Route == RouteManifest || e.Route == RouteBlob)) {
					t.Fatalf("%s %s: %+v", m, path, r)
				}
				if r.Repository != e.Name || !slices.Contains(knownActions, r.Action) {
					t.Fatalf("%s %s: %+v", m, path, r)
				}
			}
		}
		if served == 0 {
			t.Fatalf("no method is served on %s", path)
		}
	})
}

// FuzzMatchWildcard compares MatchWildcard with the regular expression its doc describes.
func FuzzMatchWildcard(f *testing.F) {
	f.Add("dev-*", "dev-1")
	f.Add("*a*ab", "aaab")
	f.Add("a*b*c", "acb")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if len(pattern) > 64 || len(s) > 256 {
			return
		}
		parts := strings.Split(pattern, "*")
		for i, p := range parts {
			parts[i] = regexp.QuoteMeta(p)
		}
		re, err := regexp.Compile(`(?s)\A` + strings.Join(parts, ".*") + `\z`)
		if err != nil {
			return // invalid UTF-8 in the pattern
		}
		if got, want := MatchWildcard(pattern, s), re.MatchString(s); got != want {
			t.Fatalf("MatchWildcard(%q, %q) = %v, regexp says %v", pattern, s, got, want)
		}
	})
}
