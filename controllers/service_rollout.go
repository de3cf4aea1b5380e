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

package controllers

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/conditions"
	"github.com/berth-dev/berth/internal/placement"
	"github.com/berth-dev/berth/internal/rollout"
	"github.com/berth-dev/berth/internal/tasks"
)

// rebalanceBackoff is how long rebalancing waits after its task could not be placed.
const rebalanceBackoff = 5 * time.Minute

// victimChooser is how the planner picks tasks to stop: DAEMON services by node; REPLICA
// services by the planner's own default (rollout.ZoneBalancedVictims, ECS's zone-balanced
// scale-in), so the chooser its golden and property tests run is the one production runs.
func victimChooser(s *serviceScope) rollout.VictimChooser {
	if s.svc.Spec.SchedulingStrategy == ecsv1alpha1.SchedulingStrategyDaemon {
		return daemonVictims(s)
	}
	return nil
}

// reconcilePlan runs the rollout planner over the observed tasks. While a task started to
// rebalance the zones is not yet healthy, the planner is told to keep one task more than
// desired, so it neither stops that task nor counts the service short; once the task is
// healthy, the planner stops the surplus one, and its zone-balanced victim choice takes it
// from the fullest zone.
func (r *ServiceReconciler) reconcilePlan(ctx context.Context, s *serviceScope) error {
	if s.svc.Spec.SchedulingStrategy == ecsv1alpha1.SchedulingStrategyDaemon && !s.eligibleKnown {
		// Without a task template the eligible nodes are unknown: D = 0 would stop every
		// task. A spec that names a task definition again brings the next pass.
		return nil
	}
	s.desired = desiredCount(s)
	cfg := rollout.ConfigFrom(&s.svc.Spec, s.desired)
	rebalancing := s.rebalanceTask()
	live := int32(0)
	for i := range s.tasks {
		if s.tasks[i].live() {
			live++
		}
	}
	// A start-first move has one task more than desired until its new task is healthy; a
	// stop-first move does not (its victim is already stopping), so telling the planner D+1
	// then would start yet another task.
	inFlight := rebalancing != nil && rebalancing.obs.Unschedulable == "" && live > s.desired
	if inFlight {
		cfg.DesiredCount++
	}
	in := rollout.Input{
		ServiceName: s.svc.Name,
		Config:      cfg,
		Target:      s.target,
		Deployments: rollout.FromAPI(s.svc.Status.Deployments),
		Tasks:       make([]rollout.Task, 0, len(s.tasks)),
		Steady:      conditions.IsTrue(s.svc.Status.Conditions, ecsv1alpha1.ReadyCondition),
		Now:         s.now,
	}
	for _, t := range s.tasks {
		in.Tasks = append(in.Tasks, t.task)
	}
	if s.svc.Spec.SchedulingStrategy == ecsv1alpha1.SchedulingStrategyDaemon {
		in.ChooseVictims = daemonVictims(s)
	}
	s.plan = rollout.Compute(in)
	s.planned = true
	s.steady = s.plan.SteadyState
	s.events = append(s.events, s.plan.Events...)
	s.reportUnplaced()
	if rebalancing != nil && rebalancing.obs.Unschedulable != "" {
		// The planner was told D, so it stops the unplaced extra task of a start-first move.
		// The unplaced replacement of a stop-first move is not extra: stop it here, and the
		// planner starts an unpinned one in the next pass. Retry later.
		if !slices.ContainsFunc(s.plan.Stop, func(a rollout.StopAction) bool { return a.Task == rebalancing.task.Name }) {
			s.plan.Stop = append(s.plan.Stop, rollout.StopAction{Task: rebalancing.task.Name,
				Deployment: rebalancing.task.Deployment, Reason: rebalanceStopReason(rebalancing.task.Deployment)})
		}
		if !s.rebalanceWaiting() {
			s.mem.rebalanceRetry, s.mem.rebalanceRetryNodes = s.now.Add(rebalanceBackoff), slices.Clone(s.eligible)
			s.event(rollout.EventWarning, reasonRebalancing, fmt.Sprintf(
				"(service %s) was unable to place a task in %s to rebalance Availability Zones; retrying in %s or when the eligible nodes change.",
				s.svc.Name, rebalancing.rebalanceZone, rebalanceBackoff))
		}
	}
	if p, ok := s.plan.Primary(); ok && rebalancingEnabled(s.svc) {
		if _, err := r.loadTemplate(ctx, s, p.ID); err != nil { // rebalancing reads its spread
			return err
		}
	}
	s.rebalance(rebalancing != nil)
	return nil
}

