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

package compose

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/berth-dev/berth/internal/testutil/golden"
)

// cases are the compose projects of testdata/: each folder's files (compose.yaml unless
// listed), profiles and environment, converted and compared with <folder>/golden.yaml.
var cases = []struct {
	dir      string
	files    []string
	profiles []string
	env      map[string]string
}{
	{dir: "web-db-cache"},
	{dir: "depends-on-conditions"},
	{dir: "healthchecks"},
	{dir: "secrets-configs", env: map[string]string{"API_KEY": "k-123"}},
	{dir: "profiles", profiles: []string{"debug"}},
	{dir: "extends"},
	{dir: "env-interpolation", env: map[string]string{"TAG": "2024.10", "WEB_PORT": "9090"}},
	{dir: "multiple-files", files: []string{"compose.yaml", "compose.prod.yaml"}},
	{dir: "deploy-resources"},
	{dir: "placement"},
	{dir: "restart-policies"},
	{dir: "security"},
	{dir: "logging-dns-hosts"},
	{dir: "wordpress-mysql"},
	{dir: "worker-queue"},
	{dir: "anchors-networks"},
	{dir: "sidecar-volumes"},
}

// TestGolden converts each project and compares the manifests (and warnings, as comments)
// with its golden file. The goldens are the specification of the mapping: read them when
// they change.
func TestGolden(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.dir, func(t *testing.T) {
			files := tc.files
			if len(files) == 0 {
				files = []string{"compose.yaml"}
			}
			for i, f := range files {
				files[i] = filepath.Join("testdata", tc.dir, f)
			}
			res, err := Load(context.Background(), Options{Files: files, Profiles: tc.profiles, Environment: tc.env, Namespace: "demo"})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			var b bytes.Buffer
			b.WriteString("# project: " + res.Project + "\n")
			for _, w := range res.Warnings {
				b.WriteString("# warning: " + w + "\n")
			}
			for _, o := range res.Objects {
				y, err := yaml.Marshal(o)
				if err != nil {
					t.Fatal(err)
				}
				b.WriteString("---\n")
				b.Write(y)
			}
			golden.Assert(t, filepath.Join("testdata", tc.dir, "golden.yaml"), b.Bytes())
		})
	}
}

// TestErrors loads each testdata/errors/*.yaml and compares the error, which must name the
// file, line and key, with its .golden.txt.
func TestErrors(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "errors", "*.yaml"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no error cases: %v", err)
	}
	for _, in := range inputs {
		t.Run(filepath.Base(in), func(t *testing.T) {
			_, err := Load(context.Background(), Options{Files: []string{in}, Namespace: "demo"})
			if err == nil {
				t.Fatal("loaded without an error")
			}
			// The file is the case's own, or the one it extends (extends-unsupported).
			if !regexp.MustCompile(`^testdata/errors/\S+\.yaml:[0-9]+: \S+: `).MatchString(err.Error()) {
				t.Errorf("error does not start with file:line: key:\n%v", err)
			}
			golden.Assert(t, strings.TrimSuffix(in, ".yaml")+".golden.txt", []byte(err.Error()+"\n"))
		})
	}
}

func TestMain(m *testing.M) {
	// Interpolation reads only what a case gives: the process environment stays out.
	os.Exit(m.Run())
}
