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
	"testing"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
)

// TestSelects checks which images a selection identifies, before any counting.
func TestSelects(t *testing.T) {
	cases := []struct {
		name string
		sel  ecrv1alpha1.LifecycleSelection
		tags []string
		want bool
	}{
		{"any, untagged", anyImage(), nil, true},
		{"any, tagged", anyImage(), []string{"v1"}, true},
		{"untagged, untagged", untagged(), nil, true},
		{"untagged, empty list", untagged(), []string{}, true},
		{"untagged, tagged", untagged(), []string{"v1"}, false},
		{"prefix, match", prefixes("prod"), []string{"prod-1"}, true},
		{"prefix, whole tag", prefixes("prod"), []string{"prod"}, true},
		{"prefix, inside", prefixes("prod"), []string{"preprod"}, false},
		{"prefix, untagged", prefixes("prod"), nil, false},
		{"prefixes, one tag meets both", prefixes("v", "v1"), []string{"v1.2"}, true},
		{"prefixes, two tags meet one each", prefixes("v", "stable"), []string{"stable", "v1"}, true},
		{"prefixes, one unmet", prefixes("v", "stable"), []string{"v1", "v2"}, false},
		{"pattern, literal", patterns("latest"), []string{"latest"}, true},
		{"pattern, literal is whole", patterns("latest"), []string{"latest-1"}, false},
		{"pattern, star", patterns("*"), []string{"anything"}, true},
		{"pattern, star untagged", patterns("*"), nil, false},
		{"pattern, suffix", patterns("*-amd64"), []string{"v1-amd64"}, true},
		{"pattern, four stars", patterns("*test*1*2*3"), []string{"a-test-1-2-3"}, true},
		{"pattern, case", patterns("prod*"), []string{"PROD-1"}, false},
		{"patterns, all met", patterns("alpha*", "beta*"), []string{"alpha-2", "beta-2"}, true},
		{"patterns, one unmet", patterns("alpha*", "beta*"), []string{"alpha-1", "gamma-1"}, false},
		{"unknown status", ecrv1alpha1.LifecycleSelection{TagStatus: "all"}, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := selects(tc.sel, tc.tags); got != tc.want {
				t.Errorf("selects(%+v, %q) = %v, want %v", tc.sel, tc.tags, got, tc.want)
			}
		})
	}
}
