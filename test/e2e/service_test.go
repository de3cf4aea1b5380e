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
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"

	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

const serviceWait = 3 * time.Minute

// zoneSpread is the ECS placement most services use: spread over zones, then nodes.
var zoneSpread = []ecsv1alpha1.PlacementStrategy{
	{Type: ecsv1alpha1.PlacementStrategySpread, Field: "attribute:ecs.availability-zone"},
	{Type: ecsv1alpha1.PlacementStrategySpread, Field: "instanceId"},
}

// deploy creates the "web" TaskDefinition and a Service of it, and waits for revision 1.
func deploy(t *testing.T, ns string, desired int32, change func(*ecsv1alpha1.Service)) {
	t.Helper()
	ctx := context.Background()
	registerTaskDefinition(t, &ecsv1alpha1.TaskDefinition{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"},
		Spec: ecsv1alpha1.TaskDefinitionSpec{
			ContainerDefinitions: []ecsv1alpha1.ContainerDefinition{{Name: "web", Image: "nginx:1.27"}},
		},
	})
	svc := &ecsv1alpha1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"},
		Spec: ecsv1alpha1.ServiceSpec{
			TaskDefinition:    "web",
			DesiredCount:      ptr.To(desired),
			PlacementStrategy: zoneSpread,
		},
	}
	if change != nil {
		change(svc)
	}
	if err := k8s.Create(ctx, svc); err != nil {
		t.Fatal(err)
	}
}

func getService(t *testing.T, ns string) *ecsv1alpha1.Service {
	t.Helper()
	svc := &ecsv1alpha1.Service{}
	if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "web"}, svc); err != nil {
		t.Fatal(err)
	}
	return svc
}

// waitRunning waits until the Service is steady with n RUNNING tasks.
func waitRunning(t *testing.T, ns string, n int32) {
	t.Helper()
	kubetest.Eventually(t, serviceWait, func() error {
		svc := getService(t, ns)
		ready := false
		for _, c := range svc.Status.Conditions {
			ready = ready || (c.Type == ecsv1alpha1.ReadyCondition && c.Status == metav1.ConditionTrue)
		}
		if !ready || svc.Status.ObservedGeneration != svc.Generation || svc.Status.RunningCount != n || svc.Status.PendingCount != 0 {
			return fmt.Errorf("running %d pending %d ready %v, want %d running and steady", svc.Status.RunningCount, svc.Status.PendingCount, ready, n)
		}
		return nil
	})
}

// zoneCounts counts the live task Pods per zone (all three zones listed).
func zoneCounts(t *testing.T, ns string) map[string]int {
	t.Helper()
	ctx := context.Background()
	pods := &corev1.PodList{}
	if err := k8s.List(ctx, pods, client.InNamespace(ns), client.MatchingLabels{ecsv1alpha1.ServiceLabel: "web"}); err != nil {
		t.Fatal(err)
	}
	nodes := &corev1.NodeList{}
	if err := k8s.List(ctx, nodes); err != nil {
		t.Fatal(err)
	}
	zoneOf := map[string]string{}
	for _, n := range nodes.Items {
		zoneOf[n.Name] = n.Labels[corev1.LabelTopologyZone]
	}
	counts := map[string]int{"zone-a": 0, "zone-b": 0, "zone-c": 0}
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil && p.Spec.NodeName != "" && p.Status.Phase == corev1.PodRunning {
			counts[zoneOf[p.Spec.NodeName]]++
		}
	}
	return counts
}

func scaleTo(t *testing.T, ns string, n int32) {
	t.Helper()
	ctx := context.Background()
	scale := &autoscalingv1.Scale{}
	svc := getService(t, ns)
	if err := k8s.SubResource("scale").Get(ctx, svc, scale); err != nil {
		t.Fatal(err)
	}
	scale.Spec.Replicas = n
	if err := k8s.SubResource("scale").Update(ctx, svc, client.WithSubResourceBody(scale)); err != nil {
		t.Fatal(err)
	}
}

// (a) twelve tasks spread four per zone.
func TestServiceSpreadsOverZones(t *testing.T) {
	ns := newNamespace(t)
	deploy(t, ns, 12, nil)
	waitRunning(t, ns, 12)
	if c := zoneCounts(t, ns); c["zone-a"] != 4 || c["zone-b"] != 4 || c["zone-c"] != 4 {
		t.Errorf("tasks per zone %v, want 4/4/4", c)
	}
}

