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
	"fmt"
	"slices"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// StagedInput is one pass of a staged deployment: the rolling planner's input plus the staged
// configuration and the state kept in status.
type StagedInput struct {
	Input
	// Staged is the strategy's configuration.
	Staged StagedConfig
	// State is the state kept in status for the Target's deployment (zero at its first pass).
	State StagedState
	// Source is the deployment kept in status as the source (blue); empty at the first pass,
	// when the newest COMPLETED deployment with live tasks becomes it.
	Source string
	// Hooked, HookPassed: see StagedObserved.
	Hooked     map[ecsv1alpha1.LifecycleStage]bool
	HookPassed bool
	// HookFailure is set when a lifecycle hook of the current stage answered FAILED or could
	// not be reached: the deployment rolls back.
	HookFailure string
}

// StagedPlan is the outcome of a staged pass.
type StagedPlan struct {
	Plan
	// Step is the stage machine's decision.
	Step StagedStep
	// Source is the source (blue) deployment; empty for a first deployment.
	Source string
}

// ComputeStaged plans one pass of a BLUE_GREEN, CANARY or LINEAR deployment of in.Target. It
// keeps the deployment records as Compute does (the Target is PRIMARY from the start, the
// source ACTIVE until CLEAN_UP), starts target tasks up to the stage's count, keeps the
// source at D until CLEAN_UP, and stops tasks of any third deployment at once. A failure
// signal (the circuit breaker, in.RollbackRequested) before CLEAN_UP fails the target and
// makes the source PRIMARY again, as the circuit breaker's rollback does; the controller then
// drains the target with Compute.
func ComputeStaged(in StagedInput) StagedPlan {
	desired := max(in.Config.DesiredCount, 0)
	plan := StagedPlan{Plan: Plan{Lower: desired, Upper: 2 * desired}}

	live, stopped := liveAndStopped(in.Tasks)
	l := newLedger(in.Deployments, in.Now)
	l.resolvePrimary(in.Target)
	l.adopt(live)
	p := l.get(l.primary)
	if p == nil {
		plan.Deployments = l.finish(nil, desired, in.Target.ID)
		return plan
	}
	source := in.Source
	if source == "" {
		if c := l.lastCompletedWith(live); c != nil {
			source = c.ID
		}
	}
	plan.Source = source
	plan.Remove = l.resetAndCount(in.Config, live, stopped)

	var srcLive, tgtLive []Task
	var others []Task
	var healthyTarget int32
	for _, t := range live {
		switch t.Deployment {
		case l.primary:
			tgtLive = append(tgtLive, t)
			if healthy(t) {
				healthyTarget++
			}
		case source:
			srcLive = append(srcLive, t)
		default:
			others = append(others, t)
		}
	}
	failure := ""
	switch {
	case in.RollbackRequested != "" && in.RollbackRequested == p.ID:
		failure = "a rollback was requested."
	case in.Config.CircuitBreakerEnable && p.FailedTasks >= FailureThreshold(desired):
		failure = "the deployment circuit breaker tripped: tasks failed to start."
	case in.HookFailure != "":
		failure = in.HookFailure
	case in.AlarmFailure != "":
		// A fired alarm rolls a staged deployment back whatever alarms.rollback says: blue
		// still serves, or can serve again at once.
		failure = in.AlarmFailure
	}
	step := Step(in.Staged, in.State, StagedObserved{
		Service: in.ServiceName, Deployment: p.ID, Desired: desired, Source: source != "" && len(srcLive) > 0,
		TargetHealthy: healthyTarget, SourceLive: int32(len(srcLive)), Failure: failure, Now: in.Now, //nolint:gosec // a task count
		Hooked: in.Hooked, HookPassed: in.HookPassed,
	})
	plan.Step = step
	plan.Events = append(plan.Events, step.Events...)

	counts := plan.stopAndStart(in, l.primary, p.RolloutState == ecsv1alpha1.RolloutInProgress, live, others, srcLive, tgtLive)
	plan.finishStaged(in, l, source, failure)
	if step.Done && len(others) == 0 && healthyTarget == desired && len(tgtLive) == int(desired) {
		plan.SteadyState = true
		if !in.Steady {
			plan.Events = append(plan.Events, steadyStateEvent(in.ServiceName))
		}
	}
	plan.Deployments = l.finish(counts, desired, in.Target.ID)
	return plan
}

