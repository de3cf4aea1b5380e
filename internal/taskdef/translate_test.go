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

package taskdef

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/testutil/golden"
)

// Defaults every golden case translates with; a whole TaskDefinition may override them with
// the annotation testOptionsAnnotation (Options as YAML).
const (
	testRegistry          = "registry.berth-system.svc:5000"
	testPullSecret        = "berth-task-execution-pull"
	testOptionsAnnotation = "test.berth.dev/options"
)

// testCase is one testdata/<name>.yaml input.
type testCase struct {
	name string
	spec *ecsv1alpha1.TaskDefinitionSpec
	opts Options
}

// loadCases reads every testdata/*.yaml that is not a golden file.
func loadCases(t testing.TB) []testCase {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []testCase
	for _, p := range paths {
		if strings.HasSuffix(p, ".golden.yaml") {
			continue
		}
		cases = append(cases, loadCase(t, p))
	}
	if len(cases) == 0 {
		t.Fatal("no test cases in testdata")
	}
	return cases
}

// loadCase reads a TaskDefinitionSpec, or a whole TaskDefinition (kind: TaskDefinition),
// strictly, so that a typo in testdata fails instead of testing less than it says.
func loadCase(t testing.TB, path string) testCase {
	t.Helper()
	b, err := os.ReadFile(path) //nolint:gosec // test fixture
	if err != nil {
		t.Fatal(err)
	}
	tc := testCase{
		name: strings.TrimSuffix(filepath.Base(path), ".yaml"),
		opts: Options{Revision: 1, RegistryHost: testRegistry, PullSecretName: testPullSecret},
	}
	var probe struct {
		Kind string `json:"kind"`
	}
	if err := yaml.Unmarshal(b, &probe); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if probe.Kind != "TaskDefinition" {
		var spec ecsv1alpha1.TaskDefinitionSpec
		if err := yaml.UnmarshalStrict(b, &spec); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		tc.spec, tc.opts.Family = &spec, tc.name
		return tc
	}
	var td ecsv1alpha1.TaskDefinition
	if err := yaml.UnmarshalStrict(b, &td); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	tc.spec, tc.opts.Family = &td.Spec, td.Name
	if o, ok := td.Annotations[testOptionsAnnotation]; ok {
		if err := yaml.UnmarshalStrict([]byte(o), &tc.opts); err != nil {
			t.Fatalf("%s: options: %v", path, err)
		}
	}
	return tc
}

// marshalResult is the golden form of a Result.
func marshalResult(t testing.TB, r *Result) []byte {
	t.Helper()
	b, err := yaml.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGolden translates every testdata case and compares it with its golden file. The
// goldens are the specification of the mapping: read them when they change.
func TestGolden(t *testing.T) {
	for _, tc := range loadCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Translate(tc.spec, tc.opts)
			if err != nil {
				t.Fatalf("Translate: %v", err)
			}
			if err := checkInvariants(&res.Template.Spec); err != nil {
				t.Errorf("invariant: %v", err)
			}
			if err := checkMetadata(res.Template.Labels, res.Template.Annotations); err != nil {
				t.Errorf("invariant: %v", err)
			}
			golden.Assert(t, filepath.Join("testdata", tc.name+".golden.yaml"), marshalResult(t, res))
		})
	}
}

// TestDeterministic translates every case twice, from independently decoded specs, and
// requires byte-identical output (map-derived output must be sorted).
func TestDeterministic(t *testing.T) {
	for _, tc := range loadCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			first, err := Translate(tc.spec, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			again := loadCase(t, filepath.Join("testdata", tc.name+".yaml"))
			for range 5 {
				second, err := Translate(again.spec, again.opts)
				if err != nil {
					t.Fatal(err)
				}
				if a, b := marshalResult(t, first), marshalResult(t, second); !bytes.Equal(a, b) {
					t.Fatalf("two translations differ:\n%s\n---\n%s", a, b)
				}
			}
		})
	}
}

// TestDoesNotAliasSpec checks that the template shares no memory with the spec: the caller
// may mutate one without changing the other.
func TestDoesNotAliasSpec(t *testing.T) {
	for _, tc := range loadCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			before, err := yaml.Marshal(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Translate(tc.spec, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			scribble(&res.Template)
			after, err := yaml.Marshal(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Fatalf("changing the template changed the spec:\n%s\n---\n%s", before, after)
			}
		})
	}
}

// TestEntryPointIsCommand pins the classic mapping bug: ECS entryPoint is Docker's
// ENTRYPOINT (Kubernetes command) and ECS command is Docker's CMD (Kubernetes args).
func TestEntryPointIsCommand(t *testing.T) {
	spec := specFromYAML(t, `containerDefinitions: [{name: a, image: a, entryPoint: [/bin/entry], command: [--flag, value]}]`)
	res, err := Translate(spec, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Template.Spec.Containers[0]
	if diff := cmp.Diff([]string{"/bin/entry"}, c.Command); diff != "" {
		t.Errorf("command (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"--flag", "value"}, c.Args); diff != "" {
		t.Errorf("args (-want +got):\n%s", diff)
	}
}
