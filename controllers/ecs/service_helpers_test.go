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
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"

	"github.com/berth-dev/berth/internal/testutil/ecstest"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

// Shared helpers of internal/testutil/ecstest that need no client.
var (
	newTaskDefinition = ecstest.NewTaskDefinition
	// newService is a REPLICA Service of the "web" family with desired tasks.
	newService  = ecstest.NewService
	conditionOf = ecstest.Condition
	// primary returns the PRIMARY deployment of the status.
	primary = ecstest.Primary
	// roundRobin returns a place function that binds the Pods to the nodes in turn.
	roundRobin = ecstest.RoundRobin
	always     = ecstest.Always
)

// serviceNamespace is a namespace for a Service test (ecstest.ServiceNamespace).
func serviceNamespace(t *testing.T) string {
	t.Helper()
	return ecstest.ServiceNamespace(t, k8s)
}

// createTaskDefinition creates the "web" family and waits for revision 1.
func createTaskDefinition(t *testing.T, ns string) {
	t.Helper()
	ecstest.CreateTaskDefinition(t, k8s, ns)
}

func getService(t *testing.T, ns, name string) *ecsv1alpha1.Service {
	t.Helper()
	return ecstest.GetService(t, k8s, ns, name)
}

// updateService changes a Service's spec, retrying on conflicts.
func updateService(t *testing.T, ns, name string, change func(*ecsv1alpha1.Service)) {
	t.Helper()
	kubetest.Eventually(t, waitFor, func() error {
		svc := getService(t, ns, name)
		change(svc)
		return k8s.Update(context.Background(), svc)
	})
}

// livePods lists a service's task Pods that are not being deleted and not terminal.
func livePods(t *testing.T, ns, service string) []corev1.Pod {
	t.Helper()
	return ecstest.LivePods(t, k8s, ns, service)
}

// waitPods waits until the service has n live task Pods and returns them.
func waitPods(t *testing.T, ns, service string, n int) []corev1.Pod {
	t.Helper()
	return ecstest.WaitPods(t, k8s, ns, service, n)
}

// waitSteady waits until the Service reports a steady state with running tasks for the
// current generation.
func waitSteady(t *testing.T, ns, name string, running int32) *ecsv1alpha1.Service {
	t.Helper()
	return ecstest.WaitSteady(t, k8s, ns, name, running)
}

// hasEvent reports whether a service event contains text.
func hasEvent(svc *ecsv1alpha1.Service, text string) bool {
	return slices.ContainsFunc(svc.Status.Events, func(e ecsv1alpha1.ServiceEvent) bool { return strings.Contains(e.Message, text) })
}

// waitEvent waits for a service event containing text.
func waitEvent(t *testing.T, ns, name, text string) *ecsv1alpha1.Service {
	t.Helper()
	var svc *ecsv1alpha1.Service
	kubetest.Eventually(t, waitFor, func() error {
		svc = getService(t, ns, name)
		if !hasEvent(svc, text) {
			return fmt.Errorf("no service event contains %q; events: %v", text, eventMessages(svc))
		}
		return nil
	})
	return svc
}

func eventMessages(svc *ecsv1alpha1.Service) []string {
	out := make([]string, 0, len(svc.Status.Events))
	for _, e := range svc.Status.Events {
		out = append(out, e.Message)
	}
	return out
}

// kubeEventReasons lists the reasons of the Kubernetes Events about a Service.
func kubeEventReasons(t *testing.T, ns, name string) []string {
	t.Helper()
	list := &eventsv1.EventList{}
	if err := k8s.List(context.Background(), list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range list.Items {
		if e.Regarding.Kind == "Service" && e.Regarding.Name == name {
			out = append(out, e.Reason)
		}
	}
	return out
}

// createNodes creates Ready nodes (name → zone) with extra labels, removed when the test ends.
func createNodes(t *testing.T, zones map[string]string, extra map[string]string) {
	t.Helper()
	kubetest.CreateNodes(t, k8s, zones, extra)
}

// The simulated kubelet's fates (kubetest.Kubelet).
type fate = kubetest.Fate

const (
	runReady    = kubetest.RunReady
	runNotReady = kubetest.RunNotReady
	exitAtStart = kubetest.ExitAtStart
	leave       = kubetest.Leave
)

// startKubelet plays kube-scheduler and the kubelet for the namespace (kubetest.Kubelet).
func startKubelet(t *testing.T, ns string, place func(*corev1.Pod) string, fateOf func(*corev1.Pod) fate) *kubetest.Kubelet {
	t.Helper()
	return kubetest.StartKubelet(t, k8s, ns, place, fateOf)
}

// exitAfterReady makes a running, ready Pod's "web" container exit, as a crash would.
func exitAfterReady(t *testing.T, pod *corev1.Pod) {
	t.Helper()
	kubetest.Eventually(t, waitFor, func() error {
		cur := &corev1.Pod{}
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(pod), cur); err != nil {
			return err
		}
		now := metav1.NewTime(time.Now().Add(time.Second).Truncate(time.Second))
		for i := range cur.Status.Conditions {
			if c := &cur.Status.Conditions[i]; c.Type == corev1.PodReady || c.Type == corev1.ContainersReady {
				c.Status, c.LastTransitionTime = corev1.ConditionFalse, now
			}
		}
		for i := range cur.Status.ContainerStatuses {
			if cs := &cur.Status.ContainerStatuses[i]; cs.Name == "web" {
				cs.Ready, cs.Started = false, ptr.To(false)
				cs.State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error", FinishedAt: now}}
			}
		}
		return k8s.Status().Update(context.Background(), cur)
	})
}
