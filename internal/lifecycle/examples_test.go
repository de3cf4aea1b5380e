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
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
)

// now is the evaluation time of every test.
var now = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

// ago is the time d before now.
func ago(d time.Duration) time.Time { return now.Add(-d) }

// img is an image named by a short digest.
func img(digest string, pushed time.Time, tags ...string) Image {
	return Image{Digest: "sha256:" + digest, PushedAt: pushed, Tags: tags}
}

// expired is the expiry of the image img(digest, pushed, tags...) by the rule with priority.
func expired(digest string, pushed time.Time, priority int32, tags ...string) Expiry {
	return Expiry{Digest: "sha256:" + digest, PushedAt: pushed, RulePriority: priority, Tags: tags}
}

// patterns selects tagged images by tagPatternList.
func patterns(p ...string) ecrv1alpha1.LifecycleSelection {
	return ecrv1alpha1.LifecycleSelection{TagStatus: ecrv1alpha1.TagStatusTagged, TagPatternList: p}
}

// prefixes selects tagged images by tagPrefixList.
func prefixes(p ...string) ecrv1alpha1.LifecycleSelection {
	return ecrv1alpha1.LifecycleSelection{TagStatus: ecrv1alpha1.TagStatusTagged, TagPrefixList: p}
}

// untagged selects untagged images.
func untagged() ecrv1alpha1.LifecycleSelection {
	return ecrv1alpha1.LifecycleSelection{TagStatus: ecrv1alpha1.TagStatusUntagged}
}

// anyImage selects every image.
func anyImage() ecrv1alpha1.LifecycleSelection {
	return ecrv1alpha1.LifecycleSelection{TagStatus: ecrv1alpha1.TagStatusAny}
}

// keepNewest is an imageCountMoreThan rule.
func keepNewest(priority int32, sel ecrv1alpha1.LifecycleSelection, n int32) ecrv1alpha1.LifecycleRule {
	sel.CountType, sel.CountNumber = ecrv1alpha1.CountImageCountMoreThan, n
	return ecrv1alpha1.LifecycleRule{RulePriority: priority, Selection: sel, Action: ecrv1alpha1.LifecycleAction{Type: ecrv1alpha1.LifecycleActionExpire}}
}

// pushedOver is a sinceImagePushed rule.
func pushedOver(priority int32, sel ecrv1alpha1.LifecycleSelection, days int32) ecrv1alpha1.LifecycleRule {
	r := keepNewest(priority, sel, days)
	r.Selection.CountType, r.Selection.CountUnit = ecrv1alpha1.CountSinceImagePushed, ecrv1alpha1.CountUnitDays
	return r
}

// pulledOver is a sinceImagePulled rule.
func pulledOver(priority int32, sel ecrv1alpha1.LifecycleSelection, days int32) ecrv1alpha1.LifecycleRule {
	r := pushedOver(priority, sel, days)
	r.Selection.CountType = ecrv1alpha1.CountSinceImagePulled
	return r
}

// rules is a policy.
func rules(r ...ecrv1alpha1.LifecycleRule) *ecrv1alpha1.LifecyclePolicy {
	return &ecrv1alpha1.LifecyclePolicy{Rules: r}
}

// evaluateCase is one Evaluate table row.
type evaluateCase struct {
	name   string
	policy *ecrv1alpha1.LifecyclePolicy
	images []Image
	want   []Expiry
}

