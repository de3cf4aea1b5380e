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
	"slices"
	"strconv"
	"strings"
)

// Member is one task of a service as placement sees it: where it runs.
type Member struct {
	// Name identifies the task (its Pod name); members are matched by name.
	Name string
	// Zone is the topology.kubernetes.io/zone of the task's node; empty while unscheduled.
	Zone string
	// Node is the name of the task's node; empty while unscheduled.
	Node string
}

// ZoneCount is the number of a service's tasks in one zone.
type ZoneCount struct {
	// Zone is the zone name.
	Zone string
	// Tasks is how many of the members run there.
	Tasks int
}

// CountZones counts members per zone, for status, events and balance checks. Every zone in
// zones is listed (with 0 when empty: an eligible zone without tasks is what makes a service
// unbalanced), plus any other zone a member is in; unscheduled members (no zone) are not
// counted. The result is sorted by zone name.
func CountZones(members []Member, zones []string) []ZoneCount {
	counts := make(map[string]int, len(zones))
	for _, z := range zones {
		if z != "" {
			counts[z] += 0
		}
	}
	for _, m := range members {
		if m.Zone != "" {
			counts[m.Zone]++
		}
	}
	out := make([]ZoneCount, 0, len(counts))
	for z, n := range counts {
		out = append(out, ZoneCount{Zone: z, Tasks: n})
	}
	slices.SortFunc(out, func(a, b ZoneCount) int { return strings.Compare(a.Zone, b.Zone) })
	return out
}

// Skew is the largest minus the smallest count, 0 for fewer than two zones.
func Skew(counts []ZoneCount) int {
	if len(counts) == 0 {
		return 0
	}
	lo, hi := counts[0].Tasks, counts[0].Tasks
	for _, c := range counts[1:] {
		lo, hi = min(lo, c.Tasks), max(hi, c.Tasks)
	}
	return hi - lo
}

// Balanced reports whether the counts differ by at most one task, the ECS notion of an
// AZ-balanced service.
func Balanced(counts []ZoneCount) bool { return Skew(counts) <= 1 }

// taskCount writes n tasks as service events do: "1 task", "0 tasks", "3 tasks".
func taskCount(n int) string {
	if n == 1 {
		return "1 task"
	}
	return strconv.Itoa(n) + " tasks"
}

// FormatZoneCounts writes counts the way ECS service events do:
// "2 tasks in zone-a, 0 tasks in zone-b and 5 tasks in zone-c".
func FormatZoneCounts(counts []ZoneCount) string {
	parts := make([]string, len(counts))
	for i, c := range counts {
		parts[i] = taskCount(c.Tasks) + " in " + c.Zone
	}
	if len(parts) <= 1 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}
