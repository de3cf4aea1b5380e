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

package client

import "testing"

func TestSplitRegistryImage(t *testing.T) {
	cases := []struct {
		image, repo, tag string
		ok               bool
	}{
		{"reg:5000/team-a/web:v1", "team-a/web", "v1", true},
		{"REG:5000/team-a/web", "team-a/web", "latest", true},
		{"reg:5000/team-a/tools/web:1.2", "team-a/tools/web", "1.2", true},
		{"reg:5000/team-a/web@sha256:abc", "", "", false},
		{"other:5000/team-a/web:v1", "", "", false},
		{"nginx:1.27", "", "", false},
	}
	for _, c := range cases {
		repo, tag, ok := splitRegistryImage(c.image, "reg:5000")
		if repo != c.repo || tag != c.tag || ok != c.ok {
			t.Errorf("splitRegistryImage(%q) = %q %q %v, want %q %q %v", c.image, repo, tag, ok, c.repo, c.tag, c.ok)
		}
	}
}