// runEvaluate checks each case, with the images and the rules also given in reverse order,
// which must not change the result.
func runEvaluate(t *testing.T, cases []evaluateCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Evaluate(tc.policy, tc.images, now)); diff != "" {
				t.Errorf("Evaluate (-want +got):\n%s", diff)
			}
			images := slices.Clone(tc.images)
			slices.Reverse(images)
			policy := tc.policy
			if policy != nil {
				policy = &ecrv1alpha1.LifecyclePolicy{Rules: slices.Clone(policy.Rules)}
				slices.Reverse(policy.Rules)
			}
			if diff := cmp.Diff(tc.want, Evaluate(policy, images, now)); diff != "" {
				t.Errorf("Evaluate, inputs reversed (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEvaluateECRExamples reproduces the worked examples of the ECR User Guide page "Examples
// of lifecycle policies", with the outcome the guide states. Where the guide gives no
// repository, the images are chosen to show the rule's edges.
func TestEvaluateECRExamples(t *testing.T) {
	// "Filtering on multiple rules": the same repository for examples A and B.
	multipleRules := []Image{
		img("a", ago(10*day), "beta-1", "prod-1"),
		img("b", ago(9*day), "beta-2", "prod-2"),
		img("c", ago(8*day), "beta-3"),
	}
	runEvaluate(t, []evaluateCase{{
		name:   "image age: tagged prod* older than 14 days",
		policy: rules(pushedOver(1, patterns("prod*"), 14)),
		images: []Image{
			img("old", ago(20*day), "prod-1"),
			img("edge", ago(14*day), "prod-2"), // exactly 14 days: not older
			img("new", ago(3*day), "prod-3"),
			img("dev", ago(30*day), "dev-1"), // not selected
			img("untagged", ago(30*day)),
		},
		want: []Expiry{expired("old", ago(20*day), 1, "prod-1")},
	}, {
		name:   "image age: untagged older than 14 days (earlier edition of the guide)",
		policy: rules(pushedOver(1, untagged(), 14)),
		images: []Image{
			img("u1", ago(15*day)),
			img("u2", ago(13*day)),
			img("t", ago(30*day), "latest"),
		},
		want: []Expiry{expired("u1", ago(15*day), 1)},
	}, {
		name:   "image count: keep only one untagged image, expire all others",
		policy: rules(keepNewest(1, untagged(), 1)),
		images: []Image{
			img("u1", ago(3*day)),
			img("u2", ago(2*day)),
			img("u3", ago(1*day)),
			img("t", ago(5*day), "v1"),
		},
		want: []Expiry{expired("u1", ago(3*day), 1), expired("u2", ago(2*day), 1)},
	}, {
		name:   "last pulled time: not pulled in 90 days (Berth expires where ECR archives)",
		policy: rules(pulledOver(1, anyImage(), 90)),
		images: []Image{
			{Digest: "sha256:stale", PushedAt: ago(200 * day), LastPulledAt: ago(100 * day), Tags: []string{"v1"}},
			{Digest: "sha256:never", PushedAt: ago(120 * day)},
			{Digest: "sha256:pulled", PushedAt: ago(200 * day), LastPulledAt: ago(10 * day)},
			{Digest: "sha256:fresh", PushedAt: ago(30 * day)},
		},
		want: []Expiry{
			expired("stale", ago(200*day), 1, "v1"),
			expired("never", ago(120*day), 1),
		},
	}, {
		// Rule 2 marks A and B, but "Image A has already been seen by Rule 1 and if Image B
		// were expired it would violate Rule 1 and thus is skipped".
		name:   "multiple rules A: prod* keep 1, then beta* keep 1",
		policy: rules(keepNewest(1, patterns("prod*"), 1), keepNewest(2, patterns("beta*"), 1)),
		images: multipleRules,
		want:   []Expiry{expired("a", ago(10*day), 1, "beta-1", "prod-1")},
	}, {
		name:   "multiple rules A, tagPrefixList edition",
		policy: rules(keepNewest(1, prefixes("prod"), 1), keepNewest(2, prefixes("beta"), 1)),
		images: multipleRules,
		want:   []Expiry{expired("a", ago(10*day), 1, "beta-1", "prod-1")},
	}, {
		// Rule 2 "would see no images because all available images were already seen by Rule 1".
		name:   "multiple rules B: beta* keep 1, then prod* keep 1",
		policy: rules(keepNewest(1, patterns("beta*"), 1), keepNewest(2, patterns("prod*"), 1)),
		images: multipleRules,
		want: []Expiry{
			expired("a", ago(10*day), 1, "beta-1", "prod-1"),
			expired("b", ago(9*day), 1, "beta-2", "prod-2"),
		},
	}, {
		// "It sees images C and F. It should mark images that are older than five days".
		name:   "multiple tags A: images must match all listed patterns",
		policy: rules(pushedOver(1, patterns("alpha*", "beta*"), 5)),
		images: []Image{
			img("a", ago(12*day), "alpha-1"),
			img("b", ago(11*day), "beta-1"),
			img("c", ago(10*day), "alpha-2", "beta-2"),
			img("d", ago(4*day), "alpha-3"),
			img("e", ago(3*day), "beta-3"),
			img("f", ago(2*day), "alpha-4", "beta-4"),
		},
		want: []Expiry{expired("c", ago(10*day), 1, "alpha-2", "beta-2")},
	}, {
		// "The following example illustrates that tags are not exclusive."
		name:   "multiple tags B: further tags do not stop a match",
		policy: rules(keepNewest(1, patterns("alpha*", "beta*"), 1)),
		images: []Image{
			img("a", ago(10*day), "alpha-1", "beta-1", "gamma-1"),
			img("b", ago(9*day), "alpha-2", "beta-2"),
			img("c", ago(8*day), "alpha-3", "beta-3", "gamma-2"),
		},
		want: []Expiry{
			expired("a", ago(10*day), 1, "alpha-1", "beta-1", "gamma-1"),
			expired("b", ago(9*day), 1, "alpha-2", "beta-2"),
		},
	}, {
		name:   "all images A: any, keep 1",
		policy: rules(keepNewest(1, anyImage(), 1)),
		images: []Image{
			img("a", ago(4*day), "alpha-1"),
			img("b", ago(3*day), "beta-1"),
			img("c", ago(2*day)),
			img("d", ago(1*day), "alpha-2"),
		},
		want: []Expiry{
			expired("a", ago(4*day), 1, "alpha-1"),
			expired("b", ago(3*day), 1, "beta-1"),
			expired("c", ago(2*day), 1),
		},
	}, {
		// Rule 3 "identifies images A, B, C, D, and E ... it can't mark images A, B, C, or E
		// because they were identified by higher priority rules. It marks image D". D and E
		// were both pushed a day ago; the tie goes by digest, which makes E the newer.
		name: "all images B: every rule type in one policy",
		policy: rules(
			keepNewest(1, patterns("alpha*"), 1),
			pushedOver(2, untagged(), 1),
			keepNewest(3, anyImage(), 1),
		),
		images: []Image{
			img("a", ago(4*day), "alpha-1", "beta-1"),
			img("b", ago(3*day)),
			img("c", ago(2*day), "alpha-2"),
			img("d", ago(1*day), "git hash"),
			img("e", ago(1*day)),
		},
		want: []Expiry{
			expired("a", ago(4*day), 1, "alpha-1", "beta-1"),
			expired("b", ago(3*day), 2),
			expired("d", ago(1*day), 3, "git hash"),
		},
	}})
}
