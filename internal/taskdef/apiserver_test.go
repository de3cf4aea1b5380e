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
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/testutil/envtest"
)

// generatedSpecs is how many random specs (testdata cases with random structured edits, as
// the fuzz target makes them) are sent to the API server besides the testdata cases.
const generatedSpecs = 400

// TestTranslationsAcceptedByAPIServer proves that what Translate returns is a Pod the real
// API server accepts (a server-side dry run, as kubectl apply --dry-run=server does): every
// testdata case, and every random spec that translates without error.
func TestTranslationsAcceptedByAPIServer(t *testing.T) {
	env, err := envtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "taskdef-"}}
	if err := env.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}

	dryRun := func(name string, spec *ecsv1alpha1.TaskDefinitionSpec, opts Options) (bool, error) {
		res, err := Translate(spec, opts)
		if err != nil {
			return false, nil //nolint:nilerr // an error is one of the two allowed outcomes
		}
		if sa := res.Template.Spec.ServiceAccountName; sa != "" {
			err := env.Client.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: sa}})
			if err != nil && !apierrors.IsAlreadyExists(err) {
				return false, err
			}
		}
		pod := &corev1.Pod{ObjectMeta: *res.Template.ObjectMeta.DeepCopy(), Spec: *res.Template.Spec.DeepCopy()}
		pod.Namespace, pod.Name = ns.Name, name
		want := pod.Spec.DeepCopy()
		if err := env.Client.Create(ctx, pod, client.DryRunAll); err != nil {
			b, _ := json.MarshalIndent(pod.Spec, "", "  ")
			return true, fmt.Errorf("the API server rejected the Pod: %w\n%s", err, b)
		}
		// A field behind a disabled feature gate is dropped, not refused: make sure none was.
		for i, c := range want.Containers {
			if len(c.RestartPolicyRules) > 0 && len(pod.Spec.Containers[i].RestartPolicyRules) == 0 {
				return true, fmt.Errorf("the API server dropped restartPolicyRules of container %s", c.Name)
			}
		}
		if want.Resources != nil && pod.Spec.Resources == nil {
			return true, fmt.Errorf("the API server dropped the pod-level resources")
		}
		return true, nil
	}

	cases := loadCases(t)
	for i, tc := range cases {
		if ok, err := dryRun(fmt.Sprintf("case-%d", i), tc.spec, tc.opts); err != nil || !ok {
			t.Errorf("%s: translated=%v: %v", tc.name, ok, err)
		}
	}

	rng := rand.New(rand.NewPCG(1, 2)) //nolint:gosec // deterministic test data, not security
	accepted := 0
	for i := range generatedSpecs {
		tc := cases[rng.IntN(len(cases))]
		raw, err := json.Marshal(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		var spec ecsv1alpha1.TaskDefinitionSpec
		if err := json.Unmarshal(raw, &spec); err != nil {
			t.Fatal(err)
		}
		edits := make([]byte, 3*(1+rng.IntN(8)))
		for j := range edits {
			edits[j] = byte(rng.IntN(256))
		}
		applyEdits(&spec, edits)
		ok, err := dryRun(fmt.Sprintf("gen-%d", i), &spec, Options{Family: "gen", Revision: 1, RegistryHost: testRegistry,
			PullSecretName: testPullSecret, ContainerRestartRules: rng.IntN(2) == 0})
		if err != nil {
			t.Errorf("generated spec %d (from %s, edits %v): %v", i, tc.name, edits, err)
		}
		if ok {
			accepted++
		}
	}
	t.Logf("%d testdata cases and %d of %d generated specs translated and were accepted by the API server", len(cases), accepted, generatedSpecs)
	if accepted < generatedSpecs/4 {
		t.Errorf("only %d of %d generated specs translated: the generator no longer exercises the translator", accepted, generatedSpecs)
	}
}