// (b) scale-in keeps the zones within one task of each other, (f) through /scale as
// kubectl scale does.
func TestServiceScaleKeepsZonesBalanced(t *testing.T) {
	ns := newNamespace(t)
	deploy(t, ns, 300, nil)
	waitRunning(t, ns, 300)
	for _, n := range []int32{7, 4, 10, 3} {
		scaleTo(t, ns, n)
		waitRunning(t, ns, n)
		kubetest.Eventually(t, time.Minute, func() error {
			c := zoneCounts(t, ns)
			total := c["zone-a"] + c["zone-b"] + c["zone-c"]
			if total != int(n) || kubetest.Skew(c) > 1 {
				return fmt.Errorf("desiredCount %d: tasks per zone %v", n, c)
			}
			return nil
		})
	}
}

// (c) a new revision rolls out with at most maximumPercent tasks and at least
// minimumHealthyPercent healthy ones at every observed moment.
func TestServiceRollingUpdateBounds(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	deploy(t, ns, 12, nil) // 100 % / 200 %: U = 24, L = 12
	waitRunning(t, ns, 12)

	bounds := sampleBounds(ns)

	td := &ecsv1alpha1.TaskDefinition{}
	if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: "web"}, td); err != nil {
		t.Fatal(err)
	}
	td.Spec.ContainerDefinitions[0].Image = "nginx:1.28"
	if err := k8s.Update(ctx, td); err != nil {
		t.Fatal(err)
	}
	kubetest.Eventually(t, serviceWait, func() error {
		svc := getService(t, ns)
		if svc.Status.TaskDefinition != "web:2" || len(svc.Status.Deployments) == 0 ||
			svc.Status.Deployments[0].RolloutState != ecsv1alpha1.RolloutCompleted || svc.Status.RunningCount != 12 {
			return fmt.Errorf("taskDefinition %s deployments %+v", svc.Status.TaskDefinition, svc.Status.Deployments)
		}
		return nil
	})
	if maxLive, minReady := bounds(); maxLive > 24 || minReady < 12 {
		t.Errorf("during the rollout: at most %d live tasks (U = 24), at least %d ready (L = 12)", maxLive, minReady)
		for _, e := range getService(t, ns).Status.Events {
			t.Logf("%s %s", e.CreatedAt.Format(time.TimeOnly), e.Message)
		}
	}
}

// sampleBounds samples the Service's tasks every 100 ms until the returned function is
// called, which returns the most live and the fewest ready tasks seen.
func sampleBounds(ns string) func() (maxLive, minReady int) {
	return kubetest.SampleBounds(k8s, 100*time.Millisecond, client.InNamespace(ns), client.MatchingLabels{ecsv1alpha1.ServiceLabel: "web"})
}

// (e) tasks of a lost zone are replaced elsewhere, and the zone is rebalanced when it is back:
// start-first with the default 100 % / 200 %, and stop-first with 50 % / 100 % (no room for
// an extra task), within the bounds at every observed moment.
func TestServiceZoneLossAndRebalance(t *testing.T) {
	for _, tc := range []struct {
		name         string
		min, max     int32
		upper, lower int
		announcement string
	}{
		{name: "start-first", min: 100, max: 200, upper: 12, lower: 6, announcement: "Starting AZ rebalancing."},
		{name: "stop-first", min: 50, max: 100, upper: 6, lower: 3, announcement: "so a task in zone-"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ns := newNamespace(t)
			deploy(t, ns, 6, func(s *ecsv1alpha1.Service) {
				s.Spec.DeploymentConfiguration.MinimumHealthyPercent = ptr.To(tc.min)
				s.Spec.DeploymentConfiguration.MaximumPercent = ptr.To(tc.max)
			})
			waitRunning(t, ns, 6)
			_, restore := kubetest.DeleteZone(t, k8s, "zone-c")
			// The pod garbage collector deletes the lost zone's Pods; Berth replaces them.
			kubetest.Eventually(t, serviceWait, func() error {
				c := zoneCounts(t, ns)
				if c["zone-c"] != 0 || c["zone-a"]+c["zone-b"] != 6 || kubetest.Skew(map[string]int{"a": c["zone-a"], "b": c["zone-b"]}) > 1 {
					return fmt.Errorf("tasks per zone %v, want 3/3/0", c)
				}
				return nil
			})
			waitRunning(t, ns, 6)
			bounds := sampleBounds(ns)
			restore()
			kubetest.Eventually(t, serviceWait, func() error {
				if c := zoneCounts(t, ns); c["zone-a"] != 2 || c["zone-b"] != 2 || c["zone-c"] != 2 {
					return fmt.Errorf("tasks per zone %v, want 2/2/2 after rebalancing", c)
				}
				return nil
			})
			waitRunning(t, ns, 6)
			maxLive, minReady := bounds()
			// The balanced event is written by the pass that sees the move done, which may come
			// after the steady status waitRunning saw.
			steady := time.Now()
			kubetest.Eventually(t, time.Minute, func() error {
				svc := getService(t, ns)
				for _, want := range []string{"is not AZ balanced", tc.announcement, "is AZ balanced"} {
					if !slices.ContainsFunc(svc.Status.Events, func(e ecsv1alpha1.ServiceEvent) bool { return strings.Contains(e.Message, want) }) {
						return fmt.Errorf("no event %q", want)
					}
				}
				return nil
			})
			t.Logf("the rebalancing's events were all in status %s after the steady state", time.Since(steady).Round(10*time.Millisecond))
			if maxLive > tc.upper || minReady < tc.lower {
				t.Errorf("while rebalancing: at most %d live tasks (U = %d), at least %d ready (L = %d)", maxLive, tc.upper, minReady, tc.lower)
			}
		})
	}
}

