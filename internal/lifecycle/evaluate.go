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
	"cmp"
	"slices"
	"time"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
)

// Evaluate returns the images the policy expires at now, in the order to delete them: oldest
// pushed first, an index before the images it references (see the package documentation for
// the rules). It is what the Repository controller executes and what Preview shows, so the two
// cannot disagree.
//
// A nil policy expires nothing, and so does one that Validate rejects: ECR refuses such a
// policy outright, and deleting images cannot be undone. The result depends only on the
// arguments, not on the order of images or rules; images and policy are not modified.
func Evaluate(policy *ecrv1alpha1.LifecyclePolicy, images []Image, now time.Time) []Expiry {
	if policy == nil || Validate(policy) != nil {
		return nil
	}
	rules := slices.SortedStableFunc(slices.Values(policy.Rules), func(a, b ecrv1alpha1.LifecycleRule) int {
		return cmp.Compare(a.RulePriority, b.RulePriority)
	})
	imgs := canonical(images)

	// owner[i] is the first rule that identifies image i: the only rule that may expire it.
	// expiredBy[i] is the rule that expires it, or -1.
	owner := make([]int, len(imgs))
	expiredBy := make([]int, len(imgs))
	for i := range imgs {
		owner[i], expiredBy[i] = -1, -1
	}
	for r := range rules {
		sel := rules[r].Selection
		identified := selected(sel, imgs)
		for _, i := range identified {
			if owner[i] < 0 {
				owner[i] = r
			}
		}
		for _, i := range marked(sel, imgs, identified, now) {
			if owner[i] == r {
				expiredBy[i] = r
			}
		}
	}
	keepReferenced(imgs, expiredBy)

	var out []Expiry
	for _, i := range expiryOrder(imgs, expiredBy) {
		out = append(out, Expiry{
			Digest:       imgs[i].Digest,
			Tags:         imgs[i].Tags,
			PushedAt:     imgs[i].PushedAt,
			RulePriority: rules[expiredBy[i]].RulePriority,
		})
	}
	return out
}
