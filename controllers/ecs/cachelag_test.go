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
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/controllers/ecs"
	"github.com/berth-dev/berth/internal/statuspace"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

// laggingCache is a reader whose lists of ControllerRevisions and Services come back empty, as
// an informer that has not yet delivered the objects the controller (or a user) just wrote.
// Everything else, and every write, goes to the API server (which cannot serve the cache's
// field indexes: a test that does not hide Services must not list them by index).
type laggingCache struct {
	client.Client
	revisions, services bool
}

func (c laggingCache) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	switch l := list.(type) {
	case *appsv1.ControllerRevisionList:
		if c.revisions {
			l.Items = nil
			return nil
		}
	case *ecsv1alpha1.ServiceList:
		if c.services {
			l.Items = nil
			return nil
		}
	}
	return c.Client.List(ctx, list, opts...)
}

// lagReconcile runs one pass of a TaskDefinition reconciler whose cache lags as told, and
// whose uncached reads go to the API server. The suite's manager runs its own reconciler too;
// it is idle here (nothing it reads changes), so what the pass writes is the lagging one's.
func lagReconcile(t *testing.T, ns, name string, lag laggingCache) {
	t.Helper()
	lag.Client = k8s
	r := &ecs.TaskDefinitionReconciler{Client: lag, APIReader: k8s, Scheme: k8s.Scheme(), Recorder: &events.FakeRecorder{}}
	if _, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKey{Namespace: ns, Name: name}}); err != nil {
		t.Fatalf("reconcile with a lagging cache: %v", err)
	}
}

// TestTaskDefinitionRegistersOnceUnderCacheLag reproduces, deterministically, what a loaded
// machine did at random: a pass that sees the TaskDefinition's status (revision 1) but not yet
// revision 1's ControllerRevision must not register revision 2 for the unchanged spec — nor
// must a reconciler that starts afresh (a restart) with that view.
func TestTaskDefinitionRegistersOnceUnderCacheLag(t *testing.T) {
	ns := newNamespace(t)
	if err := k8s.Create(context.Background(), newTaskDefinition(ns, "web", "app:1")); err != nil {
		t.Fatal(err)
	}
	waitRevision(t, ns, "web", 1)
	for range 3 {
		lagReconcile(t, ns, "web", laggingCache{revisions: true, services: true})
	}
	if got := revisionNumbers(t, ns, "web"); !sameSet(got, 1) {
		t.Fatalf("revisions %v after passes that did not see revision 1 in the cache, want [1]", got)
	}
	if td := getTD(t, ns, "web"); td.Status.Revision != 1 {
		t.Fatalf("status.revision %d, want 1", td.Status.Revision)
	}

	// A real change still registers, numbered after the one the cache did not show.
	setImage(t, ns, "web", "app:2")
	waitRevision(t, ns, "web", 2)
	lagReconcile(t, ns, "web", laggingCache{revisions: true, services: true})
	if got := revisionNumbers(t, ns, "web"); !sameSet(got, 1, 2) {
		t.Fatalf("revisions %v, want [1 2]", got)
	}
}

// TestTaskDefinitionKeepsRevisionsOfServicesTheCacheMisses: a Service pinned to an old
// revision that the cache does not show yet keeps that revision from being pruned, and keeps
// its TaskDefinition from being deleted.
func TestTaskDefinitionKeepsRevisionsOfServicesTheCacheMisses(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	svc := createPinnedService(t, ns)
	setImage(t, ns, "web", "app:2")
	waitRevision(t, ns, "web", 2)
	kubetest.Eventually(t, waitFor, func() error {
		if got := getTD(t, ns, "web").Status.ActiveRevisions; !sameSet(got, 1, 2) {
			return fmt.Errorf("activeRevisions %v, want [1 2]", got)
		}
		return nil
	})

	lagReconcile(t, ns, "web", laggingCache{services: true})
	if got := revisionNumbers(t, ns, "web"); !sameSet(got, 1, 2) {
		t.Fatalf("revisions %v after a pass that did not see the Service pinned to 1, want [1 2]", got)
	}

	if err := k8s.Delete(ctx, getTD(t, ns, "web")); err != nil {
		t.Fatal(err)
	}
	lagReconcile(t, ns, "web", laggingCache{services: true})
	if cur := getTD(t, ns, "web"); len(cur.Finalizers) == 0 {
		t.Fatal("the finalizer was released while a Service (not in the cache) uses the family")
	}
	if err := k8s.Delete(ctx, svc); err != nil {
		t.Fatal(err)
	}
}

