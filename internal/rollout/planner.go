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

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// Compute plans one reconcile of an ECS rolling deployment. It never starts a task that
// would take the PROVISIONING+PENDING+RUNNING total above U and never stops a healthy task
// that would take the healthy RUNNING count below L (or below what it was, when it was
// already under L). The order of stops is ECS's: tasks of older deployments that are not
// healthy, PRIMARY tasks beyond D that are not healthy, healthy tasks of older deployments,
// healthy PRIMARY tasks beyond D; within a kind, unplaced before pending before running, and
// among equals the VictimChooser decides (zone balance). Starts go to the PRIMARY only,
// while it has fewer than D tasks and the total is under U.
func Compute(in Input) Plan {
	desired := max(in.Config.DesiredCount, 0)
	lower, upper := Bounds(desired, in.Config.MinimumHealthyPercent, in.Config.MaximumPercent)
	plan := Plan{Lower: lower, Upper: upper}

	live, stopped := liveAndStopped(in.Tasks)

	l := newLedger(in.Deployments, in.Now)
	l.resolvePrimary(in.Target)
	l.adopt(live)
	var failedBefore int32
	if p := l.get(l.primary); p != nil {
		failedBefore = p.FailedTasks
	}
	plan.Remove = l.resetAndCount(in.Config, live, stopped)
	events, rollback := l.breaker(in.Config, desired, failedBefore, in.ServiceName, in.RollbackRequested, in.AlarmFailure)
	plan.Events, plan.Rollback = events, rollback

	counts := map[string]taskCounts{}
	for _, t := range live {
		c := counts[t.Deployment]
		if t.State == TaskRunning {
			c.running++
		} else {
			c.pending++
		}
		counts[t.Deployment] = c
	}

	p := l.get(l.primary)
	if p == nil {
		// No Target and no PRIMARY: nothing to start from, so nothing to replace either.
		plan.Deployments = l.finish(counts, desired, in.Target.ID)
		return plan
	}
	s := decide(in, l.primary, p.RolloutState == ecsv1alpha1.RolloutFailed, live, desired, lower, upper)
	for _, t := range s.victims {
		dep := cmp.Or(t.Deployment, l.primary)
		plan.Stop = append(plan.Stop, StopAction{Task: t.Name, Deployment: dep, Reason: StopReason(dep)})
		c := counts[t.Deployment]
		c.stopped++
		counts[t.Deployment] = c
	}
	if s.start > 0 {
		plan.Start = map[string]int32{l.primary: s.start}
	}
	names := make([]string, len(s.victims))
	for i, t := range s.victims {
		names[i] = t.Name
	}
	plan.Events = append(plan.Events, tasksStoppedEvents(in.ServiceName, names)...)

	switch {
	case s.complete && p.RolloutState == ecsv1alpha1.RolloutInProgress && in.Config.AlarmBake > 0 &&
		(in.BakeStartedAt.IsZero() || in.Now.Before(in.BakeStartedAt.Add(in.Config.AlarmBake))):
		// Steady, but the alarms are still watched: the rollout completes when the bake ends.
		plan.BakeStartedAt = in.BakeStartedAt
		if plan.BakeStartedAt.IsZero() {
			plan.BakeStartedAt = in.Now
			plan.Events = append(plan.Events, bakeEvent(in.ServiceName, p.ID, in.Config.AlarmBake))
		}
		plan.Wait = plan.BakeStartedAt.Add(in.Config.AlarmBake)
		p.RolloutStateReason = reasonBaking(p.ID, plan.Wait)
	case s.complete:
		completed := p.RolloutState == ecsv1alpha1.RolloutInProgress
		if completed {
			p.RolloutState = ecsv1alpha1.RolloutCompleted
			p.RolloutStateReason = reasonCompleted(p.ID)
			plan.Events = append(plan.Events, deploymentCompletedEvent(in.ServiceName, p.ID))
		}
		plan.SteadyState = true
		if completed || !in.Steady {
			plan.Events = append(plan.Events, steadyStateEvent(in.ServiceName))
		}
	case p.RolloutState != ecsv1alpha1.RolloutInProgress:
	case s.blocked:
		if p.RolloutStateReason != reasonBlocked(p.ID) {
			p.RolloutStateReason = reasonBlocked(p.ID)
			plan.Events = append(plan.Events, blockedEvent(in.ServiceName))
		}
	case p.RolloutStateReason == reasonBlocked(p.ID):
		p.RolloutStateReason = reasonInProgress(p.ID)
	}
	plan.Deployments = l.finish(counts, desired, in.Target.ID)
	return plan
}

