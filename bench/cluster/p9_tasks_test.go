//go:build bench

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

package clusterbench

import (
	"context"
	"fmt"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"

	"github.com/berth-dev/berth/bench/internal/report"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

// standaloneTasks is how many Tasks (and reference Jobs) P9 creates at once.
const standaloneTasks = 100

// TestP9StandaloneTasks measures P9: 100 Tasks created at once (16 creators, with the
// controller's client limits) until every Task reports RUNNING, against 100 Jobs of the
// same Pod template created the same way until their 100 Pods are Running and Ready
// (kube-controller-manager's Job controller, its defaults). Berth's figure is stricter: a
// Task is RUNNING once the controller has written it, after its Pod is Ready. The same runs
// count the controller's API writes per task (P4's method: the audit log by user agent).
// Berth and the Jobs alternate, each in a fresh namespace emptied before the next.
func TestP9StandaloneTasks(t *testing.T) {
	startController(t)
	var berth, jobs, perTask []float64
	var lastWrites writeCount
	var spec corev1.PodSpec
	n := reps()
	for rep := range n {
		runBerth := func() {
			ns := newNamespace(t, "p9-berth-")
			took, w := berthTasks(t, ns)
			berth, lastWrites = append(berth, took.Seconds()), w
			perTask = append(perTask, float64(w.total)/standaloneTasks)
			if len(berth) == 1 {
				spec = standaloneTaskPodSpec(t, ns)
			}
			purgeNamespace(t, ns)
		}
		runJobs := func() {
			ns := newNamespace(t, "p9-jobs-")
			jobs = append(jobs, jobsStartup(t, ns, spec).Seconds())
			purgeNamespace(t, ns)
		}
		// Berth first in the first repetition (the Jobs copy its task's Pod template).
		order := []func(){runBerth, runJobs}
		for i := range order {
			order[(i+rep)%len(order)]()
		}
		t.Logf("repetition %d: Berth %.2fs, Jobs %.2fs, %d controller writes", rep+1, berth[rep], jobs[rep], lastWrites.total)
	}
	b, j := report.Median(berth), report.Median(jobs)
	report.Print(nil, report.Line{ID: "P9", Value: b, Unit: "s", Reference: j, HasReference: true, Ratio: b / j, HasRatio: true,
		Budget: "<=0.7x", Pass: b/j <= 0.7, Detail: fmt.Sprintf("%d Tasks created at once (%d creators, QPS %d burst %d) → all Tasks RUNNING; "+
			"reference: %d Jobs of the task's Pod template → all their Pods Running+Ready; zone spread, alternating, fresh namespace each; Berth %s; Jobs %s",
			standaloneTasks, floorWorkers, controllerQPS, controllerBurst, standaloneTasks, report.Spread(berth, "s"), report.Spread(jobs, "s"))})
	w := report.Median(perTask)
	report.Print(nil, report.Line{ID: "P9w", Value: w, Unit: "writes/task", Budget: "<=3", Pass: w <= 3,
		Detail: fmt.Sprintf("audit log, user agent %s, from the first create until 2 s after all RUNNING; %s; last run: %d writes: %s",
			controllerUserAgent, report.Spread(perTask, "writes/task"), lastWrites.total, lastWrites)})
}

// berthTasks creates the Tasks and times them until every one reports RUNNING; it returns
// the controller's writes in ns from the first create until 2 s after.
func berthTasks(t *testing.T, ns string) (time.Duration, writeCount) {
	t.Helper()
	createTaskDef(t, ns, "batch", "nginx:1.27")
	start := time.Now()
	createAtOnce(t, standaloneTasks, "berth-bench-p9", func(i int) client.Object {
		return &ecsv1alpha1.Task{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("batch-%03d", i)},
			Spec:       ecsv1alpha1.TaskSpec{TaskDefinition: "batch", StartedBy: "p9", PlacementStrategy: zoneSpread},
		}
	})
	var done time.Time
	kubetest.Eventually(t, startupWait, func() error {
		list := &ecsv1alpha1.TaskList{}
		if err := sb.c.List(context.Background(), list, client.InNamespace(ns)); err != nil {
			return err
		}
		running := 0
		for _, task := range list.Items {
			if task.Status.LastStatus == ecsv1alpha1.TaskRunning {
				running++
			}
		}
		if running != standaloneTasks {
			return fmt.Errorf("%d of %d Tasks RUNNING", running, standaloneTasks)
		}
		done = time.Now()
		return nil
	})
	// Writes still in flight after the last RUNNING (events) belong to the start too.
	time.Sleep(2 * time.Second)
	w, err := controllerWrites(ns, start, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return done.Sub(start), w
}

// jobsStartup creates one Job per task with spec as its Pod template and times them until
// all their Pods are Running and Ready.
func jobsStartup(t *testing.T, ns string, spec corev1.PodSpec) time.Duration {
	t.Helper()
	labels := map[string]string{"app": "p9-job"}
	spec = withSelector(spec, labels)
	// kwok completes a Job's Pods at once unless they carry this label (hack/kwok/stages.yaml).
	labels = map[string]string{"app": "p9-job", "sandbox.berth.dev/keep-running": "true"}
	spec.RestartPolicy = corev1.RestartPolicyNever
	tr := trackPods(t, ns, "app=p9-job", nil)
	start := time.Now()
	createAtOnce(t, standaloneTasks, "berth-bench-p9", func(i int) client.Object {
		return &batchv1.Job{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("batch-%03d", i)},
			Spec: batchv1.JobSpec{
				BackoffLimit: ptr.To[int32](0),
				Template:     corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec},
			},
		}
	})
	took := tr.waitFor(t, startupWait, readyCount(standaloneTasks)).Sub(start)
	t.Logf("Jobs: %s", tr.timeline(start))
	return took
}

// standaloneTaskPodSpec reads the spec of one standalone task Pod in ns, as the Jobs'
// template.
func standaloneTaskPodSpec(t *testing.T, ns string) corev1.PodSpec {
	t.Helper()
	return podTemplateOf(t, ns, client.HasLabels{ecsv1alpha1.TaskLabel})
}
