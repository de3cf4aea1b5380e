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
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// m builds a member; node "" with a zone is allowed but unusual.
func m(name, zone, node string) Member { return Member{Name: name, Zone: zone, Node: node} }

// spreadMembers places counts[i] members in zone-<i> on nodes round-robin, names in order.
func spreadMembers(nodesPerZone int, counts ...int) []Member {
	var out []Member
	for zi, c := range counts {
		zone := fmt.Sprintf("zone-%c", 'a'+zi)
		for i := range c {
			node := fmt.Sprintf("%s-%d", zone, i%nodesPerZone+1)
			out = append(out, m(fmt.Sprintf("%s-t%03d", zone, i), zone, node))
		}
	}
	return out
}

func names(ms []Member) []string {
	out := make([]string, len(ms))
	for i, x := range ms {
		out[i] = x.Name
	}
	return out
}

func TestChooseVictims(t *testing.T) {
	a1, a2 := m("a1", "zone-a", "n-a1"), m("a2", "zone-a", "n-a1")
	a3 := m("a3", "zone-a", "n-a2")
	b1, b2 := m("b1", "zone-b", "n-b1"), m("b2", "zone-b", "n-b2")
	c1 := m("c1", "zone-c", "n-c1")
	p1, p2 := m("p1", "", ""), m("p2", "", "")
	tests := []struct {
		name       string
		candidates []Member
		all        []Member
		n          int
		want       []string
	}{
		{name: "none wanted", candidates: []Member{a1, b1}, n: 0},
		{name: "negative", candidates: []Member{a1, b1}, n: -1},
		{name: "no candidates", all: []Member{a1}, n: 2},
		{name: "fullest zone first", candidates: []Member{b1, c1, a1, a2, a3}, n: 1, want: []string{"a1"}},
		{name: "fullest node of the zone", candidates: []Member{a3, a1, a2, b1}, n: 1, want: []string{"a1"}},
		// After a1 both nodes of zone-a hold one task: the first node name wins.
		{name: "then the next fullest zone", candidates: []Member{a1, a2, a3, b1, b2, c1}, n: 3, want: []string{"a1", "a2", "b1"}},
		{name: "zone ties go to the first zone name", candidates: []Member{c1, b1, a1}, n: 2, want: []string{"a1", "b1"}},
		{name: "caller order within a node", candidates: []Member{a2, a1, a3}, n: 1, want: []string{"a2"}},
		{name: "unscheduled first, in caller order", candidates: []Member{a1, p2, a2, a3, p1}, n: 3, want: []string{"p2", "p1", "a1"}},
		{name: "only unscheduled needed", candidates: []Member{a1, a2, p1, p2}, n: 1, want: []string{"p1"}},
		{name: "more wanted than candidates", candidates: []Member{b1, a1}, n: 5, want: []string{"a1", "b1"}},
		{name: "duplicates count once", candidates: []Member{a1, a1, b1}, n: 5, want: []string{"a1", "b1"}},
		// The fullest zone holds only new tasks: stop the old one where it hurts least.
		{name: "fullest zone without candidates", candidates: []Member{c1, b1},
			all: []Member{a1, a2, a3, b1, b2, c1}, n: 1, want: []string{"b1"}},
		{name: "all counts decide over candidates", candidates: []Member{a1, b1},
			all: []Member{a1, b1, b2, m("b3", "zone-b", "n-b1")}, n: 1, want: []string{"b1"}},
		{name: "candidates missing from all are counted", candidates: []Member{a1, a2, b1}, all: []Member{b1}, n: 1, want: []string{"a1"}},
		{name: "members without node", candidates: []Member{m("x", "zone-a", ""), m("y", "zone-a", "n1"), m("z", "zone-a", "n1")},
			n: 2, want: []string{"y", "x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ChooseVictims(tc.candidates, tc.all, tc.n)
			if diff := cmp.Diff(tc.want, names(got), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("victims (-want +got):\n%s", diff)
			}
		})
	}
}

// scaleIn stops members until n remain, choosing among all of them, and returns the rest.
func scaleIn(t *testing.T, members []Member, n int) []Member {
	t.Helper()
	victims := ChooseVictims(members, members, len(members)-n)
	stopped := map[string]bool{}
	for _, v := range victims {
		stopped[v.Name] = true
	}
	rest := slices.DeleteFunc(slices.Clone(members), func(x Member) bool { return stopped[x.Name] })
	if len(rest) != n {
		t.Fatalf("scale-in to %d left %d", n, len(rest))
	}
	return rest
}

