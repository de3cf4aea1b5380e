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
// Package slowstart decides how many of a pass's task creations to send, and when to stop:
// the slow start of kube-controller-manager's ReplicaSet controller. Creations go out in
// batches of 1, 2, 4, … (each batch double the last, the last one what remains), and a
// batch with any failure ends the run, so a create the API server refuses (an exhausted
// ResourceQuota, an admission webhook that is down or rejects) costs one request per pass,
// not one per task. On the healthy path it costs one round trip per doubling (12 for 3,000
// tasks) and nothing else: the client's rate limit paces the large batches anyway.
//
// It is pure: the caller sends a batch however it likes (concurrently, bounded by its
// workers) and reports one error per creation.
package slowstart

import (
	"errors"
	"fmt"
)

// InitialBatch is the size of the first batch, as the ReplicaSet controller's
// SlowStartInitialBatchSize.
const InitialBatch = 1

// Sizes lists the batch sizes of a slow start of n operations: initial, then each double the
// last, the last one what remains. An initial below 1 is 1.
func Sizes(n, initial int) []int {
	var out []int
	size := max(initial, 1)
	for remaining := n; remaining > 0; remaining -= size {
		if len(out) > 0 {
			size *= 2
		}
		size = min(size, remaining)
		out = append(out, size)
	}
	return out
}

// Result is what a slow start did.
type Result struct {
	// Errs holds one entry per operation attempted, in index order: nil for a success.
	Errs []error
	// Skipped is how many operations were not attempted because a batch failed.
	Skipped int
}

// Attempted is how many operations were sent.
func (r Result) Attempted() int { return len(r.Errs) }

// Failed is how many of the attempted operations failed.
func (r Result) Failed() int {
	n := 0
	for _, err := range r.Errs {
		if err != nil {
			n++
		}
	}
	return n
}

// Err is nil when every operation was attempted and succeeded; otherwise the first failure,
// wrapped with how many failed and how many were skipped.
func (r Result) Err() error {
	var first error
	for _, err := range r.Errs {
		if err != nil {
			first = err
			break
		}
	}
	if first == nil {
		return nil
	}
	return &Error{Failed: r.Failed(), Attempted: r.Attempted(), Skipped: r.Skipped, First: first}
}

// Error reports a slow start that stopped at a failed batch.
type Error struct {
	Failed, Attempted, Skipped int
	// First is the first failure, in index order.
	First error
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("%d of %d attempted failed", e.Failed, e.Attempted)
	if e.Skipped > 0 {
		msg += fmt.Sprintf(", %d not attempted (slow start stopped at the first failed batch)", e.Skipped)
	}
	return msg + ": " + e.First.Error()
}

// Unwrap returns the first failure, so errors.Is and errors.As see through.
func (e *Error) Unwrap() error { return e.First }

// ErrNoBatchResult is returned when send reports a different number of results than the
// batch it was given.
var ErrNoBatchResult = errors.New("slowstart: send returned the wrong number of results")

// Run sends operations 0..n-1 in the batches of Sizes(n, initial): send(first, count) sends
// operations first..first+count-1 and returns one error per operation (nil for success).
// Run stops after the first batch with a failure; the operations after it are Skipped.
func Run(n, initial int, send func(first, count int) []error) Result {
	var r Result
	first := 0
	for _, size := range Sizes(n, initial) {
		errs := send(first, size)
		if len(errs) != size {
			errs = make([]error, size)
			for i := range errs {
				errs[i] = ErrNoBatchResult
			}
		}
		r.Errs = append(r.Errs, errs...)
		first += size
		failed := false
		for _, err := range errs {
			failed = failed || err != nil
		}
		if failed {
			r.Skipped = n - first
			return r
		}
	}
	return r
}
