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
package statuspace

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

var t0 = time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC)

// scalingUp is a Service status part way through a scale-up.
func scalingUp() *ecsv1alpha1.ServiceStatus {
	return &ecsv1alpha1.ServiceStatus{
		ObservedGeneration: 2, DesiredCount: 3000, RunningCount: 1200, PendingCount: 300, TaskDefinition: "web:1",
		Conditions: []metav1.Condition{
			{Type: ecsv1alpha1.ReadyCondition, Status: metav1.ConditionFalse, Reason: ecsv1alpha1.ProgressingReason, Message: "1200 of 3000 tasks RUNNING, 300 pending"},
		},
		Deployments: []ecsv1alpha1.Deployment{{ID: "ecs-svc-1", Status: ecsv1alpha1.DeploymentPrimary, TaskDefinition: "web:1",
			DesiredCount: 3000, RunningCount: 1200, PendingCount: 300, RolloutState: ecsv1alpha1.RolloutCompleted, UpdatedAt: metav1.NewTime(t0)}},
		Events: []ecsv1alpha1.ServiceEvent{{ID: "1", Message: "(service web) has started 3000 tasks: …"}},
	}
}

func TestCountsOnly(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*ecsv1alpha1.ServiceStatus)
		want   bool
	}{
		{name: "nothing changed", change: func(*ecsv1alpha1.ServiceStatus) {}, want: false},
		{name: "more tasks running", want: true, change: func(st *ecsv1alpha1.ServiceStatus) {
			st.RunningCount, st.PendingCount = 1500, 100
			st.Deployments[0].RunningCount, st.Deployments[0].PendingCount = 1500, 100
			st.Deployments[0].UpdatedAt = metav1.NewTime(t0.Add(time.Second))
			st.Conditions[0].Message = "1500 of 3000 tasks RUNNING, 100 pending"
		}},
		{name: "Ready turns True", want: false, change: func(st *ecsv1alpha1.ServiceStatus) {
			st.RunningCount, st.PendingCount = 3000, 0
			st.Conditions[0].Status, st.Conditions[0].Reason = metav1.ConditionTrue, ecsv1alpha1.SteadyStateReason
		}},
		{name: "a new event", want: false, change: func(st *ecsv1alpha1.ServiceStatus) {
			st.RunningCount = 1300
			st.Events = append([]ecsv1alpha1.ServiceEvent{{ID: "2", Message: "(service web) has reached a steady state."}}, st.Events...)
		}},
		{name: "a task failed", want: false, change: func(st *ecsv1alpha1.ServiceStatus) {
			st.RunningCount = 1300
			st.Deployments[0].FailedTasks = 1
		}},
		{name: "rollout state", want: false, change: func(st *ecsv1alpha1.ServiceStatus) {
			st.Deployments[0].RolloutState = ecsv1alpha1.RolloutInProgress
		}},
		{name: "desired count", want: false, change: func(st *ecsv1alpha1.ServiceStatus) { st.DesiredCount = 70 }},
		{name: "observed generation", want: false, change: func(st *ecsv1alpha1.ServiceStatus) { st.ObservedGeneration = 3 }},
		{name: "a new deployment", want: false, change: func(st *ecsv1alpha1.ServiceStatus) {
			st.Deployments = append(st.Deployments, ecsv1alpha1.Deployment{ID: "ecs-svc-2"})
		}},
		{name: "a new condition", want: false, change: func(st *ecsv1alpha1.ServiceStatus) {
			st.Conditions = append(st.Conditions, metav1.Condition{Type: ecsv1alpha1.ReconcilingCondition, Status: metav1.ConditionTrue})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			last, next := scalingUp(), scalingUp()
			tc.change(next)
			if got := CountsOnly(last, next); got != tc.want {
				t.Errorf("CountsOnly = %v, want %v", got, tc.want)
			}
			if CountsOnly(last, scalingUp()) {
				t.Error("CountsOnly changed its input")
			}
		})
	}
}

