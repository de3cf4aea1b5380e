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

// RebalanceDecision is the outcome of Rebalance: whether the service should move a task, and
// between which zones.
type RebalanceDecision struct {
	// Unbalanced is true when the eligible zones' counts differ by more than one task.
	Unbalanced bool
	// Zones are the task counts of the eligible zones, sorted by name.
	Zones []ZoneCount
	// Fullest is the eligible zone with the most tasks (ties: first by name), where a task
	// stops once its replacement runs; empty when balanced.
	Fullest string
	// Emptiest is the eligible zone with the fewest tasks (ties: first by name), where the
	// scheduler is expected to put the replacement; empty when balanced.
	Emptiest string
	// Unplaced counts members not yet scheduled; they are left out of the balance.
	Unplaced int
	// Elsewhere counts members in zones that are not eligible (no schedulable node, or
	// excluded by constraints); they are left out of the balance.
	Elsewhere int
}

// Rebalance decides whether a service with availabilityZoneRebalancing ENABLED is out of
// balance. zones are the eligible zones: those with schedulable nodes the service's tasks may
// use, including zones that hold none of its tasks yet (a zone back from an outage). When
// zones is empty the zones the members run in are used. The controller acts on an Unbalanced
// decision one task at a time: start one (the scheduler puts it in the emptiest zone), and
// once it is RUNNING and healthy stop one in the fullest zone.
func Rebalance(members []Member, zones []string) RebalanceDecision {
	var d RebalanceDecision
	eligible := make(map[string]bool, len(zones))
	for _, z := range zones {
		if z != "" {
			eligible[z] = true
		}
	}
	placed := make([]Member, 0, len(members))
	for _, m := range members {
		switch {
		case m.Zone == "":
			d.Unplaced++
		case len(eligible) > 0 && !eligible[m.Zone]:
			d.Elsewhere++
		default:
			placed = append(placed, m)
		}
	}
	d.Zones = CountZones(placed, zones)
	if Balanced(d.Zones) {
		return d
	}
	d.Unbalanced = true
	full, empty := d.Zones[0], d.Zones[0]
	for _, c := range d.Zones[1:] {
		if c.Tasks > full.Tasks {
			full = c
		}
		if c.Tasks < empty.Tasks {
			empty = c
		}
	}
	d.Fullest, d.Emptiest = full.Zone, empty.Zone
	return d
}

// Message is the ECS-style service event for the decision, e.g. "(service web) is not AZ
// balanced with 2 tasks in zone-a, 0 tasks in zone-b and 5 tasks in zone-c."
func (d RebalanceDecision) Message(service string) string {
	state := "is AZ balanced"
	if d.Unbalanced {
		state = "is not AZ balanced"
	}
	if len(d.Zones) == 0 {
		return "(service " + service + ") " + state + "."
	}
	msg := "(service " + service + ") " + state + " with " + FormatZoneCounts(d.Zones)
	if d.Elsewhere > 0 {
		// Otherwise "balanced with 3 tasks in zone-a and 3 in zone-b" reads wrong for 9 tasks.
		msg += " (" + taskCount(d.Elsewhere) + " in zones no task may be placed in now, not counted)"
	}
	return msg + "."
}
