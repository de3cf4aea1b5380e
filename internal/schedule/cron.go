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
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Cron field indexes.
const (
	fMinute = iota
	fHour
	fDayOfMonth
	fMonth
	fDayOfWeek
	fYear
	numFields
)

// Year bounds of EventBridge cron expressions.
const (
	minYear = 1970
	maxYear = 2199
)

// field describes one cron field.
type field struct {
	name     string
	min, max int
	names    []string // names[i] is the value min+i (month and day names)
	step     bool     // "/" allowed
}

var fields = [numFields]field{
	{name: "minutes", min: 0, max: 59, step: true},
	{name: "hours", min: 0, max: 23, step: true},
	{name: "day-of-month", min: 1, max: 31, step: true},
	{name: "month", min: 1, max: 12, step: true, names: []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}},
	{name: "day-of-week", min: 1, max: 7, names: []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}},
	{name: "year", min: minYear, max: maxYear, step: true},
}

// cronSpec is a parsed cron expression.
type cronSpec struct {
	sets [numFields][]bool // sets[f][v-min]: value v matches field f (the plain values)

	domAny, dowAny bool // "?"
	// day-of-month specials
	lastDay, lastWeekday bool
	nearestWeekday       int // nW: the weekday nearest day n
	// day-of-week specials
	lastOfMonth int // nL: the last weekday n (1-7) of the month
	nthDay, nth int // n#k: the k-th weekday n of the month
}

// parseCron reads the six fields.
func parseCron(expr, inner string, start int) (*cronSpec, error) {
	spec := &cronSpec{}
	var parts []string
	var cols []int
	for i := 0; i < len(inner); {
		if inner[i] == ' ' {
			i++
			continue
		}
		j := i
		for j < len(inner) && inner[j] != ' ' {
			j++
		}
		parts, cols = append(parts, inner[i:j]), append(cols, start+i)
		i = j
	}
	if len(parts) != numFields {
		return nil, &Error{Expression: expr, Position: start, Message: fmt.Sprintf(
			"cron needs 6 fields (minutes hours day-of-month month day-of-week year), found %d", len(parts))}
	}
	for f := range numFields {
		if err := spec.parseField(f, parts[f], cols[f]); err != nil {
			err.Expression = expr
			return nil, err
		}
	}
	switch {
	case spec.domAny && spec.dowAny:
		return nil, &Error{Expression: expr, Position: cols[fDayOfWeek], Field: "day-of-week",
			Message: `"?" may be in only one of day-of-month and day-of-week; give the other a value or *`}
	case !spec.domAny && !spec.dowAny:
		return nil, &Error{Expression: expr, Position: cols[fDayOfWeek], Field: "day-of-week",
			Message: `one of day-of-month and day-of-week must be "?", such as cron(0 12 * * ? *) or cron(0 12 ? * MON-FRI *)`}
	}
	return spec, nil
}

// parseField reads one field at column col.
func (s *cronSpec) parseField(f int, text string, col int) *Error {
	fd := fields[f]
	fail := func(pos int, format string, a ...any) *Error {
		return &Error{Position: pos, Field: fd.name, Message: fmt.Sprintf(format, a...)}
	}
	s.sets[f] = make([]bool, fd.max-fd.min+1)
	if text == "?" {
		switch f {
		case fDayOfMonth:
			s.domAny = true
		case fDayOfWeek:
			s.dowAny = true
		default:
			return fail(col, `"?" is only allowed in day-of-month and day-of-week`)
		}
		return nil
	}
	if f == fDayOfMonth || f == fDayOfWeek {
		if done, err := s.parseSpecial(f, text, col); done || err != nil {
			return err
		}
	}
	pos := col
	for item := range strings.SplitSeq(text, ",") {
		if err := s.parseItem(f, item, pos); err != nil {
			return err
		}
		pos += len(item) + 1
	}
	return nil
}