// scaleOut adds tasks the way the scheduler places them with a zone then node spread: each
// in the emptiest zone, then its emptiest node (ties by name).
func scaleOut(members []Member, zones, nodes []string, n int, seq *int) []Member {
	for len(members) < n {
		zc, nc := map[string]int{}, map[string]int{}
		for _, x := range members {
			zc[x.Zone]++
			nc[x.Node]++
		}
		zone := slices.MinFunc(zones, func(a, b string) int { return zc[a] - zc[b] })
		var inZone []string
		for _, nd := range nodes {
			if nd[:len(zone)] == zone {
				inZone = append(inZone, nd)
			}
		}
		node := slices.MinFunc(inZone, func(a, b string) int { return nc[a] - nc[b] })
		*seq++
		members = append(members, m(fmt.Sprintf("new-%04d", *seq), zone, node))
	}
	return members
}

// nodeSkews returns, per zone, the largest minus the smallest node count of members.
func nodeSkews(members []Member, nodes []string) map[string]int {
	nc := map[string]int{}
	for _, nd := range nodes {
		nc[nd] = 0
	}
	for _, x := range members {
		nc[x.Node]++
	}
	lo, hi := map[string]int{}, map[string]int{}
	for _, nd := range nodes {
		zone := nd[:6] // "zone-a-1"
		if _, ok := lo[zone]; !ok {
			lo[zone], hi[zone] = nc[nd], nc[nd]
		}
		lo[zone], hi[zone] = min(lo[zone], nc[nd]), max(hi[zone], nc[nd])
	}
	out := map[string]int{}
	for z := range lo {
		out[z] = hi[z] - lo[z]
	}
	return out
}

// TestChooseVictimsBudgetScenario is docs/budgets.md P2 without a cluster: 300 tasks over 3 zones
// × 2 nodes, scaled to 7, 4, 10 (new tasks placed by spread) and 3; per-zone counts must stay
// within one of each other every time (a Deployment was seen at 2 / 0 / 5).
func TestChooseVictimsBudgetScenario(t *testing.T) {
	zones := []string{"zone-a", "zone-b", "zone-c"}
	nodes := []string{"zone-a-1", "zone-a-2", "zone-b-1", "zone-b-2", "zone-c-1", "zone-c-2"}
	members := spreadMembers(2, 100, 100, 100)
	seq := 0
	steps := []struct {
		desired int
		want    []int // per zone a, b, c
	}{
		{7, []int{2, 2, 3}}, {4, []int{1, 1, 2}}, {10, []int{4, 3, 3}}, {3, []int{1, 1, 1}},
	}
	for _, st := range steps {
		if st.desired < len(members) {
			members = scaleIn(t, members, st.desired)
		} else {
			members = scaleOut(members, zones, nodes, st.desired, &seq)
		}
		counts := CountZones(members, zones)
		var got []int
		for _, c := range counts {
			got = append(got, c.Tasks)
		}
		if !Balanced(counts) || !slices.Equal(got, st.want) {
			t.Errorf("after scaling to %d: zones %s; want %v", st.desired, FormatZoneCounts(counts), st.want)
		}
		for z, skew := range nodeSkews(members, nodes) {
			if skew > 1 {
				t.Errorf("after scaling to %d: nodes of %s differ by %d", st.desired, z, skew)
			}
		}
	}
}

// Uneven starts: a scale-in cannot fill an empty zone, but it must never deepen the
// imbalance, and must even out every zone it takes from.
func TestChooseVictimsUneven(t *testing.T) {
	tests := []struct {
		start   []int
		desired int
		want    []int
	}{
		{[]int{2, 0, 5}, 4, []int{2, 0, 2}},
		{[]int{2, 0, 5}, 3, []int{1, 0, 2}},
		{[]int{2, 0, 5}, 6, []int{2, 0, 4}},
		{[]int{1, 1, 8}, 6, []int{1, 1, 4}},
		{[]int{1, 1, 8}, 3, []int{1, 1, 1}},
		{[]int{6, 5, 0}, 9, []int{4, 5, 0}},
		{[]int{100, 3, 3}, 9, []int{3, 3, 3}},
		{[]int{100, 3, 3}, 8, []int{2, 3, 3}},
	}
	zones := []string{"zone-a", "zone-b", "zone-c"}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.start, "→", tc.desired), func(t *testing.T) {
			rest := scaleIn(t, spreadMembers(2, tc.start...), tc.desired)
			var got []int
			for _, c := range CountZones(rest, zones) {
				got = append(got, c.Tasks)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("zones %v, want %v", got, tc.want)
			}
		})
	}
}

