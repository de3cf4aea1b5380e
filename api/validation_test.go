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

// Package api_test proves the CRD schemas, markers and CEL rules against a real
// kube-apiserver: every fixture under */v1alpha1/testdata/valid must be accepted without
// losing a field, and every fixture under testdata/invalid must be rejected with a message
// naming the field (each fixture lists the text it expects in "# expect:" lines).
package api_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/berth-dev/berth/internal/testutil/envtest"
)

var env *envtest.Env

func TestMain(m *testing.M) {
	var err error
	env, err = envtest.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

type fixture struct {
	path    string
	expects []string
	obj     *unstructured.Unstructured
}

func loadFixtures(t *testing.T, kind string) []fixture {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("*", "v1alpha1", "testdata", kind, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no %s fixtures found", kind)
	}
	var out []fixture
	for _, p := range paths {
		data, err := os.ReadFile(p) //nolint:gosec // fixture paths come from a glob of testdata
		if err != nil {
			t.Fatal(err)
		}
		f := fixture{path: p, obj: &unstructured.Unstructured{}}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			if e, ok := strings.CutPrefix(sc.Text(), "# expect: "); ok {
				f.expects = append(f.expects, e)
			}
		}
		if err := yaml.Unmarshal(data, &f.obj.Object); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out = append(out, f)
	}
	return out
}

func newNamespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "validation-"}}
	if err := env.Client.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

// strict makes the server refuse unknown fields, as kubectl apply does by default.
var strict = client.FieldValidation(metav1.FieldValidationStrict)

func TestValidFixturesAreAccepted(t *testing.T) {
	ns := newNamespace(t)
	for _, f := range loadFixtures(t, "valid") {
		t.Run(f.path, func(t *testing.T) {
			in := f.obj.DeepCopy()
			obj := f.obj.DeepCopy()
			obj.SetNamespace(ns)
			if err := env.Client.Create(context.Background(), obj, strict); err != nil {
				t.Fatalf("rejected: %v", err)
			}
			// Nothing the user wrote may be pruned or changed; the server may only add defaults.
			if path, ok := contains(obj.Object["spec"], in.Object["spec"], "spec"); !ok {
				t.Errorf("the stored object lost or changed %s", path)
			}
		})
	}
}

func TestInvalidFixturesAreRejected(t *testing.T) {
	ns := newNamespace(t)
	fixtures := loadFixtures(t, "invalid")
	kinds := map[string]int{}
	for _, f := range fixtures {
		kinds[f.obj.GetKind()]++
		t.Run(f.path, func(t *testing.T) {
			if len(f.expects) == 0 {
				t.Fatal("an invalid fixture must list the message it expects in '# expect:' lines")
			}
			obj := f.obj.DeepCopy()
			obj.SetNamespace(ns)
			err := env.Client.Create(context.Background(), obj, strict)
			if err == nil {
				t.Fatal("accepted, want rejected")
			}
			if !apierrors.IsInvalid(err) && !apierrors.IsBadRequest(err) {
				t.Fatalf("want an Invalid or BadRequest answer, got %v", err)
			}
			if os.Getenv("BERTH_DUMP_MESSAGES") != "" {
				t.Logf("%v", err)
			}
			for _, e := range f.expects {
				if !strings.Contains(err.Error(), e) {
					t.Errorf("message does not contain %q:\n%v", e, err)
				}
			}
		})
	}
	for _, k := range []string{"Repository", "RepositoryPolicy", "TaskDefinition", "Service"} {
		if kinds[k] == 0 {
			t.Errorf("no invalid fixture for %s", k)
		}
	}
	if len(fixtures) < 40 {
		t.Errorf("%d invalid fixtures, want at least 40", len(fixtures))
	}
}

// TestSamplesAreAccepted applies every manifest of config/samples with a server-side dry
// run, as `make run` does against the sandbox.
func TestSamplesAreAccepted(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("..", "config", "samples", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ns := newNamespace(t)
	n := 0
	for _, p := range paths {
		if filepath.Base(p) == "kustomization.yaml" || filepath.Base(p) == "namespace.yaml" {
			continue
		}
		data, err := os.ReadFile(p) //nolint:gosec // paths come from a glob of config/samples
		if err != nil {
			t.Fatal(err)
		}
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(data, &obj.Object); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		obj.SetNamespace(ns)
		if err := env.Client.Create(context.Background(), obj, strict, client.DryRunAll); err != nil {
			t.Errorf("%s: %v", p, err)
		}
		n++
	}
	if n < 4 {
		t.Errorf("%d samples, want one of each kind at least", n)
	}
}

// contains reports whether got holds everything in want (maps by key, lists element-wise,
// scalars by value); it returns the first path that differs.
func contains(got, want any, path string) (string, bool) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return path, false
		}
		for k, v := range w {
			if p, ok := contains(g[k], v, path+"."+k); !ok {
				return p, false
			}
		}
		return "", true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return path, false
		}
		for i := range w {
			if p, ok := contains(g[i], w[i], fmt.Sprintf("%s[%d]", path, i)); !ok {
				return p, false
			}
		}
		return "", true
	default:
		// JSON numbers decode as int64 from the server and float64 or int64 from YAML.
		if fmt.Sprint(got) == fmt.Sprint(want) {
			return "", true
		}
		return path, reflect.DeepEqual(got, want)
	}
}
