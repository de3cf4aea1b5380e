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
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestEvaluateRules covers the rule semantics beyond the guide's examples.
func TestEvaluateRules(t *testing.T) {
	runEvaluate(t, []evaluateCase{{
		name:   "nil policy",
		images: []Image{img("a", ago(100*day))},
	}, {
		name:   "empty policy",
		policy: rules(),
		images: []Image{img("a", ago(100*day))},
	}, {
		name:   "no images",
		policy: rules(keepNewest(1, anyImage(), 1)),
	}, {
		name:   "countNumber larger than the image count",
		policy: rules(keepNewest(1, anyImage(), 10)),
		images: []Image{img("a", ago(3*day)), img("b", ago(2*day), "v1")},
	}, {
		name:   "countNumber equal to the image count",
		policy: rules(keepNewest(1, anyImage(), 2)),
		images: []Image{img("a", ago(3*day)), img("b", ago(2*day), "v1")},
	}, {
		name:   "ties in push time: the larger digest counts as newer and the rest go in digest order",
		policy: rules(keepNewest(1, anyImage(), 1)),
		images: []Image{img("b", ago(day)), img("c", ago(day)), img("a", ago(day))},
		want:   []Expiry{expired("a", ago(day), 1), expired("b", ago(day), 1)},
	}, {
		name:   "rules apply by rulePriority, not by list position, and need not be sequential",
		policy: rules(keepNewest(900, anyImage(), 1), keepNewest(7, patterns("v*"), 5)),
		images: []Image{img("v1", ago(3*day), "v1"), img("u", ago(2*day)), img("n", ago(day))},
		want:   []Expiry{expired("u", ago(2*day), 900)},
	}, {
		// The image tagged prod-1 and beta-1 belongs to rule 1, which keeps it; rule 2 would
		// expire it by age but may not.
		name:   "an image with tags matching two rules belongs to the first",
		policy: rules(keepNewest(1, patterns("prod*"), 5), pushedOver(2, patterns("beta*"), 1)),
		images: []Image{img("both", ago(10*day), "beta-1", "prod-1"), img("beta", ago(10*day), "beta-2")},
		want:   []Expiry{expired("beta", ago(10*day), 2, "beta-2")},
	}, {
		// Rule 2 counts r1 and r2, which rule 1 identified, so that keeping the newest two
		// leaves u1 marked; counting only its own images it would keep u1 and u2.
		name:   "a lower rule counts the images a higher rule identified",
		policy: rules(pushedOver(1, patterns("release-*"), 365), keepNewest(2, anyImage(), 2)),
		images: []Image{
			img("r1", ago(10*day), "release-1"),
			img("u1", ago(9*day)),
			img("r2", ago(2*day), "release-2"),
			img("u2", ago(1*day)),
		},
		want: []Expiry{expired("u1", ago(9*day), 2)},
	}, {
		name:   "a lower rule counts the images a higher rule expires",
		policy: rules(keepNewest(1, patterns("tmp-*"), 1), keepNewest(2, anyImage(), 2)),
		images: []Image{
			img("u1", ago(5*day)),
			img("t1", ago(4*day), "tmp-1"),
			img("t2", ago(3*day), "tmp-2"),
			img("u2", ago(2*day)),
		},
		want: []Expiry{expired("u1", ago(5*day), 2), expired("t1", ago(4*day), 1, "tmp-1")},
	}, {
		name:   "sinceImagePushed: exactly countNumber days stays, a second more expires",
		policy: rules(pushedOver(1, anyImage(), 7)),
		images: []Image{img("edge", ago(7*day)), img("over", ago(7*day+time.Second))},
		want:   []Expiry{expired("over", ago(7*day+time.Second), 1)},
	}, {
		name:   "sinceImagePushed ignores pulls",
		policy: rules(pushedOver(1, anyImage(), 7)),
		images: []Image{{Digest: "sha256:a", PushedAt: ago(8 * day), LastPulledAt: ago(time.Hour)}},
		want:   []Expiry{expired("a", ago(8*day), 1)},
	}, {
		name:   "sinceImagePulled: a never-pulled image ages from its push",
		policy: rules(pulledOver(1, anyImage(), 7)),
		images: []Image{img("old", ago(8*day)), img("new", ago(6*day))},
		want:   []Expiry{expired("old", ago(8*day), 1)},
	}, {
		name:   "sinceImagePulled: a pull recorded before the push counts as the push",
		policy: rules(pulledOver(1, anyImage(), 7)),
		images: []Image{{Digest: "sha256:a", PushedAt: ago(2 * day), LastPulledAt: ago(30 * day)}},
	}, {
		name:   "tagPrefixList: every prefix must be met, by any of the tags",
		policy: rules(keepNewest(1, prefixes("v", "stable"), 1)),
		images: []Image{
			img("a", ago(4*day), "v1", "stable-1"),
			img("b", ago(3*day), "v2"),
			img("c", ago(2*day), "stable"),
			img("d", ago(1*day), "v3-stable"), // "stable" is not a prefix of v3-stable
			img("e", ago(0), "v4", "stable-4"),
		},
		want: []Expiry{expired("a", ago(4*day), 1, "stable-1", "v1")},
	}, {
		name:   "tagPrefixList matches case-sensitively",
		policy: rules(pushedOver(1, prefixes("Prod"), 1)),
		images: []Image{img("a", ago(4*day), "prod-1"), img("b", ago(4*day), "Prod-1")},
		want:   []Expiry{expired("b", ago(4*day), 1, "Prod-1")},
	}, {
		name:   "tagPatternList: wildcards anywhere, whole-tag match",
		policy: rules(pushedOver(1, patterns("v*-rc*"), 1)),
		images: []Image{
			img("rc", ago(4*day), "v1.2-rc3"),
			img("final", ago(4*day), "v1.2"),
			img("prefix", ago(4*day), "xv1-rc1"), // the pattern is anchored at the start
			img("none", ago(4*day), "v1-rc"),     // "*" also matches nothing
		},
		want: []Expiry{expired("none", ago(4*day), 1, "v1-rc"), expired("rc", ago(4*day), 1, "v1.2-rc3")},
	}, {
		name:   "a tagged rule never selects untagged images",
		policy: rules(pushedOver(1, patterns("*"), 1)),
		images: []Image{img("u", ago(4*day)), img("t", ago(4*day), "x")},
		want:   []Expiry{expired("t", ago(4*day), 1, "x")},
	}, {
		name:   "an untagged rule never selects tagged images",
		policy: rules(pushedOver(1, untagged(), 1)),
		images: []Image{img("u", ago(4*day)), img("t", ago(4*day), "x")},
		want:   []Expiry{expired("u", ago(4*day), 1)},
	}, {
		name:   "repeated entries for one digest merge: every tag, the later push",
		policy: rules(pushedOver(1, patterns("v*"), 3)),
		images: []Image{img("a", ago(5*day), "v2"), img("a", ago(4*day), "v1", "v2")},
		want:   []Expiry{expired("a", ago(4*day), 1, "v1", "v2")},
	}, {
		name:   "repeated entries for one digest merge towards keeping",
		policy: rules(pushedOver(1, patterns("v*"), 3)),
		images: []Image{img("a", ago(5*day), "v1"), img("a", ago(2*day), "v1")},
	}, {
		name: "an invalid policy expires nothing",
		policy: rules(
			keepNewest(1, anyImage(), 1),
			keepNewest(2, patterns("v*"), 1), // any must come last
		),
		images: []Image{img("a", ago(4*day)), img("b", ago(3*day))},
	}})
}

