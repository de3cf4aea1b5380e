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

package ecs_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/tasks"
	"github.com/berth-dev/berth/internal/testutil/ecstest"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

// threeZones makes one node per zone for a test, named after the namespace.
func threeZones(t *testing.T, ns string) []string {
	t.Helper()
	return ecstest.ThreeZones(t, k8s, ns)
}

func TestServiceRunsDesiredTasks(t *testing.T) {
	ns := serviceNamespace(t)
	ctx := context.Background()
	createTaskDefinition(t, ns)
	svc := newService(ns, "web", 3)
	svc.Spec.PlacementStrategy = []ecsv1alpha1.PlacementStrategy{{Type: ecsv1alpha1.PlacementStrategySpread, Field: "attribute:ecs.availability-zone"}}
	svc.Spec.PlacementConstraints = []ecsv1alpha1.PlacementConstraint{{Type: ecsv1alpha1.PlacementConstraintMemberOf, Expression: "attribute:ecs.availability-zone != zone-z"}}
	if err := k8s.Create(ctx, svc); err != nil {
		t.Fatal(err)
	}

	pods := waitPods(t, ns, "web", 3)
	var cur *ecsv1alpha1.Service
	kubetest.Eventually(t, waitFor, func() error {
		cur = getService(t, ns, "web")
		if primary(cur) == nil || cur.Status.PendingCount != 3 {
			return fmt.Errorf("status %+v: want a PRIMARY deployment and 3 pending tasks", cur.Status)
		}
		return nil
	})
	dep := primary(cur)
	if dep.TaskDefinition != "web:1" || dep.RolloutState != ecsv1alpha1.RolloutInProgress || dep.DesiredCount != 3 {
		t.Errorf("PRIMARY = %+v", dep)
	}
	if cur.Status.Selector != "ecs.berth.dev/service=web" || cur.Status.DesiredCount != 3 || cur.Status.TaskDefinition != "web:1" {
		t.Errorf("status selector %q desired %d taskDefinition %q", cur.Status.Selector, cur.Status.DesiredCount, cur.Status.TaskDefinition)
	}
	if c := conditionOf(cur, ecsv1alpha1.ReadyCondition); c == nil || c.Status != metav1.ConditionFalse {
		t.Errorf("Ready = %+v, want False while tasks are pending", c)
	}
	for _, p := range pods {
		if want := "web-" + strings.TrimPrefix(dep.ID, tasks.DeploymentIDPrefix) + "-"; !strings.HasPrefix(p.Name, want) {
			t.Errorf("task %s is not named %s<suffix>", p.Name, want)
		}
		if p.Labels[ecsv1alpha1.ServiceLabel] != "web" || p.Labels[ecsv1alpha1.DeploymentLabel] != dep.ID || p.Labels[ecsv1alpha1.TaskDefinitionLabel] != "web-1" {
			t.Errorf("task %s labels = %v", p.Name, p.Labels)
		}
		if !metav1.IsControlledBy(&p, cur) {
			t.Errorf("task %s is not controlled by the Service: %+v", p.Name, p.OwnerReferences)
		}
		if p.Spec.RestartPolicy != corev1.RestartPolicyNever {
			t.Errorf("task %s restartPolicy = %s", p.Name, p.Spec.RestartPolicy)
		}
		tsc := p.Spec.TopologySpreadConstraints
		if len(tsc) != 1 || tsc[0].TopologyKey != corev1.LabelTopologyZone || tsc[0].WhenUnsatisfiable != corev1.ScheduleAnyway ||
			tsc[0].LabelSelector.MatchLabels[ecsv1alpha1.ServiceLabel] != "web" {
			t.Errorf("task %s topologySpreadConstraints = %+v", p.Name, tsc)
		}
		aff := p.Spec.Affinity
		if aff == nil || aff.NodeAffinity == nil || aff.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
			t.Fatalf("task %s has no required node affinity: %+v", p.Name, aff)
		}
		expr := aff.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0].MatchExpressions[0]
		if expr.Key != corev1.LabelTopologyZone || expr.Operator != corev1.NodeSelectorOpNotIn || !slices.Equal(expr.Values, []string{"zone-z"}) {
			t.Errorf("task %s node affinity = %+v", p.Name, expr)
		}
	}

	nodes := threeZones(t, ns)
	startKubelet(t, ns, roundRobin(nodes...), always(runReady))
	cur = waitSteady(t, ns, "web", 3)
	if d := primary(cur); d.RolloutState != ecsv1alpha1.RolloutCompleted || d.RunningCount != 3 {
		t.Errorf("PRIMARY = %+v, want COMPLETED with 3 running", d)
	}
	for _, text := range []string{"(service web) has started 3 tasks:", "(service web) has reached a steady state."} {
		if !hasEvent(cur, text) {
			t.Errorf("no event %q in %v", text, eventMessages(cur))
		}
	}
	if c := conditionOf(cur, ecsv1alpha1.ProgressingCondition); c == nil || c.Status != metav1.ConditionFalse || c.Reason != ecsv1alpha1.SteadyStateReason {
		t.Errorf("Progressing = %+v", c)
	}
	for _, typ := range []string{ecsv1alpha1.ReconcilingCondition, ecsv1alpha1.StalledCondition} {
		if c := conditionOf(cur, typ); c != nil {
			t.Errorf("%s present at steady state: %+v", typ, c)
		}
	}
	kubetest.Eventually(t, waitFor, func() error {
		reasons := kubeEventReasons(t, ns, "web")
		if !slices.Contains(reasons, "SteadyState") || !slices.Contains(reasons, "TasksStarted") {
			return fmt.Errorf("Kubernetes Events %v, want SteadyState and TasksStarted", reasons)
		}
		return nil
	})

	// A deleted task is replaced.
	victim := livePods(t, ns, "web")[0]
	if err := k8s.Delete(ctx, &victim); err != nil {
		t.Fatal(err)
	}
	kubetest.Eventually(t, waitFor, func() error {
		pods := livePods(t, ns, "web")
		if len(pods) != 3 || slices.ContainsFunc(pods, func(p corev1.Pod) bool { return p.Name == victim.Name }) {
			return fmt.Errorf("%d live tasks, want 3 without %s", len(pods), victim.Name)
		}
		return nil
	})
	waitSteady(t, ns, "web", 3)
}

