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

func TestPlanMove(t *testing.T) {
	abc := []string{"zone-a", "zone-b", "zone-c"}
	all := func(members []Member) map[string]bool {
		h := map[string]bool{}
		for _, m := range members {
			h[m.Name] = true
		}
		return h
	}
	// 4 / 1 / 1 on two nodes per zone: zone-a-1 holds zone-a-t000 and zone-a-t002.
	skewed := spreadMembers(2, 4, 1, 1)
	sickA := all(skewed)
	sickA["zone-a-t001"] = false
	sickB := all(skewed)
	sickB["zone-b-t000"] = false
	tests := []struct {
		name         string
		members      []Member
		healthy      map[string]bool
		lower, upper int32
		want         Move
	}{
		{
			name: "balanced: nothing to move", members: spreadMembers(2, 2, 2, 2), healthy: all(spreadMembers(2, 2, 2, 2)),
			lower: 6, upper: 12, want: Move{},
		},
		{
			name: "room for one more: start first", members: skewed, healthy: all(skewed),
			lower: 6, upper: 12, want: Move{Kind: MoveStartFirst, Zone: "zone-b"},
		},
		{
			name: "exactly one more fits: start first", members: skewed, healthy: all(skewed),
			lower: 6, upper: 7, want: Move{Kind: MoveStartFirst, Zone: "zone-b"},
		},
		{
			name: "maximumPercent 100, minimumHealthyPercent 50: stop first on the fullest node of the fullest zone", members: skewed, healthy: all(skewed),
			lower: 3, upper: 6, want: Move{Kind: MoveStopFirst, Zone: "zone-b", Victim: "zone-a-t000"},
		},
		{
			name: "the lower bound allows exactly one fewer: stop first", members: skewed, healthy: all(skewed),
			lower: 5, upper: 6, want: Move{Kind: MoveStopFirst, Zone: "zone-b", Victim: "zone-a-t000"},
		},
		{
			name: "no room above and none below: blocked", members: skewed, healthy: all(skewed),
			lower: 6, upper: 6, want: Move{Kind: MoveBlocked,
				Reason: "maximumPercent allows 6 tasks, so none can start before one stops, and minimumHealthyPercent needs 6 healthy tasks, so none of the 6 can stop before its replacement runs"},
		},
		{
			name: "an unhealthy task in the fullest zone may always go", members: skewed, healthy: sickA,
			lower: 6, upper: 6, want: Move{Kind: MoveStopFirst, Zone: "zone-b", Victim: "zone-a-t001"},
		},
		{
			name: "an unhealthy task elsewhere does not help", members: skewed, healthy: sickB,
			lower: 5, upper: 6, want: Move{Kind: MoveBlocked,
				Reason: "maximumPercent allows 6 tasks, so none can start before one stops, and minimumHealthyPercent needs 5 healthy tasks, so none of the 5 can stop before its replacement runs"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := PlanMove(Rebalance(tc.members, abc), tc.members, tc.healthy, tc.lower, tc.upper)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("move (-want +got):\n%s", diff)
			}
		})
	}
}

// Stop-first moves alone (maximumPercent 100) reach balance, one task at a time, never
// exceeding the desired count and never dropping below the lower bound by more than the one
// task in flight.
func TestPlanMoveStopFirstConverges(t *testing.T) {
	zones := []string{"zone-a", "zone-b", "zone-c"}
	members := spreadMembers(2, 7, 0, 2)
	desired := int32(len(members))
	lower, upper := desired-1, desired
	moves := 0
	for d := Rebalance(members, zones); d.Unbalanced; d = Rebalance(members, zones) {
		healthy := map[string]bool{}
		for _, m := range members {
			healthy[m.Name] = true
		}
		mv := PlanMove(d, members, healthy, lower, upper)
		if mv.Kind != MoveStopFirst {
			t.Fatalf("move %d: %+v, want stop-first", moves, mv)
		}
		moves++
		if moves > 20 {
			t.Fatalf("no balance after 20 moves: %s", FormatZoneCounts(d.Zones))
		}
		var kept []Member
		for _, x := range members {
			if x.Name == mv.Victim {
				if x.Zone != d.Fullest {
					t.Fatalf("victim %v is not in the fullest zone %s", x, d.Fullest)
				}
				continue
			}
			kept = append(kept, x)
		}
		if len(kept) != len(members)-1 {
			t.Fatalf("victim %q is not a member", mv.Victim)
		}
		members = append(kept, m("new-"+string(rune('a'+moves)), mv.Zone, mv.Zone+"-1"))
	}
	if got := FormatZoneCounts(CountZones(members, zones)); got != "3 tasks in zone-a, 3 tasks in zone-b and 3 tasks in zone-c" || moves != 4 {
		t.Errorf("after %d moves: %s", moves, got)
	}
}
