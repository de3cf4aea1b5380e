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

// Package golden compares test output with files under testdata/, and rewrites them when the
// tests run with -update (go test ./internal/... -update).
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files with the current output")

// Updating reports whether the tests were asked to rewrite golden files.
func Updating() bool { return *update }

// Assert compares got with the golden file at path (relative to the test's package), or
// writes it when -update is set. A missing golden file is a failure, not a silent pass.
func Assert(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			t.Fatalf("golden: %v", err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil { //nolint:gosec // test fixtures are world-readable
			t.Fatalf("golden: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path) //nolint:gosec // path comes from the test itself
	if err != nil {
		t.Fatalf("golden: %v (run the test with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("golden file %s differs (-want +got; run with -update if the change is intended):\n%s", path, diff)
	}
}