func TestServiceReplacesTaskWhenEssentialContainerExits(t *testing.T) {
	ns := serviceNamespace(t)
	createTaskDefinition(t, ns)
	if err := k8s.Create(context.Background(), newService(ns, "web", 2)); err != nil {
		t.Fatal(err)
	}
	nodes := threeZones(t, ns)
	startKubelet(t, ns, roundRobin(nodes...), always(runReady))
	waitSteady(t, ns, "web", 2)

	victim := livePods(t, ns, "web")[0]
	exitAfterReady(t, &victim)
	waitEvent(t, ns, "web", fmt.Sprintf("(service web) (task %s) stopped: Essential container in task exited: container web exited with code 1 (Error).", victim.Name))
	kubetest.Eventually(t, waitFor, func() error {
		pods := livePods(t, ns, "web")
		if len(pods) != 2 || slices.ContainsFunc(pods, func(p corev1.Pod) bool { return p.Name == victim.Name }) {
			return fmt.Errorf("%d live tasks, want 2 without %s", len(pods), victim.Name)
		}
		return nil
	})
	svc := waitSteady(t, ns, "web", 2)
	if d := primary(svc); d.FailedTasks != 0 {
		t.Errorf("failedTasks = %d: a task that was healthy did not fail to start", d.FailedTasks)
	}
	kubetest.Eventually(t, waitFor, func() error {
		if reasons := kubeEventReasons(t, ns, "web"); !slices.Contains(reasons, "TaskStopped") {
			return fmt.Errorf("Kubernetes Events %v, want TaskStopped", reasons)
		}
		return nil
	})
}

func TestServiceRollsOutNewRevisionWithinBounds(t *testing.T) {
	ns := serviceNamespace(t)
	createTaskDefinition(t, ns)
	svc := newService(ns, "web", 4)
	svc.Spec.DeploymentConfiguration = ecsv1alpha1.DeploymentConfiguration{MinimumHealthyPercent: ptr.To[int32](50), MaximumPercent: ptr.To[int32](150)}
	if err := k8s.Create(context.Background(), svc); err != nil {
		t.Fatal(err)
	}
	startKubelet(t, ns, roundRobin(threeZones(t, ns)...), always(runReady))
	first := primary(waitSteady(t, ns, "web", 4))

	bounds := sampleBounds(ns, "web")
	setImage(t, ns, "web", "nginx:1.27")
	waitRevision(t, ns, "web", 2)
	var cur *ecsv1alpha1.Service
	kubetest.Eventually(t, waitFor, func() error {
		cur = getService(t, ns, "web")
		d := primary(cur)
		if d == nil || d.TaskDefinition != "web:2" || d.RolloutState != ecsv1alpha1.RolloutCompleted || cur.Status.RunningCount != 4 {
			return fmt.Errorf("PRIMARY %+v running %d: want web:2 COMPLETED with 4 running", d, cur.Status.RunningCount)
		}
		return nil
	})
	if maxLive, minHealthy := bounds(); maxLive > 6 || minHealthy < 2 {
		t.Errorf("during the rollout: at most %d live tasks (U = 6), at least %d healthy (L = 2)", maxLive, minHealthy)
	}
	for _, p := range livePods(t, ns, "web") {
		if p.Labels[ecsv1alpha1.TaskDefinitionLabel] != "web-2" {
			t.Errorf("task %s runs %s after the rollout", p.Name, p.Labels[ecsv1alpha1.TaskDefinitionLabel])
		}
	}
	if cur.Status.TaskDefinition != "web:2" {
		t.Errorf("status.taskDefinition = %q", cur.Status.TaskDefinition)
	}
	var old *ecsv1alpha1.Deployment
	for i := range cur.Status.Deployments {
		if cur.Status.Deployments[i].ID == first.ID {
			old = &cur.Status.Deployments[i]
		}
	}
	if old == nil || old.Status != ecsv1alpha1.DeploymentInactive || old.RunningCount != 0 {
		t.Errorf("first deployment after the rollout = %+v, want INACTIVE", old)
	}
	if !hasEvent(cur, "deployment completed.") {
		t.Errorf("no deployment completed event in %v", eventMessages(cur))
	}
}

