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

package lifecycle

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
)

// TestPreview checks that Preview shows Evaluate's result in its order, converted to the API
// and cut to what the status admits.
func TestPreview(t *testing.T) {
	policy := rules(keepNewest(1, patterns("v*"), 1), pushedOver(2, untagged(), 1))
	images := []Image{img("idx", ago(3*day), "v2", "v1"), img("u", ago(2*day)), img("new", ago(day), "v3")}
	want := []ecrv1alpha1.LifecyclePreviewResult{
		{Digest: "sha256:idx", Tags: []string{"v1", "v2"}, PushedAt: &metav1.Time{Time: ago(3 * day)}, AppliedRulePriority: 1},
		{Digest: "sha256:u", PushedAt: &metav1.Time{Time: ago(2 * day)}, AppliedRulePriority: 2},
	}
	if diff := cmp.Diff(want, Preview(policy, images, now)); diff != "" {
		t.Errorf("Preview (-want +got):\n%s", diff)
	}

	if got := Preview(nil, images, now); got != nil {
		t.Errorf("Preview(nil) = %v, want nil", got)
	}
}

// TestPreviewBounds checks the preview's item and tag limits and an unknown push time.
func TestPreviewBounds(t *testing.T) {
	var images []Image
	for i := range PreviewMaxItems + 10 {
		images = append(images, img(fmt.Sprintf("%03d", i), ago(2*day)))
	}
	var many []string
	for i := range previewMaxTags + 5 {
		many = append(many, fmt.Sprintf("t%03d", i))
	}
	images = append(images, Image{Digest: "sha256:000-zero", Tags: many})
	policy := rules(pushedOver(1, anyImage(), 1))

	got := Preview(policy, images, now)
	if len(got) != PreviewMaxItems {
		t.Fatalf("Preview returned %d results, want %d", len(got), PreviewMaxItems)
	}
	first := got[0]
	if first.Digest != "sha256:000-zero" || first.PushedAt != nil || len(first.Tags) != previewMaxTags {
		t.Errorf("first result = %s, pushedAt %v, %d tags; want sha256:000-zero, nil, %d tags",
			first.Digest, first.PushedAt, len(first.Tags), previewMaxTags)
	}
	all := Evaluate(policy, images, now)
	for i, r := range got {
		if r.Digest != all[i].Digest || !strings.HasPrefix(r.Digest, "sha256:") {
			t.Errorf("result %d = %s, want %s (Evaluate's order)", i, r.Digest, all[i].Digest)
		}
	}
}
