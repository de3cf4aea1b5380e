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

package report

import (
	"bytes"
	"testing"
	"time"
)

func TestLineFormat(t *testing.T) {
	cases := []struct {
		line Line
		want string
	}{
		{Line{ID: "P1", Value: 17.2, Unit: "s", Reference: 29.6, HasReference: true, Ratio: 17.2 / 29.6, HasRatio: true, Budget: "<=0.5x", Pass: false, Detail: "3 runs"},
			"FIGURE P1 17.2 s 29.6 0.5811 <=0.5x FAIL  # 3 runs\n"},
		{Line{ID: "P5", Value: 98.25, Unit: "MiB", Budget: "<=150MiB", Pass: true},
			"FIGURE P5 98.25 MiB - - <=150MiB PASS\n"},
	}
	for _, c := range cases {
		var b bytes.Buffer
		Print(&b, c.line)
		if b.String() != c.want {
			t.Errorf("got %q, want %q", b.String(), c.want)
		}
	}
}

func TestStatistics(t *testing.T) {
	if got := Median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("Median odd = %v", got)
	}
	if got := Median([]float64{4, 1, 2, 3}); got != 2.5 {
		t.Errorf("Median even = %v", got)
	}
	ds := make([]time.Duration, 100)
	for i := range ds {
		ds[i] = time.Duration(100-i) * time.Millisecond
	}
	if got := Percentile(ds, 99); got != 99*time.Millisecond {
		t.Errorf("p99 = %v", got)
	}
	if got := Percentile(ds, 50); got != 50*time.Millisecond {
		t.Errorf("p50 = %v", got)
	}
	if got := Spread([]float64{2, 1, 3}, "s"); got != "1–3 s over 3 runs" {
		t.Errorf("Spread = %q", got)
	}
}
