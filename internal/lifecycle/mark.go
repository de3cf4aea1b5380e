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

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
)

// marked returns those of the identified images (indexes into images, oldest first) that the
// selection's count marks for expiry now:
//
//   - imageCountMoreThan keeps the newest countNumber by push time and marks the rest, counting
//     every identified image, whichever rule it belongs to;
//   - sinceImagePushed marks images pushed more than countNumber days before now; one pushed
//     exactly countNumber days ago stays (ECR's "older than one day" example keeps the image
//     pushed one day ago);
//   - sinceImagePulled does the same with the last pull, or the push for images never pulled
//     (a pull recorded before the push, as after a re-push, counts as the push).
//
// Days are 24 hours, counted in UTC.
func marked(sel ecrv1alpha1.LifecycleSelection, images []Image, identified []int, now time.Time) []int {
	switch sel.CountType {
	case ecrv1alpha1.CountImageCountMoreThan:
		keep := max(int(sel.CountNumber), 0)
		if len(identified) <= keep {
			return nil
		}
		// identified is oldest first, so the newest countNumber are at its end.
		return identified[:len(identified)-keep]
	case ecrv1alpha1.CountSinceImagePushed, ecrv1alpha1.CountSinceImagePulled:
		cutoff := now.UTC().AddDate(0, 0, -int(sel.CountNumber))
		var out []int
		for _, i := range identified {
			if age(sel.CountType, images[i]).Before(cutoff) {
				out = append(out, i)
			}
		}
		return out
	default:
		return nil
	}
}

// age returns the time a time-based count measures an image from. A zero LastPulledAt (never
// pulled) is earlier than any push, so later falls back to the push as ECR does.
func age(count ecrv1alpha1.CountType, img Image) time.Time {
	if count == ecrv1alpha1.CountSinceImagePulled {
		return later(img.PushedAt, img.LastPulledAt)
	}
	return img.PushedAt
}
