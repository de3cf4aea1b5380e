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
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
)

func TestValidatePrincipal(t *testing.T) {
	valid := []ecrv1alpha1.Principal{
		group(GroupEveryone),
		group(GroupAuthenticated),
		group(GroupUnauthenticated),
		group("system:serviceaccounts:team-c"),
		group("devs"),
		user("alice@example.com"),
		user(UserAnonymous),
		user("system:serviceaccount:team-b:builder"),
		sa("team-b", "builder"),
		sa("team-b", "builder.v2"),
		sa("a", "b"),
	}
	for _, p := range valid {
		if err := ValidatePrincipal(&p); err != nil {
			t.Errorf("ValidatePrincipal(%+v) = %v, want nil", p, err)
		}
	}

	invalid := []struct {
		p    ecrv1alpha1.Principal
		want string
	}{
		{group("system:serviceaccounts:*"), `Group name "system:serviceaccounts:*" contains "*"; only the whole-principal wildcard {kind: Group, name: "*"}`},
		{group("**"), `Group name "**" contains "*"`},
		{group("*devs"), `Group name "*devs" contains "*"`},
		{user("*"), `User name "*" contains "*"; only the whole-principal wildcard {kind: Group, name: "*"}`},
		{user("*@example.com"), `User name "*@example.com" contains "*"`},
		{user("system:serviceaccount:team-b:*"), `User name "system:serviceaccount:team-b:*" contains "*"`},
		{sa("team-b", "*"), `ServiceAccount name "*" contains "*"`},
		{sa("team-b", "builder-*"), `ServiceAccount name "builder-*" contains "*"`},
		{sa("*", "builder"), `namespace "*" contains "*"`},
		{sa("team-*", "builder"), `namespace "team-*" contains "*"`},
		{ecrv1alpha1.Principal{Kind: "Role", Name: "builder"}, `kind "Role" is not ServiceAccount, User or Group`},
		{ecrv1alpha1.Principal{Kind: "", Name: "*"}, `kind "" is not`},
		{group(""), "name is empty"},
		{ecrv1alpha1.Principal{Kind: ecrv1alpha1.PrincipalGroup, Namespace: "team-b", Name: "devs"}, "namespace is not allowed for a Group principal"},
		{ecrv1alpha1.Principal{Kind: ecrv1alpha1.PrincipalUser, Namespace: "team-b", Name: "alice"}, "namespace is not allowed for a User principal"},
		{ecrv1alpha1.Principal{Kind: ecrv1alpha1.PrincipalGroup, Namespace: "*", Name: "*"}, `namespace "*" contains "*"`},
		{sa("", "builder"), "namespace is required for a ServiceAccount principal"},
		{sa("Team_B", "builder"), `namespace "Team_B" is not a namespace name`},
		{sa("team-b-", "builder"), `namespace "team-b-" is not a namespace name`},
		{sa("team.b", "builder"), `namespace "team.b" is not a namespace name`},
		{sa("team-b", "system:serviceaccount:team-b:builder"), `ServiceAccount name "system:serviceaccount:team-b:builder" is not a ServiceAccount name`},
		{sa("team-b", "-builder"), `ServiceAccount name "-builder" is not a ServiceAccount name`},
		{sa("team-b", "Builder"), `ServiceAccount name "Builder" is not a ServiceAccount name`},
	}
	for _, tt := range invalid {
		err := ValidatePrincipal(&tt.p)
		if !errors.Is(err, ErrInvalidPrincipal) {
			t.Errorf("ValidatePrincipal(%+v) = %v, want ErrInvalidPrincipal", tt.p, err)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ValidatePrincipal(%+v) = %q, want it to contain %q", tt.p, err, tt.want)
		}
	}
}

func TestValidatePrincipalDoesNotAllocate(t *testing.T) {
	p := sa("team-b", "builder")
	everyone := group(GroupEveryone)
	if n := testing.AllocsPerRun(100, func() {
		_ = ValidatePrincipal(&p)
		_ = ValidatePrincipal(&everyone)
	}); n != 0 {
		t.Errorf("ValidatePrincipal allocates %v times for valid principals; Evaluate calls it while matching", n)
	}
}

