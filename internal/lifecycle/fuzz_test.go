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
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
)

// byteSource hands out fuzz bytes as small choices; it yields zeros once exhausted.
type byteSource struct{ b []byte }

// next returns the next byte.
func (s *byteSource) next() int {
	if len(s.b) == 0 {
		return 0
	}
	v := s.b[0]
	s.b = s.b[1:]
	return int(v)
}

// pick chooses one of options.
func pick[T any](s *byteSource, options ...T) T { return options[s.next()%len(options)] }

// fuzzPolicy decodes a policy the schema admits: unique priorities, at most one untagged rule,
// an any rule only with the highest priority.
func fuzzPolicy(s *byteSource) *ecrv1alpha1.LifecyclePolicy {
	var p ecrv1alpha1.LifecyclePolicy
	used := map[int32]bool{}
	hasUntagged, hasAny := false, false
	for range 1 + s.next()%4 {
		var sel ecrv1alpha1.LifecycleSelection
		switch s.next() % 5 {
		case 0:
			sel = patterns(pick(s, "v*", "*", "prod*", "*-rc*", "a", "b*"))
		case 1:
			sel = patterns(pick(s, "v*", "*-rc*"), pick(s, "prod*", "*1", "b*"))
		case 2:
			sel = prefixes(pick(s, "v", "prod", "a", "b-"))
		case 3:
			if hasUntagged {
				sel = prefixes("v", pick(s, "v1", "prod"))
				break
			}
			hasUntagged, sel = true, untagged()
		default:
			if hasAny {
				sel = patterns("x*")
				break
			}
			hasAny, sel = true, anyImage()
		}
		priority := int32(1 + s.next()%20)
		for used[priority] {
			priority++
		}
		if sel.TagStatus == ecrv1alpha1.TagStatusAny {
			priority = 1000
		}
		used[priority] = true
		n := int32(1 + s.next()%4)
		p.Rules = append(p.Rules, pick(s, keepNewest, pushedOver, pulledOver)(priority, sel, n))
	}
	return &p
}

// fuzzImages decodes images over a small set of digests, so that repeated digests, equal push
// times and shared tags are common. An image is referenced only by later digests of the
// alphabet, or by digests outside it, as content addressing rules out cycles.
func fuzzImages(s *byteSource) []Image {
	const alphabet = "abcdefghij"
	var out []Image
	for range s.next() % 14 {
		k := s.next() % len(alphabet)
		i := Image{
			Digest:   "sha256:" + alphabet[k:k+1],
			PushedAt: ago(time.Duration(s.next()%10)*day + time.Duration(s.next()%3)*time.Hour),
		}
		if s.next()%3 == 0 {
			i.LastPulledAt = ago(time.Duration(s.next()%10) * day)
		}
		for range s.next() % 4 {
			i.Tags = append(i.Tags, pick(s, "v1", "v2", "prod-1", "a", "b-rc1", "x"))
		}
		for range s.next() % 3 {
			if j := k + 1 + s.next()%4; j < len(alphabet) {
				i.ReferencedBy = append(i.ReferencedBy, "sha256:"+alphabet[j:j+1])
			} else {
				i.ReferencedBy = append(i.ReferencedBy, "sha256:unknown")
			}
		}
		out = append(out, i)
	}
	return out
}

// FuzzEvaluate checks Evaluate's invariants on generated policies and repositories: an image
// is expired at most once and by the one rule it belongs to, exactly when that rule marks it
// and no staying list references it; the order is the oldest free image first; and the result
// does not depend on the order of images or rules.
func FuzzEvaluate(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{3, 4, 0, 0, 1, 2, 3, 0, 5, 1, 1, 1, 2, 2, 12, 0, 1, 0, 3, 1, 2, 3, 2, 1, 1, 2, 3, 4, 2, 0, 3, 1, 1, 0})
	f.Add([]byte("an arbitrary seed that exercises several rules and images over the alphabet"))
	f.Add([]byte{2, 3, 0, 0, 4, 2, 0, 9, 2, 13, 0, 9, 0, 1, 0, 2, 2, 1, 1, 0, 9, 0, 1, 0, 0, 0, 2, 9, 9, 1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &byteSource{b: data}
		policy := fuzzPolicy(s)
		if err := Validate(policy); err != nil {
			t.Fatalf("generated policy is invalid: %v", err)
		}
		images := fuzzImages(s)
		got := Evaluate(policy, images, now)

		if again := Evaluate(policy, images, now); !cmp.Equal(got, again) {
			t.Fatalf("Evaluate is not deterministic:\n%v\n%v", got, again)
		}
		shuffled := slices.Clone(images)
		if len(shuffled) > 0 {
			r := s.next() % len(shuffled)
			shuffled = append(shuffled[r:], shuffled[:r]...)
			slices.Reverse(shuffled[:len(shuffled)/2])
		}
		reordered := &ecrv1alpha1.LifecyclePolicy{Rules: slices.Clone(policy.Rules)}
		slices.Reverse(reordered.Rules)
		if other := Evaluate(reordered, shuffled, now); !cmp.Equal(got, other) {
			t.Fatalf("Evaluate depends on input order:\n%v\n%v", got, other)
		}

		checkInvariants(t, policy, canonical(images), got)
	})
}

