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

package passpace_test

import (
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/passpace"
)

func TestGap(t *testing.T) {
	for _, tc := range []struct {
		tasks int
		want  time.Duration
	}{
		{-1, 0},
		{0, 0},
		{1, 150 * time.Microsecond},
		{10, 1500 * time.Microsecond},
		{300, 45 * time.Millisecond},
		{3000, 450 * time.Millisecond},
		{6666, 999900 * time.Microsecond},
		{6667, time.Second},
		{20000, time.Second},
	} {
		if got := passpace.Gap(tc.tasks); got != tc.want {
			t.Errorf("Gap(%d) = %s, want %s", tc.tasks, got, tc.want)
		}
	}
}

func TestDelay(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	ms := time.Millisecond
	for _, tc := range []struct {
		name string
		last passpace.Last
		want time.Duration
	}{
		{"no pass yet", passpace.Last{}, 0},
		{"the first pass runs", passpace.Last{Running: true}, 0},
		{"a pass over no tasks", passpace.Last{End: now}, 0},
		{"a count but no pass finished", passpace.Last{Tasks: 3000}, 0},
		{"just after a pass over 3,000 tasks", passpace.Last{Tasks: 3000, End: now}, 450 * ms},
		{"part of the gap passed", passpace.Last{Tasks: 3000, End: now.Add(-300 * ms)}, 150 * ms},
		{"the gap passed exactly", passpace.Last{Tasks: 3000, End: now.Add(-450 * ms)}, 0},
		{"long after", passpace.Last{Tasks: 3000, End: now.Add(-time.Hour)}, 0},
		{"while a pass over 3,000 tasks runs", passpace.Last{Tasks: 3000, End: now.Add(-time.Hour), Running: true}, 450 * ms},
		{"a small Service", passpace.Last{Tasks: 20, End: now}, 3 * ms},
		{"a huge Service waits at most MaxGap", passpace.Last{Tasks: 50000, End: now.Add(-100 * ms)}, 900 * ms},
		{"a pass that ended in the future (the clock stepped back)", passpace.Last{Tasks: 100, End: now.Add(time.Hour)}, 15 * ms},
	} {
		if got := passpace.Delay(tc.last, now); got != tc.want {
			t.Errorf("%s: Delay = %s, want %s", tc.name, got, tc.want)
		}
	}
}
