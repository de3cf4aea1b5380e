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

package ecr

import (
	"testing"
	"time"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	"github.com/berth-dev/berth/internal/lifecycle"
	"github.com/berth-dev/berth/registry/imageapi"
)

// TestLifecycleSkipsAttachedArtifacts: "expire untagged images older than 14 days" expires an
// old untagged image but never the untagged signature attached to a tagged image (the
// registry deletes attached artifacts with their subject instead).
func TestLifecycleSkipsAttachedArtifacts(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	old := now.AddDate(0, 0, -30)
	images := []imageapi.Image{
		{Digest: "sha256:aaaa", Tags: []string{"v1"}, PushedAt: old},
		{Digest: "sha256:5151", PushedAt: old, Subject: "sha256:aaaa", ArtifactType: "application/vnd.dev.cosign.artifact.sig.v1+json"},
		{Digest: "sha256:0001", PushedAt: old},
	}
	policy := &ecrv1alpha1.LifecyclePolicy{Rules: []ecrv1alpha1.LifecycleRule{{
		RulePriority: 1,
		Selection:    ecrv1alpha1.LifecycleSelection{TagStatus: ecrv1alpha1.TagStatusUntagged, CountType: ecrv1alpha1.CountSinceImagePushed, CountUnit: ecrv1alpha1.CountUnitDays, CountNumber: 14},
		Action:       ecrv1alpha1.LifecycleAction{Type: ecrv1alpha1.LifecycleActionExpire},
	}}}
	var expired []string
	for _, e := range lifecycle.Evaluate(policy, lifecycleImages(images), now) {
		expired = append(expired, e.Digest)
	}
	if len(expired) != 1 || expired[0] != "sha256:0001" {
		t.Errorf("expired %v, want only the untagged image sha256:0001 (not the signature)", expired)
	}
}
