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
// Package slowstart sends a pass's task creations and decides when to stop sending them: the
// slow start of kube-controller-manager's ReplicaSet controller without its batches. At first
// one creation is in flight; each that succeeds lets two more go, so the number in flight
// doubles every round trip (1, 2, 4, … as the ReplicaSet's batches) up to the caller's workers;
// after the first failure none is sent and those in flight finish. A create the API server
// refuses (an exhausted ResourceQuota, an admission webhook that is down or rejects) thus
// costs one request per pass, not one per task, and a quota that runs out midway costs at most
// one refused request per worker (the ReplicaSet's batch in flight may hold hundreds). Unlike
// batches, the healthy path never waits for a batch's slowest create before the next goes.
//
// It knows nothing of Kubernetes: the caller's do sends one operation and reports its error.
package slowstart

import "fmt"

// Initial is how many operations may be in flight before any succeeded, as the ReplicaSet
// controller's SlowStartInitialBatchSize.
const Initial = 1

// Result is what a slow start did.
type Result struct {
	// Errs holds one entry per operation attempted, in index order: nil for a success.
	// Operations are attempted in index order, so these are operations 0..len(Errs)-1.
	Errs []error
	// Skipped is how many operations were not attempted because one failed.
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

// Error reports a slow start that stopped at a failure.
type Error struct {
	Failed, Attempted, Skipped int
	// First is the first failure, in index order.
	First error
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("%d of %d attempted failed", e.Failed, e.Attempted)
	if e.Skipped > 0 {
		msg += fmt.Sprintf(", %d not attempted (slow start stopped at the first failure)", e.Skipped)
	}
	return msg + ": " + e.First.Error()
}

// Unwrap returns the first failure, so errors.Is and errors.As see through.
func (e *Error) Unwrap() error { return e.First }

// Run performs operations 0..n-1, each by do(i) in a goroutine of its own, in index order:
// at most initial may be in flight before any succeeded, each success allows two more, and
// never more than workers are in flight at once (initial and workers below 1 are 1). After
// the first failure no operation is started; Run returns once those in flight finished.
func Run(n, initial, workers int, do func(i int) error) Result {
	type done struct {
		i   int
		err error
	}
	initial, workers = max(initial, 1), max(workers, 1)
	finished := make(chan done)
	errs := make([]error, n)
	started, inFlight, succeeded, failed := 0, 0, 0, false
	for {
		for !failed && started < n && inFlight < workers && started < initial+2*succeeded {
			go func(i int) { finished <- done{i, do(i)} }(started)
			started++
			inFlight++
		}
		if inFlight == 0 {
			return Result{Errs: errs[:started], Skipped: n - started}
		}
		d := <-finished
		inFlight--
		if errs[d.i] = d.err; d.err != nil {
			failed = true
		} else {
			succeeded++
		}
	}
}
