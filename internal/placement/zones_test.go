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

package placement

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCountZones(t *testing.T) {
	members := []Member{m("1", "zone-c", "n1"), m("2", "zone-a", "n2"), m("3", "zone-c", "n3"), m("4", "", "")}
	tests := []struct {
		name  string
		zones []string
		want  []ZoneCount
	}{
		{name: "members' zones", want: []ZoneCount{{"zone-a", 1}, {"zone-c", 2}}},
		{name: "empty eligible zones listed", zones: []string{"zone-b", "zone-a", ""},
			want: []ZoneCount{{"zone-a", 1}, {"zone-b", 0}, {"zone-c", 2}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, CountZones(members, tc.zones)); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSkewAndFormat(t *testing.T) {
	tests := []struct {
		counts   []ZoneCount
		skew     int
		balanced bool
		text     string
	}{
		{nil, 0, true, ""},
		{[]ZoneCount{{"zone-a", 1}}, 0, true, "1 task in zone-a"},
		{[]ZoneCount{{"zone-a", 3}, {"zone-b", 2}}, 1, true, "3 tasks in zone-a and 2 tasks in zone-b"},
		{[]ZoneCount{{"zone-a", 2}, {"zone-b", 0}, {"zone-c", 5}}, 5, false, "2 tasks in zone-a, 0 tasks in zone-b and 5 tasks in zone-c"},
		{[]ZoneCount{{"a", 1}, {"b", 1}, {"c", 3}, {"d", 1}}, 2, false, "1 task in a, 1 task in b, 3 tasks in c and 1 task in d"},
	}
	for _, tc := range tests {
		if got := Skew(tc.counts); got != tc.skew {
			t.Errorf("Skew(%v) = %d, want %d", tc.counts, got, tc.skew)
		}
		if got := Balanced(tc.counts); got != tc.balanced {
			t.Errorf("Balanced(%v) = %v, want %v", tc.counts, got, tc.balanced)
		}
		if got := FormatZoneCounts(tc.counts); got != tc.text {
			t.Errorf("FormatZoneCounts(%v) = %q, want %q", tc.counts, got, tc.text)
		}
	}
}
