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
	"fmt"
	"time"

	"github.com/berth-dev/berth/internal/placement"
)

// Service event reasons of AZ rebalancing.
const (
	// ReasonAZRebalancing: the service's zones are out of balance and a task is moved, or a
	// moved task could not be placed.
	ReasonAZRebalancing = "AZRebalancing"
	// ReasonAZBalanced: the service's zones are balanced again.
	ReasonAZBalanced = "AZBalanced"
	// ReasonAZRebalancingBlocked: the zones are out of balance and the deployment bounds allow
	// no task to be moved.
	ReasonAZRebalancingBlocked = "AZRebalancingBlocked"
)

// RebalanceBackoff is how long rebalancing waits after its task could not be placed, unless
// the eligible nodes change first.
const RebalanceBackoff = 5 * time.Minute

// RebalanceState is what AZ rebalancing carries from one pass to the next. The Service keeps
// it in status, so a restart or a new leader goes on where the last pass left off.
type RebalanceState struct {
	// InProgress is true from the "not AZ balanced" event to the "AZ balanced" one.
	InProgress bool
	// Blocked is true while the deployment bounds block the move (its event was emitted); a
	// move after it is announced again.
	Blocked bool
	// RetryAfter ends the wait after a moved task could not be placed, and RetryNodes names
	// the eligible nodes then: a change to them ends the wait at once.
	RetryAfter time.Time
	RetryNodes string
}

// RebalanceObserved is what one pass saw of a REPLICA service, for DecideRebalance.
type RebalanceObserved struct {
	// Service names the service in events; Now is the pass's time.
	Service string
	Now     time.Time
	// Enabled: rebalancing is on, the PRIMARY deployment is COMPLETED and spreads its tasks
	// over zones. Otherwise nothing is moved and the state is reset.
	Enabled bool
	// Members are the live tasks the plan does not stop, Healthy those RUNNING and healthy.
	Members []placement.Member
	Healthy map[string]bool
	// OtherDeployments: a live task belongs to a deployment other than the PRIMARY.
	OtherDeployments bool
	// Moving: a move is in flight (a task started to rebalance is not yet healthy, the plan
	// stops tasks, or more tasks are live than desired).
	Moving bool
	// Steady is the planner's steady state; Desired is D; Lower and Upper the bounds.
	Steady       bool
	Desired      int32
	Lower, Upper int32
	// Zones are the zones tasks may run in; Nodes identifies the eligible nodes (any
	// string that changes when they do).
	Zones []string
	Nodes string
	// UnplacedZone is the zone of a rebalancing task the scheduler could not place, if any.
	UnplacedZone string
}

// RebalanceDecision is what a pass does about the zones.
type RebalanceDecision struct {
	// Next is the state to keep.
	Next RebalanceState
	// Move is the move to make: start a task in Move.Zone (start-first), or stop Move.Victim
	// and start one in Move.Zone (stop-first); MoveBlocked carries the reason.
	Move placement.Move
	// Events are the service events of the decision, in order.
	Events []Event
	// Steady is the service's steady state: a move in flight does not end it.
	Steady bool
	// RetryAt is when a pass is needed for the wait to end (zero: none).
	RetryAt time.Time
}

// DecideRebalance decides AZ rebalancing the ECS way: when the service is steady and its
// zones differ by more than one task, move one task at a time (placement.PlanMove), starting
// one in the emptiest zone first when the upper bound has room, else stopping one in the
// fullest first when the lower bound allows, else report that the bounds block it. Events
// are emitted on changes of state only, so a restart repeats none.
func DecideRebalance(o RebalanceObserved, prev RebalanceState) RebalanceDecision {
	d := RebalanceDecision{Next: prev, Steady: o.Steady}
	if !prev.RetryAfter.IsZero() && !waiting(o, prev) {
		d.Next.RetryAfter, d.Next.RetryNodes = time.Time{}, "" // the wait is over: forget it
	}
	if o.UnplacedZone != "" && !waiting(o, prev) {
		d.Next.RetryAfter, d.Next.RetryNodes = o.Now.Add(RebalanceBackoff), o.Nodes
		d.Events = append(d.Events, Event{Type: EventWarning, Reason: ReasonAZRebalancing, Message: fmt.Sprintf(
			"(service %s) was unable to place a task in %s to rebalance Availability Zones; retrying in %s or when the eligible nodes change.",
			o.Service, o.UnplacedZone, RebalanceBackoff)})
	}
	switch {
	case !o.Enabled:
		d.Next.InProgress, d.Next.Blocked = false, false
		return d
	case o.OtherDeployments:
		return d
	case o.Moving:
		d.Steady = d.Steady || prev.InProgress
		return d
	case !o.Steady || o.Desired < 2 || len(o.Zones) < 2:
		return d
	}
	bal := placement.Rebalance(o.Members, o.Zones)
	switch {
	case bal.Unplaced > 0:
		// A task whose node is unknown (deleted, or not yet in the cache) is in no zone:
		// counting without it would move tasks on a picture about to change.
		return d
	case !bal.Unbalanced:
		if prev.InProgress {
			d.Next.InProgress, d.Next.Blocked = false, false
			d.Events = append(d.Events, Event{Type: EventNormal, Reason: ReasonAZBalanced, Message: bal.Message(o.Service)})
		}
		return d
	case waiting(o, d.Next):
		d.RetryAt = d.Next.RetryAfter
		return d
	}
	d.Move = placement.PlanMove(bal, o.Members, o.Healthy, o.Lower, o.Upper)
	announce := !prev.InProgress || prev.Blocked
	switch d.Move.Kind {
	case placement.MoveBlocked:
		if !prev.InProgress || !prev.Blocked {
			d.Events = append(d.Events, Event{Type: EventWarning, Reason: ReasonAZRebalancingBlocked, Message: bal.Message(o.Service) +
				" AZ rebalancing is blocked: " + d.Move.Reason + ". Update the minimumHealthyPercent or maximumPercent value."})
		}
		d.Next.InProgress, d.Next.Blocked = true, true
	case placement.MoveStopFirst:
		if announce {
			d.Events = append(d.Events, Event{Type: EventNormal, Reason: ReasonAZRebalancing, Message: bal.Message(o.Service) +
				" Starting AZ rebalancing: maximumPercent leaves no room to start a task first, so a task in " + bal.Fullest + " stops first."})
		}
		d.Events = append(d.Events, Event{Type: EventNormal, Reason: ReasonTasksStopped,
			Message: fmt.Sprintf("(service %s) has stopped 1 running tasks: (task %s).", o.Service, d.Move.Victim)})
		d.Next.InProgress, d.Next.Blocked = true, false
	case placement.MoveStartFirst:
		if announce {
			d.Events = append(d.Events, Event{Type: EventNormal, Reason: ReasonAZRebalancing, Message: bal.Message(o.Service) + " Starting AZ rebalancing."})
		}
		d.Next.InProgress, d.Next.Blocked = true, false
	}
	return d
}

// waiting says rebalancing is backing off after a task could not be placed: until the retry
// time, unless the eligible nodes changed since.
func waiting(o RebalanceObserved, s RebalanceState) bool {
	return o.Now.Before(s.RetryAfter) && o.Nodes == s.RetryNodes
}
