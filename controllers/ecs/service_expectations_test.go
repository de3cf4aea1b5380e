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

package ecs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/testutil/ecstest"
	"github.com/berth-dev/berth/internal/testutil/envtest"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

// errAmbiguous is the answer of a create that timed out on the client after the API server
// stored the Pod.
var errAmbiguous = fmt.Errorf("the client gave up waiting: %w", context.DeadlineExceeded)

// podCacheLag is a client whose lists of Pods play an informer that has not caught up: the
// Pods in hidden are left out, and stale ones (copies of Pods as they once were) are put in.
// Pods it creates are hidden while hideCreates is set, and a create answers errAmbiguous
// (after the API server stored the Pod) while ambiguous is set. Everything else goes to the
// API server as it is.
type podCacheLag struct {
	client.Client
	mu          sync.Mutex
	hidden      map[string]bool
	stale       []corev1.Pod
	created     []*corev1.Pod
	hideCreates bool
	ambiguous   bool
	failDeletes bool
}

// listedTaskPods reads a Service's task Pods through a client's List, so that a podCacheLag
// decides what each pass sees of them.
type listedTaskPods struct {
	client.Reader
}

func (l listedTaskPods) serviceTaskPods(ctx context.Context, namespace, service string) ([]*corev1.Pod, error) {
	list := &corev1.PodList{}
	if err := l.List(ctx, list, client.InNamespace(namespace), client.MatchingLabels{ecsv1alpha1.ServiceLabel: service}); err != nil {
		return nil, err
	}
	pods := make([]*corev1.Pod, len(list.Items))
	for i := range list.Items {
		pods[i] = &list.Items[i]
	}
	return pods, nil
}

// errUnreachable is the answer of a request that never reached the API server.
var errUnreachable = errors.New("connection refused")

func (c *podCacheLag) Delete(ctx context.Context, obj client.Object, opts ...client.DeleteOption) error {
	c.mu.Lock()
	fail := c.failDeletes
	c.mu.Unlock()
	if _, ok := obj.(*corev1.Pod); ok && fail {
		return errUnreachable
	}
	return c.Client.Delete(ctx, obj, opts...)
}

func (c *podCacheLag) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return c.Client.Create(ctx, obj, opts...)
	}
	if err := c.Client.Create(ctx, pod, opts...); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.created = append(c.created, pod.DeepCopy())
	if c.hideCreates {
		c.hidden[pod.Name] = true
	}
	if c.ambiguous {
		return errAmbiguous
	}
	return nil
}

func (c *podCacheLag) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	if err := c.Client.List(ctx, list, opts...); err != nil {
		return err
	}
	pods, ok := list.(*corev1.PodList)
	if !ok {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	kept := pods.Items[:0]
	for _, p := range pods.Items {
		if !c.hidden[p.Name] {
			kept = append(kept, p)
		}
	}
	for _, p := range c.stale {
		kept = append(kept, *p.DeepCopy())
	}
	pods.Items = kept
	return nil
}

// set changes what the lag hides and adds under its lock.
func (c *podCacheLag) set(change func(*podCacheLag)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	change(c)
}

// createdPods is a copy of the Pods created through the client, as their creates returned.
func (c *podCacheLag) createdPods() []*corev1.Pod {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*corev1.Pod(nil), c.created...)
}

// startServiceWithoutController starts a control plane of the test's own with a
// TaskDefinition controller and no Service controller, one Node, and Service "web" of
// desired tasks in namespace ns, whose TaskDefinition "web" is at revision 1: a test then
// drives a ServiceReconciler pass by pass.
func startServiceWithoutController(t *testing.T, ns string, desired int32) client.Client {
	t.Helper()
	env, err := envtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	t.Cleanup(startTaskDefinitionManager(t, env, func(context.Context, ctrl.Manager) error { return nil }))
	c := env.Client
	ctx := context.Background()
	for _, obj := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "default"}},
		&ecsv1alpha1.TaskDefinition{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"}, Spec: ecsv1alpha1.TaskDefinitionSpec{
			ContainerDefinitions: []ecsv1alpha1.ContainerDefinition{{Name: "web", Image: "nginx:1.26"}}}},
	} {
		if err := c.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	kubetest.CreateNodes(t, c, map[string]string{"node-a": "zone-a"}, nil)
	kubetest.Eventually(t, kubetest.WaitFor, func() error {
		td := &ecsv1alpha1.TaskDefinition{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, td); err != nil {
			return err
		}
		if td.Status.Revision != 1 {
			return fmt.Errorf("revision %d, want 1", td.Status.Revision)
		}
		return nil
	})
	if err := c.Create(ctx, &ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"},
		Spec: ecsv1alpha1.ServiceSpec{TaskDefinition: "web", DesiredCount: ptr.To(desired)}}); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestServiceStoppedExpectationIsNotPending reproduces, deterministically, issue 19's