func TestServiceCircuitBreakerRollsBack(t *testing.T) {
	ns := serviceNamespace(t)
	createTaskDefinition(t, ns)
	svc := newService(ns, "web", 3)
	svc.Spec.DeploymentConfiguration = ecsv1alpha1.DeploymentConfiguration{
		DeploymentCircuitBreaker: &ecsv1alpha1.DeploymentCircuitBreaker{Enable: true, Rollback: true},
	}
	if err := k8s.Create(context.Background(), svc); err != nil {
		t.Fatal(err)
	}
	// Tasks of revision 2 exit before they are ever ready.
	startKubelet(t, ns, roundRobin(threeZones(t, ns)...), func(p *corev1.Pod) fate {
		if p.Labels[ecsv1alpha1.TaskDefinitionLabel] == "web-2" {
			return exitAtStart
		}
		return runReady
	})
	good := primary(waitSteady(t, ns, "web", 3))

	setImage(t, ns, "web", "nginx:broken")
	waitRevision(t, ns, "web", 2)
	cur := waitEvent(t, ns, "web", "rolling back to deployment "+good.ID)
	if !hasEvent(cur, "deployment failed: tasks failed to start.") {
		t.Errorf("no deployment failed event in %v", eventMessages(cur))
	}
	kubetest.Eventually(t, waitFor, func() error {
		cur = getService(t, ns, "web")
		p := primary(cur)
		stalled := conditionOf(cur, ecsv1alpha1.StalledCondition)
		if p == nil || p.ID != good.ID || p.RolloutState != ecsv1alpha1.RolloutCompleted || cur.Status.RunningCount != 3 {
			return fmt.Errorf("PRIMARY %+v: want %s back and COMPLETED", p, good.ID)
		}
		if stalled == nil || stalled.Reason != ecsv1alpha1.RolledBackReason {
			return fmt.Errorf("Stalled = %+v, want RolledBack", stalled)
		}
		return nil
	})
	var failed *ecsv1alpha1.Deployment
	for i := range cur.Status.Deployments {
		if d := &cur.Status.Deployments[i]; d.TaskDefinition == "web:2" {
			failed = d
		}
	}
	if failed == nil || failed.RolloutState != ecsv1alpha1.RolloutFailed || failed.FailedTasks < 3 {
		t.Errorf("web:2 deployment = %+v, want FAILED with at least 3 failed tasks", failed)
	}
	for _, p := range livePods(t, ns, "web") {
		if p.Labels[ecsv1alpha1.DeploymentLabel] != good.ID {
			t.Errorf("task %s of %s still runs after the rollback", p.Name, p.Labels[ecsv1alpha1.DeploymentLabel])
		}
	}
	if c := conditionOf(cur, ecsv1alpha1.ReadyCondition); c == nil || c.Status != metav1.ConditionTrue {
		t.Errorf("Ready = %+v, want True: the rolled-back deployment is steady", c)
	}
}

func TestServiceScaleSubresource(t *testing.T) {
	ns := serviceNamespace(t)
	ctx := context.Background()
	createTaskDefinition(t, ns)
	svc := newService(ns, "web", 2)
	if err := k8s.Create(ctx, svc); err != nil {
		t.Fatal(err)
	}
	startKubelet(t, ns, roundRobin(threeZones(t, ns)...), always(runReady))
	id := primary(waitSteady(t, ns, "web", 2)).ID

	for _, n := range []int32{6, 3, 1} {
		scale := &autoscalingv1.Scale{}
		if err := k8s.SubResource("scale").Get(ctx, getService(t, ns, "web"), scale); err != nil {
			t.Fatal(err)
		}
		scale.Spec.Replicas = n
		if err := k8s.SubResource("scale").Update(ctx, getService(t, ns, "web"), client.WithSubResourceBody(scale)); err != nil {
			t.Fatal(err)
		}
		cur := waitSteady(t, ns, "web", n)
		if len(cur.Status.Deployments) != 1 || cur.Status.Deployments[0].ID != id {
			t.Errorf("scaling to %d changed the deployments: %+v", n, cur.Status.Deployments)
		}
		waitPods(t, ns, "web", int(n))
		if err := k8s.SubResource("scale").Get(ctx, cur, scale); err != nil {
			t.Fatal(err)
		}
		if scale.Status.Replicas != n || scale.Status.Selector != "ecs.berth.dev/service=web" {
			t.Errorf("scale status = %+v, want %d replicas and the service selector", scale.Status, n)
		}
		if n == 3 { // scale-in from 2/2/2 keeps one task per zone
			perNode := map[string]int{}
			for _, p := range livePods(t, ns, "web") {
				perNode[p.Spec.NodeName]++
			}
			if len(perNode) != 3 {
				t.Errorf("after scale-in to 3, tasks per node = %v, want one in each zone", perNode)
			}
		}
	}
}