// TestPullCredentialsKeptWhenTheCacheMissesTheirService: a pass of the pull credentials
// controller whose cache does not show the Service that needs a pull Secret (created a moment
// ago) must not delete the Secret, its ServiceAccount or its RoleBinding.
func TestPullCredentialsKeptWhenTheCacheMissesTheirService(t *testing.T) {
	ns := serviceNamespace(t)
	ctx := context.Background()
	if err := k8s.Create(ctx, newTaskDefinition(ns, "web", testRegistryHost+"/"+ns+"/web:1")); err != nil {
		t.Fatal(err)
	}
	waitRevision(t, ns, "web", 1)
	if err := k8s.Create(ctx, newService(ns, "web", 1)); err != nil {
		t.Fatal(err)
	}
	secret := &corev1.Secret{}
	kubetest.Eventually(t, waitFor, func() error {
		return k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: testPullSecret}, secret)
	})

	r := &ecs.PullCredentialsReconciler{
		Client: laggingCache{Client: k8s, services: true}, APIReader: k8s, RegistryHost: testRegistryHost,
		SecretName: testPullSecret, Audience: "berth-registry", Lifetime: time.Hour, ReaderRole: ecs.RegistryReaderRole,
	}
	if _, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKey{Namespace: ns, Name: "pull-credentials"}}); err != nil {
		t.Fatalf("reconcile with a lagging cache: %v", err)
	}
	after := &corev1.Secret{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: testPullSecret}, after); err != nil || after.UID != secret.UID {
		t.Fatalf("the pull Secret of a Service the cache did not show was deleted (get: %v, uid %s → %s)", err, secret.UID, after.UID)
	}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "default"}, &corev1.ServiceAccount{}); err != nil {
		t.Fatalf("execution ServiceAccount: %v", err)
	}
}

// TestTaskDefinitionInNamespaceBeingDeleted: when a namespace is deleted, its revisions may go
// before its TaskDefinitions, and re-registering one is refused (the namespace is
// terminating). A pass then ends without an error (it would be retried, and logged, until
// the TaskDefinition goes too) and registers nothing.
func TestTaskDefinitionInNamespaceBeingDeleted(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	if err := k8s.Create(ctx, newTaskDefinition(ns, "web", "app:1")); err != nil {
		t.Fatal(err)
	}
	waitRevision(t, ns, "web", 1)
	// No namespace controller runs here: the namespace stays terminating.
	if err := k8s.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Delete(ctx, &appsv1.ControllerRevision{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web-1"}}); err != nil {
		t.Fatal(err)
	}
	lagReconcile(t, ns, "web", laggingCache{revisions: true, services: true})
	if got := revisionNumbers(t, ns, "web"); len(got) != 0 {
		t.Fatalf("revisions %v in a namespace being deleted, want none", got)
	}
}

// heldTaskClient reads one Task as a lagging informer would: while held is set, a Get of it
// returns held. It remembers the last version of that Task a Get returned and counts the
// status writes sent through it; everything else goes to the API server.
type heldTaskClient struct {
	client.Client
	key          client.ObjectKey
	held, read   *ecsv1alpha1.Task
	statusWrites int
}

func (c *heldTaskClient) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	task, ok := obj.(*ecsv1alpha1.Task)
	if !ok || key != c.key {
		return c.Client.Get(ctx, key, obj, opts...)
	}
	if c.held != nil {
		c.held.DeepCopyInto(task)
	} else if err := c.Client.Get(ctx, key, obj, opts...); err != nil {
		return err
	}
	c.read = task.DeepCopy()
	return nil
}