func TestValidate(t *testing.T) {
	spec := func(statements ...ecrv1alpha1.Statement) *ecrv1alpha1.RepositoryPolicySpec {
		return &ecrv1alpha1.RepositoryPolicySpec{RepositoryName: "web-app", Statements: statements}
	}
	tests := []struct {
		name string
		spec *ecrv1alpha1.RepositoryPolicySpec
		want []string // each error's text starts with the corresponding entry
		is   []error
	}{
		{name: "the docs example", spec: spec(
			allow("TeamBPull", who(sa("team-b", "builder"), group("system:serviceaccounts:team-c")), pullActions...),
			deny("NobodyDeletes", who(group(GroupAuthenticated)), ActionBatchDeleteImage),
		)},
		{name: "Allow * and Deny *", spec: spec(
			allow("Public", who(group(GroupEveryone)), pullActions...),
			deny("Nobody", who(group(GroupEveryone)), "ecr:Batch*"),
		)},
		{name: "actions in any case", spec: spec(allow("", who(group("devs")), "ecr:batchgetimage", "ECR:GET*", "Ecr:*", "*"))},
		{name: "no statements", spec: spec()},
		{
			name: "a partial wildcard group",
			spec: spec(
				allow("", who(group("devs")), ActionBatchGetImage),
				deny("", who(group("devs"), group("system:serviceaccounts:*")), ActionBatchDeleteImage),
			),
			want: []string{`statements[1].principals[1]: Group name "system:serviceaccounts:*" contains "*"; only the whole-principal wildcard {kind: Group, name: "*"} (every caller, like "Principal": "*" in ECR) is supported`},
			is:   []error{ErrInvalidPrincipal},
		},
		{
			name: "every problem, in spec order",
			spec: spec(
				stmt("deny", "", who(user("*"), sa("*", "builder"), group("ok")), "ecr:PullImage", ActionPutImage, "s3:*"),
				ecrv1alpha1.Statement{Effect: ecrv1alpha1.EffectAllow},
			),
			want: []string{
				`statements[0].effect: invalid statement: effect "deny" is neither Allow nor Deny`,
				`statements[0].principals[0]: User name "*" contains "*"`,
				`statements[0].principals[1]: namespace "*" contains "*"`,
				`statements[0].actions[0]: unknown ECR action "ecr:PullImage"`,
				`statements[0].actions[2]: unknown ECR action "s3:*"`,
				`statements[1].principals: invalid statement: no principals`,
				`statements[1].actions: invalid statement: no actions`,
			},
			is: []error{ErrInvalidStatement, ErrInvalidPrincipal, ErrInvalidPrincipal, ErrUnknownAction, ErrUnknownAction, ErrInvalidStatement, ErrInvalidStatement},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := Validate(tt.spec)
			if len(errs) != len(tt.want) {
				t.Fatalf("Validate = %q, want %d errors starting %q", errs, len(tt.want), tt.want)
			}
			for i, err := range errs {
				if !strings.HasPrefix(err.Error(), tt.want[i]) {
					t.Errorf("error %d = %q, want it to start with %q", i, err, tt.want[i])
				}
				if !errors.Is(err, tt.is[i]) {
					t.Errorf("error %d = %q does not wrap %v", i, err, tt.is[i])
				}
			}
		})
	}
}

// fixturesDir holds the API fixtures that api/validation_test.go applies to a real API server.
var fixturesDir = filepath.Join("..", "..", "api", "ecr", "v1alpha1", "testdata")

// TestValidateAgreesWithTheSchema runs Validate on the RepositoryPolicy fixtures the API server
// tests use: it must accept every valid one, and refuse every invalid one whose expected error
// is about a statement's effect, principals or actions, at the same path. So Validate (what the
// controller reports) and the CRD (what the API server refuses) cannot drift apart unnoticed.
func TestValidateAgreesWithTheSchema(t *testing.T) {
	checked := 0
	for _, kind := range []string{"valid", "invalid"} {
		paths, err := filepath.Glob(filepath.Join(fixturesDir, kind, "*.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range paths {
			data, err := os.ReadFile(path) //nolint:gosec // fixture paths come from a glob of testdata
			if err != nil {
				t.Fatal(err)
			}
			var p ecrv1alpha1.RepositoryPolicy
			if err := yaml.Unmarshal(data, &p); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if p.Kind != "RepositoryPolicy" {
				continue
			}
			errs := Validate(&p.Spec)
			if kind == "valid" {
				checked++
				if len(errs) > 0 {
					t.Errorf("%s: the API server accepts it, but Validate says %q", path, errs)
				}
				continue
			}
			field := expectedPath(data)
			if !strings.HasPrefix(field, "spec.statements[") || strings.HasSuffix(field, ".sid") {
				continue // not about what a statement enforces
			}
			checked++
			field = strings.TrimPrefix(field, "spec.")
			found := false
			for _, err := range errs {
				at, _, _ := strings.Cut(err.Error(), ": ")
				found = found || strings.HasPrefix(field, at)
			}
			if !found {
				t.Errorf("%s: the API server refuses %s, but Validate says %q", path, field, errs)
			}
		}
	}
	if checked < 20 {
		t.Errorf("only %d RepositoryPolicy fixtures checked; were they moved from %s?", checked, fixturesDir)
	}
}

// expectedPath is the first "# expect:" line of an invalid fixture that looks like a field path.
func expectedPath(data []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if e, ok := strings.CutPrefix(sc.Text(), "# expect: "); ok && strings.HasPrefix(e, "spec.") {
			return e
		}
	}
	return ""
}
