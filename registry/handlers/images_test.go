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

package handlers

import (
	"testing"
)

func TestParseImagesPath(t *testing.T) {
	for path, want := range map[string][2]string{
		"/berth/v1/repositories/a/b/images":   {"a", "b"},
		"/berth/v1/repositories/a/b/images/":  {},
		"/berth/v1/repositories/a/b/c/images": {},
		"/berth/v1/repositories//b/images":    {},
		"/v2/a/b/images":                      {},
	} {
		ns, n, ok := parseImagesPath(path)
		if ok != (want[0] != "") || ns != want[0] || n != want[1] {
			t.Errorf("parseImagesPath(%q) = %q, %q, %v; want %v", path, ns, n, ok, want)
		}
	}
}