// liveAndStopped sorts the tasks by name, drops duplicates and splits the live ones from the
// STOPPED ones.
func liveAndStopped(in []Task) (live, stopped []Task) {
	tasks := slices.Clone(in)
	slices.SortStableFunc(tasks, func(a, b Task) int { return cmp.Compare(a.Name, b.Name) })
	tasks = slices.CompactFunc(tasks, func(a, b Task) bool { return a.Name == b.Name })
	for _, t := range tasks {
		switch t.State {
		case TaskProvisioning, TaskPending, TaskRunning:
			live = append(live, t)
		case TaskStopped:
			stopped = append(stopped, t)
		}
	}
	return live, stopped
}

// lastCompletedWith is the newest COMPLETED deployment other than the PRIMARY that has live
// tasks: the source of a staged deployment.
func (l *ledger) lastCompletedWith(live []Task) *Deployment {
	var best *Deployment
	for id, rec := range l.recs {
		if id == l.primary || rec.RolloutState != ecsv1alpha1.RolloutCompleted ||
			!slices.ContainsFunc(live, func(t Task) bool { return t.Deployment == id }) {
			continue
		}
		if best == nil || newer(rec, best) {
			best = rec
		}
	}
	return best
}

func deploymentFailedStagedEvent(service, id, why string) Event {
	return Event{Type: EventWarning, Reason: ReasonDeploymentFailed,
		Message: fmt.Sprintf("(service %s) (deployment %s) deployment failed: %s", service, id, why)}
}

// stopAndStart fills the plan's stops (third deployments, the source beyond its count, the
// target beyond its count; not healthy ones first) and starts (the target up to its count,
// while its rollout runs), and returns the task counts per deployment for the records.
func (plan *StagedPlan) stopAndStart(in StagedInput, primary string, running bool, live, others, srcLive, tgtLive []Task) map[string]taskCounts {
	step := plan.Step
	picker := newVictimPicker(in.ChooseVictims, live)
	var victims []Task
	stopN := func(cands []Task, n int) {
		if n <= 0 {
			return
		}
		notHealthy, isHealthy := split(cands)
		ordered := append(slices.Clone(notHealthy), isHealthy...)
		victims = append(victims, picker.pick(ordered[:min(n, len(ordered))], min(n, len(ordered)))...)
	}
	stopN(others, len(others))
	stopN(srcLive, len(srcLive)-int(step.SourceCount))
	stopN(tgtLive, len(tgtLive)-int(step.TargetCount))
	if n := int(step.TargetCount) - len(tgtLive); n > 0 && running {
		plan.Start = map[string]int32{primary: int32(n)} //nolint:gosec // a task count
	}
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
	slices.SortFunc(victims, func(a, b Task) int { return cmp.Compare(a.Name, b.Name) })
	names := make([]string, 0, len(victims))
	for _, t := range victims {
		dep := cmp.Or(t.Deployment, primary)
		plan.Stop = append(plan.Stop, StopAction{Task: t.Name, Deployment: dep, Reason: StopReason(dep)})
		c := counts[t.Deployment]
		c.stopped++
		counts[t.Deployment] = c
		names = append(names, t.Name)
	}
	plan.Events = append(plan.Events, tasksStoppedEvents(in.ServiceName, names)...)
	return counts
}

// finishStaged applies the step's outcome to the records: a rollback fails the target and
// makes the source PRIMARY again; a finished deployment is COMPLETED.
func (plan *StagedPlan) finishStaged(in StagedInput, l *ledger, source, failure string) {
	p, step := l.get(l.primary), plan.Step
	switch {
	case step.RollBack:
		p.RolloutState = ecsv1alpha1.RolloutFailed
		p.RolloutStateReason = fmt.Sprintf("ECS deployment %s rolled back: %s", p.ID, failure)
		plan.Events = append(plan.Events, deploymentFailedStagedEvent(in.ServiceName, p.ID, failure))
		if src := l.get(source); src != nil && source != "" {
			p.Status = ecsv1alpha1.DeploymentActive
			l.promote(source)
			src.RolloutStateReason = fmt.Sprintf("ECS deployment %s: rolled back from deployment %s.", source, p.ID)
			plan.Rollback = &Rollback{From: p.ID, To: source, TaskDefinition: src.TaskDefinition}
			plan.Events = append(plan.Events, rollingBackEvent(in.ServiceName, source))
		}
	case step.Done && p.RolloutState == ecsv1alpha1.RolloutInProgress:
		p.RolloutState = ecsv1alpha1.RolloutCompleted
		p.RolloutStateReason = reasonCompleted(p.ID)
		plan.Events = append(plan.Events, deploymentCompletedEvent(in.ServiceName, p.ID))
	}
}