// TestEvaluateIndexes covers images referenced by manifest lists and image indexes.
func TestEvaluateIndexes(t *testing.T) {
	// child is an untagged image referenced by the given lists.
	child := func(digest string, pushed time.Time, lists ...string) Image {
		i := img(digest, pushed)
		for _, l := range lists {
			i.ReferencedBy = append(i.ReferencedBy, "sha256:"+l)
		}
		return i
	}
	runEvaluate(t, []evaluateCase{{
		name:   "children of a staying index stay",
		policy: rules(pushedOver(1, untagged(), 1)),
		images: []Image{
			child("amd64", ago(10*day), "idx"),
			child("arm64", ago(10*day), "idx"),
			img("idx", ago(10*day), "v1"),
			img("loose", ago(10*day)),
		},
		want: []Expiry{expired("loose", ago(10*day), 1)},
	}, {
		name:   "an expiring index goes before its older children",
		policy: rules(keepNewest(1, patterns("v*"), 1), pushedOver(2, untagged(), 1)),
		images: []Image{
			child("amd64", ago(10*day), "idx1"),
			child("arm64", ago(10*day), "idx1"),
			img("idx1", ago(10*day-time.Minute), "v1"),
			img("loose", ago(9*day)),
			img("idx2", ago(2*day), "v2"),
		},
		want: []Expiry{
			expired("idx1", ago(10*day-time.Minute), 1, "v1"),
			expired("amd64", ago(10*day), 2),
			expired("arm64", ago(10*day), 2),
			expired("loose", ago(9*day), 2),
		},
	}, {
		name:   "an expiring index alone when no rule marks its children",
		policy: rules(keepNewest(1, patterns("v*"), 1)),
		images: []Image{
			child("amd64", ago(10*day), "idx1"),
			img("idx1", ago(10*day), "v1"),
			img("idx2", ago(2*day), "v2"),
		},
		want: []Expiry{expired("idx1", ago(10*day), 1, "v1")},
	}, {
		name:   "a child shared with a staying index stays",
		policy: rules(keepNewest(1, patterns("v*"), 1), pushedOver(2, untagged(), 1)),
		images: []Image{
			child("shared", ago(10*day), "idx1", "idx2"),
			child("own", ago(10*day), "idx1"),
			img("idx1", ago(10*day), "v1"),
			img("idx2", ago(2*day), "v2"),
		},
		want: []Expiry{expired("idx1", ago(10*day), 1, "v1"), expired("own", ago(10*day), 2)},
	}, {
		name:   "a reference to an unknown digest counts as a staying index",
		policy: rules(pushedOver(1, untagged(), 1)),
		images: []Image{child("orphan", ago(10*day), "missing")},
	}, {
		name:   "nested indexes go outermost first",
		policy: rules(pushedOver(1, anyImage(), 1)),
		images: []Image{
			child("leaf", ago(12*day), "inner"),
			child("inner", ago(11*day), "outer"),
			img("outer", ago(10*day), "v1"),
		},
		want: []Expiry{
			expired("outer", ago(10*day), 1, "v1"),
			expired("inner", ago(11*day), 1),
			expired("leaf", ago(12*day), 1),
		},
	}, {
		name:   "a staying outer index keeps the whole chain",
		policy: rules(keepNewest(1, patterns("v*"), 1), pushedOver(2, untagged(), 1)),
		images: []Image{
			child("leaf", ago(12*day), "inner"),
			child("inner", ago(11*day), "outer"),
			img("outer", ago(10*day), "v1"),
		},
	}, {
		// The untagged rule counts the protected children, keeps the newer one and marks the
		// other and the loose image; the protected one stays and nothing takes its place.
		name:   "protected children still count for imageCountMoreThan",
		policy: rules(keepNewest(1, untagged(), 1)),
		images: []Image{
			img("loose", ago(10*day)),
			child("c1", ago(5*day), "idx"),
			child("c2", ago(5*day), "idx"),
			img("idx", ago(5*day), "v1"),
		},
		want: []Expiry{expired("loose", ago(10*day), 1)},
	}, {
		name:   "a reference cycle, impossible in a registry, still gives a total order",
		policy: rules(pushedOver(1, anyImage(), 1)),
		images: []Image{child("x", ago(3*day), "y"), child("y", ago(2*day), "x")},
		want:   []Expiry{expired("x", ago(3*day), 1), expired("y", ago(2*day), 1)},
	}})
}

