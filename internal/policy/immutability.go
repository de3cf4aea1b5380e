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

package policy

import (
	"errors"
	"fmt"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
)

// ErrTagImmutable is what every TagImmutableError is (errors.Is), for callers that only need
// to know that a push moved an immutable tag.
var ErrTagImmutable = errors.New("image tag is immutable")

// TagImmutableError refuses a manifest push that would move an immutable tag to another
// digest (ECR's ImageTagAlreadyExistsException). The registry answers it with 400 TAG_INVALID.
type TagImmutableError struct {
	// Tag is the tag the push would have moved.
	Tag string
	// CurrentDigest is the digest the tag points at and keeps.
	CurrentDigest string
	// NewDigest is the digest the push carried.
	NewDigest string
	// Mode is the repository's imageTagMutability.
	Mode ecrv1alpha1.ImageTagMutability
	// Filter is the exclusion filter that made the tag immutable under MUTABLE_WITH_EXCLUSION;
	// empty otherwise.
	Filter string
}

// Error words the refusal as ECR does, naming the tag and why it is immutable.
func (e *TagImmutableError) Error() string {
	why := "the repository is immutable"
	switch {
	case e.Filter != "":
		why = fmt.Sprintf("it matches the exclusion filter %q of the %s repository", e.Filter, e.Mode)
	case e.Mode == ecrv1alpha1.ImmutableWithExclusion:
		why = fmt.Sprintf("the repository is %s and the tag matches no exclusion filter", e.Mode)
	case e.Mode != ecrv1alpha1.Immutable:
		why = fmt.Sprintf("the repository's tag mutability %q is not understood", e.Mode)
	}
	return fmt.Sprintf("the image tag '%s' already exists (at %s) and cannot be overwritten with %s because %s", e.Tag, e.CurrentDigest, e.NewDigest, why)
}

// Is makes errors.Is(err, ErrTagImmutable) true.
func (e *TagImmutableError) Is(target error) bool {
	return target == ErrTagImmutable
}

// CheckTagMutability decides whether a manifest PUT of tag → newDigest may proceed, given the
// repository's mutability mode, its exclusion filters and the digest the tag points at now
// (currentDigest, "" when the tag does not exist). It returns nil to allow, or a
// *TagImmutableError naming the tag.
//
// Creating a tag is always allowed, and so is re-pushing the digest a tag already has; only
// moving an existing tag to another digest can be refused, and then only when TagMutable says
// the tag is immutable. IMMUTABLE has no exceptions: "latest" is protected like any other tag. A
// push by digest (empty tag) moves no tag.
func CheckTagMutability(mode ecrv1alpha1.ImageTagMutability, filters []ecrv1alpha1.ImageTagMutabilityExclusionFilter, tag, currentDigest, newDigest string) error {
	if tag == "" || currentDigest == "" || currentDigest == newDigest {
		return nil
	}
	mutable, filter := tagMutability(mode, filters, tag)
	if mutable {
		return nil
	}
	return &TagImmutableError{Tag: tag, CurrentDigest: currentDigest, NewDigest: newDigest, Mode: mode, Filter: filter}
}

// TagMutable reports whether pushes may move tag in a repository with this mode and these
// exclusion filters. The registry can use it to skip looking up the tag's current digest.
//
//   - MUTABLE (and the empty mode, the schema default): every tag is mutable;
//   - IMMUTABLE: no tag is;
//   - IMMUTABLE_WITH_EXCLUSION: only tags matching an exclusion filter are mutable;
//   - MUTABLE_WITH_EXCLUSION: tags matching an exclusion filter are immutable;
//   - any other mode fails closed: no tag is mutable.
//
// Filters apply only in the *_WITH_EXCLUSION modes; every filter is a wildcard pattern (see
// MatchWildcard), WILDCARD being the one filter type ECR has.
func TagMutable(mode ecrv1alpha1.ImageTagMutability, filters []ecrv1alpha1.ImageTagMutabilityExclusionFilter, tag string) bool {
	mutable, _ := tagMutability(mode, filters, tag)
	return mutable
}

// tagMutability is TagMutable plus the filter that decided, if any.
func tagMutability(mode ecrv1alpha1.ImageTagMutability, filters []ecrv1alpha1.ImageTagMutabilityExclusionFilter, tag string) (mutable bool, filter string) {
	switch mode {
	case ecrv1alpha1.Mutable, "":
		return true, ""
	case ecrv1alpha1.ImmutableWithExclusion:
		for _, f := range filters {
			if MatchWildcard(f.Filter, tag) {
				return true, ""
			}
		}
		return false, ""
	case ecrv1alpha1.MutableWithExclusion:
		for _, f := range filters {
			if MatchWildcard(f.Filter, tag) {
				return false, f.Filter
			}
		}
		return true, ""
	default: // Immutable, and modes this version does not know
		return false, ""
	}
}

// MatchWildcard reports whether s matches pattern, in which "*" stands for any run of
// characters (including none) and every other character for itself, case-sensitively as tags
// are. This is ECR's WILDCARD filter and lifecycle tagPatternList syntax.
func MatchWildcard(pattern, s string) bool {
	// Greedy matching with backtracking to the last "*": linear for the few wildcards the
	// schema allows, and never worse than len(pattern)*len(s).
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && pattern[p] == s[i]:
			p++
			i++
		case star >= 0:
			mark++
			p, i = star+1, mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