func TestServiceNewDeploymentOnlyForPodChanges(t *testing.T) {
	ns := serviceNamespace(t)
	ctx := context.Background()
	createTaskDefinition(t, ns)
	if err := k8s.Create(ctx, newService(ns, "web", 2)); err != nil {
		t.Fatal(err)
	}
	startKubelet(t, ns, roundRobin(threeZones(t, ns)...), always(runReady))
	first := primary(waitSteady(t, ns, "web", 2)).ID
	before := livePods(t, ns, "web")

	// Re-applying the same spec, or changing what does not reach the Pods, starts nothing.
	updateService(t, ns, "web", func(s *ecsv1alpha1.Service) {
		s.Labels = map[string]string{"touched": "yes"}
		s.Spec.DeploymentConfiguration.MinimumHealthyPercent = ptr.To[int32](50)
		s.Spec.HealthCheckGracePeriodSeconds = nil
	})
	waitSteady(t, ns, "web", 2)
	kubetest.Consistently(t, 2*time.Second, func() error {
		cur := getService(t, ns, "web")
		if len(cur.Status.Deployments) != 1 || cur.Status.Deployments[0].ID != first {
			return fmt.Errorf("deployments %+v after a change that does not reach the Pods", cur.Status.Deployments)
		}
		if pods := livePods(t, ns, "web"); len(pods) != 2 || pods[0].Name != before[0].Name || pods[1].Name != before[1].Name {
			return fmt.Errorf("tasks changed: %d live", len(pods))
		}
		return nil
	})

	// forceNewDeployment, a pod-affecting field, starts one.
	updateService(t, ns, "web", func(s *ecsv1alpha1.Service) { s.Spec.ForceNewDeployment = "2026-11-22T10:00:00Z" })
	kubetest.Eventually(t, waitFor, func() error {
		cur := getService(t, ns, "web")
		p := primary(cur)
		if p == nil || p.ID == first || p.RolloutState != ecsv1alpha1.RolloutCompleted || p.TaskDefinition != "web:1" {
			return fmt.Errorf("PRIMARY %+v: want a new COMPLETED deployment of web:1", p)
		}
		return nil
	})
}

func TestServiceStalledUntilTaskDefinitionExists(t *testing.T) {
	ns := serviceNamespace(t)
	ctx := context.Background()
	if err := k8s.Create(ctx, newService(ns, "web", 1)); err != nil {
		t.Fatal(err)
	}
	kubetest.Eventually(t, waitFor, func() error {
		cur := getService(t, ns, "web")
		c := conditionOf(cur, ecsv1alpha1.StalledCondition)
		if c == nil || c.Status != metav1.ConditionTrue || c.Reason != ecsv1alpha1.TaskDefinitionNotFoundReason ||
			!strings.Contains(c.Message, `no TaskDefinition "web"`) || cur.Status.ObservedGeneration != cur.Generation {
			return fmt.Errorf("Stalled = %+v at generation %d/%d", c, cur.Status.ObservedGeneration, cur.Generation)
		}
		if r := conditionOf(cur, ecsv1alpha1.ReadyCondition); r == nil || r.Status != metav1.ConditionFalse || r.Reason != ecsv1alpha1.TaskDefinitionNotFoundReason {
			return fmt.Errorf("Ready = %+v", r)
		}
		return nil
	})
	if pods := livePods(t, ns, "web"); len(pods) != 0 {
		t.Errorf("%d tasks without a task definition", len(pods))
	}

	createTaskDefinition(t, ns)
	startKubelet(t, ns, roundRobin(threeZones(t, ns)...), always(runReady))
	cur := waitSteady(t, ns, "web", 1)
	if c := conditionOf(cur, ecsv1alpha1.StalledCondition); c != nil {
		t.Errorf("Stalled still present: %+v", c)
	}

	// A placement expression with no node-affinity equivalent stalls the Service with the
	// field and the reason; the running deployment stays.
	updateService(t, ns, "web", func(s *ecsv1alpha1.Service) {
		s.Spec.PlacementConstraints = []ecsv1alpha1.PlacementConstraint{{Type: ecsv1alpha1.PlacementConstraintMemberOf, Expression: "attribute:ecs.instance-type =~ t2.*"}}
	})
	kubetest.Eventually(t, waitFor, func() error {
		cur = getService(t, ns, "web")
		c := conditionOf(cur, ecsv1alpha1.StalledCondition)
		if c == nil || c.Reason != ecsv1alpha1.InvalidPlacementReason || !strings.Contains(c.Message, "spec.placementConstraints[0].expression") ||
			cur.Status.ObservedGeneration != cur.Generation {
			return fmt.Errorf("Stalled = %+v", c)
		}
		return nil
	})
	if len(cur.Status.Deployments) != 1 || cur.Status.RunningCount != 1 {
		t.Errorf("the running deployment changed: %+v", cur.Status.Deployments)
	}
}