// "running 3000 pending 3": an ambiguous create (the API server stored the Pod, the client
// timed out) is kept as an expectation, and once it lapses with the cache still not showing
// the Pod, a pass starts a replacement;
// when the first Pod shows up, the planner stops the replacement, which is still only an
// expectation (created, not in the cache), and the API server deletes it at once (it was never
// scheduled), so the cache never shows it. The Service must then be steady with 1 running and
// none pending at once, not keep the stopped task PROVISIONING until its expectation lapses
// (createExpectationTTL); and if a stale view of the stopped Pod shows up later, it is
// STOPPING, not a live task. One reconciler driven pass by pass, on a control plane of the
// test's own (no Service controller runs there), reading the API server through podCacheLag.
func TestServiceStoppedExpectationIsNotPending(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Skip("KUBEBUILDER_ASSETS is unset")
	}
	const ns = "expectations"
	c := startServiceWithoutController(t, ns, 1)
	ctx := context.Background()

	lag := &podCacheLag{Client: c, hidden: map[string]bool{}}
	// The clock moves 2 s a pass, so no counts-only status write waits for the next pass.
	now := time.Now()
	r := &ServiceReconciler{Client: lag, APIReader: c, Scheme: c.Scheme(), Recorder: &events.FakeRecorder{},
		Now: func() time.Time { return now }, memories: newServiceMemories(), templates: &templateCache{}, taskPods: listedTaskPods{lag}}
	pass := func() error {
		now = now.Add(2 * time.Second)
		_, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKey{Namespace: ns, Name: "web"}})
		return err
	}
	service := func() *ecsv1alpha1.Service { return ecstest.GetService(t, c, ns, "web") }

	// 1. The first task's create is ambiguous: the Pod exists, the cache does not show it
	// yet, and the controller keeps its expectation (createOutcomeUnknown), so the next pass
	// starts no replacement and counts the task pending.
	lag.set(func(l *podCacheLag) { l.hideCreates, l.ambiguous = true, true })
	if err := pass(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("pass with an ambiguous create: %v, want its timeout", err)
	}
	lag.set(func(l *podCacheLag) { l.ambiguous = false })
	if err := pass(); err != nil {
		t.Fatal(err)
	}
	if n, svc := len(lag.createdPods()), service(); n != 1 || svc.Status.PendingCount != 1 {
		t.Fatalf("the pass after an ambiguous create: %d task Pods created, pending %d; want no replacement and the task pending",
			n, svc.Status.PendingCount)
	}
	// 2. The cache still does not show the Pod when the expectation lapses: the next pass
	// starts a replacement, which the cache does not show either.
	now = now.Add(createExpectationTTL)
	if err := pass(); err != nil {
		t.Fatal(err)
	}
	created := lag.createdPods()
	if len(created) != 2 {
		t.Fatalf("%d task Pods created, want the ambiguous one and its replacement", len(created))
	}
	first, second := created[0], created[1]

	// 3. The first Pod shows up, RUNNING and healthy: one task too many. The planner stops
	// the replacement (unhealthy, newest), still an expectation; never scheduled, it is
	// deleted at once.
	if err := c.SubResource("binding").Create(ctx, first, &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: first.Name},
		Target:     corev1.ObjectReference{Kind: "Node", Name: "node-a"},
	}); err != nil {
		t.Fatal(err)
	}
	running := &corev1.Pod{}
	if err := c.Get(ctx, client.ObjectKeyFromObject(first), running); err != nil {
		t.Fatal(err)
	}
	kubetest.SetPodStatus(c, running, true, false)
	lag.set(func(l *podCacheLag) { delete(l.hidden, first.Name) })
	if err := pass(); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(ctx, client.ObjectKeyFromObject(second), &corev1.Pod{}); !apierrors.IsNotFound(err) {
		t.Fatalf("the replacement %s after the pass that saw one task too many: %v, want it deleted", second.Name, err)
	}

	// 4. The cache never shows the replacement (its ADDED and DELETED collapsed): the
	// Service is steady with the first task, at once.
	steady := func(when string) {
		t.Helper()
		svc := service()
		ready := ecstest.Condition(svc, ecsv1alpha1.ReadyCondition)
		if svc.Status.RunningCount != 1 || svc.Status.PendingCount != 0 || ready == nil || ready.Status != metav1.ConditionTrue {
			t.Fatalf("%s: running %d pending %d, Ready %+v; want steady with 1 running, 0 pending",
				when, svc.Status.RunningCount, svc.Status.PendingCount, ready)
		}
	}
	if err := pass(); err != nil {
		t.Fatal(err)
	}
	steady("the pass after the replacement was deleted")

	// 5. A stale view of the replacement (as created, no deletion) shows up late: it is a
	// stopping task, not a live one, so nothing else is stopped and nothing counts pending.
	lag.set(func(l *podCacheLag) { l.stale = []corev1.Pod{*second.DeepCopy()} })
	if err := pass(); err != nil {
		t.Fatal(err)
	}
	steady("a pass whose cache showed a stale view of the deleted replacement")
	lag.set(func(l *podCacheLag) { l.stale = nil })
	if err := pass(); err != nil {
		t.Fatal(err)
	}
	steady("the pass after the stale view went")

	if err := c.Get(ctx, client.ObjectKeyFromObject(first), &corev1.Pod{}); err != nil {
		t.Fatalf("the running task %s: %v, want it kept", first.Name, err)
	}
	if n := len(lag.createdPods()); n != 2 {
		t.Fatalf("%d task Pods created, want 2: nothing replaces a task that is not missing", n)
	}

	// 6. A deletion the API server did not confirm keeps the expectation a live task: scale
	// to 2 (a third task, hidden), back to 1 with deletions failing; the third task stays
	// pending, and the next pass stops it again.
	scale := func(n int32) {
		t.Helper()
		svc := service()
		svc.Spec.DesiredCount = ptr.To(n)
		if err := c.Update(ctx, svc); err != nil {
			t.Fatal(err)
		}
	}
	scale(2)
	if err := pass(); err != nil {
		t.Fatal(err)
	}
	third := lag.createdPods()[2]
	scale(1)
	lag.set(func(l *podCacheLag) { l.failDeletes = true })
	if err := pass(); !errors.Is(err, errUnreachable) {
		t.Fatalf("pass whose deletion failed: %v, want the failure", err)
	}
	if svc := service(); svc.Status.PendingCount != 1 {
		t.Fatalf("after a failed deletion: pending %d, want the undeleted task still counted", svc.Status.PendingCount)
	}
	lag.set(func(l *podCacheLag) { l.failDeletes = false })
	if err := pass(); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(ctx, client.ObjectKeyFromObject(third), &corev1.Pod{}); !apierrors.IsNotFound(err) {
		t.Fatalf("the third task %s after the deletion was retried: %v, want it deleted", third.Name, err)
	}
	if err := pass(); err != nil {
		t.Fatal(err)
	}
	steady("the pass after the retried deletion")
	if n := len(lag.createdPods()); n != 3 {
		t.Fatalf("%d task Pods created, want 3", n)
	}
}