// TestChooseVictimsProperties checks, over random placements and candidate sets, that the
// choice is the balanced one: whenever a zone (node) lost a task while another zone (node of
// the same zone) kept a candidate, the kept one ends at most one task fuller, and only when
// the zone (node) that lost comes first by name.
func TestChooseVictimsProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := range 3000 {
		var all []Member
		zones := 1 + rng.IntN(5)
		for z := range zones {
			for nd := range 1 + rng.IntN(3) {
				for range rng.IntN(12) {
					all = append(all, m(fmt.Sprintf("t%d", len(all)), fmt.Sprintf("z%d", z), fmt.Sprintf("z%d-n%d", z, nd)))
				}
			}
		}
		for range rng.IntN(3) {
			all = append(all, m(fmt.Sprintf("t%d", len(all)), "", ""))
		}
		var candidates []Member
		for _, x := range all {
			if rng.IntN(3) > 0 {
				candidates = append(candidates, x)
			}
		}
		rng.Shuffle(len(candidates), func(i, j int) { candidates[i], candidates[j] = candidates[j], candidates[i] })
		n := rng.IntN(len(all) + 2)
		victims := ChooseVictims(candidates, all, n)
		checkVictims(t, fmt.Sprintf("iteration %d", iter), candidates, all, n, victims)
		if t.Failed() {
			return
		}
	}
}

func checkVictims(t *testing.T, label string, candidates, all []Member, n int, victims []Member) {
	t.Helper()
	if want := max(0, min(n, len(candidates))); len(victims) != want {
		t.Fatalf("%s: %d victims, want %d", label, len(victims), want)
	}
	stopped := map[string]bool{}
	for _, v := range victims {
		if stopped[v.Name] || !slices.Contains(candidates, v) {
			t.Fatalf("%s: victim %v repeated or not a candidate", label, v)
		}
		stopped[v.Name] = true
	}
	// Unscheduled candidates go before scheduled ones.
	for i, v := range victims {
		if v.Zone == "" && i > 0 && victims[i-1].Zone != "" {
			t.Fatalf("%s: unscheduled %s chosen after a scheduled task", label, v.Name)
		}
	}
	// Final counts, and which zones and nodes lost tasks or keep candidates.
	zc, nc := map[string]int{}, map[string]int{}
	for _, x := range all {
		if x.Zone != "" && !stopped[x.Name] {
			zc[x.Zone]++
			nc[x.Node]++
		}
	}
	lostZone, lostNode := map[string]bool{}, map[string]bool{}
	for _, v := range victims {
		if v.Zone != "" {
			lostZone[v.Zone], lostNode[v.Node] = true, true
		}
	}
	var order []Member // per node, victims must be the node's first candidates
	for _, c := range candidates {
		if c.Zone == "" || stopped[c.Name] {
			continue
		}
		order = append(order, c)
		for y := range lostZone {
			if zc[c.Zone] > zc[y]+1 || (zc[c.Zone] == zc[y]+1 && c.Zone < y) {
				t.Fatalf("%s: stopped in %s (%d left) while %s keeps candidate %s (%d left)", label, y, zc[y], c.Zone, c.Name, zc[c.Zone])
			}
		}
		for _, v := range victims {
			if v.Zone != c.Zone || !lostNode[v.Node] {
				continue
			}
			if nc[c.Node] > nc[v.Node]+1 || (nc[c.Node] == nc[v.Node]+1 && c.Node < v.Node) {
				t.Fatalf("%s: stopped on %s (%d left) while %s keeps candidate %s (%d left)", label, v.Node, nc[v.Node], c.Node, c.Name, nc[c.Node])
			}
		}
	}
	for _, v := range victims {
		for _, c := range order {
			if c.Node == v.Node && c.Zone == v.Zone && slices.Index(candidates, c) < slices.Index(candidates, v) {
				t.Fatalf("%s: stopped %s but kept %s, listed before it on the same node", label, v.Name, c.Name)
			}
		}
	}
}
