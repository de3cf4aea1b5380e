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

func TestParseImage(t *testing.T) {
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct{ ref, host, repository, tag, pinned string }{
		{"nginx", "docker.io", "library/nginx", "", "nginx@" + digest},
		{"nginx:1.27", "docker.io", "library/nginx", "1.27", "nginx@" + digest},
		{"library/nginx:1.27", "docker.io", "library/nginx", "1.27", "nginx@" + digest},
		{"registry.berth-system.svc:5000/team-a/web:1.2", "registry.berth-system.svc:5000", "team-a/web", "1.2", "registry.berth-system.svc:5000/team-a/web@" + digest},
		{"registry.berth-system.svc:5000/team-a/web", "registry.berth-system.svc:5000", "team-a/web", "", "registry.berth-system.svc:5000/team-a/web@" + digest},
		{"localhost/app:dev", "localhost", "app", "dev", "localhost/app@" + digest},
		{"localhost:5000/app", "localhost:5000", "app", "", "localhost:5000/app@" + digest},
		{"ghcr.io/acme/app:v1", "ghcr.io", "acme/app", "v1", "ghcr.io/acme/app@" + digest},
		{"REG:5000/team-a/web", "REG:5000", "team-a/web", "", "REG:5000/team-a/web@" + digest},
	}
	for _, tt := range tests {
		r, err := ParseImage(tt.ref)
		if err != nil {
			t.Errorf("ParseImage(%q): %v", tt.ref, err)
			continue
		}
		if r.Host != tt.host || r.Repository != tt.repository || r.Tag != tt.tag || r.Pinned(digest) != tt.pinned {
			t.Errorf("ParseImage(%q) = %s %s %s %s, want %s %s %s %s", tt.ref, r.Host, r.Repository, r.Tag, r.Pinned(digest), tt.host, tt.repository, tt.tag, tt.pinned)
		}
	}
	if r, _ := ParseImage("reg:5000/a/b"); !r.From("REG:5000") || r.From("") || r.From("reg:5001") {
		t.Error("From must compare hosts case-insensitively and never match an empty host")
	}
	for _, bad := range []string{"", "Upper/Case", "a@sha256:abc", "x:y:z"} {
		if _, err := ParseImage(bad); err == nil {
			t.Errorf("ParseImage(%q) accepted an invalid reference", bad)
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
