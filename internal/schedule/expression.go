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

// Package schedule parses EventBridge Scheduler schedule expressions — rate(5 minutes),
// cron(0 12 * * ? *) in EventBridge's six-field syntax, at(2026-12-24T10:00:00) — in an IANA
// time zone, and computes their run times. It is pure: the time is an input.
//
// Rules, as EventBridge Scheduler documents them where it does:
//
//   - cron fields are minutes, hours, day-of-month, month, day-of-week (1-7 = SUN-SAT) and
//     year (1970-2199). Exactly one of day-of-month and day-of-week is "?". Day-of-month
//     takes L (the last day), LW (the last weekday), nW (the weekday nearest day n, within
//     the month); day-of-week takes L (SAT, the last day of the week), nL (the last day n of
//     the month) and n#k (the k-th day n of the month). L, W and # stand alone in their
//     field. "/" steps are allowed in every field but day-of-week. Ranges do not wrap
//     (FRI-MON is refused).
//   - rate(value unit): value ≥ 1; the unit is minute, hour or day with 1, minutes, hours or
//     days above; a day is 24 hours, whatever the time zone's clock does. Runs are at the
//     schedule's start (its startDate, or when it was created) and every period after.
//   - A cron expression is read in its time zone's wall clock. When the clock springs
//     forward, a run whose wall-clock time does not exist that day is skipped; when it falls
//     back, a wall-clock time that occurs twice runs once, at its first occurrence.
//   - at(yyyy-mm-ddThh:mm:ss) runs once. A wall-clock time that does not exist (a spring
//     forward gap) runs that much later (02:30 becomes 03:30 when 02:00 jumps to 03:00), so a
//     one-time schedule is never lost; one that occurs twice runs at its first occurrence.
package schedule

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	// Time zones come with the binary: the manager's image has no zoneinfo files.
	_ "time/tzdata"
)

// Kind is the type of a schedule expression.
type Kind string

// Expression kinds.
const (
	// Rate runs every fixed period from the schedule's start.
	Rate Kind = "rate"
	// Cron runs at wall-clock times matching six fields.
	Cron Kind = "cron"
	// At runs once.
	At Kind = "at"
)

// Error is a schedule expression that does not parse: Position is the 1-based column in the
// expression where the problem is, Field names the cron field (or "rate", "at") it is in.
type Error struct {
	Expression string
	Position   int
	Field      string
	Message    string
}

// Error says where and what: `position 9 (hours): 25 is out of range 0-23`.
func (e *Error) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("position %d: %s", e.Position, e.Message)
	}
	return fmt.Sprintf("position %d (%s): %s", e.Position, e.Field, e.Message)
}

// ErrUnknownTimezone is returned for a time zone that is not an IANA name.
var ErrUnknownTimezone = errors.New("unknown time zone")

// Expression is a parsed schedule expression with its time zone.
type Expression struct {
	kind Kind
	loc  *time.Location

	period time.Duration // rate
	cron   *cronSpec     // cron
	at     civil         // at
}

// Kind says whether the expression is a rate, cron or at expression.
func (e *Expression) Kind() Kind { return e.kind }

// Location is the time zone the expression is read in.
func (e *Expression) Location() *time.Location { return e.loc }

// Period is a rate expression's period (0 for the others).
func (e *Expression) Period() time.Duration { return e.period }

// LoadLocation reads an IANA time zone name; "" is UTC, as in EventBridge Scheduler.
func LoadLocation(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "Local" {
		return nil, fmt.Errorf("%w %q: use an IANA name such as Europe/Berlin or America/New_York", ErrUnknownTimezone, name)
	}
	return loc, nil
}

// Parse reads a schedule expression in the named time zone ("" is UTC). Expression errors
// are *Error, naming the position; an unknown time zone wraps ErrUnknownTimezone.
func Parse(expr, timezone string) (*Expression, error) {
	loc, err := LoadLocation(timezone)
	if err != nil {
		return nil, err
	}
	return ParseIn(expr, loc)
}

// ParseIn reads a schedule expression in a time zone.
func ParseIn(expr string, loc *time.Location) (*Expression, error) {
	open := strings.IndexByte(expr, '(')
	if open < 0 || !strings.HasSuffix(expr, ")") {
		return nil, &Error{Expression: expr, Position: 1, Message: `want rate(value unit), cron(fields) or at(yyyy-mm-ddThh:mm:ss)`}
	}
	inner, start := expr[open+1:len(expr)-1], open+2 // start: the column of inner's first character
	switch expr[:open] {
	case "rate":
		period, err := parseRate(expr, inner, start)
		if err != nil {
			return nil, err
		}
		return &Expression{kind: Rate, loc: loc, period: period}, nil
	case "cron":
		spec, err := parseCron(expr, inner, start)
		if err != nil {
			return nil, err
		}
		return &Expression{kind: Cron, loc: loc, cron: spec}, nil
	case "at":
		c, err := parseAt(expr, inner, start)
		if err != nil {
			return nil, err
		}
		return &Expression{kind: At, loc: loc, at: c}, nil
	}
	return nil, &Error{Expression: expr, Position: 1, Message: fmt.Sprintf("unknown expression type %q: want rate, cron or at", expr[:open])}
}