func (c *heldTaskClient) Status() client.SubResourceWriter {
	return countedStatusWriter{SubResourceWriter: c.Client.Status(), n: &c.statusWrites}
}

// countedStatusWriter counts the status patches and updates it sends.
type countedStatusWriter struct {
	client.SubResourceWriter
	n *int
}

func (w countedStatusWriter) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	*w.n++
	return w.SubResourceWriter.Patch(ctx, obj, patch, opts...)
}

func (w countedStatusWriter) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	*w.n++
	return w.SubResourceWriter.Update(ctx, obj, opts...)
}

// TestTaskStatusNotWrittenFromTheVersionItReplaced reproduces what P9 saw on a loaded machine
// (8 of 100 Tasks): a pass that reads the Task its own last status write replaced (the cache
// not caught up yet) must not send a write, which the API server would refuse, but come again
// shortly; once the cache has the write, the pass goes on as usual.
func TestTaskStatusNotWrittenFromTheVersionItReplaced(t *testing.T) {
	ns, node := taskNamespace(t)
	ctx := context.Background()
	createTask(t, newTask(ns, "lag", "web"))
	waitTask(t, ns, "lag", lastStatus(ecsv1alpha1.TaskProvisioning))
	// Bound and not running: PENDING, which the suite's controller holds back until
	// statuspace.TaskProgressInterval after the Pod's creation, and this test's controller,
	// whose clock is past that, writes at once.
	bindTaskPod(t, waitTaskPod(t, ns, "lag"), node)
	c := &heldTaskClient{Client: k8s, key: client.ObjectKey{Namespace: ns, Name: "lag"}}
	r := &ecs.TaskReconciler{Client: c, APIReader: k8s, Scheme: k8s.Scheme(), Recorder: &events.FakeRecorder{},
		RegistryHost: testRegistryHost, PullSecretName: testPullSecret,
		Now: func() time.Time { return time.Now().Add(statuspace.TaskProgressInterval + time.Minute) }}
	r.SetTaskPodReader(k8s)
	pass := func() ctrl.Result {
		t.Helper()
		res, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: c.key})
		if err != nil {
			t.Fatalf("pass: %v", err)
		}
		return res
	}

	pass()
	replaced := c.read
	if c.statusWrites != 1 || getTask(t, ns, "lag").Status.LastStatus != ecsv1alpha1.TaskPending {
		t.Fatalf("first pass: %d status writes, lastStatus %s; want PENDING written once (did the suite's controller write it first? it waits %s after the Pod's creation)",
			c.statusWrites, getTask(t, ns, "lag").Status.LastStatus, statuspace.TaskProgressInterval)
	}

	// The cache still holds the Task the write replaced.
	if now := getTask(t, ns, "lag"); replaced.ResourceVersion == now.ResourceVersion {
		t.Fatalf("the first pass read version %s, the API server's now: no older version to hold", now.ResourceVersion)
	}
	c.held = replaced
	if res := pass(); c.statusWrites != 1 || res.RequeueAfter <= 0 {
		t.Errorf("pass on the replaced version: %d status writes in all, requeue after %s; want none sent and a pass again soon", c.statusWrites, res.RequeueAfter)
	}

	// The cache caught up: nothing left to write.
	c.held = nil
	pass()
	if c.statusWrites != 1 {
		t.Errorf("pass on the current version: %d status writes in all, want 1", c.statusWrites)
	}
	if got := getTask(t, ns, "lag").Status.LastStatus; got != ecsv1alpha1.TaskPending {
		t.Errorf("lastStatus %s, want PENDING", got)
	}
}
