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
	"errors"
	"testing"
	"time"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestNext pins run times computed by hand (weekdays and DST dates checked against a
// calendar: 2026-01-01 is a Thursday; New York springs forward on 2026-03-08 at 02:00 EST and
// falls back on 2026-11-01 at 02:00 EDT; Berlin springs forward on 2026-03-29 at 02:00 CET).
func TestNext(t *testing.T) {
	anchor := utc("2026-01-01T10:00:07Z")
	for _, tc := range []struct {
		name, expr, tz, after, want string // want "" : no further run
	}{
		{"daily noon", "cron(0 12 * * ? *)", "", "2026-01-01T12:00:00Z", "2026-01-02T12:00:00Z"},
		{"before the time", "cron(15 10 * * ? *)", "UTC", "2026-01-01T10:14:59Z", "2026-01-01T10:15:00Z"},
		{"weekdays", "cron(0 18 ? * MON-FRI *)", "", "2026-01-02T18:00:00Z", "2026-01-05T18:00:00Z"},
		{"every 10 from minute 1", "cron(1/10 * * * ? *)", "", "2026-01-01T10:01:00Z", "2026-01-01T10:11:00Z"},
		{"list of hours", "cron(0 8,17 * * ? *)", "", "2026-01-01T08:00:00Z", "2026-01-01T17:00:00Z"},
		{"month names, lower case", "cron(0 0 1 jan,jul ? *)", "", "2026-01-01T00:00:00Z", "2026-07-01T00:00:00Z"},
		{"31st skips April", "cron(0 0 31 * ? *)", "", "2026-04-01T00:00:00Z", "2026-05-31T00:00:00Z"},
		{"a later year", "cron(0 10 * * ? 2027)", "", "2026-06-01T00:00:00Z", "2027-01-01T10:00:00Z"},
		{"a year that passed", "cron(0 10 * * ? 2020)", "", "2026-06-01T00:00:00Z", ""},
		{"never: 30 February", "cron(0 0 30 2 ? *)", "", "2026-01-01T00:00:00Z", ""},
		{"year steps", "cron(0 0 1 1 ? 2026/4)", "", "2026-01-01T00:00:00Z", "2030-01-01T00:00:00Z"},

		// Leap days.
		{"29 February", "cron(0 0 29 2 ? *)", "", "2026-01-01T00:00:00Z", "2028-02-29T00:00:00Z"},
		{"29 February, next", "cron(0 0 29 2 ? *)", "", "2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"},
		{"29 February 2100 is no leap day", "cron(0 0 29 2 ? 2097-2104)", "", "2097-01-01T00:00:00Z", "2104-02-29T00:00:00Z"},
		{"last day of February, common year", "cron(0 0 L 2 ? *)", "", "2026-01-01T00:00:00Z", "2026-02-28T00:00:00Z"},
		{"last day of February, leap year", "cron(0 0 L 2 ? *)", "", "2027-03-01T00:00:00Z", "2028-02-29T00:00:00Z"},
		{"29 February in Berlin", "cron(0 1 29 2 ? *)", "Europe/Berlin", "2027-01-01T00:00:00Z", "2028-02-29T00:00:00Z"},

		// L, W, #.
		{"last Friday", "cron(0 9 ? * 6L *)", "", "2026-01-01T00:00:00Z", "2026-01-30T09:00:00Z"},
		{"last FRI by name", "cron(0 9 ? * FRIL *)", "", "2026-01-01T00:00:00Z", "2026-01-30T09:00:00Z"},
		{"second Tuesday", "cron(0 9 ? * 3#2 *)", "", "2026-01-01T00:00:00Z", "2026-01-13T09:00:00Z"},
		{"fifth Friday skips months without one", "cron(0 9 ? * 6#5 *)", "", "2026-02-01T00:00:00Z", "2026-05-29T09:00:00Z"},
		{"L alone in day-of-week is Saturday", "cron(0 12 ? * L *)", "", "2026-01-01T00:00:00Z", "2026-01-03T12:00:00Z"},
		{"15W on a Sunday is Monday", "cron(0 9 15W * ? *)", "", "2026-02-01T00:00:00Z", "2026-02-16T09:00:00Z"},
		{"15W on a Thursday", "cron(0 9 15W * ? *)", "", "2026-01-01T00:00:00Z", "2026-01-15T09:00:00Z"},
		{"1W on a Saturday is Monday the 3rd", "cron(0 9 1W * ? *)", "", "2026-07-02T00:00:00Z", "2026-08-03T09:00:00Z"},
		{"LW: the 31st is a Sunday", "cron(0 9 LW * ? *)", "", "2026-05-01T00:00:00Z", "2026-05-29T09:00:00Z"},

		// Time zones and DST.
		{"Kolkata, +05:30", "cron(0 9 * * ? *)", "Asia/Kolkata", "2026-01-01T00:00:00Z", "2026-01-01T03:30:00Z"},
		{"New York in winter", "cron(0 9 * * ? *)", "America/New_York", "2026-01-01T00:00:00Z", "2026-01-01T14:00:00Z"},
		{"New York in summer", "cron(0 9 * * ? *)", "America/New_York", "2026-07-01T00:00:00Z", "2026-07-01T13:00:00Z"},
		{"spring forward: 02:30 does not exist, the run is skipped", "cron(30 2 * * ? *)", "America/New_York", "2026-03-07T08:00:00Z", "2026-03-09T06:30:00Z"},
		{"spring forward: quarter hours jump from 01:45 EST to 03:00 EDT", "cron(0/15 * * * ? *)", "America/New_York", "2026-03-08T06:45:00Z", "2026-03-08T07:00:00Z"},
		{"spring forward in Berlin", "cron(30 2 * * ? *)", "Europe/Berlin", "2026-03-28T12:00:00Z", "2026-03-30T00:30:00Z"},
		{"fall back: 01:30 runs at its first occurrence (EDT)", "cron(30 1 * * ? *)", "America/New_York", "2026-10-31T06:00:00Z", "2026-11-01T05:30:00Z"},
		{"fall back: 01:30 does not run again at 01:30 EST", "cron(30 1 * * ? *)", "America/New_York", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"},
		{"fall back: hourly skips the repeated 01:00", "cron(0 * * * ? *)", "America/New_York", "2026-11-01T05:00:00Z", "2026-11-01T07:00:00Z"},
		{"fall back: quarter hours from 01:45 EDT to 02:00 EST", "cron(0/15 * * * ? *)", "America/New_York", "2026-11-01T05:45:00Z", "2026-11-01T07:00:00Z"},
		{"fall back: from inside the repeated hour", "cron(0/15 * * * ? *)", "America/New_York", "2026-11-01T06:10:00Z", "2026-11-01T07:00:00Z"},
		{"fall back in Berlin: 02:30 once", "cron(30 2 * * ? *)", "Europe/Berlin", "2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z"},
		{"fall back in Berlin: then the next day", "cron(30 2 * * ? *)", "Europe/Berlin", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"},

		// rate: from the anchor, absolute periods.
		{"rate before the anchor", "rate(5 minutes)", "", "2026-01-01T09:00:00Z", "2026-01-01T10:00:07Z"},
		{"rate after the anchor", "rate(5 minutes)", "", "2026-01-01T10:00:07Z", "2026-01-01T10:05:07Z"},
		{"rate between runs", "rate(1 hour)", "", "2026-01-01T12:30:00Z", "2026-01-01T13:00:07Z"},
		{"rate(1 day) is 24 hours across DST", "rate(1 day)", "America/New_York", "2026-03-07T10:00:07Z", "2026-03-08T10:00:07Z"},

		// at: once.
		{"at in Berlin", "at(2026-12-24T10:00:00)", "Europe/Berlin", "2026-01-01T00:00:00Z", "2026-12-24T09:00:00Z"},
		{"at that passed", "at(2026-12-24T10:00:00)", "Europe/Berlin", "2026-12-24T09:00:00Z", ""},
		{"at in the spring-forward gap runs an hour later", "at(2026-03-08T02:30:00)", "America/New_York", "2026-01-01T00:00:00Z", "2026-03-08T07:30:00Z"},
		{"at in the fall-back overlap runs at the first 01:30", "at(2026-11-01T01:30:00)", "America/New_York", "2026-01-01T00:00:00Z", "2026-11-01T05:30:00Z"},
		{"at with seconds", "at(2026-06-01T10:00:30)", "", "2026-01-01T00:00:00Z", "2026-06-01T10:00:30Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Parse(tc.expr, tc.tz)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := e.Next(anchor, utc(tc.after))
			switch {
			case tc.want == "" && ok:
				t.Fatalf("Next(%s) = %s, want none", tc.after, got.UTC().Format(time.RFC3339))
			case tc.want == "":
			case !ok:
				t.Fatalf("Next(%s): none, want %s", tc.after, tc.want)
			case !got.Equal(utc(tc.want)):
				t.Fatalf("Next(%s) = %s (%s), want %s", tc.after, got.UTC().Format(time.RFC3339), got.In(e.Location()), tc.want)
			}
		})
	}
}

// TestFallBackRunsEachWallTimeOnce walks a quarter-hourly schedule through New York's fall
// back: each wall-clock time runs once, so the night has 4 fewer runs than the 25 hours hold.
func TestFallBackRunsEachWallTimeOnce(t *testing.T) {
	e, err := Parse("cron(0/15 * * * ? *)", "America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	from, until := utc("2026-11-01T04:00:00Z"), utc("2026-11-01T09:00:00Z") // 00:00 EDT … 04:00 EST
	var walls []string
	for at, ok := e.Next(time.Time{}, from.Add(-time.Second)); ok && at.Before(until); at, ok = e.Next(time.Time{}, at) {
		walls = append(walls, at.In(e.Location()).Format("15:04"))
	}
	// 00:00 … 03:45 wall clock: 16 wall times, each once, over 5 hours of real time.
	if len(walls) != 16 {
		t.Fatalf("%d runs, want 16: %v", len(walls), walls)
	}
	seen := map[string]bool{}
	for _, w := range walls {
		if seen[w] {
			t.Fatalf("wall time %s ran twice: %v", w, walls)
		}
		seen[w] = true
	}
}

// TestParseErrors checks that errors name the position (1-based column) and the field.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		expr  string
		pos   int
		field string
	}{
		{"every(5 minutes)", 1, ""},
		{"cron 0 12 * * ? *", 1, ""},
		{"cron(0 25 * * ? *)", 8, "hours"},
		{"cron(60 12 * * ? *)", 6, "minutes"},
		{"cron(0 12 * *)", 6, ""},
		{"cron(0 12 * * ? * *)", 6, ""},
		{"cron(0 12 * * * *)", 15, "day-of-week"},
		{"cron(0 12 ? * ? *)", 15, "day-of-week"},
		{"cron(0 12 ? * 2#1,6#3 *)", 15, "day-of-week"},
		{"cron(0 12 ? * 3#6 *)", 17, "day-of-week"},
		{"cron(0/0 * * * ? *)", 8, "minutes"},
		{"cron(0 12 ? * MON/2 *)", 18, "day-of-week"},
		{"cron(0 12 ? * FRI-MON *)", 15, "day-of-week"},
		{"cron(0 12 * * ? 1969)", 17, "year"},
		{"cron(0 12 ? JAN,FOO MON *)", 17, "month"},
		{"cron(0 12 32 * ? *)", 11, "day-of-month"},
		{"cron(0 12 L,15 * ? *)", 11, "day-of-month"},
		{"cron(0 12 ? * 9L *)", 15, "day-of-week"},
		{"cron(? 12 * * ? *)", 6, "minutes"},
		{"cron(0 1-2-3 * * ? *)", 10, "hours"},
		{"cron(0 12 1, * ? *)", 13, "day-of-month"},
		{"rate(1 minutes)", 8, "rate"},
		{"rate(5 minute)", 8, "rate"},
		{"rate(0 minutes)", 6, "rate"},
		{"rate(05 minutes)", 6, "rate"},
		{"rate(5 weeks)", 8, "rate"},
		{"rate(5  minutes)", 6, "rate"},
		{"rate(5minutes)", 6, "rate"},
		{"at(2026-02-30T10:00:00)", 4, "at"},
		{"at(2026-12-24 10:00:00)", 4, "at"},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			_, err := Parse(tc.expr, "")
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("Parse: %v, want an *Error", err)
			}
			if perr.Position != tc.pos || perr.Field != tc.field {
				t.Fatalf("error %q at position %d (%s), want position %d (%s)", perr, perr.Position, perr.Field, tc.pos, tc.field)
			}
		})
	}
}