func TestServiceLoadBalancersAndServiceRegistries(t *testing.T) {
	ns := serviceNamespace(t)
	ctx := context.Background()
	createTaskDefinition(t, ns)
	svc := newService(ns, "web", 1)
	svc.Spec.LoadBalancers = []ecsv1alpha1.LoadBalancer{{ContainerName: "web", ContainerPort: 8080, Port: ptr.To[int32](80)}}
	svc.Spec.ServiceRegistries = []ecsv1alpha1.ServiceRegistry{{ContainerName: "web", ContainerPort: ptr.To[int32](8080)}}
	if err := k8s.Create(ctx, svc); err != nil {
		t.Fatal(err)
	}
	owner := getService(t, ns, "web")
	get := func(name string) (*corev1.Service, error) {
		cs := &corev1.Service{}
		return cs, k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, cs)
	}
	kubetest.Eventually(t, waitFor, func() error {
		lb, err := get("web")
		if err != nil {
			return err
		}
		if lb.Spec.Type != corev1.ServiceTypeClusterIP || lb.Spec.Selector[ecsv1alpha1.ServiceLabel] != "web" || len(lb.Spec.Selector) != 1 ||
			len(lb.Spec.Ports) != 1 || lb.Spec.Ports[0].Port != 80 || lb.Spec.Ports[0].TargetPort.IntValue() != 8080 || !metav1.IsControlledBy(lb, owner) {
			return fmt.Errorf("load balancer Service = %+v", lb.Spec)
		}
		dns, err := get("web-discovery")
		if err != nil {
			return err
		}
		if dns.Spec.ClusterIP != corev1.ClusterIPNone || dns.Spec.Selector[ecsv1alpha1.ServiceLabel] != "web" || !metav1.IsControlledBy(dns, owner) {
			return fmt.Errorf("discovery Service = %+v", dns.Spec)
		}
		return nil
	})

	updateService(t, ns, "web", func(s *ecsv1alpha1.Service) {
		s.Spec.ServiceRegistries = nil
		s.Spec.LoadBalancers[0].Port = ptr.To[int32](8000)
	})
	kubetest.Eventually(t, waitFor, func() error {
		if _, err := get("web-discovery"); !apierrors.IsNotFound(err) {
			return fmt.Errorf("discovery Service still there (%w)", err)
		}
		lb, err := get("web")
		if err != nil || len(lb.Spec.Ports) != 1 || lb.Spec.Ports[0].Port != 8000 {
			return fmt.Errorf("load balancer Service not updated (%w)", err)
		}
		return nil
	})
}

