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
	"time"
)

// Image is what lifecycle rules know of one manifest in a repository. The controller builds it
// from the registry, so that the rules never need the registry themselves.
type Image struct {
	// Digest identifies the manifest; it is unique within a repository.
	Digest string
	// Tags point at the manifest; an image without tags is untagged.
	Tags []string
	// PushedAt ranks images for imageCountMoreThan and ages them for sinceImagePushed. A zero
	// value reads as the earliest possible push.
	PushedAt time.Time
	// LastPulledAt ages the image for sinceImagePulled; zero means never pulled, and then
	// PushedAt stands in, as in ECR.
	LastPulledAt time.Time
	// SizeBytes is carried for the caller's reporting; no ECR rule looks at size.
	SizeBytes int64
	// ReferencedBy are the digests of the manifest lists and image indexes that reference this
	// image. While any of them stays, the image is not expired.
	ReferencedBy []string
}

// Expiry is one image the policy expires, and the rule that expires it, so that the controller
// can delete the manifest and report why.
type Expiry struct {
	// Digest of the manifest to delete.
	Digest string
	// Tags of the image, sorted.
	Tags []string
	// PushedAt of the image.
	PushedAt time.Time
	// RulePriority is the rulePriority of the one rule that expires the image.
	RulePriority int32
}

// canonical returns copies of images merged by digest and sorted oldest pushed first, ties
// broken by digest, so that nothing downstream depends on the caller's order and the caller's
// slices are never modified.
func canonical(images []Image) []Image {
	out := make([]Image, 0, len(images))
	at := make(map[string]int, len(images))
	for _, img := range images {
		if i, ok := at[img.Digest]; ok {
			out[i] = merge(out[i], img)
			continue
		}
		at[img.Digest] = len(out)
		out = append(out, merge(Image{Digest: img.Digest}, img))
	}
	slices.SortFunc(out, olderFirst)
	return out
}

// merge combines two entries for one digest. A repository holds a digest once, so this only
// makes a caller's repeated entry harmless: it leans towards keeping (the later push and pull,
// every tag, every reference) and is commutative, so that input order cannot matter.
func merge(a, b Image) Image {
	return Image{
		Digest:       a.Digest,
		Tags:         sortedSet(a.Tags, b.Tags),
		PushedAt:     later(a.PushedAt, b.PushedAt),
		LastPulledAt: later(a.LastPulledAt, b.LastPulledAt),
		SizeBytes:    max(a.SizeBytes, b.SizeBytes),
		ReferencedBy: sortedSet(a.ReferencedBy, b.ReferencedBy),
	}
}

// olderFirst orders images by push time, oldest first, and equal push times by digest, which
// makes every ranking deterministic.
func olderFirst(a, b Image) int {
	if c := a.PushedAt.Compare(b.PushedAt); c != 0 {
		return c
	}
	return strings.Compare(a.Digest, b.Digest)
}

// later returns the later of two times.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// sortedSet returns the sorted, duplicate-free union of lists as a new slice, or nil when empty.
func sortedSet(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
