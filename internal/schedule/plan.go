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

package schedule

import (
	"hash/fnv"
	"time"
)

// MaxCountedMissed bounds how many missed runs Plan counts before the starting deadline's
// window; more are reported as "at least" this many.
const MaxCountedMissed = 100

// Schedule is an expression with the bounds of a ScheduledTask: it runs at or after Start
// (which also anchors rate expressions) and before End (zero: no end).
type Schedule struct {
	Expression *Expression
	Start, End time.Time
}

// Next is the first run time strictly after after, within the bounds; ok is false when the
// schedule has no further run.
func (s Schedule) Next(after time.Time) (time.Time, bool) {
	if lower := s.Start.Add(-time.Nanosecond); after.Before(lower) {
		after = lower
	}
	t, ok := s.Expression.Next(s.Start, after)
	if !ok || (!s.End.IsZero() && !t.Before(s.End)) {
		return time.Time{}, false
	}
	return t, true
}

// PlanInput is what Plan decides from.
type PlanInput struct {
	// Last is the last run time handled (started or skipped); zero for none yet.
	Last time.Time
	// Now is the time of the decision.
	Now time.Time
	// MaxAge is how late a run may still start, measured from when it was due (EventBridge's
	// maximumEventAgeInSeconds).
	MaxAge time.Duration
	// Window is the flexible time window: a run is due within it after its scheduled time,
	// at an offset that depends on Key and the scheduled time (FlexibleOffset). Zero: a run
	// is due at its scheduled time.
	Window time.Duration
	Key    string
}

// Plan is what a ScheduledTask does now.
type Plan struct {
	// Run is the scheduled time of the run to start now; zero for none.
	Run time.Time
	// Handled is the latest scheduled time that is due: Run, or a run that is not started
	// because it is too old or a later one supersedes it. Zero when nothing is due.
	Handled time.Time
	// Missed counts the due runs not started (at least MaxCountedMissed when Capped).
	Missed int
	Capped bool
	// Next is the scheduled time of the next run after Handled (or Last); zero for none.
	Next time.Time
	// NextDue is when Next is due: Next plus its offset.
	NextDue time.Time
}

// Plan decides the runs due since in.Last. The rule for runs missed while the controller was
// down (or any delay): of the runs now due, only the latest starts, and only if it is due for
// no longer than MaxAge; the others are missed. A run is due at its scheduled time plus its
// offset.
func (s Schedule) Plan(in PlanInput) Plan {
	offset := FlexibleOffset(in.Key, in.Window)
	var p Plan
	from := in.Last
	if from.IsZero() {
		from = s.Start.Add(-time.Nanosecond)
	}
	// Runs scheduled before scanFrom are too old to start, whatever their offset: count them
	// (up to a bound) without computing offsets.
	scanFrom := in.Now.Add(-in.MaxAge - in.Window)
	t, ok := s.Next(from)
	for ok && t.Before(scanFrom) {
		p.Handled = t
		if p.Missed++; p.Missed >= MaxCountedMissed {
			p.Capped = true
			t, ok = s.Next(scanFrom.Add(-time.Nanosecond))
			break
		}
		t, ok = s.Next(t)
	}
	for ; ok && !t.After(in.Now); t, ok = s.Next(t) {
		due := t.Add(offset(t))
		if due.After(in.Now) {
			continue
		}
		if !p.Run.IsZero() {
			p.Missed++ // superseded by a later run
		}
		p.Run, p.Handled = time.Time{}, t
		if in.Now.Sub(due) <= in.MaxAge {
			p.Run = t
		} else {
			p.Missed++
		}
	}
	after := p.Handled
	if after.IsZero() {
		after = from
	}
	if next, ok := s.Next(after); ok {
		p.Next, p.NextDue = next, next.Add(offset(next))
	}
	return p
}

// FlexibleOffset is when, within a flexible time window, the run of a schedule scheduled at t
// is due: a spread of the window that depends only on key (the ScheduledTask's UID) and t,
// so every pass and every controller replica computes the same time. It is below the window,
// in whole seconds; without a window it is 0.
func FlexibleOffset(key string, window time.Duration) func(time.Time) time.Duration {
	return func(t time.Time) time.Duration {
		if window < time.Second {
			return 0
		}
		h := fnv.New64a()
		_, _ = h.Write([]byte(key))
		_, _ = h.Write([]byte(t.UTC().Format(time.RFC3339)))
		seconds := uint64(window / time.Second)               //nolint:gosec // window is at least a second here
		return time.Duration(h.Sum64()%seconds) * time.Second //nolint:gosec // below window, an int64
	}
}