// desiredCount is D: desiredCount for REPLICA (1 when unset), the eligible nodes for DAEMON.
func desiredCount(s *serviceScope) int32 {
	if s.svc.Spec.SchedulingStrategy == ecsv1alpha1.SchedulingStrategyDaemon {
		return int32(len(s.eligible)) //nolint:gosec // a node count
	}
	if s.svc.Spec.DesiredCount == nil {
		return 1
	}
	return *s.svc.Spec.DesiredCount
}

// rebalanceTask returns the extra task started to rebalance the zones while it is live and
// not yet healthy, if any; once healthy it is an ordinary task.
func (s *serviceScope) rebalanceTask() *observedTask {
	primary := ""
	for _, d := range s.svc.Status.Deployments {
		if d.Status == ecsv1alpha1.DeploymentPrimary {
			primary = d.ID
		}
	}
	for i := range s.tasks {
		if t := &s.tasks[i]; t.rebalanceZone != "" && t.task.Deployment == primary && t.live() && !t.task.Healthy {
			return t
		}
	}
	return nil
}

// reportUnplaced turns the scheduler's "unschedulable" reports into the ECS event, once per
// distinct message while it is among the newest events.
func (s *serviceScope) reportUnplaced() {
	var reported []string
	for _, t := range s.tasks {
		msg := t.obs.Unschedulable
		if msg == "" || slices.Contains(reported, msg) {
			continue
		}
		reported = append(reported, msg)
		text := conditions.Truncate(rollout.UnableToPlaceMessage(s.svc.Name, msg), maxEventMessage)
		if recentEvent(s.svc.Status.Events, text) {
			continue
		}
		s.event(rollout.EventWarning, rollout.ReasonUnableToPlace, text)
	}
}

// rebalance starts AZ rebalancing when the service is steady and its zones differ by more
// than one task, one task at a time, the ECS way (placement.PlanMove): start a task pinned
// to the emptiest zone first when the upper bound has room for it, so the healthy count never
// drops; otherwise stop a task in the fullest zone first and start its replacement in the
// same pass when the lower bound allows one healthy task fewer; otherwise say, in an event and
// the conditions, that the bounds block rebalancing. busy says a rebalancing task exists.
func (s *serviceScope) rebalance(busy bool) {
	primary, ok := s.plan.Primary()
	if !ok || !rebalancingEnabled(s.svc) || primary.RolloutState != ecsv1alpha1.RolloutCompleted || !zoneSpread(s.templates[primary.ID]) {
		s.mem.rebalancing, s.mem.rebalanceBlocked = false, false
		return
	}
	var members []placement.Member
	healthy := map[string]bool{}
	others := false
	stopping := map[string]bool{}
	for _, st := range s.plan.Stop {
		stopping[st.Task] = true
	}
	for _, t := range s.tasks {
		if !t.live() || stopping[t.task.Name] {
			continue
		}
		if t.task.Deployment != primary.ID {
			others = true
		}
		members = append(members, placement.Member{Name: t.task.Name, Zone: t.task.Zone, Node: t.task.Node})
		healthy[t.task.Name] = t.task.State == rollout.TaskRunning && t.task.Healthy
	}
	if others {
		return
	}
	if busy || len(s.plan.Stop) > 0 || int32(len(members)) > s.desired { //nolint:gosec // a task count
		// Moving a task: the service stays steady while its extra task starts and the
		// surplus one stops.
		s.steady = s.steady || s.mem.rebalancing
		return
	}
	if !s.plan.SteadyState || s.desired < 2 || len(s.zones) < 2 {
		return
	}
	d := placement.Rebalance(members, s.zones)
	if d.Unplaced > 0 {
		// A task whose node is unknown (deleted, or not yet in the cache) is in no zone:
		// counting without it would move tasks on a picture about to change — the Pod
		// garbage collector deletes such Pods and the planner replaces them.
		return
	}
	if !d.Unbalanced {
		if s.mem.rebalancing {
			s.mem.rebalancing, s.mem.rebalanceBlocked = false, false
			s.event(rollout.EventNormal, reasonBalanced, d.Message(s.svc.Name))
		}
		return
	}
	if s.rebalanceWaiting() {
		s.requeue(s.mem.rebalanceRetry)
		return
	}
	s.move(d, placement.PlanMove(d, members, healthy, s.plan.Lower, s.plan.Upper), primary.ID)
}

