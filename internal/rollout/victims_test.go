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

package rollout

import (
	"slices"
	"testing"
	"time"
)

func victimTask(name, deployment, zone, node string, age time.Duration, healthy bool) Task {
	state := TaskRunning
	if node == "" {
		state = TaskProvisioning
	}
	return Task{Name: name, Deployment: deployment, Zone: zone, Node: node, State: state, Healthy: healthy,
		CreatedAt: t0.Add(-age)}
}

func victimNames(ts []Task) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Name
	}
	return out
}

func TestZoneBalancedVictims(t *testing.T) {
	all := []Task{
		victimTask("a1", "d", "zone-a", "n1", time.Hour, true),
		victimTask("a2", "d", "zone-a", "n1", time.Minute, true),
		victimTask("a3", "d", "zone-a", "n2", 2*time.Hour, true),
		victimTask("b1", "d", "zone-b", "n3", time.Hour, true),
		victimTask("c1", "d", "zone-c", "n4", time.Hour, true),
		victimTask("c2", "d", "zone-c", "n4", time.Second, true),
	}
	cases := []struct {
		name       string
		candidates []Task
		n          int
		want       []string
	}{
		{"fullest zone, fullest node, newest", all, 1, []string{"a2"}},
		{"scale-in to one per zone (ties: first zone, then first node)", all, 3, []string{"a2", "a1", "c2"}},
		{"only candidates are stopped", all[3:], 2, []string{"c2", "b1"}},
		{"n larger than candidates", all[:1], 5, []string{"a1"}},
		{"none", all, 0, []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := victimNames(ZoneBalancedVictims(tc.candidates, all, tc.n))
			if !slices.Equal(got, tc.want) {
				t.Errorf("victims = %v, want %v", got, tc.want)
			}
		})
	}
}
