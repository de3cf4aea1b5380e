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

// Package ecstest holds what the tests of the ECS controllers do to a real API server, shared by
// the packages whose managers run them (controllers/ecs, and controllers for the whole
// manager): the "web" task definition family and Services of it, waiting for revisions, task
// Pods and steady states, and the nodes and simulated kubelet tasks run on.
package ecstest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

// NewTaskDefinition is a TaskDefinition with one container "web" running image.
func NewTaskDefinition(ns, name, image string) *ecsv1alpha1.TaskDefinition {
	return &ecsv1alpha1.TaskDefinition{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: ecsv1alpha1.TaskDefinitionSpec{
			ContainerDefinitions: []ecsv1alpha1.ContainerDefinition{{Name: "web", Image: image}},
		},
	}
}

// GetTaskDefinition reads a TaskDefinition.
func GetTaskDefinition(t testing.TB, c client.Client, ns, name string) *ecsv1alpha1.TaskDefinition {
	t.Helper()
	td := &ecsv1alpha1.TaskDefinition{}
	if err := c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, td); err != nil {
		t.Fatal(err)
	}
	return td
}

// WaitRevision waits until the TaskDefinition reports revision n for its current generation.
func WaitRevision(t testing.TB, c client.Client, ns, name string, n int64) *ecsv1alpha1.TaskDefinition {
	t.Helper()
	var td *ecsv1alpha1.TaskDefinition
	kubetest.Eventually(t, kubetest.WaitFor, func() error {
		td = GetTaskDefinition(t, c, ns, name)
		if td.Status.ObservedGeneration != td.Generation || td.Status.Revision != n {
			return fmt.Errorf("revision %d at generation %d/%d, want revision %d", td.Status.Revision,
				td.Status.ObservedGeneration, td.Generation, n)
		}
		return nil
	})
	return td
}

// SetImage changes the first container's image: a spec change.
func SetImage(t testing.TB, c client.Client, ns, name, image string) {
	t.Helper()
	td := GetTaskDefinition(t, c, ns, name)
	patch := client.MergeFrom(td.DeepCopy())
	td.Spec.ContainerDefinitions[0].Image = image
	if err := c.Patch(context.Background(), td, patch); err != nil {
		t.Fatal(err)
	}
}

// CreateTaskDefinition creates the "web" family and waits for revision 1.
func CreateTaskDefinition(t testing.TB, c client.Client, ns string) {
	t.Helper()
	if err := c.Create(context.Background(), NewTaskDefinition(ns, "web", "nginx:1.26")); err != nil {
		t.Fatal(err)
	}
	WaitRevision(t, c, ns, "web", 1)
}

// ServiceNamespace is a namespace for a Service test, with the default ServiceAccount the
// API server's admission wants for Pods (envtest runs no controller that makes it).
func ServiceNamespace(t testing.TB, c client.Client) string {
	t.Helper()
	ns := kubetest.NewNamespace(t, c, "test-")
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "default"}}
	if err := c.Create(context.Background(), sa); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	return ns
}

// NewService is a REPLICA Service of the "web" family with desired tasks.
func NewService(ns, name string, desired int32) *ecsv1alpha1.Service {
	return &ecsv1alpha1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       ecsv1alpha1.ServiceSpec{TaskDefinition: "web", DesiredCount: ptr.To(desired)},
	}
}

// GetService reads a Service.
func GetService(t testing.TB, c client.Client, ns, name string) *ecsv1alpha1.Service {
	t.Helper()
	svc := &ecsv1alpha1.Service{}
	if err := c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, svc); err != nil {
		t.Fatal(err)
	}
	return svc
}

// LivePods lists a service's task Pods that are not being deleted and not terminal.
func LivePods(t testing.TB, c client.Client, ns, service string) []corev1.Pod {
	t.Helper()
	list := &corev1.PodList{}
	if err := c.List(context.Background(), list, client.InNamespace(ns), client.MatchingLabels{ecsv1alpha1.ServiceLabel: service}); err != nil {
		t.Fatal(err)
	}
	var out []corev1.Pod
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil && p.Status.Phase != corev1.PodFailed && p.Status.Phase != corev1.PodSucceeded {
			out = append(out, p)
		}
	}
	return out
}

// WaitPods waits until the service has n live task Pods and returns them.
func WaitPods(t testing.TB, c client.Client, ns, service string, n int) []corev1.Pod {
	t.Helper()
	var pods []corev1.Pod
	kubetest.Eventually(t, kubetest.WaitFor, func() error {
		pods = LivePods(t, c, ns, service)
		if len(pods) != n {
			return fmt.Errorf("%d live task Pods, want %d", len(pods), n)
		}
		return nil
	})
	return pods
}

// WaitSteady waits until the Service reports a steady state with running tasks for the
// current generation.
func WaitSteady(t testing.TB, c client.Client, ns, name string, running int32) *ecsv1alpha1.Service {
	t.Helper()
	var svc *ecsv1alpha1.Service
	kubetest.Eventually(t, kubetest.WaitFor, func() error {
		svc = GetService(t, c, ns, name)
		ready := Condition(svc, ecsv1alpha1.ReadyCondition)
		if svc.Status.ObservedGeneration != svc.Generation || ready == nil || ready.Status != metav1.ConditionTrue ||
			svc.Status.RunningCount != running || svc.Status.PendingCount != 0 {
			return fmt.Errorf("generation %d/%d, running %d pending %d, Ready %+v; want steady with %d running",
				svc.Status.ObservedGeneration, svc.Generation, svc.Status.RunningCount, svc.Status.PendingCount, ready, running)
		}
		return nil
	})
	return svc
}

// Condition returns the Service's condition of type typ, or nil.
func Condition(svc *ecsv1alpha1.Service, typ string) *metav1.Condition {
	for i := range svc.Status.Conditions {
		if svc.Status.Conditions[i].Type == typ {
			return &svc.Status.Conditions[i]
		}
	}
	return nil
}

// Primary returns the PRIMARY deployment of the status.
func Primary(svc *ecsv1alpha1.Service) *ecsv1alpha1.Deployment {
	for i := range svc.Status.Deployments {
		if svc.Status.Deployments[i].Status == ecsv1alpha1.DeploymentPrimary {
			return &svc.Status.Deployments[i]
		}
	}
	return nil
}

// ThreeZones makes one node per zone for a test, named after the namespace.
func ThreeZones(t testing.TB, c client.Client, ns string) []string {
	t.Helper()
	nodes := map[string]string{ns + "-a": "zone-a", ns + "-b": "zone-b", ns + "-c": "zone-c"}
	kubetest.CreateNodes(t, c, nodes, map[string]string{"pool": ns})
	return []string{ns + "-a", ns + "-b", ns + "-c"}
}

// RoundRobin returns a place function (kubetest.StartKubelet) that binds the Pods to the
// nodes in turn.
func RoundRobin(nodes ...string) func(*corev1.Pod) string {
	var mu sync.Mutex
	i := 0
	return func(*corev1.Pod) string {
		mu.Lock()
		defer mu.Unlock()
		i++
		return nodes[i%len(nodes)]
	}
}

// Always is a fate function (kubetest.StartKubelet) giving every Pod fate f.
func Always(f kubetest.Fate) func(*corev1.Pod) kubetest.Fate {
	return func(*corev1.Pod) kubetest.Fate { return f }
}
