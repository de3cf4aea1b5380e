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

package ecsimport

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/berth-dev/berth/internal/testutil/golden"
)

// TestGolden imports every testdata/*.json (describe-task-definition and describe-services
// outputs, and a list of both) and compares the manifests, with the report as comments,
// with <name>.golden.yaml. Read the goldens when they change: they are the mapping.
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(inputs) < 10 {
		t.Fatalf("%d inputs (%v), want at least 10", len(inputs), err)
	}
	for _, in := range inputs {
		t.Run(filepath.Base(in), func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Import(data, Options{Namespace: "payments", Registry: "registry.berth.example"})
			if err != nil {
				t.Fatalf("Import: %v", err)
			}
			var b bytes.Buffer
			for _, r := range res.Report {
				b.WriteString("# " + r + "\n")
			}
			for _, o := range res.Objects {
				y, err := yaml.Marshal(o)
				if err != nil {
					t.Fatal(err)
				}
				b.WriteString("---\n")
				b.Write(y)
			}
			golden.Assert(t, strings.TrimSuffix(in, ".json")+".golden.yaml", b.Bytes())
		})
	}
}

func TestImportErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`nope`, "not JSON"},
		{`{"foo": 1}`, "$: neither a task definition (containerDefinitions) nor a service (serviceName)"},
		{`[{"containerDefinitions": []}]`, "$[0]: a task definition without family"},
		{`{"services": [], "failures": []}`, "no task definition or service found"},
		{`{"taskDefinition": {"family": "x", "containerDefinitions": [{"name": "a", "image": "b", "cpu": "many"}]}}`, "taskdefinition/x: json: cannot unmarshal"},
	} {
		_, err := Import([]byte(tc.in), Options{Namespace: "ns"})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Import(%s) = %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
}

// TestWithoutRegistry: ECR images are kept and reported when no registry is given.
func TestWithoutRegistry(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "td-web-fargate.json"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Import(data, Options{Namespace: "payments"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(res.Report, "\n"), "is in ECR: copy it to the bundled registry") {
		t.Errorf("report does not ask to copy the ECR image:\n%s", strings.Join(res.Report, "\n"))
	}
}
