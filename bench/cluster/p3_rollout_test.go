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
	"maps"
	"os"
	"strconv"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"

	"github.com/berth-dev/berth/bench/internal/report"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

const (
	oldImage = "nginx:1.27"
	newImage = "nginx:1.28"
)

// rolloutReps is how many times each P3 rollout repeats (BERTH_BENCH_P3_REPS; default 2 up
// to 500 tasks, where a pair takes about 40 s, and 1 above: the Deployment's rollout of
// 1,000 tasks is 2,000 writes at kube-controller-manager's QPS 20).
func rolloutReps() int {
	if n, err := strconv.Atoi(os.Getenv("BERTH_BENCH_P3_REPS")); err == nil && n > 0 {
		return n
	}
	if rolloutTasks > 500 {
		return 1
	}
	return 2
}

// bounds are the extremes of a rollout of n tasks over every observed moment.
type bounds struct {
	n, maxLive, minReady, events int
}

func (b bounds) ok() bool { return b.maxLive <= 2*b.n && b.minReady >= b.n }

func (b bounds) String() string {
	return fmt.Sprintf("max %d live, min %d ready over %d pod events", b.maxLive, b.minReady, b.events)
}

// TestP3RollingDeployment rolls 1,000 tasks (minimumHealthyPercent 100, maximumPercent 200)
// to a new task definition revision and a Deployment of the same template (maxSurge 100 %,
// maxUnavailable 0) to a new image, alternately. A watch of the Pods checks at every event
// that at most 2,000 are live and at least 1,000 ready; the time is from the change until every
// live Pod runs the new image and 1,000 are ready. BENCH_SCALE scales the count.
func TestP3RollingDeployment(t *testing.T) {
	startController(t)
	n := rolloutReps()
	var berth, deploy []float64
	var bb, db []bounds
	completed := true
	var spec corev1.PodSpec
	for rep := range n {
		ns := newNamespace(t, "p3-berth-")
		took, b, done := berthRollout(t, ns, rolloutTasks)
		if rep == 0 {
			spec = taskPodSpec(t, ns, "web")
			// The Deployment starts from the old image too.
			spec.Containers[0].Image = oldImage
		}
		purgeNamespace(t, ns)
		berth, bb = append(berth, took.Seconds()), append(bb, b)
		completed = completed && done

		dns := newNamespace(t, "p3-deploy-")
		took, b = deploymentRollout(t, dns, spec)
		purgeNamespace(t, dns)
		deploy, db = append(deploy, took.Seconds()), append(db, b)
		t.Logf("repetition %d: Berth %.2fs (%s), Deployment %.2fs (%s)", rep+1, berth[rep], bb[rep], deploy[rep], db[rep])
	}
	boundsOK := true
	for _, b := range bb {
		boundsOK = boundsOK && b.ok()
	}
	b, d := report.Median(berth), report.Median(deploy)
	report.Print(nil, report.Line{ID: "P3", Value: b, Unit: "s", Reference: d, HasReference: true, Ratio: b / d, HasRatio: true,
		Budget: "<=0.5x", Pass: completed && boundsOK && b/d <= 0.5,
		Detail: fmt.Sprintf("%d tasks 100%%/200%%; completed %v; bounds (<=%d live, >=%d ready) held %v: Berth %v, Deployment %v; Berth %s; Deployment %s",
			rolloutTasks, completed, 2*rolloutTasks, rolloutTasks, boundsOK, bb, db, report.Spread(berth, "s"), report.Spread(deploy, "s"))})
}

// watchBounds starts recording the bounds of a rollout of n tasks on tr's events from now on.
func watchBounds(tr *podTracker, n int) func() bounds {
	b := bounds{n: n, minReady: 1 << 30}
	tr.setOnEvent(func(_ string, _ *corev1.Pod, pods map[types.UID]*corev1.Pod) {
		l, r := count(maps.Values(pods))
		b.maxLive, b.minReady, b.events = max(b.maxLive, l), min(b.minReady, r), b.events+1
	})
	return func() bounds {
		tr.setOnEvent(nil)
		return b // read after setOnEvent took the tracker's lock: no event is writing b
	}
}

