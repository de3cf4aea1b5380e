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
// Package statuspace decides when a Service's or a Task's status change is written.
//
// A Service status change that only moves task counts (how many tasks are RUNNING or
// pending, and the condition messages and deployment timestamps that quote them) waits until
// an interval has passed since the last write; any other change (a condition's status or
// reason, a deployment's state, an event, the observed generation, …) is written at once.
// During a 3,000-task scale-up every Pod that turns Running changes the counts, and one write
// per pass made the status writes follow kwok's (the kubelets') pace, tens a second; paced,
// they are at most one per interval per Service, plus one per real state change.
//
// A Task's progress before it runs (PROVISIONING, PENDING, ACTIVATING and what goes with
// them) waits until TaskProgressInterval after its Pod was created; reaching RUNNING, a stop
// and every other change are written at once. A task whose Pod runs within that time (a
// cached image, kwok) then costs one status write for its start and one for RUNNING, not a
// third for a PENDING nobody could have read; a task that waits on a pull reports PENDING
// a moment late.
//
// It is pure: the statuses and times are inputs.
package statuspace

import (
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// DefaultInterval is the least time between two writes of counts only.
const DefaultInterval = time.Second

// TaskProgressInterval is how long after its Pod's creation a Task's progress before
// RUNNING may wait. The creation time has whole seconds (status.createdAt), so the wait
// from the Pod's real creation is two to three seconds (it was 2 s, one to two, until a
// start of 100 Tasks on a loaded machine had two Pods run in between: P9w 3.02).
const TaskProgressInterval = 3 * time.Second

// CountsOnly reports whether next differs from last only in task counts: the service's and
// its deployments' running and pending counts, the deployments' updatedAt (stamped when the
// counts move), and condition messages (which quote the counts). Two equal statuses are not a
// counts-only change: there is nothing to write.
func CountsOnly(last, next *ecsv1alpha1.ServiceStatus) bool {
	if equality.Semantic.DeepEqual(last, next) {
		return false
	}
	return equality.Semantic.DeepEqual(withoutCounts(last), withoutCounts(next))
}

// withoutCounts is a copy of st with what CountsOnly ignores cleared.
func withoutCounts(st *ecsv1alpha1.ServiceStatus) *ecsv1alpha1.ServiceStatus {
	out := st.DeepCopy()
	out.RunningCount, out.PendingCount = 0, 0
	for i := range out.Deployments {
		d := &out.Deployments[i]
		d.RunningCount, d.PendingCount, d.UpdatedAt = 0, 0, metav1.Time{}
	}
	for i := range out.Conditions {
		out.Conditions[i].Message = ""
	}
	return out
}

// Delay is how long a status change may wait before it is written: zero to write it now. A
// change other than counts is written now; a counts-only change waits until interval has
// passed since lastWrite (a zero lastWrite, none yet, never waits).
func Delay(countsOnly bool, lastWrite, now time.Time, interval time.Duration) time.Duration {
	if !countsOnly || lastWrite.IsZero() {
		return 0
	}
	return max(lastWrite.Add(interval).Sub(now), 0)
}

// TaskProgressOnly reports whether next differs from last only in the progress of a task
// that has started and does not run yet: both in PROVISIONING, PENDING or ACTIVATING, with
// the same task definition, Pod, desired status, stop code and observed generation, and
// conditions that differ in their messages at most (node, zone, containers and timestamps
// may move). Two equal statuses are not a progress change: there is nothing to write.
func TaskProgressOnly(last, next *ecsv1alpha1.TaskStatus) bool {
	if !starting(last.LastStatus) || !starting(next.LastStatus) || equality.Semantic.DeepEqual(last, next) {
		return false
	}
	if last.TaskDefinition != next.TaskDefinition || last.PodName != next.PodName || last.DesiredStatus != next.DesiredStatus ||
		last.StopCode != next.StopCode || last.ObservedGeneration != next.ObservedGeneration || len(last.Conditions) != len(next.Conditions) {
		return false
	}
	for i := range last.Conditions {
		l, n := &last.Conditions[i], &next.Conditions[i]
		if l.Type != n.Type || l.Status != n.Status || l.Reason != n.Reason {
			return false
		}
	}
	return true
}

// starting reports a task state between its Pod's creation and RUNNING.
func starting(s ecsv1alpha1.TaskState) bool {
	switch s {
	case ecsv1alpha1.TaskProvisioning, ecsv1alpha1.TaskPending, ecsv1alpha1.TaskActivating:
		return true
	default:
		return false
	}
}
