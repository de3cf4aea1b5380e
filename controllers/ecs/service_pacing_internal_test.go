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
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/passpace"
)

// The task Pod handler enqueues the controlling Service at once until a pass over many tasks
// ran, then after internal/passpace's gap, through the real workqueue.
func TestTaskPodEventsPaced(t *testing.T) {
	key := types.NamespacedName{Namespace: "team", Name: "web"}
	pod := func(name string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: name,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: ecsv1alpha1.GroupVersion.String(), Kind: "Service",
				Name: key.Name, UID: "u1", Controller: ptr.To(true)}}}}
	}
	r := &ServiceReconciler{}
	h := r.taskPodEvents()
	q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
	defer q.ShutDown()
	ctx := context.Background()
	want := reconcile.Request{NamespacedName: key}
	take := func(within time.Duration) (time.Duration, bool) {
		start := time.Now()
		for first := true; first || time.Since(start) < within; first = false {
			if q.Len() > 0 {
				got, _ := q.Get()
				q.Done(got)
				if got != want {
					t.Fatalf("enqueued %v, want %v", got, want)
				}
				return time.Since(start), true
			}
			time.Sleep(2 * time.Millisecond)
		}
		return 0, false
	}

	// No pass yet: at once. A Pod of no Service: nothing.
	h.Create(ctx, event.TypedCreateEvent[client.Object]{Object: pod("web-1")}, q)
	if q.Len() != 1 {
		t.Fatalf("before any pass: %d queued, want the Service at once", q.Len())
	}
	take(0)
	h.Create(ctx, event.TypedCreateEvent[client.Object]{Object: &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "other"}}}, q)
	if q.Len() != 0 {
		t.Fatalf("a Pod no Service controls enqueued %d", q.Len())
	}

	// A pass over 3,000 tasks just ended: an update (old and new map to one Service) waits.
	r.pacer.begin(key)
	r.pacer.end(key, 3000, true, time.Now())
	gap := passpace.Gap(3000)
	h.Update(ctx, event.TypedUpdateEvent[client.Object]{ObjectOld: pod("web-1"), ObjectNew: pod("web-1")}, q)
	if q.Len() != 0 {
		t.Fatalf("right after a pass over 3,000 tasks: queued at once, want after %s", gap)
	}
	if waited, ok := take(3 * gap); !ok || waited < gap/2 {
		t.Fatalf("enqueued after %s (%v), want about %s", waited, ok, gap)
	}
	if q.Len() != 0 {
		t.Fatalf("one update enqueued the Service %d more times", q.Len())
	}

	// While a pass runs: the gap from now. A pass that failed before reading the tasks keeps
	// the count.
	r.pacer.begin(key)
	h.Delete(ctx, event.TypedDeleteEvent[client.Object]{Object: pod("web-2")}, q)
	if q.Len() != 0 {
		t.Fatal("during a pass over 3,000 tasks: queued at once")
	}
	r.pacer.end(key, 0, false, time.Now())
	if waited, ok := take(3 * gap); !ok || waited < gap/2 {
		t.Fatalf("enqueued after %s (%v), want about %s", waited, ok, gap)
	}

	// The Service is gone: its Pods' events are at once again.
	r.pacer.forget(key)
	h.Generic(ctx, event.TypedGenericEvent[client.Object]{Object: pod("web-3")}, q)
	if q.Len() != 1 {
		t.Fatalf("after forget: %d queued, want the Service at once", q.Len())
	}
}
