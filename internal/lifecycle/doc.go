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

// Package lifecycle evaluates ECR lifecycle policies as pure functions, so that the Repository
// controller's expiry, its status preview and the tests all rest on one implementation that
// needs no registry. It follows the ECR User Guide ("Lifecycle policy properties", "Examples of
// lifecycle policies", "Automate the cleanup of images by using lifecycle policies"):
//
//   - Rules are applied by rulePriority, lowest first ("Sets the order in which rules are
//     applied, lowest to highest").
//   - A rule identifies (selects) images by tagStatus alone: any selects every image, untagged
//     the images without tags, and tagged the images that, for every entry of tagPrefixList
//     (or tagPatternList, where "*" matches any run of characters), carry some tag starting
//     with (matching) it. The entries may be met by different tags: "If you specify multiple
//     tags, only the images with all specified tags are selected", and in the "multiple tags in
//     a single rule" example ["alpha*", "beta*"] selects an image tagged alpha-2 and beta-2.
//   - A rule marks, among the images it identifies, those past its count: imageCountMoreThan
//     keeps the newest countNumber by push time and marks the rest; sinceImagePushed marks
//     images pushed more than countNumber days before now; sinceImagePulled does the same with
//     the last pull time, or the push time for images never pulled (select.go, mark.go).
//   - "An image is expired by exactly one or zero rules", and "an image that matches the
//     tagging requirements of a rule cannot be expired by a rule with a lower priority". So an
//     image belongs to the first rule that identifies it, and only that rule's mark expires it.
//   - "Rules can never mark images that are marked by higher priority rules, but can still
//     identify them as if they haven't been expired": a lower rule counts every image it
//     identifies, including those a higher rule keeps or expires, when it ranks the newest
//     countNumber. ECR's "Filtering on all images" example B pins this: its final
//     "any, keep 1" rule keeps the untagged image E that rule 2 identified, and so expires D.
//   - "If an image is referenced by a manifest list, it cannot be expired without the manifest
//     list being deleted first": an image is expired only if every manifest list or index that
//     references it is expired too (references.go).
//   - "Expiration is always ordered by pushed_at_time, and always expires older images before
//     newer ones": the result lists the oldest pushed first, ties broken by digest, except that
//     an index always comes before the images it references, so that executing the list in
//     order never leaves an index pointing at a deleted manifest (order.go).
//
// Berth's API has one action, expire, and so allows sinceImagePulled with it, where ECR allows
// sinceImagePulled only with its archive transition. Evaluate makes no client calls and keeps no
// state; its result depends only on its arguments, never on the order of images or rules.
package lifecycle
