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
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/uuid"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/conditions"
	"github.com/berth-dev/berth/internal/rollout"
)

// Bounds of the status lists and messages (the API's MaxItems and MaxLength).
const (
	maxStatusEvents      = 100
	maxStatusDeployments = 20
	maxEventMessage      = 2048
	// maxEventNote is the events.k8s.io limit on an Event's note.
	maxEventNote = 1024
	// recentEvents is how many of the newest service events a repeated message is checked
	// against before it is recorded again.
	recentEvents = 10
)

// reasonReconcileError: the pass failed; the message has the error.
const reasonReconcileError = ecsv1alpha1.ReconcileErrorReason

// computeServiceStatus derives the status from what the pass observed and planned: counts and
// deployments from the plan, the pass's service events in front of the older ones, and the
// conditions. Fields the pass could not compute keep their values.
func computeServiceStatus(s *serviceScope, reconcileErr error) {
	svc := s.svc
	st := &svc.Status
	gen := svc.Generation
	st.Selector = labels.SelectorFromSet(labels.Set{ecsv1alpha1.ServiceLabel: svc.Name}).String()
	// The percents in effect, as ECS's DescribeServices shows them: the schema has no
	// defaults for them because ECS's depend on the scheduling strategy.
	minHealthy, maxPercent := rollout.DeploymentPercents(&svc.Spec)
	st.MinimumHealthyPercent, st.MaximumPercent = &minHealthy, &maxPercent
	if s.planned {
		st.DesiredCount = s.desired
		st.RunningCount, st.PendingCount = 0, 0
		for _, d := range s.plan.Deployments {
			st.RunningCount += d.RunningCount
			st.PendingCount += d.PendingCount
		}
		deps := rollout.ToAPI(s.plan.Deployments)
		st.Deployments = deps[:min(len(deps), maxStatusDeployments)]
		if p, ok := s.plan.Primary(); ok {
			st.TaskDefinition = p.TaskDefinition
		}
	}
	if s.historyKnown {
		st.ServiceDeployments = s.history
	}
	st.Events = prependEvents(st.Events, s.events, s.now)
	if s.rebalanced {
		st.Rebalancing = s.rebalancing
	}
	setServiceConditions(s, reconcileErr)
	if reconcileErr == nil {
		st.ObservedGeneration = gen
	}
}

// prependEvents puts the pass's events, newest first, in front of the older ones and keeps
// the newest maxStatusEvents.
func prependEvents(old []ecsv1alpha1.ServiceEvent, events []rollout.Event, now time.Time) []ecsv1alpha1.ServiceEvent {
	if len(events) == 0 {
		return old
	}
	out := make([]ecsv1alpha1.ServiceEvent, 0, min(len(events)+len(old), maxStatusEvents))
	for i := len(events) - 1; i >= 0 && len(out) < maxStatusEvents; i-- {
		out = append(out, ecsv1alpha1.ServiceEvent{
			ID:        string(uuid.NewUUID()),
			CreatedAt: metav1.NewTime(now),
			Message:   conditions.Truncate(events[i].Message, maxEventMessage),
		})
	}
	for _, e := range old {
		if len(out) == maxStatusEvents {
			break
		}
		out = append(out, e)
	}
	return out
}

