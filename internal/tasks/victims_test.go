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

package tasks

import (
	"slices"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/rollout"
)

func task(name, deployment, zone, node string, age time.Duration, healthy bool) rollout.Task {
	state := rollout.TaskRunning
	if node == "" {
		state = rollout.TaskProvisioning
	}
	return rollout.Task{Name: name, Deployment: deployment, Zone: zone, Node: node, State: state, Healthy: healthy,
		CreatedAt: t0.Add(-age)}
}

func names(ts []rollout.Task) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Name
	}
	return out
}

func TestDaemonVictims(t *testing.T) {
	eligible := map[string]bool{"n1": true, "n2": true, "n3": true}
	nodes := map[string]string{"old1": "n1", "old2": "n2", "old3": "n9", "new1": "n1", "new2": "n2", "dup2": "n2", "pinned": "n3"}
	all := []rollout.Task{
		task("old1", "old", "z", "n1", time.Hour, true),
		task("old2", "old", "z", "n2", time.Hour, true),
		task("old3", "old", "z", "n9", time.Hour, true),
		task("new1", "new", "z", "n1", time.Minute, true),
		task("new2", "new", "z", "n2", time.Minute, false),
		task("dup2", "new", "z", "n2", 2*time.Minute, true),
		task("pinned", "new", "", "", time.Second, false),
	}
	choose := DaemonVictims(eligible, func(name string) string { return nodes[name] }, "new")
	cases := []struct {
		name       string
		candidates []string
		n          int
		want       []string
	}{
		{"ineligible node first, then a node with a healthy new task", []string{"old1", "old2", "old3"}, 2, []string{"old3", "old1"}},
		{"old task on a node whose new task is healthy", []string{"old1", "old2"}, 1, []string{"old1"}},
		{"a duplicate of a healthy task", []string{"new2", "dup2"}, 1, []string{"new2"}},
		{"the only healthy task on its node goes last", []string{"new1", "pinned"}, 1, []string{"pinned"}},
	}
	byName := map[string]rollout.Task{}
	for _, tk := range all {
		byName[tk.Name] = tk
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var cands []rollout.Task
			for _, n := range tc.candidates {
				cands = append(cands, byName[n])
			}
			got := names(choose(cands, all, tc.n))
			if !slices.Equal(got, tc.want) {
				t.Errorf("victims = %v, want %v", got, tc.want)
			}
		})
	}
}