// checkInvariants states ECR's rules declaratively over the merged images and checks got
// against them.
func checkInvariants(t *testing.T, policy *ecrv1alpha1.LifecyclePolicy, images []Image, got []Expiry) {
	t.Helper()
	byDigest := map[string]Image{}
	for _, i := range images {
		byDigest[i.Digest] = i
	}
	position := map[string]int{}
	for n, e := range got {
		if _, dup := position[e.Digest]; dup {
			t.Fatalf("%s expired twice: %v", e.Digest, got)
		}
		position[e.Digest] = n
		i, ok := byDigest[e.Digest]
		if !ok {
			t.Fatalf("expired %s is not an input image", e.Digest)
		}
		if !cmp.Equal(e.Tags, i.Tags) || !e.PushedAt.Equal(i.PushedAt) {
			t.Errorf("expiry %+v does not describe image %+v", e, i)
		}
	}

	byPriority := slices.SortedFunc(slices.Values(policy.Rules), func(a, b ecrv1alpha1.LifecycleRule) int {
		return int(a.RulePriority) - int(b.RulePriority)
	})
	for _, i := range images {
		owner := slices.IndexFunc(byPriority, func(r ecrv1alpha1.LifecycleRule) bool { return selects(r.Selection, i.Tags) })
		isMarked := owner >= 0 && marks(byPriority[owner].Selection, images, i)
		staying := slices.ContainsFunc(i.ReferencedBy, func(list string) bool {
			_, known := byDigest[list]
			_, gone := position[list]
			return !known || !gone
		})
		n, expiredNow := position[i.Digest]
		switch {
		case expiredNow && !isMarked:
			t.Errorf("%s expired although its rule does not mark it", i.Digest)
		case expiredNow && got[n].RulePriority != byPriority[owner].RulePriority:
			t.Errorf("%s expired by rule %d, but belongs to rule %d", i.Digest, got[n].RulePriority, byPriority[owner].RulePriority)
		case expiredNow && staying:
			t.Errorf("%s expired while a list referencing it stays", i.Digest)
		case !expiredNow && isMarked && !staying:
			t.Errorf("%s is marked by its rule and unreferenced, but not expired", i.Digest)
		}
	}

	// Each expiry is the oldest of the remaining ones whose referencing lists went before it.
	for n, e := range got {
		for _, later := range got[n+1:] {
			free := true
			for _, list := range byDigest[later.Digest].ReferencedBy {
				if p, ok := position[list]; ok && p >= n {
					free = false
				}
			}
			if free && olderFirst(byDigest[later.Digest], byDigest[e.Digest]) < 0 {
				t.Errorf("%s goes before the older %s, which was free to go", e.Digest, later.Digest)
			}
		}
		for _, list := range byDigest[e.Digest].ReferencedBy {
			if position[list] > n {
				t.Errorf("%s goes before %s, which references it", e.Digest, list)
			}
		}
	}
}

// marks restates when a rule marks an image: a count rule when at least countNumber of the
// images it identifies are newer, a time rule when the image is older than countNumber days.
func marks(sel ecrv1alpha1.LifecycleSelection, images []Image, i Image) bool {
	switch sel.CountType {
	case ecrv1alpha1.CountImageCountMoreThan:
		newer := 0
		for _, o := range images {
			if selects(sel, o.Tags) && olderFirst(i, o) < 0 {
				newer++
			}
		}
		return newer >= int(sel.CountNumber)
	case ecrv1alpha1.CountSinceImagePushed:
		return now.Sub(i.PushedAt) > time.Duration(sel.CountNumber)*day
	case ecrv1alpha1.CountSinceImagePulled:
		return now.Sub(i.PushedAt) > time.Duration(sel.CountNumber)*day &&
			(i.LastPulledAt.IsZero() || now.Sub(i.LastPulledAt) > time.Duration(sel.CountNumber)*day)
	default:
		panic(fmt.Sprintf("unexpected countType %q", sel.CountType))
	}
}
