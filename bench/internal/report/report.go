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

// Package report prints the figures of docs/budgets.md in one line format, so `make bench` and
// `make soak` can collect them from any benchmark: `ID value unit reference ratio budget
// PASS|FAIL`. Speed figures are ratios against a reference measured in the same run,
// because the machines are shared and noisy.
package report

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Prefix starts every figure line, so hack/bench.sh can pick them out of `go test -v`.
const Prefix = "FIGURE "

// Line is one figure of docs/budgets.md.
type Line struct {
	// ID is the budget's id: P1, P1b, … R3.
	ID string
	// Value is Berth's figure (a median where there are repetitions).
	Value float64
	// Unit is the unit of Value and Reference: s, ms, MiB/s, MiB, writes/task, …
	Unit string
	// Reference is the reference measured in the same run; NaN-free zero with HasReference
	// false prints "-".
	Reference    float64
	HasReference bool
	// Ratio is Value / Reference for speed figures (or whatever the budget compares);
	// HasRatio false prints "-".
	Ratio    float64
	HasRatio bool
	// Budget is the budget as docs/budgets.md writes it, without spaces: "<=0.5x", "p99<=1ms".
	Budget string
	// Pass says whether the budget is met.
	Pass bool
	// Detail is free text after the verdict: repetitions, spread, per-zone counts.
	Detail string
}

// String formats the line without the prefix.
func (l Line) String() string {
	ref, ratio := "-", "-"
	if l.HasReference {
		ref = num(l.Reference)
	}
	if l.HasRatio {
		ratio = num(l.Ratio)
	}
	verdict := "FAIL"
	if l.Pass {
		verdict = "PASS"
	}
	s := strings.Join([]string{l.ID, num(l.Value), l.Unit, ref, ratio, l.Budget, verdict}, " ")
	if l.Detail != "" {
		s += "  # " + l.Detail
	}
	return s
}

// Print writes the line with Prefix to w (os.Stdout when nil).
func Print(w io.Writer, l Line) {
	if w == nil {
		w = os.Stdout
	}
	fmt.Fprintln(w, Prefix+l.String())
}

func num(f float64) string {
	return strconv.FormatFloat(f, 'g', 4, 64)
}

// Median is the median of xs (0 for none); xs is not modified.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Percentile is the p-th percentile (0 < p ≤ 100, nearest rank) of ds.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(float64(len(s))*p/100+0.999999) - 1
	rank = max(0, min(rank, len(s)-1))
	return s[rank]
}

// Spread describes xs as "min–max over n runs" for a line's Detail.
func Spread(xs []float64, unit string) string {
	if len(xs) == 0 {
		return "no runs"
	}
	return fmt.Sprintf("%s–%s %s over %d runs", num(slices.Min(xs)), num(slices.Max(xs)), unit, len(xs))
}
