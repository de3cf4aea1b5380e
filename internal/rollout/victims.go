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
	"cmp"
	"slices"

	"github.com/berth-dev/berth/internal/placement"
)

// tier orders tasks for stopping: the less a task contributes, the earlier it goes. Tasks
// that are not yet placed go first, then placed but not started, then running but
// unhealthy, and healthy ones last.
func tier(t Task) int {
	switch {
	case t.State == TaskProvisioning:
		return 0
	case t.State == TaskPending:
		return 1
	case !healthy(t):
		return 2
	default:
		return 3
	}
}

// victimPicker chooses tasks to stop and remembers them, so that every later choice in the
// same pass sees the service as it will be.
type victimPicker struct {
	choose VictimChooser
	live   []Task          // live tasks of the service, sorted by name
	chosen map[string]bool // task name → chosen in this pass
}

func newVictimPicker(choose VictimChooser, live []Task) *victimPicker {
	if choose == nil {
		choose = ZoneBalancedVictims
	}
	return &victimPicker{choose: choose, live: live, chosen: map[string]bool{}}
}

// remaining returns the live tasks not chosen yet, in name order.
func (v *victimPicker) remaining() []Task {
	out := make([]Task, 0, len(v.live))
	for _, t := range v.live {
		if !v.chosen[t.Name] {
			out = append(out, t)
		}
	}
	return out
}

// pick chooses up to n tasks among candidates, whole tiers first (see tier), asking the
// chooser only where a tier must be split, and returns them in name order.
func (v *victimPicker) pick(candidates []Task, n int) []Task {
	var pool []Task
	for _, t := range candidates {
		if !v.chosen[t.Name] {
			pool = append(pool, t)
		}
	}
	slices.SortFunc(pool, func(a, b Task) int {
		return cmp.Or(cmp.Compare(tier(a), tier(b)), cmp.Compare(a.Name, b.Name))
	})
	var out []Task
	for len(out) < n && len(pool) > 0 {
		end := 1
		for end < len(pool) && tier(pool[end]) == tier(pool[0]) {
			end++
		}
		group := pool[:end]
		pool = pool[end:]
		want := n - len(out)
		if want < len(group) {
			group = v.ask(group, want)
		}
		for _, t := range group {
			v.chosen[t.Name] = true
		}
		out = append(out, group...)
	}
	slices.SortFunc(out, func(a, b Task) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// ask calls the chooser and keeps only a sound answer: distinct candidates, at most n,
// completed by the default choice when short.
func (v *victimPicker) ask(group []Task, n int) []Task {
	inGroup := map[string]bool{}
	for _, t := range group {
		inGroup[t.Name] = true
	}
	all := v.remaining()
	var out []Task
	taken := map[string]bool{}
	for _, t := range v.choose(slices.Clone(group), slices.Clone(all), n) {
		if len(out) == n {
			break
		}
		if inGroup[t.Name] && !taken[t.Name] {
			taken[t.Name] = true
			out = append(out, t)
		}
	}
	if len(out) < n {
		var rest []Task
		for _, t := range group {
			if !taken[t.Name] {
				rest = append(rest, t)
			}
		}
		var restAll []Task
		for _, t := range all {
			if !taken[t.Name] {
				restAll = append(restAll, t)
			}
		}
		out = append(out, ZoneBalancedVictims(rest, restAll, n-len(out))...)
	}
	// Return the group's own values: a chooser must not be able to alter a task.
	byName := map[string]Task{}
	for _, t := range group {
		byName[t.Name] = t
	}
	for i, t := range out {
		out[i] = byName[t.Name]
	}
	return out
}

// ZoneBalancedVictims is the planner's default VictimChooser and the only implementation of
// ECS's scale-in rule for REPLICA services: placement.ChooseVictims over the tasks' zones and
// nodes (a candidate from the zone holding the most tasks of the service, then from the node
// holding the most), so the service stays balanced whatever it stops; among equals the newest
// task first, then the first name.
func ZoneBalancedVictims(candidates, all []Task, n int) []Task {
	ordered := slices.Clone(candidates)
	slices.SortStableFunc(ordered, NewestFirst)
	byName := make(map[string]Task, len(ordered))
	cands := make([]placement.Member, len(ordered))
	for i, t := range ordered {
		byName[t.Name] = t
		cands[i] = placement.Member{Name: t.Name, Zone: t.Zone, Node: t.Node}
	}
	members := make([]placement.Member, len(all))
	for i, t := range all {
		members[i] = placement.Member{Name: t.Name, Zone: t.Zone, Node: t.Node}
	}
	chosen := placement.ChooseVictims(cands, members, n)
	out := make([]Task, len(chosen))
	for i, m := range chosen {
		out[i] = byName[m.Name]
	}
	return out
}

// NewestFirst orders tasks newest first (later CreatedAt), then by name.
func NewestFirst(a, b Task) int {
	return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(a.Name, b.Name))
}
