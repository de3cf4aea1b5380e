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

func TestRebalance(t *testing.T) {
	abc := []string{"zone-a", "zone-b", "zone-c"}
	tests := []struct {
		name    string
		members []Member
		zones   []string
		want    RebalanceDecision
		message string
	}{
		{
			name: "the Deployment's 2/0/5", members: spreadMembers(2, 2, 0, 5), zones: abc,
			want: RebalanceDecision{Unbalanced: true, Fullest: "zone-c", Emptiest: "zone-b",
				Zones: []ZoneCount{{"zone-a", 2}, {"zone-b", 0}, {"zone-c", 5}}},
			message: "(service web) is not AZ balanced with 2 tasks in zone-a, 0 tasks in zone-b and 5 tasks in zone-c.",
		},
		{
			name: "within one", members: spreadMembers(2, 2, 2, 3), zones: abc,
			want:    RebalanceDecision{Zones: []ZoneCount{{"zone-a", 2}, {"zone-b", 2}, {"zone-c", 3}}},
			message: "(service web) is AZ balanced with 2 tasks in zone-a, 2 tasks in zone-b and 3 tasks in zone-c.",
		},
		{
			name: "a zone came back empty; ties go to the first name", members: spreadMembers(2, 3, 3), zones: abc,
			want: RebalanceDecision{Unbalanced: true, Fullest: "zone-a", Emptiest: "zone-c",
				Zones: []ZoneCount{{"zone-a", 3}, {"zone-b", 3}, {"zone-c", 0}}},
			message: "(service web) is not AZ balanced with 3 tasks in zone-a, 3 tasks in zone-b and 0 tasks in zone-c.",
		},
		{
			name: "one task off is balanced", members: spreadMembers(1, 1), zones: abc,
			want:    RebalanceDecision{Zones: []ZoneCount{{"zone-a", 1}, {"zone-b", 0}, {"zone-c", 0}}},
			message: "(service web) is AZ balanced with 1 task in zone-a, 0 tasks in zone-b and 0 tasks in zone-c.",
		},
		{
			name: "zones default to the members' zones", members: spreadMembers(1, 4, 1),
			want: RebalanceDecision{Unbalanced: true, Fullest: "zone-a", Emptiest: "zone-b",
				Zones: []ZoneCount{{"zone-a", 4}, {"zone-b", 1}}},
			message: "(service web) is not AZ balanced with 4 tasks in zone-a and 1 task in zone-b.",
		},
		{
			name: "tasks outside the eligible zones are left out", members: spreadMembers(1, 2, 2, 9), zones: []string{"zone-a", "zone-b"},
			want:    RebalanceDecision{Zones: []ZoneCount{{"zone-a", 2}, {"zone-b", 2}}, Elsewhere: 9},
			message: "(service web) is AZ balanced with 2 tasks in zone-a and 2 tasks in zone-b (9 tasks in zones no task may be placed in now, not counted).",
		},
		{
			name: "one task outside", members: spreadMembers(1, 3, 1, 1), zones: []string{"zone-a", "zone-b"},
			want: RebalanceDecision{Unbalanced: true, Fullest: "zone-a", Emptiest: "zone-b",
				Zones: []ZoneCount{{"zone-a", 3}, {"zone-b", 1}}, Elsewhere: 1},
			message: "(service web) is not AZ balanced with 3 tasks in zone-a and 1 task in zone-b (1 task in zones no task may be placed in now, not counted).",
		},
		{
			name: "unscheduled tasks are left out", members: append(spreadMembers(1, 3, 1), m("p", "", "")), zones: []string{"zone-a", "zone-b"},
			want: RebalanceDecision{Unbalanced: true, Fullest: "zone-a", Emptiest: "zone-b",
				Zones: []ZoneCount{{"zone-a", 3}, {"zone-b", 1}}, Unplaced: 1},
			message: "(service web) is not AZ balanced with 3 tasks in zone-a and 1 task in zone-b.",
		},
		{
			name: "no tasks yet", zones: []string{"zone-b", "zone-a", ""},
			want:    RebalanceDecision{Zones: []ZoneCount{{"zone-a", 0}, {"zone-b", 0}}},
			message: "(service web) is AZ balanced with 0 tasks in zone-a and 0 tasks in zone-b.",
		},
		{
			name: "nothing at all", want: RebalanceDecision{Zones: []ZoneCount{}},
			message: "(service web) is AZ balanced.",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Rebalance(tc.members, tc.zones)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("decision (-want +got):\n%s", diff)
			}
			if msg := got.Message("web"); msg != tc.message {
				t.Errorf("message %q\nwant    %q", msg, tc.message)
			}
		})
	}
}

// Rebalancing one task at a time (start in the emptiest zone, stop in the fullest) reaches
// balance from any start, in as many moves as the surplus needs.
func TestRebalanceConverges(t *testing.T) {
	zones := []string{"zone-a", "zone-b", "zone-c"}
	members := spreadMembers(2, 9, 0, 2)
	moves := 0
	for d := Rebalance(members, zones); d.Unbalanced; d = Rebalance(members, zones) {
		moves++
		if moves > 20 {
			t.Fatalf("no balance after 20 moves: %s", FormatZoneCounts(d.Zones))
		}
		members = append(members, m("new-"+string(rune('a'+moves)), d.Emptiest, d.Emptiest+"-1"))
		var fullest []Member
		for _, x := range members {
			if x.Zone == d.Fullest {
				fullest = append(fullest, x)
			}
		}
		victim := ChooseVictims(fullest, members, 1)[0]
		if victim.Zone != d.Fullest {
			t.Fatalf("victim %v is not in the fullest zone %s", victim, d.Fullest)
		}
		for i, x := range members {
			if x.Name == victim.Name {
				members = append(members[:i], members[i+1:]...)
				break
			}
		}
	}
	if got := FormatZoneCounts(CountZones(members, zones)); got != "4 tasks in zone-a, 4 tasks in zone-b and 3 tasks in zone-c" || moves != 5 {
		t.Errorf("after %d moves: %s", moves, got)
	}
}
