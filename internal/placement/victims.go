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

import "slices"

// ChooseVictims picks n of candidates to stop so that the service's remaining tasks stay as
// evenly spread over zones, then nodes, as the candidates allow. It serves scale-in, the
// stopping of old tasks during a rollout and the stop half of rebalancing: Kubernetes spreads
// only at launch, ECS also at stop.
//
//   - Unscheduled candidates (no zone) go first, in the caller's order: stopping them costs
//     no running capacity.
//   - Then, one at a time, a candidate from the zone holding the most members (ties: the
//     zone name first in order), within it from the node holding the most members (ties:
//     node name), and within that node the candidate listed first. Callers list candidates
//     in their own order of preference (e.g. not ready first, then newest first), and that
//     order decides wherever balance does not.
//
// Counts are taken over all, plus any candidate missing from it. During a rollout, passing
// every task of the service as all and only the old ones as candidates keeps the whole
// service balanced. Always taking from the fullest zone that has a candidate is optimal: no
// other choice leaves a smaller largest zone, and a zone that lost a task never ends more
// than one task below a zone that kept a candidate. So after a scale-in with every task a
// candidate, the per-zone counts differ by at most one unless a zone was already emptier
// than the removals can make the others (a zone with no tasks stays empty until tasks are
// started: that is Rebalance's job).
//
// The result lists min(n, number of distinct candidates) members in the order chosen.
func ChooseVictims(candidates, all []Member, n int) []Member {
	if n <= 0 || len(candidates) == 0 {
		return nil
	}
	type nodeKey struct{ zone, node string }
	counted := make(map[string]bool, len(all)+len(candidates))
	zoneCount := map[string]int{}
	nodeCount := map[nodeKey]int{}
	count := func(m Member) {
		if counted[m.Name] {
			return
		}
		counted[m.Name] = true
		if m.Zone != "" {
			zoneCount[m.Zone]++
			nodeCount[nodeKey{m.Zone, m.Node}]++
		}
	}
	for _, m := range all {
		count(m)
	}
	for _, m := range candidates {
		count(m)
	}

	// Queues of candidates: unscheduled ones, and per zone per node in caller order.
	var unplaced []Member
	queues := map[string]map[string][]Member{}
	taken := make(map[string]bool, len(candidates))
	for _, m := range candidates {
		if taken[m.Name] {
			continue
		}
		taken[m.Name] = true
		if m.Zone == "" {
			unplaced = append(unplaced, m)
			continue
		}
		if queues[m.Zone] == nil {
			queues[m.Zone] = map[string][]Member{}
		}
		queues[m.Zone][m.Node] = append(queues[m.Zone][m.Node], m)
	}
	zones := sortedKeys(queues)
	nodes := make(map[string][]string, len(zones))
	for _, z := range zones {
		nodes[z] = sortedKeys(queues[z])
	}

	want := min(n, len(taken))
	victims := make([]Member, 0, want)
	for _, m := range unplaced {
		if len(victims) == want {
			return victims
		}
		victims = append(victims, m)
	}
	for len(victims) < want {
		zi := fullest(zones, func(z string) int { return zoneCount[z] })
		z := zones[zi]
		ni := fullest(nodes[z], func(node string) int { return nodeCount[nodeKey{z, node}] })
		node := nodes[z][ni]

		q := queues[z][node]
		victims = append(victims, q[0])
		queues[z][node] = q[1:]
		zoneCount[z]--
		nodeCount[nodeKey{z, node}]--
		if len(q) == 1 { // the node has no candidates left
			nodes[z] = slices.Delete(nodes[z], ni, ni+1)
			if len(nodes[z]) == 0 {
				zones = slices.Delete(zones, zi, zi+1)
			}
		}
	}
	return victims
}

// fullest returns the index of the name with the highest count; names are sorted, so ties
// go to the first name.
func fullest(names []string, count func(string) int) int {
	best := 0
	for i := 1; i < len(names); i++ {
		if count(names[i]) > count(names[best]) {
			best = i
		}
	}
	return best
}

// sortedKeys returns the keys of m in ascending order, for deterministic choices.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
