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
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/berth-dev/berth/internal/passpace"
)

// passPacer remembers each Service's latest pass, so that its task Pods' events wait the gap
// internal/passpace gives before they start the next one. Losing it (a restart) only costs
// passes that start at once.
type passPacer struct {
	mu sync.Mutex
	m  map[types.NamespacedName]passpace.Last
}

// begin records that a pass of the Service started.
func (p *passPacer) begin(key types.NamespacedName) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[types.NamespacedName]passpace.Last{}
	}
	last := p.m[key]
	last.Running = true
	p.m[key] = last
}

// end records that the pass returned at now having seen tasks task Pods (read says whether
// it got as far as reading them; a pass that did not keeps the count of the one before).
func (p *passPacer) end(key types.NamespacedName, tasks int, read bool, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	last := p.m[key]
	if read {
		last.Tasks = tasks
	}
	last.End, last.Running = now, false
	p.m[key] = last
}

// forget drops a deleted Service.
func (p *passPacer) forget(key types.NamespacedName) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.m, key)
}

// delay is how long a task Pod's event at now waits before it starts the Service's pass.
func (p *passPacer) delay(key types.NamespacedName, now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return passpace.Delay(p.m[key], now)
}

// taskPodEvents enqueues the Service controlling a task Pod on each of the Pod's events
// (the old and new controller of an update, as Owns would), after the pacer's delay.
func (r *ServiceReconciler) taskPodEvents() handler.TypedEventHandler[client.Object, reconcile.Request] {
	enqueue := func(q workqueue.TypedRateLimitingInterface[reconcile.Request], objs ...client.Object) {
		seen := map[reconcile.Request]bool{}
		for _, o := range objs {
			for _, req := range serviceOfTask(context.Background(), o) {
				if seen[req] {
					continue
				}
				seen[req] = true
				if d := r.pacer.delay(req.NamespacedName, time.Now()); d > 0 {
					q.AddAfter(req, d)
				} else {
					q.Add(req)
				}
			}
		}
	}
	return handler.TypedFuncs[client.Object, reconcile.Request]{
		CreateFunc: func(_ context.Context, e event.TypedCreateEvent[client.Object], q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			enqueue(q, e.Object)
		},
		UpdateFunc: func(_ context.Context, e event.TypedUpdateEvent[client.Object], q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			enqueue(q, e.ObjectOld, e.ObjectNew)
		},
		DeleteFunc: func(_ context.Context, e event.TypedDeleteEvent[client.Object], q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			enqueue(q, e.Object)
		},
		GenericFunc: func(_ context.Context, e event.TypedGenericEvent[client.Object], q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			enqueue(q, e.Object)
		},
	}
}
