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
	"cmp"
	"slices"

	"github.com/berth-dev/berth/internal/rollout"
)

// DaemonVictims is the DAEMON victim chooser: first tasks on nodes where no task may run any
// more (nodeOf gives a task's node, or the node it is pinned to), then tasks whose node
// already has another healthy task of the primary deployment (an old task replaced, or a
// duplicate), then the others; the newest first among equals.
func DaemonVictims(eligible map[string]bool, nodeOf func(task string) string, primary string) rollout.VictimChooser {
	return func(candidates, all []rollout.Task, n int) []rollout.Task {
		healthyPrimary := map[string]int{}
		for _, t := range all {
			if isHealthyOf(t, primary) {
				healthyPrimary[nodeOf(t.Name)]++
			}
		}
		rank := func(t rollout.Task) int {
			node := nodeOf(t.Name)
			others := healthyPrimary[node]
			if isHealthyOf(t, primary) {
				others--
			}
			switch {
			case node == "" || !eligible[node]:
				return 0
			case others > 0:
				return 1
			default:
				return 2
			}
		}
		ordered := slices.Clone(candidates)
		slices.SortStableFunc(ordered, func(a, b rollout.Task) int {
			return cmp.Or(cmp.Compare(rank(a), rank(b)), rollout.NewestFirst(a, b))
		})
		return ordered[:min(max(n, 0), len(ordered))]
	}
}

func isHealthyOf(t rollout.Task, deployment string) bool {
	return t.Deployment == deployment && t.State == rollout.TaskRunning && t.Healthy
}