// parseSpecial reads the L, W and # forms, which stand alone in their field; done is false
// for a field without them.
func (s *cronSpec) parseSpecial(f int, text string, col int) (done bool, err *Error) {
	fd := fields[f]
	if !strings.ContainsAny(text, "LW#") {
		return false, nil
	}
	fail := func(format string, a ...any) (bool, *Error) {
		return true, &Error{Position: col, Field: fd.name, Message: fmt.Sprintf(format, a...)}
	}
	if strings.ContainsAny(text, ",-/*") && !strings.ContainsAny(strings.ToUpper(text), "ABCDEFGHIJKMNOPQRSTUVXYZ") {
		return fail("%q: L, W and # stand alone in the field (no lists, ranges or steps with them)", text)
	}
	if f == fDayOfMonth {
		switch {
		case text == "L":
			s.lastDay = true
		case text == "LW":
			s.lastWeekday = true
		case strings.HasSuffix(text, "W"):
			n, ok := s.number(f, strings.TrimSuffix(text, "W"))
			if !ok {
				return fail("%q: W follows a day of the month 1-31, such as 15W", text)
			}
			s.nearestWeekday = n
		default:
			return fail("%q: day-of-month takes L, LW or nW (such as 15W)", text)
		}
		return true, nil
	}
	switch {
	case text == "L":
		s.sets[f][7-fd.min] = true // L alone: the last day of the week, SAT
	case strings.HasSuffix(text, "L"):
		n, ok := s.number(f, strings.TrimSuffix(text, "L"))
		if !ok {
			return fail("%q: L follows a day of the week 1-7 or SUN-SAT, such as 6L (the last Friday)", text)
		}
		s.lastOfMonth = n
	case strings.Contains(text, "#"):
		day, k, _ := strings.Cut(text, "#")
		n, ok := s.number(f, day)
		if !ok {
			return fail("%q: # follows a day of the week 1-7 or SUN-SAT, such as 3#2 (the second Tuesday)", text)
		}
		kn, err := strconv.Atoi(k)
		if err != nil || kn < 1 || kn > 5 || k[0] == '+' {
			return true, &Error{Position: col + len(day) + 1, Field: fd.name, Message: fmt.Sprintf("%q: the week after # must be 1-5", text)}
		}
		if strings.Contains(k, "#") {
			return fail("%q: only one # expression is allowed", text)
		}
		s.nthDay, s.nth = n, kn
	default:
		return false, nil // a name holding L or W, such as WED or JUL
	}
	return true, nil
}

// parseItem reads "*", "v", "a-b", each optionally with "/step".
func (s *cronSpec) parseItem(f int, item string, col int) *Error {
	fd := fields[f]
	fail := func(pos int, format string, a ...any) *Error {
		return &Error{Position: pos, Field: fd.name, Message: fmt.Sprintf(format, a...)}
	}
	if item == "" {
		return fail(col, "empty list item")
	}
	rng, stepText, hasStep := strings.Cut(item, "/")
	step := 1
	if hasStep {
		if !fd.step {
			return fail(col+len(rng), `"/" steps are not allowed in %s`, fd.name)
		}
		n, err := strconv.Atoi(stepText)
		if err != nil || n < 1 || stepText[0] == '+' || n > fd.max-fd.min+1 {
			return fail(col+len(rng)+1, "step %q must be a whole number from 1 to %d", stepText, fd.max-fd.min+1)
		}
		step = n
	}
	lo, hi := fd.min, fd.max
	switch {
	case rng == "*":
	case strings.Contains(rng, "-"):
		a, b, _ := strings.Cut(rng, "-")
		var ok bool
		if lo, ok = s.number(f, a); !ok {
			return fail(col, "%q is not a value of %s (%s)", a, fd.name, fd.describe())
		}
		if hi, ok = s.number(f, b); !ok {
			return fail(col+len(a)+1, "%q is not a value of %s (%s)", b, fd.name, fd.describe())
		}
		if lo > hi {
			return fail(col, "range %s starts after it ends (ranges do not wrap around)", rng)
		}
	default:
		v, ok := s.number(f, rng)
		if !ok {
			return fail(col, "%q is not a value of %s (%s)", rng, fd.name, fd.describe())
		}
		lo = v
		if !hasStep {
			hi = v
		}
	}
	for v := lo; v <= hi; v += step {
		s.sets[f][v-fd.min] = true
	}
	return nil
}

// number reads a value of field f: digits, or a month or day name.
func (s *cronSpec) number(f int, text string) (int, bool) {
	fd := fields[f]
	for i, n := range fd.names {
		if strings.EqualFold(text, n) {
			return fd.min + i, true
		}
	}
	if text == "" || text[0] == '+' || text[0] == '-' {
		return 0, false
	}
	v, err := strconv.Atoi(text)
	if err != nil || v < fd.min || v > fd.max {
		return 0, false
	}
	return v, true
}

