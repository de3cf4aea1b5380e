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
	"fmt"
	"testing"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
)

// benchPolicies is a realistic, somewhat heavy set: 20 policies with 5 statements each, all in
// the namespace being evaluated (the worst case: none can be skipped by namespace), half for
// "*" and half for named repositories, each statement with 3 principals and 4 actions.
func benchPolicies() []ecrv1alpha1.RepositoryPolicy {
	var policies []ecrv1alpha1.RepositoryPolicy
	for i := range 20 {
		repo := "*"
		if i%2 == 1 {
			repo = "web-app"
		}
		var stmts []ecrv1alpha1.Statement
		for j := range 5 {
			principals := who(
				sa(fmt.Sprintf("team-%d", i), fmt.Sprintf("builder-%d", j)),
				group(fmt.Sprintf("system:serviceaccounts:team-%d-%d", i, j)),
				user(fmt.Sprintf("user-%d-%d@example.com", i, j)),
			)
			s := allow(fmt.Sprintf("S%d", j), principals, ActionBatchGetImage, ActionGetDownloadURLForLayer, ActionBatchCheckLayerAvailability, "ecr:List*")
			if j == 4 {
				s = deny(fmt.Sprintf("S%d", j), principals, ActionBatchDeleteImage, ActionPutImage, "ecr:Delete*", "ecr:Set*")
			}
			stmts = append(stmts, s)
		}
		policies = append(policies, pol("team-a", fmt.Sprintf("policy-%02d", i), repo, stmts...))
	}
	return policies
}

func BenchmarkEvaluate(b *testing.B) {
	policies := benchPolicies()
	cases := []struct {
		name   string
		caller Caller
		action string
		want   Decision
	}{
		// No statement matches: every statement is looked at (the common case for RBAC users).
		{"NoOpinion", NewCaller(ServiceAccountUsername("team-a", "deployer"), []string{"system:serviceaccounts", "system:serviceaccounts:team-a", "system:authenticated"}), ActionBatchGetImage, DecisionNoOpinion},
		{"Allow", NewCaller(ServiceAccountUsername("team-19", "builder-3"), nil), ActionGetDownloadURLForLayer, DecisionAllow},
		{"Deny", NewCaller("user-7-4@example.com", []string{"devs"}), ActionBatchDeleteImage, DecisionDeny},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			if r := Evaluate(policies, c.caller, c.action, "team-a", "web-app"); r.Decision != c.want {
				b.Fatalf("Evaluate = %+v, want %v", r, c.want)
			}
			b.ReportAllocs()
			for b.Loop() {
				Evaluate(policies, c.caller, c.action, "team-a", "web-app")
			}
		})
	}
}
