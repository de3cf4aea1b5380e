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
