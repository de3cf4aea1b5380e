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
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/berth-dev/berth/internal/testutil/envtest"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

// TestGoldenManifestsAccepted creates every manifest of the compose and import goldens with
// a server-side dry run: the CRD schemas (enums, ranges, CEL rules) accept what convert and
// import print, so `kubectl apply` of their output works.
func TestGoldenManifestsAccepted(t *testing.T) {
	ns := kubetest.NewNamespace(t, k8s, "goldens-")
	var files []string
	for _, pattern := range []string{"internal/compose/testdata/*/golden.yaml", "internal/ecsimport/testdata/*.golden.yaml"} {
		m, err := filepath.Glob(filepath.Join(envtest.RepoRoot(), pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 25 {
		t.Fatalf("%d golden files, want the 17 compose and 13 import ones", len(files))
	}
	n := 0
	for _, file := range files {
		data, err := os.ReadFile(file) //nolint:gosec // the repository's own goldens
		if err != nil {
			t.Fatal(err)
		}
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
		for {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			u := &unstructured.Unstructured{}
			if err := utilyaml.Unmarshal(doc, &u.Object); err != nil || len(u.Object) == 0 {
				continue // comments only
			}
			u.SetNamespace(ns)
			if err := k8s.Create(context.Background(), u, client.DryRunAll); err != nil {
				t.Errorf("%s: %s %s refused by the API server: %v", filepath.Base(filepath.Dir(file))+"/"+filepath.Base(file), u.GetKind(), u.GetName(), err)
			}
			n++
		}
	}
	t.Logf("%d manifests of %d golden files accepted", n, len(files))
}
