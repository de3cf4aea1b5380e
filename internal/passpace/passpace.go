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

// Package passpace decides how long a Service's next pass waits when one of its task Pods
// changes.
//
// A pass reads and plans over every task of the Service, so its CPU grows with the task
// count. While a large Service starts, each task Pod changes three or four times (created,
// bound, running, ready), and a pass started on each change runs back to back with the next:
// at 3,000 tasks that held half a core through the last seconds of a start, while kwok or the
// kubelets were marking the last tasks ready on the same machine. A pass prompted by a task
// Pod therefore waits until a gap after the Service's previous pass, proportional to the
// tasks that pass saw (PerTask each, at most MaxGap): the passes of a Service then take at
// most about a tenth of one core however fast its Pods change, and a Service of a few
// hundred tasks waits a few milliseconds. The Job controller batches its Pod events the same
// way, with a fixed second.
//
// Only task Pod events wait: a change of the Service or its task definition, a requeue and
// an error's retry start a pass at once.
package passpace

import "time"

const (
	// PerTask is the gap after a pass for each task it saw: about ten times a pass's own
	// work per task on a loaded 2-core machine (40-60 ms for 3,000 tasks).
	PerTask = 150 * time.Microsecond
	// MaxGap bounds the gap (reached at 6,667 tasks): a task that fails waits at most this
	// long more for its replacement, the Job controller's batch period.
	MaxGap = time.Second
)

// Gap is how long after a pass over tasks task Pods the next pass prompted by a task Pod
// waits.
func Gap(tasks int) time.Duration {
	return min(time.Duration(max(tasks, 0))*PerTask, MaxGap)
}

// Last is what a Service's pacing remembers of its latest pass.
type Last struct {
	// Tasks is how many task Pods the pass saw.
	Tasks int
	// End is when the latest pass that finished returned; zero before the first.
	End time.Time
	// Running is set while a pass runs (End then still names the one before).
	Running bool
}

// Delay is how long a task Pod's change at now waits before it starts the Service's next
// pass: until Gap after the last pass ended, or Gap from now while a pass runs (the
// workqueue would otherwise start the next one the moment it returns), never more than Gap.
// Zero means at once.
func Delay(last Last, now time.Time) time.Duration {
	gap := Gap(last.Tasks)
	if gap == 0 {
		return 0
	}
	if last.Running {
		return gap
	}
	// A zero End (no pass finished) lies long before now: no wait. Never more than the gap:
	// a clock that stepped back must not hold passes off.
	return min(max(last.End.Add(gap).Sub(now), 0), gap)
}
