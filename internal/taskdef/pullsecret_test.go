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
	"slices"
	"strings"
	"testing"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

func TestPullSecretName(t *testing.T) {
	long := strings.Repeat("a", 250)
	cases := []struct{ sa, want string }{
		{"", "berth-registry-pull"},
		{DefaultExecutionServiceAccount, "berth-registry-pull"},
		{"orders-pull", "berth-registry-pull-orders-pull"},
	}
	for _, c := range cases {
		if got := PullSecretName("berth-registry-pull", c.sa); got != c.want {
			t.Errorf("PullSecretName(%q) = %q, want %q", c.sa, got, c.want)
		}
	}
	a, b := PullSecretName("berth-registry-pull", long), PullSecretName("berth-registry-pull", long+"b")
	if len(a) > 253 || len(b) > 253 || a == b {
		t.Errorf("long names must stay within 253 characters and stay distinct: %d %d equal=%v", len(a), len(b), a == b)
	}
}

// TestPullSecretPerExecutionIdentity checks that a task pulling from the bundled registry
// lists the Secret of its execution ServiceAccount, and that other images list none.
func TestPullSecretPerExecutionIdentity(t *testing.T) {
	spec := func(sa string, images ...string) *ecsv1alpha1.TaskDefinitionSpec {
		s := &ecsv1alpha1.TaskDefinitionSpec{ExecutionServiceAccountName: sa}
		for i, img := range images {
			s.ContainerDefinitions = append(s.ContainerDefinitions, ecsv1alpha1.ContainerDefinition{Name: string(rune('a' + i)), Image: img})
		}
		return s
	}
	cases := []struct {
		name string
		spec *ecsv1alpha1.TaskDefinitionSpec
		want []string
	}{
		{"default identity", spec("", testRegistry+"/team-a/web:1"), []string{testPullSecret}},
		{"own identity", spec("orders-pull", "nginx:1.27", testRegistry+"/team-a/web:1"), []string{testPullSecret + "-orders-pull"}},
		{"host compared without case", spec("", strings.ToUpper(testRegistry)+"/team-a/web:1"), []string{testPullSecret}},
		{"no bundled image", spec("orders-pull", "nginx:1.27", "other.example/x:1"), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := Translate(c.spec, Options{Family: "f", Revision: 1, RegistryHost: testRegistry, PullSecretName: testPullSecret})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range res.Template.Spec.ImagePullSecrets {
				got = append(got, s.Name)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("imagePullSecrets = %v, want %v", got, c.want)
			}
		})
	}
}