// allNew waits for every live Pod to run newImage, n of them ready.
func allNew(n int) func(pods []*corev1.Pod) error {
	return func(pods []*corev1.Pod) error {
		return allNewOf(pods, n)
	}
}

func allNewOf(pods []*corev1.Pod, n int) error {
	old, fresh := 0, 0
	for _, p := range pods {
		switch {
		case !live(p):
		case p.Spec.Containers[0].Image != newImage:
			old++
		case ready(p):
			fresh++
		}
	}
	if old > 0 || fresh != n {
		return fmt.Errorf("%d old live, %d new ready, want 0 and %d", old, fresh, n)
	}
	return nil
}

// berthRollout rolls a Service of n tasks to a new revision (100 % / 200 %).
func berthRollout(t *testing.T, ns string, n int) (time.Duration, bounds, bool) {
	t.Helper()
	desired := int32(n) //nolint:gosec // a few thousand
	createTaskDef(t, ns, "web", oldImage)
	createService(t, ns, "web", "web", desired, func(s *ecsv1alpha1.Service) {
		s.Spec.DeploymentConfiguration.MinimumHealthyPercent = ptr.To[int32](100)
		s.Spec.DeploymentConfiguration.MaximumPercent = ptr.To[int32](200)
	})
	kubetest.Eventually(t, startupWait, func() error { return serviceSteady(ns, "web", desired) })
	tr := trackPods(t, ns, ecsv1alpha1.ServiceLabel+"=web", nil)
	tr.waitFor(t, time.Minute, readyCount(n))
	stop := watchBounds(tr, n)
	start := time.Now()
	setImage(t, ns, "web", newImage)
	took := tr.waitFor(t, startupWait, allNew(n)).Sub(start)
	b := stop()
	t.Logf("Berth rollout: %s", tr.timeline(start))
	tr.cancel()
	// The rollout completes when the Service says so: one COMPLETED deployment.
	completed := true
	deadline := time.Now().Add(time.Minute)
	for {
		svc := &ecsv1alpha1.Service{}
		if err := sb.c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "web"}, svc); err != nil {
			t.Fatal(err)
		}
		ds := svc.Status.Deployments
		if len(ds) > 0 && ds[0].Status == ecsv1alpha1.DeploymentPrimary && ds[0].RolloutState == ecsv1alpha1.RolloutCompleted &&
			svc.Status.TaskDefinition == "web:2" && serviceSteady(ns, "web", desired) == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("the Service does not report the rollout COMPLETED: %s deployments %+v", svc.Status.TaskDefinition, ds)
			completed = false
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return took, b, completed
}

func deploymentRollout(t *testing.T, ns string, spec corev1.PodSpec) (time.Duration, bounds) {
	t.Helper()
	labels := map[string]string{"app": "web"}
	surge, unavailable := intstr.FromString("100%"), intstr.FromInt32(0)
	// The Deployment's 1,000 Pods are created at quickKCMQPS (the setup is not timed), the
	// rollout at kube-controller-manager's defaults.
	restoreKCM := quickControllerManager(t)
	createDeployment(t, ns, "web", spec, labels, int32(rolloutTasks), appsv1.DeploymentStrategy{ //nolint:gosec // a few thousand
		Type:          appsv1.RollingUpdateDeploymentStrategyType,
		RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &surge, MaxUnavailable: &unavailable},
	})
	tr := trackPods(t, ns, "app=web", nil)
	tr.waitFor(t, startupWait, readyCount(rolloutTasks))
	restoreKCM()
	settle(rolloutTasks)
	stop := watchBounds(tr, rolloutTasks)
	start := time.Now()
	patch := fmt.Sprintf(`{"spec":{"template":{"spec":{"containers":[{"name":%q,"image":%q}]}}}}`, spec.Containers[0].Name, newImage)
	dep := &appsv1.Deployment{}
	dep.Namespace, dep.Name = ns, "web"
	if err := sb.c.Patch(context.Background(), dep, client.RawPatch(types.StrategicMergePatchType, []byte(patch))); err != nil {
		t.Fatal(err)
	}
	took := tr.waitFor(t, startupWait, allNew(rolloutTasks)).Sub(start)
	b := stop()
	t.Logf("Deployment rollout: %s", tr.timeline(start))
	tr.cancel()
	return took, b
}
