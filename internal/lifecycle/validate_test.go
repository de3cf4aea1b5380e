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

package lifecycle

import (
	"strings"
	"testing"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
)

// TestValidate checks that Validate accepts what the schema accepts and names each problem.
func TestValidate(t *testing.T) {
	tagged := func() ecrv1alpha1.LifecycleSelection {
		return ecrv1alpha1.LifecycleSelection{TagStatus: ecrv1alpha1.TagStatusTagged}
	}
	with := func(r ecrv1alpha1.LifecycleRule, change func(*ecrv1alpha1.LifecycleRule)) ecrv1alpha1.LifecycleRule {
		change(&r)
		return r
	}
	cases := []struct {
		name   string
		policy *ecrv1alpha1.LifecyclePolicy
		want   []string // substrings of the error; none means valid
	}{
		{name: "nil"},
		{name: "every rule type", policy: rules(
			keepNewest(1, patterns("v*"), 10),
			keepNewest(5, prefixes("rc"), 3),
			pushedOver(10, untagged(), 14),
			pulledOver(20, anyImage(), 90),
		)},
		{name: "no rules", policy: rules(), want: []string{"rules: Required value"}},
		{
			name:   "duplicate priority",
			policy: rules(keepNewest(1, patterns("a*"), 1), keepNewest(1, patterns("b*"), 1)),
			want:   []string{"rules[1].rulePriority: Duplicate value: 1"},
		},
		{
			name:   "any not last",
			policy: rules(keepNewest(2, anyImage(), 1), keepNewest(3, patterns("b*"), 1)),
			want:   []string{"rules[0].rulePriority", "tagStatus any must have the highest rulePriority"},
		},
		{
			name:   "two untagged rules",
			policy: rules(keepNewest(1, untagged(), 1), pushedOver(2, untagged(), 1)),
			want:   []string{"rules[1].selection.tagStatus", "only one rule may select untagged images"},
		},
		{
			name:   "tagged without a list",
			policy: rules(keepNewest(1, tagged(), 1)),
			want:   []string{"rules[0].selection.tagPatternList: Required value"},
		},
		{
			name: "tagged with both lists",
			policy: rules(keepNewest(1, ecrv1alpha1.LifecycleSelection{
				TagStatus: ecrv1alpha1.TagStatusTagged, TagPrefixList: []string{"a"}, TagPatternList: []string{"a*"},
			}, 1)),
			want: []string{"rules[0].selection.tagPrefixList: Forbidden"},
		},
		{
			name:   "empty prefix",
			policy: rules(keepNewest(1, prefixes("v", ""), 1)),
			want:   []string{"rules[0].selection.tagPrefixList[1]: Invalid value"},
		},
		{
			name: "list with untagged",
			policy: rules(keepNewest(1, ecrv1alpha1.LifecycleSelection{
				TagStatus: ecrv1alpha1.TagStatusUntagged, TagPatternList: []string{"a*"},
			}, 1)),
			want: []string{"rules[0].selection.tagPatternList: Forbidden"},
		},
		{
			name:   "unknown tagStatus",
			policy: rules(keepNewest(1, ecrv1alpha1.LifecycleSelection{TagStatus: "Tagged"}, 1)),
			want:   []string{`rules[0].selection.tagStatus: Unsupported value: "Tagged"`},
		},
		{
			name: "unknown countType",
			policy: rules(with(keepNewest(1, anyImage(), 1), func(r *ecrv1alpha1.LifecycleRule) {
				r.Selection.CountType = "sinceImageTransitioned"
			})),
			want: []string{`rules[0].selection.countType: Unsupported value: "sinceImageTransitioned"`},
		},
		{
			name: "countUnit with imageCountMoreThan",
			policy: rules(with(keepNewest(1, anyImage(), 1), func(r *ecrv1alpha1.LifecycleRule) {
				r.Selection.CountUnit = ecrv1alpha1.CountUnitDays
			})),
			want: []string{"rules[0].selection.countUnit: Forbidden"},
		},
		{
			name: "time-based count without countUnit",
			policy: rules(with(pushedOver(1, anyImage(), 1), func(r *ecrv1alpha1.LifecycleRule) {
				r.Selection.CountUnit = ""
			})),
			want: []string{"rules[0].selection.countUnit: Unsupported value"},
		},
		{
			name:   "countNumber zero",
			policy: rules(keepNewest(1, anyImage(), 0)),
			want:   []string{"rules[0].selection.countNumber: Invalid value: 0"},
		},
		{
			name: "action other than expire",
			policy: rules(with(keepNewest(1, anyImage(), 1), func(r *ecrv1alpha1.LifecycleRule) {
				r.Action.Type = "transition"
			})),
			want: []string{`rules[0].action.type: Unsupported value: "transition"`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(tc.policy)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate = nil, want an error with %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate = %v, want it to contain %q", err, w)
				}
			}
			if got := Evaluate(tc.policy, []Image{img("a", ago(100*day))}, now); got != nil {
				t.Errorf("Evaluate of an invalid policy = %v, want nil", got)
			}
		})
	}
}