// slowCreates is a podCacheLag whose Pod creates each take a while on the reconciler's
// clock: advance runs after every create.
type slowCreates struct {
	*podCacheLag
	advance func()
}

func (c *slowCreates) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	err := c.podCacheLag.Create(ctx, obj, opts...)
	if _, ok := obj.(*corev1.Pod); ok {
		c.advance()
	}
	return err
}

// TestServiceLongStartKeepsExpectations reproduces a 3,000-task start on a slow machine (P1 at
// 3,000 tasks once took 62 s, and created 15 tasks too many): a pass whose creates take
// longer than createExpectationTTL, and a cache that, when the next pass starts, does not
// show the last task created yet. That task's expectation counts from its create's answer,
// so it is still pending: the next pass starts no replacement.
func TestServiceLongStartKeepsExpectations(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Skip("KUBEBUILDER_ASSETS is unset")
	}
	const ns, tasks = "long-start", 4
	c := startServiceWithoutController(t, ns, tasks)
	ctx := context.Background()

	// Each create takes half the TTL: the first pass takes twice the TTL.
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	tick := func(d time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(d)
	}
	lag := &podCacheLag{Client: c, hidden: map[string]bool{}, hideCreates: true}
	r := &ServiceReconciler{Client: &slowCreates{podCacheLag: lag, advance: func() { tick(createExpectationTTL / 2) }},
		APIReader: c, Scheme: c.Scheme(), Recorder: &events.FakeRecorder{},
		Now: clock, memories: newServiceMemories(), templates: &templateCache{}, taskPods: listedTaskPods{lag}}
	pass := func() error {
		tick(2 * time.Second)
		_, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKey{Namespace: ns, Name: "web"}})
		return err
	}

	if err := pass(); err != nil {
		t.Fatal(err)
	}
	created := lag.createdPods()
	if len(created) != tasks {
		t.Fatalf("the first pass created %d task Pods, want %d", len(created), tasks)
	}
	// The cache catches up on all but the task created last.
	last := created[len(created)-1]
	lag.set(func(l *podCacheLag) {
		l.hideCreates = false
		for _, p := range created[:len(created)-1] {
			delete(l.hidden, p.Name)
		}
	})
	if err := pass(); err != nil {
		t.Fatal(err)
	}
	if n := len(lag.createdPods()); n != tasks {
		t.Fatalf("the pass after a start that outlasted the expectation TTL created %d more task Pods, want none: "+
			"%s exists, the cache is only behind", n-tasks, last.Name)
	}
	if svc := ecstest.GetService(t, c, ns, "web"); svc.Status.PendingCount != tasks {
		t.Fatalf("pending %d, want %d (three seen, not yet scheduled, and one expected)", svc.Status.PendingCount, tasks)
	}
}
