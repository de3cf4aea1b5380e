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
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/conditions"
	"github.com/berth-dev/berth/internal/schedule"
)

// Kubernetes Event reasons of the ScheduledTask controller.
const (
	// reasonRunStarted: a run's Tasks were created.
	reasonRunStarted = "RunStarted"
	// reasonRunSkipped: a run was not started because an earlier one still runs (Forbid).
	reasonRunSkipped = "RunSkipped"
	// reasonRunReplaced: an earlier run's Tasks were stopped for a new run (Replace); the
	// Event is on the stopped Task.
	reasonRunReplaced = "RunReplaced"
	// reasonRunsMissed: runs were due and not started (too old, or superseded by a later one).
	reasonRunsMissed = "RunsMissed"
	// reasonRunSucceeded and reasonRunFailed: every Task of a run stopped.
	reasonRunSucceeded = "RunSucceeded"
	reasonRunFailed    = "RunFailed"
)

const (
	eventNormal  = corev1.EventTypeNormal
	eventWarning = corev1.EventTypeWarning
)

// computeScheduledTaskStatus writes the pass's status and conditions into the ScheduledTask:
// Ready (always present; True while the schedule is valid), Stalled (the expression or time
// zone does not parse: only a spec change helps), Reconciling (a pass failed; retried).
func computeScheduledTaskStatus(s *schedScope, reconcileErr error) {
	st := s.status.DeepCopy()
	gen := s.st.Generation
	st.Conditions, st.ObservedGeneration = s.st.Status.Conditions, gen
	conds := &st.Conditions
	var ready, stalled, reconciling bool
	var reason, msg string
	switch {
	case s.invalidReason != "":
		reason, msg, stalled = s.invalidReason, s.invalidMessage, true
	case reconcileErr != nil:
		reason, msg, reconciling = ecsv1alpha1.ReconcileErrorReason, reconcileErr.Error(), true
	case st.State == ecsv1alpha1.ScheduleDisabled:
		ready, reason, msg = true, ecsv1alpha1.ScheduleDisabledReason, "the schedule is DISABLED: it starts no run"
	case st.NextScheduleTime == nil:
		ready, reason, msg = true, ecsv1alpha1.ScheduleCompletedReason, "the schedule has no further run"
	default:
		ready, reason, msg = true, ecsv1alpha1.ScheduledReason, "the next run is scheduled for "+formatTime(st.NextScheduleTime.Time)
	}
	msg = conditions.Truncate(msg, maxEventNote)
	if ready {
		conditions.True(conds, gen, ecsv1alpha1.ReadyCondition, reason, msg)
	} else {
		conditions.False(conds, gen, ecsv1alpha1.ReadyCondition, reason, msg)
	}
	conditions.SetAbnormal(conds, gen, ecsv1alpha1.ReconcilingCondition, reconciling, reason, msg)
	conditions.SetAbnormal(conds, gen, ecsv1alpha1.StalledCondition, stalled, reason, msg)
	s.st.Status = *st
}

// emitScheduledTaskEvents records an Event when a run finished, or the schedule stalled.
func (r *ScheduledTaskReconciler) emitScheduledTaskEvents(obj *ecsv1alpha1.ScheduledTask, old *ecsv1alpha1.ScheduledTaskStatus) {
	before := map[time.Time]ecsv1alpha1.RunOutcome{}
	for _, run := range old.Runs {
		before[run.ScheduledTime.UTC()] = run.Outcome
	}
	for _, run := range obj.Status.Runs {
		if prev, ok := before[run.ScheduledTime.UTC()]; (ok && prev != ecsv1alpha1.RunRunning) || run.Outcome == ecsv1alpha1.RunRunning {
			continue
		}
		typ, reason := eventNormal, reasonRunSucceeded
		if run.Outcome == ecsv1alpha1.RunFailed {
			typ, reason = eventWarning, reasonRunFailed
		}
		r.event(obj, typ, reason, "RunTask", fmt.Sprintf("The run of %s %s: %v", formatTime(run.ScheduledTime.Time), run.Outcome, run.Tasks))
	}
	if c := meta.FindStatusCondition(obj.Status.Conditions, ecsv1alpha1.StalledCondition); c != nil {
		if prev := meta.FindStatusCondition(old.Conditions, ecsv1alpha1.StalledCondition); prev == nil || prev.Message != c.Message {
			r.event(obj, eventWarning, c.Reason, "Schedule", c.Message)
		}
	}
}

// missedEvent says which runs were due and not started.
func (r *ScheduledTaskReconciler) missedEvent(s *schedScope, plan schedule.Plan) {
	n := fmt.Sprint(plan.Missed)
	if plan.Capped {
		n = "at least " + n
	}
	msg := fmt.Sprintf("%s run(s) up to %s were not started: due longer ago than maximumEventAgeInSeconds", n, formatTime(plan.Handled))
	if !plan.Run.IsZero() {
		msg = fmt.Sprintf("%s run(s) before %s were not started: only the latest due run starts", n, formatTime(plan.Run))
	}
	r.event(s.st, eventWarning, reasonRunsMissed, "RunTask", msg)
}

// event records an Event on obj.
func (r *ScheduledTaskReconciler) event(obj runtime.Object, typ, reason, action, note string) {
	r.Recorder.Eventf(obj, nil, typ, reason, action, "%s", conditions.Truncate(note, maxEventNote))
}

// formatTime writes a time as RFC 3339 in UTC.
func formatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}
