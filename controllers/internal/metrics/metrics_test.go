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

package metrics

import (
	"testing"
	"time"
)

func TestOverdue(t *testing.T) {
	next := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		now  time.Time
		want float64
	}{
		{next.Add(-time.Minute), 0},
		{next, 0},
		{next.Add(90 * time.Second), 90},
		{next.Add(5 * time.Hour), 18000},
	} {
		if got := Overdue(tc.now, next); got != tc.want {
			t.Errorf("Overdue(%s, %s) = %v, want %v", tc.now, next, got, tc.want)
		}
	}
}
