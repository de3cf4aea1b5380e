//go:build e2e

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

package e2e

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"

	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

// newTaskDefinition creates a TaskDefinition of one essential container and waits for its
// first revision. labels become the task Pods' labels (the sandbox's fault injection).
func newTaskDefinition(t *testing.T, ns, family string, labels map[string]string) {
	t.Helper()
	registerTaskDefinition(t, &ecsv1alpha1.TaskDefinition{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: family},
		Spec: ecsv1alpha1.TaskDefinitionSpec{
			ContainerDefinitions: []ecsv1alpha1.ContainerDefinition{{
				Name: family, Image: "busybox:1.37", Command: []string{"sh", "-c", "echo run; exit 0"}, DockerLabels: labels,
			}},
		},
	})
}

// registerTaskDefinition creates td and waits for its first revision.
func registerTaskDefinition(t *testing.T, td *ecsv1alpha1.TaskDefinition) {
	t.Helper()
	ctx := context.Background()
	if err := k8s.Create(ctx, td); err != nil {
		t.Fatal(err)
	}
	kubetest.Eventually(t, time.Minute, func() error {
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(td), td); err != nil {
			return err
		}
		if td.Status.Revision != 1 {
			return fmt.Errorf("revision %d", td.Status.Revision)
		}
		return nil
	})
}

// listTasks lists the namespace's Tasks.
func listTasks(t *testing.T, ns string) []ecsv1alpha1.Task {
	t.Helper()
	list := &ecsv1alpha1.TaskList{}
	if err := k8s.List(context.Background(), list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	return list.Items
}

// Fifty standalone tasks created at once (RunTask --count 50 with a zone spread, as fifty
// objects) all reach RUNNING, spread evenly over the three zones by the real scheduler, and
// all stop as the user asked (StopTask via desiredStatus) with ECS's stop code.
func TestTasksStartAtOnceSpreadOverZones(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	ctx := context.Background()
	newTaskDefinition(t, ns, "batch", nil)

	const n = 50
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = k8s.Create(ctx, &ecsv1alpha1.Task{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("batch-%02d", i)},
				Spec: ecsv1alpha1.TaskSpec{
					TaskDefinition: "batch", StartedBy: "e2e", PlacementStrategy: zoneSpread,
				},
			})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}

	zones := map[string]int{}
	kubetest.Eventually(t, serviceWait, func() error {
		clear(zones)
		running := 0
		for _, task := range listTasks(t, ns) {
			if task.Status.LastStatus == ecsv1alpha1.TaskRunning {
				running++
				zones[task.Status.AvailabilityZone]++
			}
		}
		if running != n {
			return fmt.Errorf("%d of %d tasks RUNNING", running, n)
		}
		return nil
	})
	t.Logf("%d tasks created at once: all RUNNING in %s; per zone %v", n, time.Since(start).Round(100*time.Millisecond), zones)
	if len(zones) != 3 || kubetest.Skew(zones) > 1 {
		t.Errorf("RUNNING tasks per zone %v, want the three zones within one task of each other (17/17/16)", zones)
	}

	// The Pods agree with the Tasks' status: each on a node of the zone the Task reports.
	nodes := &corev1.NodeList{}
	if err := k8s.List(ctx, nodes); err != nil {
		t.Fatal(err)
	}
	zoneOf := map[string]string{}
	for _, node := range nodes.Items {
		zoneOf[node.Name] = node.Labels[corev1.LabelTopologyZone]
	}
	for _, task := range listTasks(t, ns) {
		pod := &corev1.Pod{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: task.Status.PodName}, pod); err != nil {
			t.Fatalf("task %s: %v", task.Name, err)
		}
		if pod.Spec.NodeName != task.Status.NodeName || zoneOf[pod.Spec.NodeName] != task.Status.AvailabilityZone {
			t.Errorf("task %s reports node %s in %s; its Pod runs on %s in %s", task.Name,
				task.Status.NodeName, task.Status.AvailabilityZone, pod.Spec.NodeName, zoneOf[pod.Spec.NodeName])
		}
	}

	// StopTask for all of them: desiredStatus STOPPED with a reason.
	for _, task := range listTasks(t, ns) {
		patch := client.MergeFrom(task.DeepCopy())
		task.Spec.DesiredStatus, task.Spec.StopReason = ecsv1alpha1.DesiredStopped, "batch cancelled"
		if err := k8s.Patch(ctx, &task, patch); err != nil {
			t.Fatal(err)
		}
	}
	kubetest.Eventually(t, serviceWait, func() error {
		for _, task := range listTasks(t, ns) {
			s := task.Status
			if s.LastStatus != ecsv1alpha1.TaskStopped || s.StopCode != ecsv1alpha1.StopCodeUserInitiated || s.StoppedReason != "batch cancelled" {
				return fmt.Errorf("task %s: %s %s %q, want STOPPED UserInitiated %q", task.Name, s.LastStatus, s.StopCode, s.StoppedReason, "batch cancelled")
			}
		}
		return nil
	})
}

