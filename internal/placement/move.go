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

import "fmt"

// MoveKind says how one rebalancing move proceeds within the deployment bounds.
type MoveKind string

// Rebalancing moves, as ECS orders them: start the replacement first when maximumPercent
// leaves room for one more task, otherwise stop first when minimumHealthyPercent allows one
// task fewer, otherwise not at all.
const (
	// MoveNone: the zones are balanced.
	MoveNone MoveKind = ""
	// MoveStartFirst starts a task in the emptiest zone; once it is healthy the rollout
	// planner stops the surplus one, taken from the fullest zone.
	MoveStartFirst MoveKind = "StartFirst"
	// MoveStopFirst stops Move.Victim in the fullest zone and starts its replacement in the
	// emptiest zone in the same pass: the total never exceeds desiredCount.
	MoveStopFirst MoveKind = "StopFirst"
	// MoveBlocked: the bounds allow neither; Move.Reason says why.
	MoveBlocked MoveKind = "Blocked"
)

// Move is one rebalancing step of a service whose zones are out of balance.
type Move struct {
	// Kind is how the step proceeds.
	Kind MoveKind
	// Zone is where the replacement task is started (the emptiest zone); empty for
	// MoveNone and MoveBlocked.
	Zone string
	// Victim is the task MoveStopFirst stops now: in the fullest zone, on its fullest node.
	Victim string
	// Reason explains a blocked move.
	Reason string
}

// PlanMove decides the next rebalancing step for decision d (see Rebalance). members are the
// service's live tasks (PROVISIONING, PENDING or RUNNING, none being stopped), healthy says
// which of them count toward minimumHealthyPercent, and lower and upper are the rollout
// bounds L and U for desiredCount. A start-first step needs len(members)+1 ≤ upper; a
// stop-first step needs the healthy count to stay ≥ lower once the victim stops.
func PlanMove(d RebalanceDecision, members []Member, healthy map[string]bool, lower, upper int32) Move {
	if !d.Unbalanced {
		return Move{}
	}
	live := len(members)
	if int64(live)+1 <= int64(upper) {
		return Move{Kind: MoveStartFirst, Zone: d.Emptiest}
	}
	var candidates []Member
	healthyNow := 0
	for _, m := range members {
		if m.Zone == d.Fullest {
			candidates = append(candidates, m)
		}
		if healthy[m.Name] {
			healthyNow++
		}
	}
	blocked := fmt.Sprintf("maximumPercent allows %d tasks, so none can start before one stops, and minimumHealthyPercent "+
		"needs %d healthy tasks, so none of the %d can stop before its replacement runs", upper, lower, healthyNow)
	// An unhealthy task in the fullest zone can go whatever the lower bound.
	var sick []Member
	for _, m := range candidates {
		if !healthy[m.Name] {
			sick = append(sick, m)
		}
	}
	if len(sick) > 0 {
		candidates = sick
	} else if int64(healthyNow)-1 < int64(lower) {
		return Move{Kind: MoveBlocked, Reason: blocked}
	}
	victims := ChooseVictims(candidates, members, 1)
	if len(victims) == 0 {
		return Move{Kind: MoveBlocked, Reason: "no task runs in the fullest zone " + d.Fullest}
	}
	return Move{Kind: MoveStopFirst, Zone: d.Emptiest, Victim: victims[0].Name}
}