func TestServiceReportsUnplaceableTask(t *testing.T) {
	ns := serviceNamespace(t)
	createTaskDefinition(t, ns)
	if err := k8s.Create(context.Background(), newService(ns, "web", 1)); err != nil {
		t.Fatal(err)
	}
	startKubelet(t, ns, func(*corev1.Pod) string { return "" }, always(leave))
	cur := waitEvent(t, ns, "web", "(service web) was unable to place a task because no container instance met all of its requirements. "+
		"Reason: 0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.")
	if cur.Status.PendingCount != 1 {
		t.Errorf("pendingCount = %d, want 1", cur.Status.PendingCount)
	}
	kubetest.Consistently(t, time.Second, func() error {
		n := 0
		for _, e := range getService(t, ns, "web").Status.Events {
			if strings.Contains(e.Message, "was unable to place a task") {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("%d unable-to-place events, want 1", n)
		}
		return nil
	})
}

func TestServiceDaemonRunsOneTaskPerEligibleNode(t *testing.T) {
	ns := serviceNamespace(t)
	ctx := context.Background()
	createTaskDefinition(t, ns)
	nodes := threeZones(t, ns)
	cordon := func(name string, on bool) {
		kubetest.Eventually(t, waitFor, func() error {
			n := &corev1.Node{}
			if err := k8s.Get(ctx, types.NamespacedName{Name: name}, n); err != nil {
				return err
			}
			n.Spec.Unschedulable = on
			return k8s.Update(ctx, n)
		})
	}
	cordon(nodes[2], true)
	svc := newService(ns, "agent", 0)
	svc.Spec.SchedulingStrategy = ecsv1alpha1.SchedulingStrategyDaemon
	svc.Spec.DesiredCount = nil
	svc.Spec.PlacementConstraints = []ecsv1alpha1.PlacementConstraint{{Type: ecsv1alpha1.PlacementConstraintMemberOf, Expression: "attribute:pool == " + ns}}
	if err := k8s.Create(ctx, svc); err != nil {
		t.Fatal(err)
	}
	pinned := func(p corev1.Pod) string {
		for _, term := range p.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
			for _, f := range term.MatchFields {
				if f.Key == "metadata.name" {
					return f.Values[0]
				}
			}
		}
		return ""
	}
	// The simulated scheduler honours the pin.
	startKubelet(t, ns, func(p *corev1.Pod) string { return pinned(*p) }, always(runReady))
	check := func(want ...string) {
		t.Helper()
		kubetest.Eventually(t, waitFor, func() error {
			var got []string
			for _, p := range livePods(t, ns, "agent") {
				got = append(got, pinned(p))
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				return fmt.Errorf("tasks pinned to %v, want %v", got, want)
			}
			return nil
		})
		cur := waitSteady(t, ns, "agent", int32(len(want)))
		if cur.Status.DesiredCount != int32(len(want)) {
			t.Errorf("desiredCount = %d, want the %d eligible nodes", cur.Status.DesiredCount, len(want))
		}
	}
	check(nodes[0], nodes[1])
	// ECS's DAEMON defaults: no surge, stop first.
	if cur := getService(t, ns, "agent"); cur.Status.MinimumHealthyPercent == nil || *cur.Status.MinimumHealthyPercent != 0 ||
		cur.Status.MaximumPercent == nil || *cur.Status.MaximumPercent != 100 || cur.Spec.DeploymentConfiguration.MaximumPercent != nil {
		t.Errorf("DAEMON percents in effect %v / %v (spec %+v), want 0 / 100 from the controller's defaults",
			ptr.Deref(cur.Status.MinimumHealthyPercent, -1), ptr.Deref(cur.Status.MaximumPercent, -1), cur.Spec.DeploymentConfiguration)
	}
	cordon(nodes[2], false)
	check(nodes...)
	cordon(nodes[0], true)
	check(nodes[1], nodes[2])
}

func TestServiceRebalancesZones(t *testing.T) {
	ns, _ := rebalancingService(t, nil, nil)
	cur := waitEvent(t, ns, "web", "(service web) is AZ balanced with 1 task in zone-a, 1 task in zone-b and 1 task in zone-c.")
	if !hasEvent(cur, "(service web) is not AZ balanced with 3 tasks in zone-a, 0 tasks in zone-b and 0 tasks in zone-c.") {
		t.Errorf("no not-balanced event in %v", eventMessages(cur))
	}
	waitRebalanced(t, ns)
}

