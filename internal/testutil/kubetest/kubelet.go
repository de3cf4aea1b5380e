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

package kubetest

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// CreateNodes creates Ready nodes (name → zone) with extra labels through c, removed when the
// test ends. envtest runs no node lifecycle controller, so the not-ready taint admission puts
// on a new node is lifted here.
func CreateNodes(t testing.TB, c client.Client, zones map[string]string, extra map[string]string) {
	t.Helper()
	ctx := context.Background()
	for name, zone := range zones {
		labels := map[string]string{corev1.LabelTopologyZone: zone, corev1.LabelHostname: name}
		for k, v := range extra {
			labels[k] = v
		}
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
		if err := c.Create(ctx, n); err != nil {
			t.Fatal(err)
		}
		n.Spec.Taints = nil
		if err := c.Update(ctx, n); err != nil {
			t.Fatal(err)
		}
		n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now()}}
		if err := c.Status().Update(ctx, n); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Delete(context.Background(), &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}) })
	}
}

// Fate is what the simulated kubelet does with a bound task Pod.
type Fate int

// The fates of a bound Pod.
const (
	RunReady    Fate = iota // all containers running and ready
	RunNotReady             // running, never ready
	ExitAtStart             // the essential container "web" exits with code 1 before being ready
	Leave                   // nothing
)

// Kubelet plays kube-scheduler and the kubelet for one namespace, which envtest lacks: it
// binds unscheduled Pods to the node Place returns (marks them unschedulable when it returns
// "", leaves them pending when it returns Hold), then sets their status as Fate says, and
// finishes deletions (grace 0).
type Kubelet struct {
	c     client.Client
	ns    string
	place func(*corev1.Pod) string
	fate  func(*corev1.Pod) Fate
	stop  chan struct{}
	done  chan struct{}
}

// Hold is returned by a place function to leave a Pod unbound and not marked for now.
const Hold = "\x00hold"

// StartKubelet starts the simulation; it stops when the test ends (or at Halt).
func StartKubelet(t testing.TB, c client.Client, ns string, place func(*corev1.Pod) string, fate func(*corev1.Pod) Fate) *Kubelet {
	t.Helper()
	k := &Kubelet{c: c, ns: ns, place: place, fate: fate, stop: make(chan struct{}), done: make(chan struct{})}
	go k.run()
	t.Cleanup(k.Halt)
	return k
}

// Halt stops the simulation.
func (k *Kubelet) Halt() {
	select {
	case <-k.stop:
	default:
		close(k.stop)
		<-k.done
	}
}

func (k *Kubelet) run() {
	defer close(k.done)
	ticker := time.NewTicker(50 * time.Millisecond)
	defer ticker.Stop()
	for {
		select {
		case <-k.stop:
			return
		case <-ticker.C:
			k.step()
		}
	}
}

func (k *Kubelet) step() {
	ctx := context.Background()
	list := &corev1.PodList{}
	if err := k.c.List(ctx, list, client.InNamespace(k.ns)); err != nil {
		return
	}
	for i := range list.Items {
		pod := &list.Items[i]
		switch {
		case pod.DeletionTimestamp != nil:
			_ = k.c.Delete(ctx, pod, client.GracePeriodSeconds(0))
		case pod.Status.Phase == corev1.PodFailed || pod.Status.Phase == corev1.PodSucceeded:
		case pod.Spec.NodeName == "":
			switch node := k.place(pod); node {
			case Hold:
			case "":
				MarkUnschedulable(k.c, pod)
			default:
				_ = k.c.SubResource("binding").Create(ctx, pod, &corev1.Binding{
					ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace},
					Target:     corev1.ObjectReference{Kind: "Node", Name: node},
				})
			}
		case len(pod.Status.ContainerStatuses) == 0:
			switch k.fate(pod) {
			case RunReady:
				SetPodStatus(k.c, pod, true, false)
			case RunNotReady:
				SetPodStatus(k.c, pod, false, false)
			case ExitAtStart:
				SetPodStatus(k.c, pod, false, true)
			case Leave:
			}
		}
	}
}

// MarkUnschedulable reports the Pod unschedulable, as kube-scheduler does.
func MarkUnschedulable(c client.Client, pod *corev1.Pod) {
	for _, cond := range pod.Status.Conditions {
		if cond.Type == corev1.PodScheduled && cond.Status == corev1.ConditionFalse {
			return
		}
	}
	pod.Status.Phase = corev1.PodPending
	pod.Status.Conditions = []corev1.PodCondition{{
		Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable,
		Message: "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.", LastTransitionTime: metav1.Now(),
	}}
	_ = c.Status().Update(context.Background(), pod)
}

// SetPodStatus marks a bound Pod's containers running (ready or not), or its essential
// container "web" exited with code 1 without ever being ready.
func SetPodStatus(c client.Client, pod *corev1.Pod, ready, exited bool) {
	start := metav1.NewTime(time.Now().Add(-time.Second).Truncate(time.Second))
	readyStatus := corev1.ConditionFalse
	if ready && !exited {
		readyStatus = corev1.ConditionTrue
	}
	pod.Status.Phase = corev1.PodRunning
	pod.Status.Conditions = []corev1.PodCondition{
		{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: start},
		{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: start},
		{Type: corev1.ContainersReady, Status: readyStatus, LastTransitionTime: start},
		{Type: corev1.PodReady, Status: readyStatus, LastTransitionTime: start},
	}
	pod.Status.ContainerStatuses = nil
	for _, ctr := range pod.Spec.Containers {
		cs := corev1.ContainerStatus{Name: ctr.Name, Image: ctr.Image, ImageID: ctr.Image, Ready: ready && !exited, Started: ptr.To(true),
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: start}}}
		if exited && ctr.Name == "web" {
			cs.Started = ptr.To(false)
			cs.State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error", StartedAt: start, FinishedAt: start}}
		}
		pod.Status.ContainerStatuses = append(pod.Status.ContainerStatuses, cs)
	}
	_ = c.Status().Update(context.Background(), pod)
}