// parseRate reads "value unit".
func parseRate(expr, inner string, start int) (time.Duration, error) {
	fail := func(pos int, format string, a ...any) (time.Duration, error) {
		return 0, &Error{Expression: expr, Position: pos, Field: "rate", Message: fmt.Sprintf(format, a...)}
	}
	value, unit, ok := strings.Cut(inner, " ")
	if !ok || value == "" || unit == "" || strings.Contains(unit, " ") {
		return fail(start, "want rate(value unit) with one space, such as rate(5 minutes)")
	}
	n, err := strconv.Atoi(value)
	if err != nil || n < 1 || value[0] == '0' || value[0] == '+' {
		return fail(start, "value %q must be a whole number of at least 1", value)
	}
	unitPos := start + len(value) + 1
	var d time.Duration
	switch strings.TrimSuffix(unit, "s") {
	case "minute":
		d = time.Minute
	case "hour":
		d = time.Hour
	case "day":
		d = 24 * time.Hour
	default:
		return fail(unitPos, "unit %q must be minute(s), hour(s) or day(s)", unit)
	}
	plural := strings.HasSuffix(unit, "s")
	switch {
	case n == 1 && plural:
		return fail(unitPos, "with the value 1 the unit is singular: %s", strings.TrimSuffix(unit, "s"))
	case n > 1 && !plural:
		return fail(unitPos, "with a value above 1 the unit is plural: %ss", unit)
	}
	if int64(n) > int64(200*365*24*time.Hour/d) {
		return fail(start, "value %d is too large", n)
	}
	return time.Duration(n) * d, nil
}

// civil is a wall-clock date and time.
type civil struct {
	year, month, day, hour, minute, second int
}

// parseAt reads "yyyy-mm-ddThh:mm:ss".
func parseAt(expr, inner string, start int) (civil, error) {
	const layout = "2006-01-02T15:04:05"
	t, err := time.Parse(layout, inner)
	if err != nil || len(inner) != len(layout) {
		return civil{}, &Error{Expression: expr, Position: start, Field: "at",
			Message: fmt.Sprintf("%q is not a date and time yyyy-mm-ddThh:mm:ss, such as at(2026-12-24T10:00:00)", inner)}
	}
	return civil{t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute(), t.Second()}, nil
}

// resolve is the earliest instant whose wall clock in loc reads c; ok is false when the
// clock skips c (a spring-forward gap).
func resolve(c civil, loc *time.Location) (time.Time, bool) {
	naive := time.Date(c.year, time.Month(c.month), c.day, c.hour, c.minute, c.second, 0, time.UTC)
	var best time.Time
	found := false
	// The offsets that can apply near c: probe instants around it (UTC offsets are within
	// -12 h … +14 h, and zones change offset at most once in such a span).
	for _, probe := range []time.Duration{-15 * time.Hour, -7 * time.Hour, 0, 7 * time.Hour, 13 * time.Hour} {
		_, off := naive.Add(probe).In(loc).Zone()
		inst := naive.Add(-time.Duration(off) * time.Second)
		if wall(inst.In(loc)) != c {
			continue
		}
		if !found || inst.Before(best) {
			best, found = inst, true
		}
	}
	return best, found
}

// resolveLater is resolve, except that a wall-clock time in a gap is moved later by the
// gap's length (java.time's rule for ZonedDateTime.of).
func resolveLater(c civil, loc *time.Location) time.Time {
	if t, ok := resolve(c, loc); ok {
		return t
	}
	// Read with the offset in effect before the gap: the same instant as the wall clock
	// moved later by the gap's length.
	naive := time.Date(c.year, time.Month(c.month), c.day, c.hour, c.minute, c.second, 0, time.UTC)
	_, before := naive.Add(-15 * time.Hour).In(loc).Zone()
	return naive.Add(-time.Duration(before) * time.Second)
}

func wall(t time.Time) civil {
	return civil{t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute(), t.Second()}
}

// Next is the first run time strictly after after, for an expression whose runs cannot come
// before anchor: a rate expression runs at anchor and every period after it; cron and at
// expressions ignore anchor. ok is false when there is none (an at time that passed, a cron
// expression with no further match before 2200).
func (e *Expression) Next(anchor, after time.Time) (time.Time, bool) {
	switch e.kind {
	case Rate:
		if after.Before(anchor) {
			return anchor, true
		}
		k := after.Sub(anchor)/e.period + 1
		return anchor.Add(k * e.period), true
	case At:
		t := resolveLater(e.at, e.loc)
		return t, t.After(after)
	default:
		return e.cron.next(after, e.loc)
	}
}