// With maximumPercent 100 there is no room to start a task before stopping one: rebalancing
// is blocked while minimumHealthyPercent forbids one task fewer (and says so), and stops first
// once it allows it, never exceeding desiredCount nor dropping below the lower bound.
func TestServiceRebalancesZonesStopFirst(t *testing.T) {
	// L = ceil(3 × 90 %) = 3, U = 3: neither start-first nor stop-first fits.
	ns, nodes := rebalancingService(t, func(s *ecsv1alpha1.Service) {
		s.Spec.DeploymentConfiguration = ecsv1alpha1.DeploymentConfiguration{MinimumHealthyPercent: ptr.To[int32](90), MaximumPercent: ptr.To[int32](100)}
	}, nil)

	cur := waitEvent(t, ns, "web", "(service web) is not AZ balanced with 3 tasks in zone-a, 0 tasks in zone-b and 0 tasks in zone-c. AZ rebalancing is blocked: "+
		"maximumPercent allows 3 tasks, so none can start before one stops, and minimumHealthyPercent needs 3 healthy tasks")
	if p, m := cur.Status.MinimumHealthyPercent, cur.Status.MaximumPercent; p == nil || *p != 90 || m == nil || *m != 100 {
		t.Errorf("status percents %v / %v, want 90 / 100", ptr.Deref(p, -1), ptr.Deref(m, -1))
	}
	kubetest.Eventually(t, waitFor, func() error {
		ready := conditionOf(getService(t, ns, "web"), ecsv1alpha1.ReadyCondition)
		if ready == nil || ready.Status != metav1.ConditionTrue || !strings.Contains(ready.Message, "AZ rebalancing blocked: maximumPercent allows 3 tasks") {
			return fmt.Errorf("Ready = %+v, want True and saying rebalancing is blocked", ready)
		}
		return nil
	})
	if !slices.Contains(kubeEventReasons(t, ns, "web"), "AZRebalancingBlocked") {
		t.Errorf("no AZRebalancingBlocked Kubernetes Event: %v", kubeEventReasons(t, ns, "web"))
	}
	for _, p := range livePods(t, ns, "web") {
		if p.Spec.NodeName != nodes[0] || p.Annotations[tasks.AnnotationRebalanceZone] != "" {
			t.Errorf("task %s on %s (pin %q) while rebalancing is blocked", p.Name, p.Spec.NodeName, p.Annotations[tasks.AnnotationRebalanceZone])
		}
	}

	// L = ceil(3 × 50 %) = 2: one task may stop before its replacement starts.
	bounds := sampleBounds(ns, "web")
	updateService(t, ns, "web", func(s *ecsv1alpha1.Service) {
		s.Spec.DeploymentConfiguration.MinimumHealthyPercent = ptr.To[int32](50)
	})
	cur = waitEvent(t, ns, "web", "(service web) is AZ balanced with 1 task in zone-a, 1 task in zone-b and 1 task in zone-c.")
	maxLive, minHealthy := bounds()
	if !hasEvent(cur, "Starting AZ rebalancing: maximumPercent leaves no room to start a task first, so a task in zone-a stops first.") {
		t.Errorf("no stop-first event in %v", eventMessages(cur))
	}
	if !hasEvent(cur, "(service web) has stopped 1 running tasks: (task web-") {
		t.Errorf("no tasks-stopped event in %v", eventMessages(cur))
	}
	if maxLive > 3 || minHealthy < 2 {
		t.Errorf("while rebalancing: up to %d live tasks (U = 3), down to %d healthy (L = 2)", maxLive, minHealthy)
	}
	waitRebalanced(t, ns)
}

// A rebalancing task that cannot be placed (here: the scheduler does not know zone-c's node
// yet, as when a zone's nodes come back) makes rebalancing wait; the wait holds while nothing
// changes, and ends as soon as the eligible nodes change, not after the five-minute backoff.
func TestServiceRebalanceRetriesWhenNodesChange(t *testing.T) {
	var zoneC atomic.Bool // whether the simulated scheduler can place in zone-c
	ns, nodes := rebalancingService(t, nil, func(zone string) bool { return zone != "zone-c" || zoneC.Load() })
	svc := waitEvent(t, ns, "web", "(service web) was unable to place a task in zone-c to rebalance Availability Zones; retrying in 5m0s or when the eligible nodes change.")
	// The wait is in status (it survives a restart), not in the controller's memory.
	if r := svc.Status.Rebalancing; r == nil || r.State != ecsv1alpha1.RebalancingInProgress || r.RetryAfter == nil ||
		time.Until(r.RetryAfter.Time) < 4*time.Minute || r.RetryNodesHash == "" {
		t.Fatalf("status.rebalancing = %+v, want InProgress with a retry about 5m ahead and the nodes' hash", r)
	}

	inZoneC := func() error {
		for _, p := range livePods(t, ns, "web") {
			if p.Spec.NodeName == nodes[2] || p.Annotations[tasks.AnnotationRebalanceZone] == "zone-c" {
				return fmt.Errorf("task %s in zone-c", p.Name)
			}
		}
		return nil
	}
	// The refused task is stopped; then zone-c could take one, but nothing changed for the
	// service: it keeps waiting.
	kubetest.Eventually(t, waitFor, inZoneC)
	zoneC.Store(true)
	kubetest.Consistently(t, 3*time.Second, inZoneC)
	// A node joins zone-c: the wait is over.
	createNodes(t, map[string]string{ns + "-c2": "zone-c"}, map[string]string{"pool": ns})
	waitEvent(t, ns, "web", "(service web) is AZ balanced with 1 task in zone-a, 1 task in zone-b and 1 task in zone-c.")
	waitRebalanced(t, ns)
	if r := getService(t, ns, "web").Status.Rebalancing; r != nil {
		t.Errorf("status.rebalancing = %+v once balanced, want none", r)
	}
}