func TestDelay(t *testing.T) {
	for _, tc := range []struct {
		name       string
		countsOnly bool
		lastWrite  time.Time
		now        time.Time
		want       time.Duration
	}{
		{name: "state change, just written", countsOnly: false, lastWrite: t0, now: t0.Add(10 * time.Millisecond), want: 0},
		{name: "counts, just written", countsOnly: true, lastWrite: t0, now: t0.Add(300 * time.Millisecond), want: 700 * time.Millisecond},
		{name: "counts, interval passed", countsOnly: true, lastWrite: t0, now: t0.Add(time.Second), want: 0},
		{name: "counts, long ago", countsOnly: true, lastWrite: t0, now: t0.Add(time.Hour), want: 0},
		{name: "counts, never written", countsOnly: true, now: t0, want: 0},
	} {
		if got := Delay(tc.countsOnly, tc.lastWrite, tc.now, DefaultInterval); got != tc.want {
			t.Errorf("%s: Delay = %s, want %s", tc.name, got, tc.want)
		}
	}
}

// provisioning is a Task status just after its Pod was created.
func provisioning() *ecsv1alpha1.TaskStatus {
	created := metav1.NewTime(t0)
	return &ecsv1alpha1.TaskStatus{
		ObservedGeneration: 1, TaskDefinition: "web:1", LastStatus: ecsv1alpha1.TaskProvisioning, DesiredStatus: ecsv1alpha1.DesiredRunning,
		PodName: "batch", CreatedAt: &created,
		Conditions: []metav1.Condition{
			{Type: ecsv1alpha1.ReadyCondition, Status: metav1.ConditionFalse, Reason: ecsv1alpha1.TaskStartingReason, Message: "the task (web:1) is PROVISIONING"},
			{Type: ecsv1alpha1.ReconcilingCondition, Status: metav1.ConditionTrue, Reason: ecsv1alpha1.TaskStartingReason, Message: "the task (web:1) is PROVISIONING"},
		},
	}
}

func TestTaskProgressOnly(t *testing.T) {
	progress := func(state ecsv1alpha1.TaskState) func(*ecsv1alpha1.TaskStatus) {
		return func(st *ecsv1alpha1.TaskStatus) {
			st.LastStatus, st.NodeName, st.AvailabilityZone = state, "n1", "zone-a"
			for i := range st.Conditions {
				st.Conditions[i].Message = "the task (web:1) is " + string(state) + " on node n1 in zone-a"
			}
		}
	}
	for _, tc := range []struct {
		name   string
		last   func(*ecsv1alpha1.TaskStatus)
		change func(*ecsv1alpha1.TaskStatus)
		want   bool
	}{
		{name: "nothing changed", change: func(*ecsv1alpha1.TaskStatus) {}, want: false},
		{name: "PROVISIONING to PENDING on a node", change: progress(ecsv1alpha1.TaskPending), want: true},
		{name: "PENDING to ACTIVATING", last: progress(ecsv1alpha1.TaskPending), change: progress(ecsv1alpha1.TaskActivating), want: true},
		{name: "pull started", change: func(st *ecsv1alpha1.TaskStatus) { st.PullStartedAt = &metav1.Time{Time: t0.Add(time.Second)} }, want: true},
		{name: "RUNNING", change: progress(ecsv1alpha1.TaskRunning), want: false},
		{name: "STOPPED", change: func(st *ecsv1alpha1.TaskStatus) {
			st.LastStatus, st.StopCode = ecsv1alpha1.TaskStopped, ecsv1alpha1.StopCodeTaskFailedToStart
		}, want: false},
		{name: "first status, the Pod just created", last: func(st *ecsv1alpha1.TaskStatus) { *st = ecsv1alpha1.TaskStatus{} }, change: func(*ecsv1alpha1.TaskStatus) {}, want: false},
		{name: "a stop was asked", change: func(st *ecsv1alpha1.TaskStatus) {
			st.DesiredStatus, st.StopCode = ecsv1alpha1.DesiredStopped, ecsv1alpha1.StopCodeUserInitiated
		}, want: false},
		{name: "a condition's reason", change: func(st *ecsv1alpha1.TaskStatus) { st.Conditions[0].Reason = ecsv1alpha1.ReconcileErrorReason }, want: false},
		{name: "a condition's status", change: func(st *ecsv1alpha1.TaskStatus) { st.Conditions[1].Status = metav1.ConditionFalse }, want: false},
		{name: "a new generation", change: func(st *ecsv1alpha1.TaskStatus) { st.ObservedGeneration = 2 }, want: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			last := provisioning()
			if tc.last != nil {
				tc.last(last)
			}
			next := last.DeepCopy()
			tc.change(next)
			if got := TaskProgressOnly(last, next); got != tc.want {
				t.Errorf("TaskProgressOnly = %v, want %v", got, tc.want)
			}
		})
	}
}
