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

// Package kubetest holds the small helpers every test against a real API server needs:
// polling until a condition holds (controllers act asynchronously) and a namespace per test.
package kubetest

import (
	"context"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// WaitFor is how long the controller tests wait for a controller to act.
const WaitFor = 30 * time.Second

// Interval is how often Eventually and Consistently call their check.
const Interval = 50 * time.Millisecond

// Eventually retries check until it returns nil or the timeout passes, then fails the test
// with the last error.
func Eventually(t testing.TB, timeout time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %v", timeout, err)
		}
		time.Sleep(Interval)
	}
}

// Consistently fails the test as soon as check returns an error during d.
func Consistently(t testing.TB, d time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if err := check(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(Interval)
	}
}

// NewNamespace creates a namespace of its own for one test, named from prefix.
func NewNamespace(t testing.TB, c client.Client, prefix string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix}}
	if err := c.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

// LiveAndReady counts the Pods that are live (not being deleted, not terminal) and, of those,
// the Ready ones: the two figures rollout bounds are checked against.
func LiveAndReady(pods []corev1.Pod) (live, ready int) {
	for _, p := range pods {
		if p.DeletionTimestamp != nil || p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded {
			continue
		}
		live++
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				ready++
			}
		}
	}
	return live, ready
}

// SampleBounds lists the Pods opts select every interval, in the background, until the
// returned function is called; that returns the most live and the fewest Ready Pods seen
// (LiveAndReady), the extremes a rollout's bounds are checked against.
func SampleBounds(c client.Reader, interval time.Duration, opts ...client.ListOption) func() (maxLive, minReady int) {
	var mu sync.Mutex
	maxLive, minReady := 0, 1<<30
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(interval):
			}
			pods := &corev1.PodList{}
			if err := c.List(context.Background(), pods, opts...); err != nil {
				continue
			}
			live, ready := LiveAndReady(pods.Items)
			mu.Lock()
			maxLive, minReady = max(maxLive, live), min(minReady, ready)
			mu.Unlock()
		}
	}()
	return func() (int, int) {
		select {
		case <-stop:
		default:
			close(stop)
		}
		<-done
		mu.Lock()
		defer mu.Unlock()
		return maxLive, minReady
	}
}

// DeleteZone deletes the Nodes of a zone, as a zone outage seen by the cluster does. It
// returns what it deleted (name, labels, annotations, capacity and node info) and a function
// that creates those Nodes again — the sandbox's kwok then makes them Ready; the function
// runs once, and when the test ends if it has not run.
func DeleteZone(t testing.TB, c client.Client, zone string) ([]corev1.Node, func()) {
	t.Helper()
	ctx := context.Background()
	nodes := &corev1.NodeList{}
	if err := c.List(ctx, nodes, client.MatchingLabels{corev1.LabelTopologyZone: zone}); err != nil || len(nodes.Items) == 0 {
		t.Fatalf("nodes of %s: %v (%d)", zone, err, len(nodes.Items))
	}
	saved := make([]corev1.Node, 0, len(nodes.Items))
	for _, n := range nodes.Items {
		saved = append(saved, corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: n.Name, Labels: n.Labels, Annotations: n.Annotations},
			Status:     corev1.NodeStatus{Allocatable: n.Status.Allocatable, Capacity: n.Status.Capacity, NodeInfo: n.Status.NodeInfo},
		})
		if err := c.Delete(ctx, &n); err != nil {
			t.Fatal(err)
		}
	}
	var once sync.Once
	restore := func() {
		once.Do(func() {
			for _, n := range saved {
				if err := c.Create(ctx, n.DeepCopy()); err != nil {
					t.Error(err)
				}
			}
		})
	}
	t.Cleanup(restore)
	return saved, restore
}

// Skew is the largest difference between two counts (tasks per zone): what zone balance,
// max − min ≤ 1, is checked on.
func Skew(counts map[string]int) int {
	lo, hi := 1<<30, 0
	for _, n := range counts {
		lo, hi = min(lo, n), max(hi, n)
	}
	return hi - lo
}