// describe says what values a field takes.
func (fd field) describe() string {
	if fd.names != nil {
		return fmt.Sprintf("%d-%d or %s-%s", fd.min, fd.max, fd.names[0], fd.names[len(fd.names)-1])
	}
	return fmt.Sprintf("%d-%d", fd.min, fd.max)
}

func (s *cronSpec) has(f, v int) bool {
	i := v - fields[f].min
	return i >= 0 && i < len(s.sets[f]) && s.sets[f][i]
}

// matchesDay says whether the date matches year, month, day-of-month and day-of-week.
func (s *cronSpec) matchesDay(y, m, d int) bool {
	if !s.has(fYear, y) || !s.has(fMonth, m) {
		return false
	}
	if s.dowAny {
		return s.matchesDayOfMonth(y, m, d)
	}
	return s.matchesDayOfWeek(y, m, d)
}

func (s *cronSpec) matchesDayOfMonth(y, m, d int) bool {
	last := daysIn(y, m)
	switch {
	case s.lastDay:
		return d == last
	case s.lastWeekday:
		return d == nearestWeekday(y, m, last)
	case s.nearestWeekday > 0:
		return s.nearestWeekday <= last && d == nearestWeekday(y, m, s.nearestWeekday)
	}
	return s.has(fDayOfMonth, d)
}

func (s *cronSpec) matchesDayOfWeek(y, m, d int) bool {
	w := weekday(y, m, d)
	switch {
	case s.lastOfMonth > 0:
		return w == s.lastOfMonth && d+7 > daysIn(y, m)
	case s.nthDay > 0:
		return w == s.nthDay && (d-1)/7+1 == s.nth
	}
	return s.has(fDayOfWeek, w)
}

// next is the first matching instant strictly after after: wall-clock times are walked in
// order in loc, each read as its first occurrence; a time the clock skips is skipped.
func (s *cronSpec) next(after time.Time, loc *time.Location) (time.Time, bool) {
	from := after.In(loc)
	y, m, d := from.Year(), int(from.Month()), from.Day()
	h0, m0 := from.Hour(), from.Minute()
	if y < minYear {
		y, m, d, h0, m0 = minYear, 1, 1, 0, 0
	}
	for y <= maxYear {
		switch {
		case !s.has(fYear, y):
			y, m, d, h0, m0 = y+1, 1, 1, 0, 0
			continue
		case !s.has(fMonth, m):
			y, m = nextMonth(y, m)
			d, h0, m0 = 1, 0, 0
			continue
		}
		if s.matchesDay(y, m, d) {
			for h := h0; h < 24; h++ {
				if !s.has(fHour, h) {
					continue
				}
				mStart := 0
				if h == h0 {
					mStart = m0
				}
				for mi := mStart; mi < 60; mi++ {
					if !s.has(fMinute, mi) {
						continue
					}
					t, ok := resolve(civil{y, m, d, h, mi, 0}, loc)
					if ok && t.After(after) {
						return t, true
					}
				}
			}
		}
		h0, m0 = 0, 0
		if d++; d > daysIn(y, m) {
			y, m = nextMonth(y, m)
			d = 1
		}
	}
	return time.Time{}, false
}

// nextMonth is the month after y-m.
func nextMonth(y, m int) (year, month int) {
	if m == 12 {
		return y + 1, 1
	}
	return y, m + 1
}

func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// weekday is 1 (SUN) … 7 (SAT), as cron numbers days.
func weekday(y, m, d int) int {
	return int(time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).Weekday()) + 1
}

// nearestWeekday is the weekday (MON-FRI) nearest day n of the month, without leaving the
// month: a Saturday moves to Friday (Monday when n is the 1st), a Sunday to Monday (Friday
// when n is the last day).
func nearestWeekday(y, m, n int) int {
	switch weekday(y, m, n) {
	case 7: // SAT
		if n == 1 {
			return n + 2
		}
		return n - 1
	case 1: // SUN
		if n == daysIn(y, m) {
			return n - 2
		}
		return n + 1
	}
	return n
}
