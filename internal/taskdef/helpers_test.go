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
)

func TestParseTaskSizes(t *testing.T) {
	tests := []struct {
		in      string
		cpu     int64 // units; -1 = error
		memory  int64 // MiB; -1 = error
		comment string
	}{
		{"1024", 1024, 1024, "plain numbers are units and MiB"},
		{"256", 256, 256, ""},
		{"1 vCPU", 1024, -1, ""},
		{"0.25 vCPU", 256, -1, ""},
		{"1.5vcpu", 1536, -1, "unit case and space are free"},
		{"16 VCPU", 16384, -1, ""},
		{"1.3 vCPU", 1332, -1, "rounded up"},
		{"2 GB", -1, 2048, "ECS's GB is 1024 MiB"},
		{"0.5 gb", -1, 512, ""},
		{" 3 GB ", -1, 3072, "surrounding spaces"},
		{"0", -1, -1, "zero is not a size"},
		{"0 vCPU", -1, -1, ""},
		{"", -1, -1, ""},
		{"1e3", -1, -1, "no exponents"},
		{"1/2 vCPU", -1, -1, "no fractions"},
		{"-1", -1, -1, ""},
		{"2 TB", -1, -1, ""},
		{"99999999999999999999", -1, -1, "too large"},
		{strings.Repeat("1", 40), -1, -1, "too long"},
	}
	for _, tt := range tests {
		got, err := parseTaskCPU(tt.in)
		if (err != nil) != (tt.cpu < 0) || (err == nil && got != tt.cpu) {
			t.Errorf("parseTaskCPU(%q) = %d, %v; want %d (%s)", tt.in, got, err, tt.cpu, tt.comment)
		}
		got, err = parseTaskMemory(tt.in)
		if (err != nil) != (tt.memory < 0) || (err == nil && got != tt.memory) {
			t.Errorf("parseTaskMemory(%q) = %d, %v; want %d (%s)", tt.in, got, err, tt.memory, tt.comment)
		}
	}
}

func TestCPUQuantity(t *testing.T) {
	for units, want := range map[int64]string{1: "1m", 10: "10m", 128: "125m", 256: "250m", 341: "334m", 1024: "1", 1536: "1500m", 4096: "4"} {
		if q := cpuQuantity(units); q.String() != want {
			t.Errorf("cpuQuantity(%d) = %s, want %s", units, q.String(), want)
		}
	}
}

func TestImageReferences(t *testing.T) {
	tests := []struct{ ref, registry, repository string }{
		{"nginx", "", "nginx"},
		{"nginx:1.27", "", "nginx"},
		{"library/nginx:1.27", "", "library/nginx"},
		{"registry.berth-system.svc:5000/team-a/web:1.2", "registry.berth-system.svc:5000", "registry.berth-system.svc:5000/team-a/web"},
		{"registry.berth-system.svc:5000/team-a/web", "registry.berth-system.svc:5000", "registry.berth-system.svc:5000/team-a/web"},
		{"localhost/app:dev", "localhost", "localhost/app"},
		{"localhost:5000/app", "localhost:5000", "localhost:5000/app"},
		{"ghcr.io/acme/app:v1", "ghcr.io", "ghcr.io/acme/app"},
	}
	for _, tt := range tests {
		if got := imageRegistry(tt.ref); got != tt.registry {
			t.Errorf("imageRegistry(%q) = %q, want %q", tt.ref, got, tt.registry)
		}
		if got := imageRepository(tt.ref); got != tt.repository {
			t.Errorf("imageRepository(%q) = %q, want %q", tt.ref, got, tt.repository)
		}
	}
}

func TestS3ConfigMapName(t *testing.T) {
	tests := map[string]string{
		"arn:aws:s3:::bucket/envs/App_Settings.ENV": "app-settings.env",
		"arn:aws:s3:::bucket/prod.env":              "prod.env",
		"s3://bucket/a/b/.env":                      "env",
		"arn:aws:s3:::bucket/weird..name-.env":      "weird.name.env",
		"arn:aws:s3:::bucket/":                      "",
		"arn:aws:s3:::bucket/___":                   "",
	}
	for in, want := range tests {
		if got := s3ConfigMapName(in); got != want {
			t.Errorf("s3ConfigMapName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestGeneratedVolumeNames checks that /dev/shm and tmpfs volumes never take a task
// volume's name, and stay DNS labels for the longest container names.
func TestGeneratedVolumeNames(t *testing.T) {
	long := strings.Repeat("a", 63)
	spec := specFromYAML(t, `
containerDefinitions:
- name: app
  image: app:1
  linuxParameters: {sharedMemorySize: 64, tmpfs: [{containerPath: /tmp, size: 8}]}
- name: `+long+`
  image: app:1
  linuxParameters: {sharedMemorySize: 64, tmpfs: [{containerPath: /tmp, size: 8}, {containerPath: /run, size: 8}]}
volumes:
- name: app-shm
- name: app-tmpfs-0
`)
	res, err := Translate(spec, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range res.Template.Spec.Volumes {
		names = append(names, v.Name)
	}
	want := []string{"app-shm", "app-tmpfs-0", "app-shm-2", "app-tmpfs-0-2",
		long[:59] + "-shm", long[:55] + "-tmpfs-0", long[:55] + "-tmpfs-1"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("volume names (-want +got):\n%s", diff)
	}
	if err := checkInvariants(&res.Template.Spec); err != nil {
		t.Error(err)
	}
}
