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
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// Expectation lifetimes. A created Pod normally shows in the cache within milliseconds; if it
// never does (it was deleted before the watch delivered it), the expectation lapses. A
// requested deletion that the cache does not reflect after deleteRetry is issued again.
const (
	createExpectationTTL = time.Minute
	deleteRetry          = 15 * time.Second
	deleteExpectationTTL = 5 * time.Minute
)

// serviceMemories is what the Service controller remembers between passes, per Service.
// Like a ReplicaSet controller's expectations it protects against a cache that lags behind
// the controller's own writes; losing it (a restart) only costs a pass that re-reads.
type serviceMemories struct {
	mu sync.Mutex
	m  map[types.NamespacedName]*serviceMemory
}

// serviceMemory is one Service's memory. The workqueue never runs two passes of one Service
// at once, so only the map needs the lock.
type serviceMemory struct {
	uid types.UID
	// status is the status the last successful write stored: the cache may still hold an
	// older one, and planning from it would count the same failed tasks again or lose them.
	status *ecsv1alpha1.ServiceStatus
	// statusWrittenAt is when status was written: a change of counts only waits a while
	// after it (internal/statuspace).
	statusWrittenAt time.Time
	// creating are task Pods created but not yet seen in the cache, by name.
	creating map[string]expectedTask
	// deleting are task Pods whose deletion was requested, by name, with the request time.
	deleting map[string]time.Time
	// healthy are the Pods (by UID) seen RUNNING and healthy: a task that stops afterwards
	// did not fail to start.
	healthy map[types.UID]bool
	// reported are the Pods (by UID) whose stop was reported as a service event.
	reported map[types.UID]bool
}

// expectedTask is a task Pod the controller created.
type expectedTask struct {
	uid            types.UID
	deployment     string
	taskDefinition string
	at             time.Time
	// node and zone are the task's pin (DAEMON node, rebalancing zone).
	node, zone string
	// deleted: the API server confirmed the Pod's deletion (or that it was gone) before the
	// cache showed it. It is no task any more; the entry stays until the Pod shows in the
	// cache or the TTL lapses only so that its deleting entry is kept meanwhile, and a late
	// view of the Pod is STOPPING, not live (reconcileTasks).
	deleted bool
}

func newServiceMemories() *serviceMemories {
	return &serviceMemories{m: map[types.NamespacedName]*serviceMemory{}}
}

// get returns the Service's memory, starting afresh when the Service was recreated.
func (s *serviceMemories) get(key types.NamespacedName, uid types.UID) *serviceMemory {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.m[key]
	if m == nil || m.uid != uid {
		m = &serviceMemory{
			uid:      uid,
			creating: map[string]expectedTask{},
			deleting: map[string]time.Time{},
			healthy:  map[types.UID]bool{},
			reported: map[types.UID]bool{},
		}
		s.m[key] = m
	}
	return m
}

// forget drops a deleted Service's memory.
func (s *serviceMemories) forget(key types.NamespacedName) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
}

// expire drops expectations that outlived their TTL and returns when the next one expires
// (zero when none is pending), so the pass can requeue for it.
func (m *serviceMemory) expire(now time.Time) time.Time {
	var next time.Time
	soonest := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	for name, e := range m.creating {
		if end := e.at.Add(createExpectationTTL); !now.Before(end) {
			delete(m.creating, name)
		} else {
			soonest(end)
		}
	}
	for name, at := range m.deleting {
		if end := at.Add(deleteExpectationTTL); !now.Before(end) {
			delete(m.deleting, name)
		} else {
			soonest(at.Add(deleteRetry))
		}
	}
	return next
}