func TestServiceTasksPullFromTheBundledRegistry(t *testing.T) {
	ns := serviceNamespace(t)
	ctx := context.Background()
	td := newTaskDefinition(ns, "web", testRegistryHost+"/"+ns+"/web:1")
	td.Spec.ContainerDefinitions = append(td.Spec.ContainerDefinitions, ecsv1alpha1.ContainerDefinition{
		Name: "log", Image: "fluent/fluent-bit:3", Essential: ptr.To(false),
	})
	if err := k8s.Create(ctx, td); err != nil {
		t.Fatal(err)
	}
	waitRevision(t, ns, "web", 1)
	if err := k8s.Create(ctx, newService(ns, "web", 1)); err != nil {
		t.Fatal(err)
	}
	pod := waitPods(t, ns, "web", 1)[0]
	if len(pod.Spec.ImagePullSecrets) != 1 || pod.Spec.ImagePullSecrets[0].Name != testPullSecret {
		t.Errorf("imagePullSecrets = %+v, want %s", pod.Spec.ImagePullSecrets, testPullSecret)
	}
	if got := pod.Annotations["ecs.berth.dev/essential-containers"]; got != "web" {
		t.Errorf("essential containers = %q", got)
	}
}

// sampleBounds samples the service's tasks every 20 ms until the returned function is
// called, which returns the most live and the fewest healthy tasks seen.
func sampleBounds(ns, service string) func() (maxLive, minHealthy int) {
	return kubetest.SampleBounds(k8s, 20*time.Millisecond, client.InNamespace(ns), client.MatchingLabels{ecsv1alpha1.ServiceLabel: service})
}

// rebalancingService creates, in a fresh namespace, Service web of 3 tasks spread over three
// zones of one node each (change adjusts it first), and a simulated scheduler that puts every
// task in zone-a unless it is pinned to a zone, and a pinned one in its zone's node when
// placeable (nil: always) allows, else reports it unschedulable. It returns the namespace
// and the nodes of zone-a, zone-b and zone-c.
func rebalancingService(t *testing.T, change func(*ecsv1alpha1.Service), placeable func(zone string) bool) (string, []string) {
	t.Helper()
	ns := serviceNamespace(t)
	createTaskDefinition(t, ns)
	nodes := threeZones(t, ns)
	zoneNode := map[string]string{"zone-a": nodes[0], "zone-b": nodes[1], "zone-c": nodes[2]}
	svc := newService(ns, "web", 3)
	svc.Spec.PlacementStrategy = []ecsv1alpha1.PlacementStrategy{{Type: ecsv1alpha1.PlacementStrategySpread, Field: "attribute:ecs.availability-zone"}}
	svc.Spec.PlacementConstraints = []ecsv1alpha1.PlacementConstraint{{Type: ecsv1alpha1.PlacementConstraintMemberOf, Expression: "attribute:pool == " + ns}}
	if change != nil {
		change(svc)
	}
	if err := k8s.Create(context.Background(), svc); err != nil {
		t.Fatal(err)
	}
	startKubelet(t, ns, func(p *corev1.Pod) string {
		switch z := p.Annotations[tasks.AnnotationRebalanceZone]; {
		case z == "":
			return nodes[0]
		case placeable != nil && !placeable(z):
			return ""
		default:
			return zoneNode[z]
		}
	}, always(runReady))
	return ns, nodes
}

// waitRebalanced waits until service web's 3 tasks run one per node (one node per zone), then
// for steady state, and checks that rebalancing failed no task.
func waitRebalanced(t *testing.T, ns string) {
	t.Helper()
	kubetest.Eventually(t, waitFor, func() error {
		perNode := map[string]int{}
		for _, p := range livePods(t, ns, "web") {
			perNode[p.Spec.NodeName]++
		}
		if len(perNode) != 3 {
			return fmt.Errorf("tasks per node %v, want one in each zone", perNode)
		}
		return nil
	})
	waitSteady(t, ns, "web", 3)
	if d := primary(getService(t, ns, "web")); d.FailedTasks != 0 {
		t.Errorf("failedTasks = %d", d.FailedTasks)
	}
}

// TestPullSecretNameClashIsReported: a Secret of the pull Secret's name that Berth does not
// manage is left alone, and the Services whose tasks need it are told, as a Warning Event.
func TestPullSecretNameClashIsReported(t *testing.T) {
	ns := serviceNamespace(t)
	ctx := context.Background()
	mine := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: testPullSecret}, StringData: map[string]string{"k": "v"}}
	if err := k8s.Create(ctx, mine); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Create(ctx, newTaskDefinition(ns, "web", testRegistryHost+"/"+ns+"/web:1")); err != nil {
		t.Fatal(err)
	}
	waitRevision(t, ns, "web", 1)
	if err := k8s.Create(ctx, newService(ns, "web", 1)); err != nil {
		t.Fatal(err)
	}
	kubetest.Eventually(t, waitFor, func() error {
		if reasons := kubeEventReasons(t, ns, "web"); !slices.Contains(reasons, "PullCredentialsFailed") {
			return fmt.Errorf("event reasons %v, want PullCredentialsFailed", reasons)
		}
		return nil
	})
	got := &corev1.Secret{}
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(mine), got); err != nil || got.UID != mine.UID || string(got.Data["k"]) != "v" {
		t.Fatalf("the user's Secret was changed or replaced (%v)", err)
	}
}
