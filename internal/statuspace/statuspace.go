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
// Package statuspace decides when a Service's status change is written. A status change that
// only moves task counts (how many tasks are RUNNING or pending, and the condition messages
// and deployment timestamps that quote them) waits until an interval has passed since the
// last write; any other change (a condition's status or reason, a deployment's state, an
// event, the observed generation, …) is written at once. During a 3,000-task scale-up every
// Pod that turns Running changes the counts, and one write per pass made the status writes
// follow kwok's (the kubelets') pace, tens a second; paced, they are at most one per interval
// per Service, plus one per real state change. It is pure: the statuses and times are inputs.
package statuspace

import (
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// DefaultInterval is the least time between two writes of counts only.
const DefaultInterval = time.Second

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