// TestServiceStartupTime measures 0 → 300 RUNNING tasks next to a Deployment of the same
// template in the same sandbox, for the budget note.
func TestServiceStartupTime(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	start := time.Now()
	deploy(t, ns, 300, func(s *ecsv1alpha1.Service) { s.Spec.PlacementStrategy = zoneSpread })
	waitRunning(t, ns, 300)
	berth := time.Since(start)

	pods := &corev1.PodList{}
	if err := k8s.List(ctx, pods, client.InNamespace(ns), client.MatchingLabels{ecsv1alpha1.ServiceLabel: "web"}); err != nil || len(pods.Items) == 0 {
		t.Fatalf("reading a task template: %v", err)
	}
	tmpl := pods.Items[0]
	labels := map[string]string{"app": "web-deployment"}
	spec := *tmpl.Spec.DeepCopy()
	spec.NodeName = ""
	spec.RestartPolicy = corev1.RestartPolicyAlways // the only policy a Deployment allows
	for i := range spec.TopologySpreadConstraints {
		spec.TopologySpreadConstraints[i].LabelSelector = &metav1.LabelSelector{MatchLabels: labels}
		spec.TopologySpreadConstraints[i].MatchLabelKeys = []string{"pod-template-hash"}
	}
	dns := newNamespace(t)
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: dns, Name: "web"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](300),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec},
		},
	}
	start = time.Now()
	if err := k8s.Create(ctx, dep); err != nil {
		t.Fatal(err)
	}
	kubetest.Eventually(t, serviceWait, func() error {
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(dep), dep); err != nil {
			return err
		}
		if dep.Status.ReadyReplicas != 300 {
			return fmt.Errorf("%d ready", dep.Status.ReadyReplicas)
		}
		return nil
	})
	t.Logf("0 → 300 RUNNING: Berth Service %s, Deployment %s", berth.Round(100*time.Millisecond), time.Since(start).Round(100*time.Millisecond))
}

// exitLabel is the sandbox's fault injection (hack/kwok/stages.yaml): kwok makes the
// container named by this Pod label exit with code 1 instead of starting. A task definition
// sets it as a dockerLabel, which becomes a task Pod label.
const exitLabel = "sandbox.berth.dev/exit-container"

