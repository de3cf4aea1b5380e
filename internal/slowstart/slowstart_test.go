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

package slowstart

import (
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var errRefused = errors.New("admission webhook refused")

func TestRun(t *testing.T) {
	for _, tc := range []struct {
		name    string
		n       int
		workers int
		// fails says which operations fail.
		fails func(i int) bool
		// attempted is the range of operations attempted: how many of those in flight at the
		// first failure were started depends on the order the operations finish in.
		minAttempted, maxAttempted int
		wantSuccessful             int
	}{
		{name: "all succeed", n: 3000, workers: 16, fails: func(int) bool { return false },
			minAttempted: 3000, maxAttempted: 3000, wantSuccessful: 3000},
		{name: "every create refused: one request", n: 3000, workers: 16, fails: func(int) bool { return true },
			minAttempted: 1, maxAttempted: 1},
		{name: "quota runs out after 100: at most one refusal per worker", n: 3000, workers: 16, fails: func(i int) bool { return i >= 100 },
			minAttempted: 101, maxAttempted: 116, wantSuccessful: 100},
		{name: "quota runs out after 100, one worker", n: 3000, workers: 1, fails: func(i int) bool { return i >= 100 },
			minAttempted: 101, maxAttempted: 101, wantSuccessful: 100},
		{name: "one failure at the end", n: 10, workers: 4, fails: func(i int) bool { return i == 9 },
			minAttempted: 10, maxAttempted: 10, wantSuccessful: 9},
		{name: "nothing to do", n: 0, workers: 16, fails: func(int) bool { return true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var inFlight, most atomic.Int32
			var mu sync.Mutex
			var order []int
			r := Run(tc.n, Initial, tc.workers, func(i int) error {
				now := inFlight.Add(1)
				defer inFlight.Add(-1)
				for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
				}
				mu.Lock()
				order = append(order, i)
				mu.Unlock()
				time.Sleep(100 * time.Microsecond)
				if tc.fails(i) {
					return errRefused
				}
				return nil
			})
			if a := r.Attempted(); a < tc.minAttempted || a > tc.maxAttempted {
				t.Errorf("attempted %d, want %d to %d", a, tc.minAttempted, tc.maxAttempted)
			}
			if r.Skipped != tc.n-r.Attempted() {
				t.Errorf("skipped %d of %d with %d attempted", r.Skipped, tc.n, r.Attempted())
			}
			if got := r.Attempted() - r.Failed(); got != tc.wantSuccessful {
				t.Errorf("%d successful, want %d", got, tc.wantSuccessful)
			}
			if m := most.Load(); int(m) > tc.workers {
				t.Errorf("%d operations in flight at once, want at most %d workers", m, tc.workers)
			}
			slices.Sort(order)
			if len(order) != r.Attempted() || (len(order) > 0 && order[len(order)-1] != len(order)-1) {
				t.Errorf("operations run %v, want 0..%d once each", order, r.Attempted()-1)
			}
			err := r.Err()
			if (err != nil) != (r.Failed() > 0) {
				t.Fatalf("Err() = %v with %d failures", err, r.Failed())
			}
			if err != nil && !errors.Is(err, errRefused) {
				t.Errorf("Err() = %v does not wrap the first failure", err)
			}
		})
	}
}

// TestRunWindow follows the window: one operation in flight at first, two more for each
// success, never a batch's wait for its slowest operation.
func TestRunWindow(t *testing.T) {
	started := make(chan int, 100)
	release := make([]chan struct{}, 20)
	for i := range release {
		release[i] = make(chan struct{})
	}
	result := make(chan Result)
	go func() {
		result <- Run(len(release), Initial, 16, func(i int) error {
			started <- i
			<-release[i]
			return nil
		})
	}()
	expect := func(want ...int) {
		t.Helper()
		var got []int
		for range want {
			select {
			case i := <-started:
				got = append(got, i)
			case <-time.After(10 * time.Second):
				t.Fatalf("started %v, want %v", got, want)
			}
		}
		select {
		case i := <-started:
			t.Fatalf("started %v and %d, want only %v", got, i, want)
		case <-time.After(50 * time.Millisecond):
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("started %v, want %v", got, want)
		}
	}
	expect(0)
	close(release[0])
	expect(1, 2)
	close(release[2]) // 1 is still in flight: a batch would wait for it
	expect(3, 4)
	close(release[1])
	expect(5, 6)
	for i := 3; i < len(release); i++ {
		close(release[i])
	}
	r := <-result
	if r.Attempted() != len(release) || r.Err() != nil {
		t.Errorf("attempted %d, error %v; want all %d without error", r.Attempted(), r.Err(), len(release))
	}
}

func TestErrorMessage(t *testing.T) {
	err := Result{Errs: []error{nil, errRefused, errRefused}, Skipped: 7}.Err()
	want := "2 of 3 attempted failed, 7 not attempted (slow start stopped at the first failure): admission webhook refused"
	if err == nil || err.Error() != want {
		t.Errorf("Err() = %v, want %q", err, want)
	}
}