func TestParseTimezone(t *testing.T) {
	if _, err := Parse("rate(1 hour)", "Mars/Olympus_Mons"); !errors.Is(err, ErrUnknownTimezone) {
		t.Fatalf("err = %v, want ErrUnknownTimezone", err)
	}
	if _, err := Parse("rate(1 hour)", "Local"); !errors.Is(err, ErrUnknownTimezone) {
		t.Fatalf("Local: err = %v, want ErrUnknownTimezone (it depends on the machine)", err)
	}
	e, err := Parse("rate(1 hour)", "Pacific/Chatham")
	if err != nil || e.Location().String() != "Pacific/Chatham" {
		t.Fatalf("Pacific/Chatham: %v %v", e, err)
	}
}

// TestPlan pins the missed-run rule: of the due runs, the latest starts if it is due for at
// most MaxAge; the others are missed.
func TestPlan(t *testing.T) {
	hourly, err := Parse("rate(1 hour)", "")
	if err != nil {
		t.Fatal(err)
	}
	s := Schedule{Expression: hourly, Start: utc("2026-01-01T00:00:00Z")}
	for _, tc := range []struct {
		name             string
		sched            Schedule
		last, now        string
		maxAge           time.Duration
		run, handled     string
		missed           int
		capped           bool
		next             string
		window           time.Duration
		wantNextDueAfter bool
	}{
		{name: "first run at the start", sched: s, now: "2026-01-01T00:00:00Z", maxAge: time.Hour,
			run: "2026-01-01T00:00:00Z", handled: "2026-01-01T00:00:00Z", next: "2026-01-01T01:00:00Z"},
		{name: "nothing due", sched: s, last: "2026-01-01T02:00:00Z", now: "2026-01-01T02:59:59Z", maxAge: time.Hour,
			next: "2026-01-01T03:00:00Z"},
		{name: "on time", sched: s, last: "2026-01-01T02:00:00Z", now: "2026-01-01T03:00:00Z", maxAge: time.Hour,
			run: "2026-01-01T03:00:00Z", handled: "2026-01-01T03:00:00Z", next: "2026-01-01T04:00:00Z"},
		{name: "outage: the latest of five runs starts", sched: s, last: "2026-01-01T02:00:00Z", now: "2026-01-01T07:30:00Z", maxAge: 24 * time.Hour,
			run: "2026-01-01T07:00:00Z", handled: "2026-01-01T07:00:00Z", missed: 4, next: "2026-01-01T08:00:00Z"},
		{name: "outage: the latest is too old", sched: s, last: "2026-01-01T02:00:00Z", now: "2026-01-01T07:30:00Z", maxAge: 10 * time.Minute,
			handled: "2026-01-01T07:00:00Z", missed: 5, next: "2026-01-01T08:00:00Z"},
		{name: "outage: the latest at the edge of its age", sched: s, last: "2026-01-01T02:00:00Z", now: "2026-01-01T07:10:00Z", maxAge: 10 * time.Minute,
			run: "2026-01-01T07:00:00Z", handled: "2026-01-01T07:00:00Z", missed: 4, next: "2026-01-01T08:00:00Z"},
		{name: "long outage: counting stops", sched: s, now: "2026-02-01T00:30:00Z", maxAge: time.Hour,
			run: "2026-02-01T00:00:00Z", handled: "2026-02-01T00:00:00Z", missed: MaxCountedMissed + 1, capped: true, next: "2026-02-01T01:00:00Z"},
		{name: "end date: no next run", sched: Schedule{Expression: hourly, Start: s.Start, End: utc("2026-01-01T03:00:00Z")},
			last: "2026-01-01T02:00:00Z", now: "2026-01-01T02:30:00Z", maxAge: time.Hour},
		{name: "start date in the future", sched: Schedule{Expression: hourly, Start: utc("2026-03-01T12:00:00Z")},
			now: "2026-01-01T02:30:00Z", maxAge: time.Hour, next: "2026-03-01T12:00:00Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := PlanInput{Now: utc(tc.now), MaxAge: tc.maxAge}
			if tc.last != "" {
				in.Last = utc(tc.last)
			}
			p := tc.sched.Plan(in)
			check := func(what string, got time.Time, want string) {
				t.Helper()
				if (want == "" && !got.IsZero()) || (want != "" && !got.Equal(utc(want))) {
					t.Errorf("%s = %v, want %q", what, got, want)
				}
			}
			check("Run", p.Run, tc.run)
			check("Handled", p.Handled, tc.handled)
			check("Next", p.Next, tc.next)
			check("NextDue", p.NextDue, tc.next)
			if tc.capped {
				if !p.Capped || p.Missed < MaxCountedMissed {
					t.Errorf("Missed %d, Capped %v; want at least %d, capped", p.Missed, p.Capped, MaxCountedMissed)
				}
			} else if p.Missed != tc.missed || p.Capped {
				t.Errorf("Missed %d (capped %v), want %d", p.Missed, p.Capped, tc.missed)
			}
		})
	}
}