// TestEvaluateLeavesInputsAlone checks that Evaluate neither modifies nor aliases its inputs.
func TestEvaluateLeavesInputsAlone(t *testing.T) {
	images := []Image{
		{Digest: "sha256:b", Tags: []string{"v2", "v1"}, PushedAt: ago(5 * day), ReferencedBy: []string{"sha256:z", "sha256:y"}},
		{Digest: "sha256:a", Tags: []string{"v3"}, PushedAt: ago(4 * day)},
	}
	policy := rules(pushedOver(2, anyImage(), 1), keepNewest(1, patterns("v3"), 1))
	wantImages := []Image{
		{Digest: "sha256:b", Tags: []string{"v2", "v1"}, PushedAt: ago(5 * day), ReferencedBy: []string{"sha256:z", "sha256:y"}},
		{Digest: "sha256:a", Tags: []string{"v3"}, PushedAt: ago(4 * day)},
	}
	wantPolicy := rules(pushedOver(2, anyImage(), 1), keepNewest(1, patterns("v3"), 1))

	got := Evaluate(policy, images, now)
	if diff := cmp.Diff(wantImages, images); diff != "" {
		t.Errorf("images modified (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantPolicy, policy); diff != "" {
		t.Errorf("policy modified (-want +got):\n%s", diff)
	}
	for _, e := range got {
		if len(e.Tags) > 0 {
			e.Tags[0] = "changed"
		}
	}
	if diff := cmp.Diff(wantImages, images); diff != "" {
		t.Errorf("result aliases the images (-want +got):\n%s", diff)
	}
}

// TestEvaluateSortsTags checks that expiries carry the image's tags sorted, whatever the
// registry's order.
func TestEvaluateSortsTags(t *testing.T) {
	got := Evaluate(rules(pushedOver(1, anyImage(), 1)), []Image{img("a", ago(2*day), "b", "c", "a", "b")}, now)
	want := []Expiry{expired("a", ago(2*day), 1, "a", "b", "c")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Evaluate (-want +got):\n%s", diff)
	}
}

// TestEvaluateTimeZone checks that the day arithmetic does not depend on now's location.
func TestEvaluateTimeZone(t *testing.T) {
	zone := time.FixedZone("UTC-11", -11*3600)
	policy := rules(pushedOver(1, anyImage(), 1))
	images := []Image{img("edge", ago(day)), img("over", ago(day+time.Nanosecond))}
	for _, at := range []time.Time{now, now.In(zone), now.Local()} {
		got := Evaluate(policy, images, at)
		want := []Expiry{expired("over", ago(day+time.Nanosecond), 1)}
		if diff := cmp.Diff(want, got, cmp.Comparer(time.Time.Equal)); diff != "" {
			t.Errorf("Evaluate at %v (-want +got):\n%s", at, diff)
		}
	}
}
