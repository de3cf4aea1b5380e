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

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/conditions"
	"github.com/berth-dev/berth/internal/tasks"
)

// Kubernetes Event reasons of the Task controller. A task's start and its RUNNING are in its
// status (and its Pod's own Events), not Events of the Task: two more writes per task would
// make a batch start cost 5 API writes per task instead of 3 (P9w in docs/budgets.md).
const (
	// reasonTaskStopping: the task must stop; the note says why.
	reasonTaskStopping = "TaskStopping"
	// reasonTaskStoppedEvent: the task reached STOPPED.
	reasonTaskStoppedEvent = "TaskStopped"
)

// computeTaskStatus writes the pass's status and its conditions into the Task: Ready
// (always present; True once the task stopped well), Reconciling (True until the task
// stopped, or while a pass fails), Stalled (True when it failed, or cannot start). kstatus
// then reads a running task as InProgress, one that stopped well as Current and one that
// failed as Failed.
func computeTaskStatus(s *taskScope, reconcileErr error) {
	t := s.task
	gen := t.Generation
	st := s.status.DeepCopy()
	st.Conditions, st.ObservedGeneration = t.Status.Conditions, gen
	conds := &st.Conditions
	stopped := st.LastStatus == ecsv1alpha1.TaskStopped
	var ready bool
	var reason, msg string
	var reconciling, stalled bool
	switch {
	case stopped && tasks.StandaloneSucceeded(st):
		ready, reason, msg = true, ecsv1alpha1.TaskCompletedReason, stopSummary(st)
		if st.StopCode == ecsv1alpha1.StopCodeUserInitiated {
			reason = ecsv1alpha1.TaskStoppedOnRequestReason
		}
	case stopped:
		reason, msg, stalled = string(st.StopCode), stopSummary(st), true
		if s.stalledReason != "" {
			reason = s.stalledReason
		}
	case s.stalledReason != "":
		reason, msg, stalled = s.stalledReason, s.stalledMessage, true
	case reconcileErr != nil:
		reason, msg, reconciling = ecsv1alpha1.ReconcileErrorReason, reconcileErr.Error(), true
	case st.StopCode != "":
		reason, msg, reconciling = ecsv1alpha1.TaskStoppingReason, "the task is "+string(st.LastStatus)+": "+stopSummary(st), true
	case st.LastStatus == ecsv1alpha1.TaskRunning:
		reason, msg, reconciling = ecsv1alpha1.TaskRunningReason, runSummary(st), true
	case s.waiting != "":
		reason, msg, reconciling = ecsv1alpha1.TaskStartingReason, s.waiting, true
	default:
		reason, msg, reconciling = ecsv1alpha1.TaskStartingReason, runSummary(st), true
	}
	msg = conditions.Truncate(msg, maxEventNote)
	if ready {
		conditions.True(conds, gen, ecsv1alpha1.ReadyCondition, reason, msg)
	} else {
		conditions.False(conds, gen, ecsv1alpha1.ReadyCondition, reason, msg)
	}
	conditions.SetAbnormal(conds, gen, ecsv1alpha1.ReconcilingCondition, reconciling, reason, msg)
	conditions.SetAbnormal(conds, gen, ecsv1alpha1.StalledCondition, stalled, reason, msg)
	t.Status = *st
}

// runSummary says where a task that has not stopped stands.
func runSummary(st *ecsv1alpha1.TaskStatus) string {
	if st.LastStatus == "" {
		return "the task has not started"
	}
	msg := fmt.Sprintf("the task (%s) is %s", st.TaskDefinition, st.LastStatus)
	if st.NodeName != "" {
		msg += " on node " + st.NodeName
		if st.AvailabilityZone != "" {
			msg += " in " + st.AvailabilityZone
		}
	}
	return msg
}

// stopSummary says why a task stopped: "EssentialContainerExited: Essential container in
// task exited (exit code 1)".
func stopSummary(st *ecsv1alpha1.TaskStatus) string {
	msg := string(st.StopCode) + ": " + st.StoppedReason
	if st.ExitCode != nil {
		msg += fmt.Sprintf(" (exit code %d)", *st.ExitCode)
	}
	return msg
}

// emitTaskEvent records an Event when the task began to stop, stopped, or became stalled.
func (r *TaskReconciler) emitTaskEvent(task *ecsv1alpha1.Task, old *ecsv1alpha1.TaskStatus) {
	st := &task.Status
	typ := corev1.EventTypeNormal
	if tasks.StandaloneFailed(st) {
		typ = corev1.EventTypeWarning
	}
	emit := func(typ, reason, action, note string) {
		r.Recorder.Eventf(task, nil, typ, reason, action, "%s", conditions.Truncate(note, maxEventNote))
	}
	if old.StopCode == "" && st.StopCode != "" && st.LastStatus != ecsv1alpha1.TaskStopped {
		emit(typ, reasonTaskStopping, "StopTask", stopSummary(st))
	}
	if old.LastStatus != ecsv1alpha1.TaskStopped && st.LastStatus == ecsv1alpha1.TaskStopped {
		emit(typ, reasonTaskStoppedEvent, "StopTask", stopSummary(st))
	}
	if c := meta.FindStatusCondition(st.Conditions, ecsv1alpha1.StalledCondition); c != nil && st.LastStatus != ecsv1alpha1.TaskStopped {
		if prev := meta.FindStatusCondition(old.Conditions, ecsv1alpha1.StalledCondition); prev == nil || prev.Reason != c.Reason {
			emit(corev1.EventTypeWarning, c.Reason, "RunTask", c.Message)
		}
	}
}