// rebalanceWaiting says rebalancing is backing off after a task could not be placed: until
// the retry time, unless the eligible nodes changed since (a zone whose nodes were missing
// when the task was pinned to it may be back, so the wait would only delay the move).
func (s *serviceScope) rebalanceWaiting() bool {
	return s.now.Before(s.mem.rebalanceRetry) && slices.Equal(s.eligible, s.mem.rebalanceRetryNodes)
}

// move carries out a rebalancing move of decision d: it records why a blocked move cannot
// proceed, stops the victim of a stop-first move, and pins this pass's extra task to the
// move's zone. The ECS-style events announce a move once, and again after being blocked.
func (s *serviceScope) move(d placement.RebalanceDecision, move placement.Move, primary string) {
	switch move.Kind {
	case placement.MoveBlocked:
		s.rebalanceBlocked = move.Reason
		if !s.mem.rebalancing || !s.mem.rebalanceBlocked {
			s.mem.rebalancing, s.mem.rebalanceBlocked = true, true
			s.event(rollout.EventWarning, reasonRebalanceBlocked, d.Message(s.svc.Name)+
				" AZ rebalancing is blocked: "+move.Reason+". Update the minimumHealthyPercent or maximumPercent value.")
		}
		return
	case placement.MoveStopFirst:
		if !s.mem.rebalancing || s.mem.rebalanceBlocked {
			s.mem.rebalancing, s.mem.rebalanceBlocked = true, false
			s.event(rollout.EventNormal, reasonRebalancing, d.Message(s.svc.Name)+
				" Starting AZ rebalancing: maximumPercent leaves no room to start a task first, so a task in "+d.Fullest+" stops first.")
		}
		s.plan.Stop = append(s.plan.Stop, rollout.StopAction{Task: move.Victim, Deployment: primary, Reason: rebalanceStopReason(primary)})
		s.event(rollout.EventNormal, rollout.ReasonTasksStopped, fmt.Sprintf("(service %s) has stopped 1 running tasks: (task %s).", s.svc.Name, move.Victim))
	case placement.MoveStartFirst:
		if !s.mem.rebalancing || s.mem.rebalanceBlocked {
			s.mem.rebalancing, s.mem.rebalanceBlocked = true, false
			s.event(rollout.EventNormal, reasonRebalancing, d.Message(s.svc.Name)+" Starting AZ rebalancing.")
		}
	case placement.MoveNone:
		return
	}
	s.rebalanceZone = move.Zone
}

// rebalanceStopReason is the stoppedReason of a task stopped to rebalance the zones.
func rebalanceStopReason(deployment string) string {
	return fmt.Sprintf("AZ rebalancing initiated by (deployment %s)", deployment)
}

// zoneSpread reports whether a template spreads its tasks over zones.
func zoneSpread(t *deploymentTemplate) bool {
	return t != nil && slices.ContainsFunc(t.Template.Spec.TopologySpreadConstraints, func(c corev1.TopologySpreadConstraint) bool {
		return c.TopologyKey == corev1.LabelTopologyZone
	})
}

// daemonVictims builds the DAEMON victim chooser over this pass's eligible nodes; the
// primary deployment is the target's (or the current PRIMARY's when the spec is stalled).
func daemonVictims(s *serviceScope) rollout.VictimChooser {
	eligible := map[string]bool{}
	for _, n := range s.eligible {
		eligible[n] = true
	}
	nodeOf := map[string]string{}
	for i := range s.tasks {
		nodeOf[s.tasks[i].task.Name] = taskNode(&s.tasks[i])
	}
	primary := s.target.ID
	for _, d := range s.svc.Status.Deployments {
		if primary == "" && d.Status == ecsv1alpha1.DeploymentPrimary {
			primary = d.ID
		}
	}
	return tasks.DaemonVictims(eligible, func(name string) string { return nodeOf[name] }, primary)
}
