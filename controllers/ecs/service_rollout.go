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

package ecs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/conditions"
	"github.com/berth-dev/berth/internal/placement"
	"github.com/berth-dev/berth/internal/rollout"
	"github.com/berth-dev/berth/internal/tasks"
)

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
		// The one place the planner's victim chooser is decided (see victimChooser).
		ChooseVictims: victimChooser(s),
	}
	for _, t := range s.tasks {
		in.Tasks = append(in.Tasks, t.task)
	}
	s.hooks = r.callHooks(ctx, s)
	s.alarms = r.evaluateAlarms(ctx, s)
	s.planDeployment(in)
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
	}
	if p, ok := s.plan.Primary(); ok && rebalancingEnabled(s.svc) {
		if _, err := r.loadTemplate(ctx, s, p.ID); err != nil { // rebalancing reads its spread
			return err
		}
	}
	unplaced := ""
	if rebalancing != nil && rebalancing.obs.Unschedulable != "" {
		unplaced = rebalancing.rebalanceZone
	}
	s.rebalance(rebalancing != nil, unplaced)
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

// rebalance decides AZ rebalancing (rollout.DecideRebalance) from what the pass observed and
// the state the last pass kept in status, and applies the decision: its events, the stop of a
// stop-first move's victim, the zone this pass's extra task is pinned to, and the state for
// status. busy says a rebalancing task is live; unplaced is its zone when the scheduler could
// not place it.
func (s *serviceScope) rebalance(busy bool, unplaced string) {
	o := rollout.RebalanceObserved{
		Service: s.svc.Name, Now: s.now, Healthy: map[string]bool{}, Steady: s.plan.SteadyState,
		Desired: s.desired, Lower: s.plan.Lower, Upper: s.plan.Upper, Zones: s.zones,
		Nodes: nodesHash(s.eligible), UnplacedZone: unplaced,
	}
	primary, ok := s.plan.Primary()
	o.Enabled = ok && rebalancingEnabled(s.svc) && primary.RolloutState == ecsv1alpha1.RolloutCompleted && zoneSpread(s.templates[primary.ID])
	stopping := map[string]bool{}
	for _, st := range s.plan.Stop {
		stopping[st.Task] = true
	}
	for _, t := range s.tasks {
		if !t.live() || stopping[t.task.Name] {
			continue
		}
		if t.task.Deployment != primary.ID {
			o.OtherDeployments = true
		}
		o.Members = append(o.Members, placement.Member{Name: t.task.Name, Zone: t.task.Zone, Node: t.task.Node})
		o.Healthy[t.task.Name] = t.task.State == rollout.TaskRunning && t.task.Healthy
	}
	o.Moving = busy || len(s.plan.Stop) > 0 || int32(len(o.Members)) > s.desired //nolint:gosec // a task count

	d := rollout.DecideRebalance(o, rebalanceStateFrom(s.svc.Status.Rebalancing))
	s.rebalancing, s.rebalanced = rebalancingStatus(d.Next), true
	s.steady = d.Steady
	s.events = append(s.events, d.Events...)
	s.requeue(d.RetryAt)
	switch d.Move.Kind {
	case placement.MoveBlocked:
		s.rebalanceBlocked = d.Move.Reason
	case placement.MoveStopFirst:
		s.plan.Stop = append(s.plan.Stop, rollout.StopAction{Task: d.Move.Victim, Deployment: primary.ID, Reason: rebalanceStopReason(primary.ID)})
		s.rebalanceZone = d.Move.Zone
	case placement.MoveStartFirst:
		s.rebalanceZone = d.Move.Zone
	}
}

// nodesHash identifies a set of node names (sorted), for the rebalancing back-off.
func nodesHash(nodes []string) string {
	sum := sha256.Sum256([]byte(strings.Join(nodes, "\n")))
	return hex.EncodeToString(sum[:16])
}

// rebalanceStateFrom reads the rebalancing state kept in status.
func rebalanceStateFrom(st *ecsv1alpha1.RebalancingStatus) rollout.RebalanceState {
	if st == nil {
		return rollout.RebalanceState{}
	}
	out := rollout.RebalanceState{
		InProgress: st.State != "",
		Blocked:    st.State == ecsv1alpha1.RebalancingBlocked,
		RetryNodes: st.RetryNodesHash,
	}
	if st.RetryAfter != nil {
		out.RetryAfter = st.RetryAfter.Time
	}
	return out
}

// rebalancingStatus is the status form of a rebalancing state: nil when there is nothing to
// keep (no move under way, no wait pending).
func rebalancingStatus(r rollout.RebalanceState) *ecsv1alpha1.RebalancingStatus {
	st := &ecsv1alpha1.RebalancingStatus{RetryNodesHash: r.RetryNodes}
	switch {
	case r.Blocked:
		st.State = ecsv1alpha1.RebalancingBlocked
	case r.InProgress:
		st.State = ecsv1alpha1.RebalancingInProgress
	}
	if !r.RetryAfter.IsZero() {
		st.RetryAfter = &metav1.Time{Time: r.RetryAfter}
	}
	if st.State == "" && st.RetryAfter == nil {
		return nil
	}
	return st
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
