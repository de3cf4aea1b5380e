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

package rollout

import "testing"

func TestBounds(t *testing.T) {
	tests := []struct {
		name                 string
		desired, minPct, max int32
		wantLower, wantUpper int32
	}{
		{"ECS example 4 at 50/200", 4, 50, 200, 2, 8},
		{"lower rounds up", 3, 50, 200, 2, 6},
		{"upper rounds down", 5, 100, 150, 5, 7},
		{"one task 100/200", 1, 100, 200, 1, 2},
		{"one task 100/150 cannot surge", 1, 100, 150, 1, 1},
		{"one task 50/100", 1, 50, 100, 1, 1},
		{"stop before start", 4, 0, 100, 0, 4},
		{"default 100/200", 6, 100, 200, 6, 12},
		{"zero desired", 0, 100, 200, 0, 0},
		{"zero desired zero min", 0, 0, 100, 0, 0},
		{"7 at 50/150", 7, 50, 150, 4, 10},
		{"10 at 33/133", 10, 33, 133, 4, 13},
		{"5000 at 100/200", 5000, 100, 200, 5000, 10000},
		{"negative desired is zero", -3, 100, 200, 0, 0},
		{"min above 100 is 100", 4, 150, 200, 4, 8},
		{"negative min is 0", 4, -10, 200, 0, 8},
		{"max below 100 is 100", 4, 50, 50, 2, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lower, upper := Bounds(tt.desired, tt.minPct, tt.max)
			if lower != tt.wantLower || upper != tt.wantUpper {
				t.Errorf("Bounds(%d, %d, %d) = (%d, %d), want (%d, %d)",
					tt.desired, tt.minPct, tt.max, lower, upper, tt.wantLower, tt.wantUpper)
			}
		})
	}
}

func TestBoundsOrdered(t *testing.T) {
	for d := int32(0); d <= 300; d++ {
		for minPct := int32(0); minPct <= 100; minPct += 5 {
			for maxPct := int32(100); maxPct <= 200; maxPct += 5 {
				lower, upper := Bounds(d, minPct, maxPct)
				if lower > d || d > upper {
					t.Fatalf("Bounds(%d, %d, %d) = (%d, %d): want lower ≤ D ≤ upper", d, minPct, maxPct, lower, upper)
				}
			}
		}
	}
}

func TestFailureThreshold(t *testing.T) {
	tests := []struct{ desired, want int32 }{
		{0, 3}, {1, 3}, {2, 3}, {5, 3}, {6, 3}, {7, 4}, {8, 4}, {9, 5},
		{399, 200}, {400, 200}, {401, 200}, {1000, 200}, {-1, 3},
	}
	for _, tt := range tests {
		if got := FailureThreshold(tt.desired); got != tt.want {
			t.Errorf("FailureThreshold(%d) = %d, want %d", tt.desired, got, tt.want)
		}
	}
}
