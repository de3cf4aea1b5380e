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

package middleware

import (
	"strings"
	"testing"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"

	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestTagErrorAllowsSameDigestAndMutableTags(t *testing.T) {
	d := digest.Digest("sha256:" + strings.Repeat("a", 64))
	current := v1.Descriptor{Digest: d}
	if err := TagError("a/b", ecrv1alpha1.Immutable, nil, "v1", current, d); err != nil {
		t.Errorf("re-pushing the same digest: %v", err)
	}
	filters := []ecrv1alpha1.ImageTagMutabilityExclusionFilter{{FilterType: "WILDCARD", Filter: "latest"}}
	other := digest.Digest("sha256:" + strings.Repeat("c", 64))
	if err := TagError("a/b", ecrv1alpha1.ImmutableWithExclusion, filters, "latest", current, other); err != nil {
		t.Errorf("moving an excluded tag: %v", err)
	}
	if err := TagError("a/b", ecrv1alpha1.MutableWithExclusion, filters, "latest", current, other); err == nil {
		t.Error("moving a tag matching an exclusion filter of MUTABLE_WITH_EXCLUSION was allowed")
	}
}

func TestDescriptorsAndSizeProblems(t *testing.T) {
	d := func(c byte) string { return "sha256:" + strings.Repeat(string(c), 64) }
	manifest := `{"schemaVersion":2,"config":{"digest":"` + d('a') + `","size":10},"layers":[{"digest":"` + d('b') + `","size":-1},{"digest":"` + d('c') + `","size":0}],"subject":{"digest":"` + d('d') + `","size":5}}`
	index := `{"schemaVersion":2,"manifests":[{"digest":"` + d('e') + `","size":7}]}`
	for _, tc := range []struct {
		payload string
		stored  map[string]int64
		want    []string // fields with a problem
	}{
		{manifest, map[string]int64{d('a'): 10, d('b'): 3, d('c'): 0, d('d'): -1}, []string{"layers[0]"}},
		{manifest, map[string]int64{d('a'): 11, d('b'): -1, d('c'): 4, d('d'): 6}, []string{"config", "layers[0]", "layers[1]", "subject"}},
		{index, map[string]int64{d('e'): 7}, nil},
		{index, map[string]int64{d('e'): 8}, []string{"manifests[0]"}},
		{index, map[string]int64{d('e'): -1}, nil},
	} {
		descs, err := Descriptors([]byte(tc.payload))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, nd := range descs {
			if p := SizeProblem(nd, tc.stored[nd.Digest.String()]); p != "" {
				if !strings.HasPrefix(p, nd.Field+" ("+nd.Digest.String()+")") {
					t.Errorf("problem %q does not name %s and its digest", p, nd.Field)
				}
				got = append(got, nd.Field)
			}
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s with stored %v: problems in %v, want %v", tc.payload, tc.stored, got, tc.want)
		}
	}
	if _, err := Descriptors([]byte(`{"layers":{}}`)); err == nil {
		t.Error("layers that are not a list: no error")
	}
}
