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
	"testing"
)

func TestSizes(t *testing.T) {
	for _, tc := range []struct {
		n, initial int
		want       []int
	}{
		{n: 0, initial: 1, want: nil},
		{n: 1, initial: 1, want: []int{1}},
		{n: 2, initial: 1, want: []int{1, 1}},
		{n: 3, initial: 1, want: []int{1, 2}},
		{n: 10, initial: 1, want: []int{1, 2, 4, 3}},
		{n: 15, initial: 1, want: []int{1, 2, 4, 8}},
		{n: 300, initial: 1, want: []int{1, 2, 4, 8, 16, 32, 64, 128, 45}},
		{n: 3000, initial: 1, want: []int{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 953}},
		{n: 10, initial: 4, want: []int{4, 6}},
		{n: 10, initial: 0, want: []int{1, 2, 4, 3}},
		{n: 5, initial: 100, want: []int{5}},
	} {
		got := Sizes(tc.n, tc.initial)
		if !slices.Equal(got, tc.want) {
			t.Errorf("Sizes(%d, %d) = %v, want %v", tc.n, tc.initial, got, tc.want)
		}
		sum := 0
		for _, s := range got {
			sum += s
		}
		if sum != tc.n {
			t.Errorf("Sizes(%d, %d) sums to %d", tc.n, tc.initial, sum)
		}
	}
}

var errRefused = errors.New("admission webhook refused")

func TestRun(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
		// fails says which operations fail.
		fails          func(i int) bool
		wantBatches    []int
		wantAttempted  int
		wantFailed     int
		wantSkipped    int
		wantSuccessful int
	}{
		{name: "all succeed", n: 3000, fails: func(int) bool { return false },
			wantBatches: []int{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 953}, wantAttempted: 3000, wantSuccessful: 3000},
		{name: "every create refused: one request", n: 3000, fails: func(int) bool { return true },
			wantBatches: []int{1}, wantAttempted: 1, wantFailed: 1, wantSkipped: 2999},
		{name: "quota runs out after 100", n: 3000, fails: func(i int) bool { return i >= 100 },
			// batches 0, 1-2, 3-6, 7-14, 15-30, 31-62, 63-126: the seventh holds 37 failures.
			wantBatches: []int{1, 2, 4, 8, 16, 32, 64}, wantAttempted: 127, wantFailed: 27, wantSkipped: 2873, wantSuccessful: 100},
		{name: "one failure in the last batch", n: 10, fails: func(i int) bool { return i == 9 },
			wantBatches: []int{1, 2, 4, 3}, wantAttempted: 10, wantFailed: 1, wantSuccessful: 9},
		{name: "nothing to do", n: 0, fails: func(int) bool { return true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var batches []int
			r := Run(tc.n, InitialBatch, func(first, count int) []error {
				batches = append(batches, count)
				errs := make([]error, count)
				for i := range errs {
					if tc.fails(first + i) {
						errs[i] = errRefused
					}
				}
				return errs
			})
			if !slices.Equal(batches, tc.wantBatches) {
				t.Errorf("batches %v, want %v", batches, tc.wantBatches)
			}
			if r.Attempted() != tc.wantAttempted || r.Failed() != tc.wantFailed || r.Skipped != tc.wantSkipped {
				t.Errorf("attempted %d failed %d skipped %d, want %d %d %d", r.Attempted(), r.Failed(), r.Skipped,
					tc.wantAttempted, tc.wantFailed, tc.wantSkipped)
			}
			if got := r.Attempted() - r.Failed(); got != tc.wantSuccessful {
				t.Errorf("%d successful, want %d", got, tc.wantSuccessful)
			}
			err := r.Err()
			if (err != nil) != (tc.wantFailed > 0) {
				t.Fatalf("Err() = %v with %d failures", err, tc.wantFailed)
			}
			if err != nil && !errors.Is(err, errRefused) {
				t.Errorf("Err() = %v does not wrap the first failure", err)
			}
		})
	}
}

func TestRunWrongResultCount(t *testing.T) {
	r := Run(4, 1, func(int, int) []error { return nil })
	if r.Attempted() != 1 || r.Skipped != 3 || !errors.Is(r.Err(), ErrNoBatchResult) {
		t.Errorf("attempted %d skipped %d err %v, want 1, 3 and ErrNoBatchResult", r.Attempted(), r.Skipped, r.Err())
	}
}

func TestErrorMessage(t *testing.T) {
	err := Result{Errs: []error{nil, errRefused, errRefused}, Skipped: 7}.Err()
	want := "2 of 3 attempted failed, 7 not attempted (slow start stopped at the first failed batch): admission webhook refused"
	if err == nil || err.Error() != want {
		t.Errorf("Err() = %v, want %q", err, want)
	}
}