// decision is what decide chose.
type decision struct {
	victims  []Task // in name order
	start    int32
	complete bool // the PRIMARY has D healthy tasks and nothing else runs
	blocked  bool // a rollout that the bounds forbid to move at all
}

// decide picks the tasks to stop and the number to start; see Compute for the rules. A
// FAILED PRIMARY (frozen) starts nothing and stops only what exceeds D.
func decide(in Input, primary string, frozen bool, live []Task, desired, lower, upper int32) decision {
	var prim, old []Task
	healthyNow := 0
	for _, t := range live {
		if t.Deployment == primary {
			prim = append(prim, t)
		} else {
			old = append(old, t)
		}
		if healthy(t) {
			healthyNow++
		}
	}
	picker := newVictimPicker(in.ChooseVictims, live)
	budget := max(healthyNow-int(lower), 0) // healthy tasks that may still go
	var victims []Task
	take := func(cands []Task, n int) int {
		n = min(n, len(cands))
		if n <= 0 {
			return 0
		}
		got := picker.pick(cands, n)
		for _, t := range got {
			if healthy(t) {
				budget--
			}
		}
		victims = append(victims, got...)
		return len(got)
	}
	unhealthyOld, healthyOld := split(old)
	unhealthyPrim, healthyPrim := split(prim)
	excess := len(prim) - int(desired)
	remainingLive := func() int { return len(live) - len(victims) }

	if frozen {
		over := remainingLive() - int(desired)
		over -= take(unhealthyOld, over)
		over -= take(unhealthyPrim, over)
		over -= take(healthyOld, min(over, budget))
		take(healthyPrim, min(over, budget))
	} else {
		take(unhealthyOld, len(unhealthyOld))
		excess -= take(unhealthyPrim, excess)
		take(healthyOld, budget)
		take(healthyPrim, min(excess, budget))
		// A lowered desired count can leave more than U tasks: stop down to U, the least
		// useful first, never a healthy one below L.
		over := remainingLive() - int(upper)
		over -= take(unhealthyPrim, over)
		over -= take(healthyOld, min(over, budget))
		take(healthyPrim, min(over, budget))
	}
	slices.SortFunc(victims, func(a, b Task) int { return cmp.Compare(a.Name, b.Name) })

	var s decision
	s.victims = victims
	primLeft := len(prim)
	for _, t := range victims {
		if t.Deployment == primary {
			primLeft--
		}
	}
	if !frozen {
		s.start = toInt32(int64(max(min(int(desired)-primLeft, int(upper)-remainingLive()), 0)))
	}
	s.complete = len(old) == 0 && len(prim) == int(desired) && len(unhealthyPrim) == 0
	s.blocked = !s.complete && !frozen && len(victims) == 0 && s.start == 0 &&
		len(unhealthyOld) == 0 && len(unhealthyPrim) == 0
	return s
}

// split separates tasks that are not (yet) healthy from healthy ones, keeping the order.
func split(tasks []Task) (notHealthy, isHealthy []Task) {
	for _, t := range tasks {
		if healthy(t) {
			isHealthy = append(isHealthy, t)
		} else {
			notHealthy = append(notHealthy, t)
		}
	}
	return notHealthy, isHealthy
}

// healthy is the minimumHealthyPercent notion: RUNNING and passing health checks.
func healthy(t Task) bool { return t.State == TaskRunning && t.Healthy }