// A scheduled task with rate(1 minute), watched for three minutes: a run at creation and one
// every minute after, each Task reaching STOPPED with exit code 0 (kwok makes the container
// exit 0), recorded in status with its outcome.
func TestScheduledTaskEveryMinute(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	ctx := context.Background()
	newTaskDefinition(t, ns, "report", map[string]string{exitLabel: "report", "sandbox.berth.dev/exit-code": "0"})

	st := &ecsv1alpha1.ScheduledTask{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "report"},
		Spec: ecsv1alpha1.ScheduledTaskSpec{
			ScheduleExpression:         "rate(1 minute)",
			SuccessfulRunsHistoryLimit: ptr.To[int32](10),
			TaskTemplate:               ecsv1alpha1.ScheduledTaskTemplate{TaskDefinition: "report"},
		},
	}
	if err := k8s.Create(ctx, st); err != nil {
		t.Fatal(err)
	}
	created := time.Now()

	// Runs at 0, 1, 2 and 3 minutes: four runs within three minutes and a little.
	const runs = 4
	kubetest.Eventually(t, 4*time.Minute, func() error {
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(st), st); err != nil {
			return err
		}
		succeeded := 0
		for _, r := range st.Status.Runs {
			if r.Outcome == ecsv1alpha1.RunSucceeded {
				succeeded++
			}
		}
		if succeeded < runs {
			return fmt.Errorf("%d runs succeeded, want %d; runs %+v", succeeded, runs, st.Status.Runs)
		}
		return nil
	})
	elapsed := time.Since(created)
	if elapsed > 3*time.Minute+30*time.Second {
		t.Errorf("%d runs took %s after creation, want runs at 0, 1, 2 and 3 minutes", runs, elapsed.Round(time.Second))
	}

	// The runs are one minute apart, each started one Task that stopped with exit code 0.
	times := make([]time.Time, 0, len(st.Status.Runs))
	for _, r := range st.Status.Runs {
		times = append(times, r.ScheduledTime.Time)
		if len(r.Tasks) != 1 {
			t.Errorf("run at %s started tasks %v, want one", r.ScheduledTime.UTC().Format(time.RFC3339), r.Tasks)
		}
	}
	// Runs are listed newest first or oldest first; either way consecutive ones are 60 s apart.
	for i := 1; i < len(times); i++ {
		if d := times[i].Sub(times[i-1]).Abs(); d != time.Minute {
			t.Errorf("runs at %v: %s between run %d and %d, want exactly one minute", times, d, i-1, i)
		}
	}
	first := slices.MinFunc(times, time.Time.Compare)
	if d := first.Sub(created).Abs(); d > 5*time.Second {
		t.Errorf("first run at %s, %s from creation: want it at creation (EventBridge begins invoking immediately)", first.Format(time.RFC3339), d)
	}
	stopped := 0
	for _, task := range listTasks(t, ns) {
		s := task.Status
		if task.Spec.StartedBy != "report" {
			t.Errorf("task %s startedBy %q, want the ScheduledTask's name", task.Name, task.Spec.StartedBy)
		}
		if s.LastStatus != ecsv1alpha1.TaskStopped {
			continue // the run of minute 4 may have begun
		}
		stopped++
		if s.StopCode != ecsv1alpha1.StopCodeEssentialContainerExited || s.ExitCode == nil || *s.ExitCode != 0 {
			t.Errorf("task %s stopped with %s exit %v, want EssentialContainerExited with exit code 0", task.Name, s.StopCode, s.ExitCode)
		}
	}
	if stopped < runs {
		t.Errorf("%d Tasks STOPPED, want at least %d", stopped, runs)
	}
	if st.Status.LastSuccessfulTime == nil || st.Status.NextScheduleTime == nil || st.Status.NextScheduleTime.Sub(st.Status.LastScheduleTime.Time) != time.Minute {
		t.Errorf("status last %v, last success %v, next %v: want the next run one minute after the last",
			st.Status.LastScheduleTime, st.Status.LastSuccessfulTime, st.Status.NextScheduleTime)
	}
}
