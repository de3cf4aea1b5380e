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

package envtest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Tool finds a binary of hack/setup-tools.sh (helm, kubectl, …): on PATH (hack/test.sh puts
// the folder there) or in $KUBEBUILDER_ASSETS. Its absence fails the test.
func Tool(t testing.TB, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode()&0o111 != 0 { //nolint:gosec // the test runner names its own tool folder
			return p
		}
	}
	t.Fatalf("%s is not on PATH nor in $KUBEBUILDER_ASSETS: run the tests with `make test` or hack/test.sh, "+
		"which build it with hack/setup-tools.sh and put its folder on PATH "+
		"(or: export PATH=\"$(hack/setup-tools.sh):$PATH\")", name)
	return ""
}

// RunTool runs a Tool and returns its standard output; a failure returns the error with
// stderr. helm is kept away from the user's repositories, plugins and caches.
func RunTool(t testing.TB, name string, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.CommandContext(context.Background(), Tool(t, name), args...) //nolint:gosec // the setup's own tools
	home := t.TempDir()
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"),
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, errors.Join(err, errors.New(stderr.String()))
	}
	return stdout.Bytes(), nil
}