// TestPlanFlexibleWindow: a run is due at its scheduled time plus an offset within the
// window, the same on every pass, and not before.
func TestPlanFlexibleWindow(t *testing.T) {
	e, err := Parse("cron(0 * * * ? *)", "")
	if err != nil {
		t.Fatal(err)
	}
	s := Schedule{Expression: e, Start: utc("2026-01-01T00:00:00Z")}
	const window = 15 * time.Minute
	at := utc("2026-01-01T05:00:00Z")
	offset := FlexibleOffset("uid-1", window)(at)
	if offset < 0 || offset >= window || offset != FlexibleOffset("uid-1", window)(at) {
		t.Fatalf("offset %v: want a stable value in [0, %v)", offset, window)
	}
	var spread bool
	for h := range 24 {
		if FlexibleOffset("uid-1", window)(at.Add(time.Duration(h)*time.Hour)) != offset {
			spread = true
		}
	}
	if !spread {
		t.Fatal("every run has the same offset: the window spreads nothing")
	}
	last := utc("2026-01-01T04:00:00Z")
	due := at.Add(offset)
	if offset > 0 {
		p := s.Plan(PlanInput{Last: last, Now: due.Add(-time.Second), MaxAge: time.Hour, Window: window, Key: "uid-1"})
		if !p.Run.IsZero() || !p.Next.Equal(at) || !p.NextDue.Equal(due) {
			t.Fatalf("a second before it is due: %+v, want no run, next %v due %v", p, at, due)
		}
	}
	p := s.Plan(PlanInput{Last: last, Now: due, MaxAge: time.Hour, Window: window, Key: "uid-1"})
	if !p.Run.Equal(at) {
		t.Fatalf("when due: %+v, want the run of %v", p, at)
	}
}
