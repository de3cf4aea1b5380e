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
	"regexp"
	"testing"

	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

const hashSpecYAML = `
family: web
networkMode: awsvpc
cpu: "512"
memory: "1024"
containerDefinitions:
- name: web
  image: web:1
  essential: true
  environment:
  - {name: A, value: "1"}
  - {name: B, value: "2"}
  dockerLabels: {team: a, tier: web}
  portMappings:
  - {containerPort: 8080, name: http}
volumes:
- name: data
revisionHistoryLimit: 10
`

// The same spec with its fields, and its maps' keys, written in another order.
const hashSpecReorderedYAML = `
revisionHistoryLimit: 10
volumes:
- name: data
containerDefinitions:
- portMappings:
  - {name: http, containerPort: 8080}
  dockerLabels: {tier: web, team: a}
  environment:
  - {value: "1", name: A}
  - {value: "2", name: B}
  essential: true
  image: web:1
  name: web
memory: "1024"
cpu: "512"
networkMode: awsvpc
family: web
`

// TestSpecHashStable checks that the hash depends on the content only: not on the order of
// fields or map keys in the YAML, not on the call.
func TestSpecHashStable(t *testing.T) {
	a, err := SpecHash(specFromYAML(t, hashSpecYAML))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(a) {
		t.Fatalf("hash %q is not 16 hex digits", a)
	}
	for range 3 {
		b, err := SpecHash(specFromYAML(t, hashSpecYAML))
		if err != nil || b != a {
			t.Fatalf("second hash = %q, %v; want %q", b, err, a)
		}
	}
	c, err := SpecHash(specFromYAML(t, hashSpecReorderedYAML))
	if err != nil || c != a {
		t.Fatalf("hash of the reordered spec = %q, %v; want %q", c, err, a)
	}
}

// TestSpecHashPinned pins the hash of one spec: if it changes, every existing
// TaskDefinition would register a new revision on upgrade (for example a new API field
// without omitempty). Change the value only together with a migration story.
func TestSpecHashPinned(t *testing.T) {
	got, err := SpecHash(specFromYAML(t, hashSpecYAML))
	if err != nil {
		t.Fatal(err)
	}
	const want = "fd2c44446c5cff05"
	if got != want {
		t.Fatalf("SpecHash = %q, want %q", got, want)
	}
}

// TestSpecHashChanges checks that any change to the revision's content changes the hash,
// and that revisionHistoryLimit, which is not part of a revision, does not.
func TestSpecHashChanges(t *testing.T) {
	base, err := SpecHash(specFromYAML(t, hashSpecYAML))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		mutate  func(*ecsv1alpha1.TaskDefinitionSpec)
		changes bool
	}{
		{"image", func(s *ecsv1alpha1.TaskDefinitionSpec) { s.ContainerDefinitions[0].Image = "web:2" }, true},
		{"env value", func(s *ecsv1alpha1.TaskDefinitionSpec) { s.ContainerDefinitions[0].Environment[1].Value = "3" }, true},
		{"env order", func(s *ecsv1alpha1.TaskDefinitionSpec) {
			e := s.ContainerDefinitions[0].Environment
			e[0], e[1] = e[1], e[0]
		}, true},
		{"docker label", func(s *ecsv1alpha1.TaskDefinitionSpec) { s.ContainerDefinitions[0].DockerLabels["tier"] = "api" }, true},
		{"task cpu", func(s *ecsv1alpha1.TaskDefinitionSpec) { s.CPU = "1024" }, true},
		{"container cpu", func(s *ecsv1alpha1.TaskDefinitionSpec) { s.ContainerDefinitions[0].CPU = ptr.To[int32](128) }, true},
		{"essential unset", func(s *ecsv1alpha1.TaskDefinitionSpec) { s.ContainerDefinitions[0].Essential = nil }, true},
		{"volume", func(s *ecsv1alpha1.TaskDefinitionSpec) {
			s.Volumes[0].Host = &ecsv1alpha1.HostVolumeProperties{SourcePath: "/data"}
		}, true},
		{"tags", func(s *ecsv1alpha1.TaskDefinitionSpec) { s.Tags = []ecsv1alpha1.Tag{{Key: "k", Value: "v"}} }, true},
		{"revisionHistoryLimit", func(s *ecsv1alpha1.TaskDefinitionSpec) { s.RevisionHistoryLimit = ptr.To[int32](3) }, false},
		{"revisionHistoryLimit unset", func(s *ecsv1alpha1.TaskDefinitionSpec) { s.RevisionHistoryLimit = nil }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := specFromYAML(t, hashSpecYAML)
			tt.mutate(spec)
			got, err := SpecHash(spec)
			if err != nil {
				t.Fatal(err)
			}
			if changed := got != base; changed != tt.changes {
				t.Fatalf("hash changed = %v, want %v (%s vs %s)", changed, tt.changes, got, base)
			}
		})
	}
}

// TestSpecHashDoesNotMutate checks that hashing leaves the spec alone.
func TestSpecHashDoesNotMutate(t *testing.T) {
	spec := specFromYAML(t, hashSpecYAML)
	if _, err := SpecHash(spec); err != nil {
		t.Fatal(err)
	}
	if spec.RevisionHistoryLimit == nil || *spec.RevisionHistoryLimit != 10 {
		t.Fatalf("SpecHash changed revisionHistoryLimit to %v", spec.RevisionHistoryLimit)
	}
	if _, err := SpecHash(nil); err == nil {
		t.Fatal("SpecHash(nil) succeeded")
	}
}
