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

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// runCLI runs kubectl-berth in-process and returns its exit code, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	return code, out.String(), errOut.String()
}

func TestExitCodesAndHelp(t *testing.T) {
	cases := []struct {
		args     []string
		code     int
		contains string
	}{
		{[]string{"--help"}, exitOK, "kubectl berth [command]"},
		{[]string{"--bogus"}, exitUsage, "unknown flag: --bogus"},
		{[]string{"nosuch"}, exitUsage, `unknown command "nosuch"`},
		{[]string{"version", "extra"}, exitUsage, "unknown command"},
		{[]string{"completion", "bash"}, exitOK, "bash completion"},
		{[]string{"completion", "zsh"}, exitOK, "zsh completion"},
		{[]string{"completion", "fish"}, exitOK, "fish completion"},
	}
	for _, tc := range cases {
		code, out, errOut := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(out+errOut, tc.contains) {
			t.Errorf("kubectl-berth %q: exit %d, want %d; output lacks %q:\n%s%s", tc.args, code, tc.code, tc.contains, out, errOut)
		}
	}
	// Colours are for terminals only: a buffer gets none.
	if _, out, errOut := runCLI(t, "--help"); strings.Contains(out+errOut, "\x1b[") {
		t.Errorf("escape sequences written to a non-terminal:\n%q", out)
	}
}