// setServiceConditions sets Ready (steady state), Progressing (the PRIMARY rollout), and the
// kstatus abnormal-true Stalled (what only a spec change can fix: a missing task definition,
// an invalid placement, a failed deployment) and Reconciling (work in progress).
func setServiceConditions(s *serviceScope, reconcileErr error) {
	conds := &s.svc.Status.Conditions
	gen := s.svc.Generation
	primary, hasPrimary := s.plan.Primary()
	summary := taskSummary(s, primary, hasPrimary)

	stalledReason, stalledMessage := s.stalledReason, s.stalledMessage
	if stalledReason == "" && s.target.ID != "" {
		for _, d := range s.plan.Deployments {
			if d.ID != s.target.ID || d.RolloutState != ecsv1alpha1.RolloutFailed {
				continue
			}
			stalledReason, stalledMessage = ecsv1alpha1.DeploymentFailedReason, fmt.Sprintf("deployment %s (%s) failed: %s", d.ID, d.TaskDefinition, d.RolloutStateReason)
			if hasPrimary && primary.ID != d.ID {
				stalledReason = ecsv1alpha1.RolledBackReason
				stalledMessage += fmt.Sprintf("; running deployment %s (%s); change the spec to deploy again", primary.ID, primary.TaskDefinition)
			}
		}
	}
	conditions.SetAbnormal(conds, gen, ecsv1alpha1.StalledCondition, stalledReason != "", stalledReason, stalledMessage)

	if !s.planned && reconcileErr != nil {
		conditions.SetAbnormal(conds, gen, ecsv1alpha1.ReconcilingCondition, true, reasonReconcileError, reconcileErr.Error())
		if !conditions.IsTrue(*conds, ecsv1alpha1.ReadyCondition) {
			conditions.False(conds, gen, ecsv1alpha1.ReadyCondition, reasonReconcileError, reconcileErr.Error())
		}
		return
	}

	switch {
	case s.steady:
		conditions.True(conds, gen, ecsv1alpha1.ReadyCondition, ecsv1alpha1.SteadyStateReason, "steady state: "+summary)
	case stalledReason != "":
		conditions.False(conds, gen, ecsv1alpha1.ReadyCondition, stalledReason, stalledMessage)
	default:
		conditions.False(conds, gen, ecsv1alpha1.ReadyCondition, ecsv1alpha1.ProgressingReason, summary)
	}

	switch {
	case !hasPrimary:
		reason := stalledReason
		if reason == "" {
			reason = ecsv1alpha1.ProgressingReason
		}
		conditions.False(conds, gen, ecsv1alpha1.ProgressingCondition, reason, "no deployment: "+nonEmptyOr(stalledMessage, summary))
	case primary.RolloutState == ecsv1alpha1.RolloutInProgress:
		reason := ecsv1alpha1.ProgressingReason
		if stalledReason == ecsv1alpha1.RolledBackReason {
			reason = ecsv1alpha1.RolledBackReason
		}
		msg := primary.RolloutStateReason + " " + summary
		if e := s.stagedInProgress(primary.ID); e != nil {
			msg = fmt.Sprintf("%s %s deployment in the %s stage, %s of production traffic on the target. %s", primary.RolloutStateReason, e.Strategy, e.LifecycleStage, rollout.PercentOf(e.TargetWeight), summary)
			if e.TrafficControl == ecsv1alpha1.TrafficTaskCount {
				// No HTTPRoute: the share follows the task counts behind the production Service.
				reason = ecsv1alpha1.ApproximatedReason
				msg += "; no HTTPRoute is named, so the traffic share is approximated by task counts"
			}
		}
		conditions.True(conds, gen, ecsv1alpha1.ProgressingCondition, reason, msg)
	case primary.RolloutState == ecsv1alpha1.RolloutFailed:
		conditions.False(conds, gen, ecsv1alpha1.ProgressingCondition, ecsv1alpha1.DeploymentFailedReason, primary.RolloutStateReason)
	default:
		reason := ecsv1alpha1.SteadyStateReason
		if stalledReason == ecsv1alpha1.RolledBackReason {
			reason = ecsv1alpha1.RolledBackReason
		}
		conditions.False(conds, gen, ecsv1alpha1.ProgressingCondition, reason, primary.RolloutStateReason)
	}

	switch {
	case reconcileErr != nil:
		conditions.SetAbnormal(conds, gen, ecsv1alpha1.ReconcilingCondition, true, reasonReconcileError, reconcileErr.Error())
	default:
		conditions.SetAbnormal(conds, gen, ecsv1alpha1.ReconcilingCondition, !s.steady && stalledReason == "", ecsv1alpha1.ProgressingReason, summary)
	}
}

// taskSummary says where the tasks stand, for condition messages.
func taskSummary(s *serviceScope, primary rollout.Deployment, hasPrimary bool) string {
	st := &s.svc.Status
	msg := fmt.Sprintf("%d of %d tasks RUNNING, %d pending", st.RunningCount, st.DesiredCount, st.PendingCount)
	if hasPrimary {
		msg += fmt.Sprintf("; PRIMARY deployment %s runs %s", primary.ID, primary.TaskDefinition)
	}
	if s.rebalanceBlocked != "" {
		msg += "; AZ rebalancing blocked: " + s.rebalanceBlocked
	}
	if len(s.notes) > 0 {
		msg += "; placement: " + s.notes[0]
		if len(s.notes) > 1 {
			msg += fmt.Sprintf(" (and %d more notes)", len(s.notes)-1)
		}
	}
	return msg
}

// emitEvents sends the pass's service events as Kubernetes Events too, for kubectl describe.
func (r *ServiceReconciler) emitEvents(s *serviceScope) {
	for _, e := range s.events {
		typ := corev1.EventTypeNormal
		if e.Type == rollout.EventWarning {
			typ = corev1.EventTypeWarning
		}
		r.Recorder.Eventf(s.svc, nil, typ, e.Reason, eventAction(e.Reason), "%s", conditions.Truncate(e.Message, maxEventNote))
	}
}

// eventAction is the events.k8s.io action of a service event reason.
func eventAction(reason string) string {
	switch reason {
	case rollout.ReasonTasksStarted:
		return "StartTasks"
	case rollout.ReasonTasksStopped, reasonTaskStopped:
		return "StopTasks"
	case rollout.ReasonUnableToPlace:
		return "PlaceTask"
	case rollout.ReasonAZRebalancing, rollout.ReasonAZBalanced, rollout.ReasonAZRebalancingBlocked:
		return "Rebalance"
	default:
		return "Deploy"
	}
}

// recentEvent reports whether message is among the newest service events.
func recentEvent(events []ecsv1alpha1.ServiceEvent, message string) bool {
	return slices.ContainsFunc(events[:min(len(events), recentEvents)], func(e ecsv1alpha1.ServiceEvent) bool {
		return e.Message == message
	})
}

func nonEmptyOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// stagedInProgress is the newest history entry when it is the staged deployment id in
// progress.
func (s *serviceScope) stagedInProgress(id string) *ecsv1alpha1.ServiceDeployment {
	h := s.svc.Status.ServiceDeployments
	if s.historyKnown {
		h = s.history
	}
	if len(h) == 0 || h[0].ID != id || h[0].Status != ecsv1alpha1.ServiceDeploymentInProgress || h[0].LifecycleStage == "" {
		return nil
	}
	return &h[0]
}
