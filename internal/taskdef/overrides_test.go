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
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// overrideBase is a two-container task definition the override cases start from.
func overrideBase() *ecsv1alpha1.TaskDefinitionSpec {
	return &ecsv1alpha1.TaskDefinitionSpec{
		CPU:                        "512",
		Memory:                     "1024",
		TaskRoleServiceAccountName: "web",
		ContainerDefinitions: []ecsv1alpha1.ContainerDefinition{
			{
				Name: "web", Image: "nginx", Command: []string{"serve"}, CPU: ptr.To[int32](256), Memory: ptr.To[int32](512),
				Environment:      []ecsv1alpha1.KeyValuePair{{Name: "A", Value: "1"}, {Name: "B", Value: "2"}},
				EnvironmentFiles: []ecsv1alpha1.EnvironmentFile{{Value: "base", Type: ecsv1alpha1.EnvironmentFileType("configMap")}},
			},
			{Name: "log", Image: "fluent-bit", Essential: ptr.To(false)},
		},
	}
}

func TestApplyOverrides(t *testing.T) {
	cases := []struct {
		name     string
		override *ecsv1alpha1.TaskOverride
		change   func(*ecsv1alpha1.TaskDefinitionSpec) // what the result differs in from the base
		err      string
	}{
		{name: "no override", override: nil, change: func(*ecsv1alpha1.TaskDefinitionSpec) {}},
		{name: "empty override", override: &ecsv1alpha1.TaskOverride{}, change: func(*ecsv1alpha1.TaskDefinitionSpec) {}},
		{
			name: "command replaces the definition's",
			override: &ecsv1alpha1.TaskOverride{ContainerOverrides: []ecsv1alpha1.ContainerOverride{
				{Name: "web", Command: []string{"migrate", "--up"}},
			}},
			change: func(s *ecsv1alpha1.TaskDefinitionSpec) {
				s.ContainerDefinitions[0].Command = []string{"migrate", "--up"}
			},
		},
		{
			name: "environment merges by name, new names last",
			override: &ecsv1alpha1.TaskOverride{ContainerOverrides: []ecsv1alpha1.ContainerOverride{
				{Name: "web", Environment: []ecsv1alpha1.KeyValuePair{{Name: "C", Value: "3"}, {Name: "A", Value: "override"}}},
			}},
			change: func(s *ecsv1alpha1.TaskDefinitionSpec) {
				s.ContainerDefinitions[0].Environment = []ecsv1alpha1.KeyValuePair{{Name: "A", Value: "override"}, {Name: "B", Value: "2"}, {Name: "C", Value: "3"}}
			},
		},
		{
			name: "environment files are added after the definition's",
			override: &ecsv1alpha1.TaskOverride{ContainerOverrides: []ecsv1alpha1.ContainerOverride{
				{Name: "web", EnvironmentFiles: []ecsv1alpha1.EnvironmentFile{{Value: "extra", Type: "secret"}}},
			}},
			change: func(s *ecsv1alpha1.TaskDefinitionSpec) {
				s.ContainerDefinitions[0].EnvironmentFiles = append(s.ContainerDefinitions[0].EnvironmentFiles, ecsv1alpha1.EnvironmentFile{Value: "extra", Type: "secret"})
			},
		},
		{
			name: "container resources replace the definition's",
			override: &ecsv1alpha1.TaskOverride{ContainerOverrides: []ecsv1alpha1.ContainerOverride{
				{Name: "log", CPU: ptr.To[int32](128), Memory: ptr.To[int32](256), MemoryReservation: ptr.To[int32](64)},
			}},
			change: func(s *ecsv1alpha1.TaskDefinitionSpec) {
				c := &s.ContainerDefinitions[1]
				c.CPU, c.Memory, c.MemoryReservation = ptr.To[int32](128), ptr.To[int32](256), ptr.To[int32](64)
			},
		},
		{
			name: "task size, role and storage replace the definition's",
			override: &ecsv1alpha1.TaskOverride{CPU: "1 vCPU", Memory: "2 GB", TaskRoleServiceAccountName: "batch",
				EphemeralStorage: &ecsv1alpha1.EphemeralStorage{SizeInGiB: 40}},
			change: func(s *ecsv1alpha1.TaskDefinitionSpec) {
				s.CPU, s.Memory, s.TaskRoleServiceAccountName = "1 vCPU", "2 GB", "batch"
				s.EphemeralStorage = &ecsv1alpha1.EphemeralStorage{SizeInGiB: 40}
			},
		},
		{
			name: "unknown container",
			override: &ecsv1alpha1.TaskOverride{ContainerOverrides: []ecsv1alpha1.ContainerOverride{
				{Name: "web"}, {Name: "worker", Command: []string{"x"}},
			}},
			err: `overrides.containerOverrides[1].name: the task definition has no container "worker"`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base := overrideBase()
			got, err := ApplyOverrides(base, tc.override)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ApplyOverrides() error = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := overrideBase()
			tc.change(want)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("ApplyOverrides() (-want +got):\n%s", d)
			}
			if d := cmp.Diff(overrideBase(), base); d != "" {
				t.Errorf("ApplyOverrides changed its input (-want +got):\n%s", d)
			}
		})
	}
}

// TestOverridesAreTranslated pins that an override reaches the Pod through the one
// translation, and that one making the task invalid is refused there.
func TestOverridesAreTranslated(t *testing.T) {
	spec, err := ApplyOverrides(overrideBase(), &ecsv1alpha1.TaskOverride{ContainerOverrides: []ecsv1alpha1.ContainerOverride{
		{Name: "web", Command: []string{"migrate"}, Environment: []ecsv1alpha1.KeyValuePair{{Name: "MODE", Value: "batch"}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Translate(spec, Options{Family: "web", Revision: 3})
	if err != nil {
		t.Fatal(err)
	}
	web := res.Template.Spec.Containers[0]
	if d := cmp.Diff([]string{"migrate"}, web.Args); d != "" {
		t.Errorf("args (-want +got):\n%s", d)
	}
	if last := web.Env[len(web.Env)-1]; last.Name != "MODE" || last.Value != "batch" {
		t.Errorf("last env = %+v, want MODE=batch", last)
	}

	spec, err = ApplyOverrides(overrideBase(), &ecsv1alpha1.TaskOverride{ContainerOverrides: []ecsv1alpha1.ContainerOverride{
		{Name: "web", Memory: ptr.To[int32](4096)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Translate(spec, Options{Family: "web", Revision: 3}); err == nil {
		t.Error("Translate accepted a container memory override above the task memory")
	}
}