// (d) a revision whose essential container exits trips the deployment circuit breaker: the
// deployment is FAILED and the service rolls back to the last COMPLETED one, with ECS's
// events.
func TestServiceCircuitBreakerRollsBack(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	deploy(t, ns, 3, func(s *ecsv1alpha1.Service) {
		s.Spec.DeploymentConfiguration.DeploymentCircuitBreaker = &ecsv1alpha1.DeploymentCircuitBreaker{Enable: true, Rollback: true}
	})
	waitRunning(t, ns, 3)
	good := getService(t, ns).Status.Deployments[0]
	if good.Status != ecsv1alpha1.DeploymentPrimary || good.RolloutState != ecsv1alpha1.RolloutCompleted || good.TaskDefinition != "web:1" {
		t.Fatalf("first deployment %+v, want PRIMARY web:1 COMPLETED", good)
	}

	// Revision 2: its essential container "web" exits as soon as kwok starts it.
	kubetest.Eventually(t, time.Minute, func() error {
		td := &ecsv1alpha1.TaskDefinition{}
		if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: "web"}, td); err != nil {
			return err
		}
		td.Spec.ContainerDefinitions[0].DockerLabels = map[string]string{exitLabel: "web"}
		return k8s.Update(ctx, td)
	})

	var svc *ecsv1alpha1.Service
	var failed ecsv1alpha1.Deployment
	kubetest.Eventually(t, serviceWait, func() error {
		svc = getService(t, ns)
		failed = ecsv1alpha1.Deployment{}
		for _, d := range svc.Status.Deployments {
			if d.TaskDefinition == "web:2" {
				failed = d
			}
		}
		p := svc.Status.Deployments[0]
		if failed.RolloutState != ecsv1alpha1.RolloutFailed || p.ID != good.ID || p.Status != ecsv1alpha1.DeploymentPrimary ||
			p.RolloutState != ecsv1alpha1.RolloutCompleted || svc.Status.RunningCount != 3 || svc.Status.PendingCount != 0 {
			return fmt.Errorf("web:2 deployment %+v; PRIMARY %+v; running %d pending %d", failed, p, svc.Status.RunningCount, svc.Status.PendingCount)
		}
		return nil
	})
	if failed.Status == ecsv1alpha1.DeploymentPrimary || failed.FailedTasks < 3 {
		t.Errorf("web:2 deployment %+v: want it no longer PRIMARY, with at least 3 failed tasks (the threshold for 3 tasks)", failed)
	}
	stalled, ready := conditionOf(svc, ecsv1alpha1.StalledCondition), conditionOf(svc, ecsv1alpha1.ReadyCondition)
	if stalled == nil || stalled.Status != metav1.ConditionTrue || stalled.Reason != ecsv1alpha1.RolledBackReason {
		t.Errorf("Stalled = %+v, want True with reason %s", stalled, ecsv1alpha1.RolledBackReason)
	}
	if ready == nil || ready.Status != metav1.ConditionTrue {
		t.Errorf("Ready = %+v, want True: the rolled-back deployment is steady", ready)
	}

	// The service events tell the story in ECS's words, newest first.
	want := []string{
		"(service web) (task web-",
		"stopped: Essential container in task exited: container web exited with code 1 (Error).",
		"(service web) (deployment " + failed.ID + ") deployment failed: tasks failed to start.",
		"(service web) rolling back to deployment " + good.ID + ".",
		"(service web) has reached a steady state.",
	}
	messages := make([]string, 0, len(svc.Status.Events))
	for _, e := range svc.Status.Events {
		messages = append(messages, e.Message)
	}
	for _, w := range want {
		if !slices.ContainsFunc(messages, func(m string) bool { return strings.Contains(m, w) }) {
			t.Errorf("no service event contains %q; events:\n%s", w, strings.Join(messages, "\n"))
		}
	}
	index := func(text string) int {
		return slices.IndexFunc(messages, func(m string) bool { return strings.Contains(m, text) })
	}
	if f, r := index("deployment failed"), index("rolling back"); f < 0 || r < 0 || r > f {
		t.Errorf("the rollback (event %d) should follow the failure (event %d), newest first", r, f)
	}

	// The same events reach kubectl describe as Kubernetes Events.
	kubetest.Eventually(t, time.Minute, func() error {
		list := &eventsv1.EventList{}
		if err := k8s.List(ctx, list, client.InNamespace(ns)); err != nil {
			return err
		}
		seen := map[string]string{}
		for _, e := range list.Items {
			if e.Regarding.Kind == "Service" && e.Regarding.Name == "web" {
				seen[e.Reason] = e.Type
			}
		}
		for reason, typ := range map[string]string{"DeploymentFailed": corev1.EventTypeWarning, "RollingBack": corev1.EventTypeWarning, "TaskStopped": corev1.EventTypeWarning} {
			if seen[reason] != typ {
				return fmt.Errorf("Kubernetes Events by reason %v, want %s of type %s", seen, reason, typ)
			}
		}
		return nil
	})

	// Only the good revision's tasks are left, and they stay.
	pods := &corev1.PodList{}
	if err := k8s.List(ctx, pods, client.InNamespace(ns), client.MatchingLabels{ecsv1alpha1.ServiceLabel: "web"}); err != nil {
		t.Fatal(err)
	}
	live, ready3 := kubetest.LiveAndReady(pods.Items)
	if live != 3 || ready3 != 3 {
		t.Errorf("%d live and %d ready task Pods after the rollback, want 3 and 3", live, ready3)
	}
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil && p.Labels[ecsv1alpha1.DeploymentLabel] != good.ID {
			t.Errorf("task %s of deployment %s left after the rollback", p.Name, p.Labels[ecsv1alpha1.DeploymentLabel])
		}
	}
}

func conditionOf(svc *ecsv1alpha1.Service, typ string) *metav1.Condition {
	for i := range svc.Status.Conditions {
		if svc.Status.Conditions[i].Type == typ {
			return &svc.Status.Conditions[i]
		}
	}
	return nil
}
