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

package conditions

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTruncate(t *testing.T) {
	for _, tc := range []struct {
		in string
		n  int
	}{
		{"short", 10},
		{strings.Repeat("a", 20), 10},
		{strings.Repeat("é", 10), 9}, // 2-byte runes: cut on a boundary, then "…" (3 bytes)
	} {
		got := Truncate(tc.in, tc.n)
		if len(got) > tc.n || !utf8.ValidString(got) || (len(tc.in) > tc.n && !strings.HasSuffix(got, "…")) {
			t.Errorf("Truncate(%q, %d) = %q", tc.in, tc.n, got)
		}
		if len(tc.in) <= tc.n && got != tc.in {
			t.Errorf("Truncate(%q, %d) changed a short string", tc.in, tc.n)
		}
	}
}
