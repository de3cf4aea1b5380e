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
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
)

// PreviewMaxItems bounds Preview to what status.lifecycle.preview admits.
const PreviewMaxItems = 50

// previewMaxTags bounds each result's tags to what LifecyclePreviewResult.tags admits.
const previewMaxTags = 100

// Preview is what the policy would expire at now, as ECR's lifecycle policy preview lists it:
// the first PreviewMaxItems entries of Evaluate's result, in the same order, so that the status
// shows exactly what the controller deletes first.
func Preview(policy *ecrv1alpha1.LifecyclePolicy, images []Image, now time.Time) []ecrv1alpha1.LifecyclePreviewResult {
	expiries := Evaluate(policy, images, now)
	if len(expiries) == 0 {
		return nil
	}
	out := make([]ecrv1alpha1.LifecyclePreviewResult, 0, min(len(expiries), PreviewMaxItems))
	for _, e := range expiries[:min(len(expiries), PreviewMaxItems)] {
		r := ecrv1alpha1.LifecyclePreviewResult{
			Digest:              e.Digest,
			Tags:                e.Tags[:min(len(e.Tags), previewMaxTags)],
			AppliedRulePriority: e.RulePriority,
		}
		if !e.PushedAt.IsZero() {
			r.PushedAt = &metav1.Time{Time: e.PushedAt}
		}
		out = append(out, r)
	}
	return out
}
