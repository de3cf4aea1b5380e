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

	"k8s.io/apimachinery/pkg/types"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// taskWrites is what the Task controller remembers of its own status writes: per Task, the
// resourceVersion its last write replaced. A cached Task still at that version is older than
// the controller's own write. A pass on it would decide from the status before the write, and
// its write would be refused (the write's optimistic lock): one request wasted per lagging
// pass, 8 of 100 Tasks in a start on a loaded machine (docs/benchmarks.md). Losing it (a
// restart) costs only such a request.
type taskWrites struct {
	mu sync.Mutex
	m  map[types.NamespacedName]taskWrite
}

// taskWrite is the version of one Task that the controller's last status write replaced.
type taskWrite struct {
	uid             types.UID
	resourceVersion string
}

// wrote records that a status write replaced version resourceVersion of task.
func (w *taskWrites) wrote(task *ecsv1alpha1.Task, resourceVersion string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil {
		w.m = map[types.NamespacedName]taskWrite{}
	}
	w.m[types.NamespacedName{Namespace: task.Namespace, Name: task.Name}] = taskWrite{uid: task.UID, resourceVersion: resourceVersion}
}

// behind reports whether task is the version the controller's last status write replaced.
// Any other version is newer (the write, or a change after it), and the entry is forgotten.
func (w *taskWrites) behind(task *ecsv1alpha1.Task) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	key := types.NamespacedName{Namespace: task.Namespace, Name: task.Name}
	e, ok := w.m[key]
	if !ok {
		return false
	}
	if e.uid == task.UID && e.resourceVersion == task.ResourceVersion {
		return true
	}
	delete(w.m, key)
	return false
}

// forget drops what is remembered of a Task that is gone.
func (w *taskWrites) forget(key types.NamespacedName) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.m, key)
}
