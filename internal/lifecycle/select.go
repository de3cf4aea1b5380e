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
	"slices"
	"strings"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	"github.com/berth-dev/berth/internal/policy"
)

// selects reports whether a selection identifies an image with these tags, before any
// counting. ECR calls this matching a rule's tagging requirements; it decides which rule an
// image belongs to.
func selects(sel ecrv1alpha1.LifecycleSelection, tags []string) bool {
	switch sel.TagStatus {
	case ecrv1alpha1.TagStatusAny:
		return true
	case ecrv1alpha1.TagStatusUntagged:
		return len(tags) == 0
	case ecrv1alpha1.TagStatusTagged:
		if len(tags) == 0 {
			return false
		}
		if len(sel.TagPatternList) > 0 {
			return everyFilterMet(sel.TagPatternList, tags, policy.MatchWildcard)
		}
		return everyFilterMet(sel.TagPrefixList, tags, hasPrefix)
	default:
		return false
	}
}

// everyFilterMet reports whether each filter matches at least one of the tags. Different
// filters may be met by different tags: ECR selects an image tagged alpha-2 and beta-2 with
// ["alpha*", "beta*"].
func everyFilterMet(filters, tags []string, match func(filter, tag string) bool) bool {
	for _, f := range filters {
		if !slices.ContainsFunc(tags, func(t string) bool { return match(f, t) }) {
			return false
		}
	}
	return true
}

// hasPrefix is strings.HasPrefix with the filter first, as everyFilterMet calls it.
func hasPrefix(prefix, tag string) bool { return strings.HasPrefix(tag, prefix) }

// selected returns the indexes of the images (sorted oldest first) that sel identifies, in
// that order.
func selected(sel ecrv1alpha1.LifecycleSelection, images []Image) []int {
	var out []int
	for i := range images {
		if selects(sel, images[i].Tags) {
			out = append(out, i)
		}
	}
	return out
}
