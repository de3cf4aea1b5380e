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

// keepReferenced withdraws the expiry of every image that a staying manifest list or index
// references, because ECR never expires an image "without the manifest list being deleted
// first", and a pull of the list would otherwise fail. A list stays when it is not expired, or
// when it is not among images at all: a reference the caller could not resolve is taken as a
// staying list, since deletion is the side that cannot be undone. Withdrawing one expiry can
// keep the list's own references, so it repeats until nothing changes (nested indexes).
//
// expiredBy holds, per image, the index of the rule that expires it, or -1.
func keepReferenced(images []Image, expiredBy []int) {
	at := make(map[string]int, len(images))
	for i := range images {
		at[images[i].Digest] = i
	}
	for changed := true; changed; {
		changed = false
		for i := range images {
			if expiredBy[i] < 0 {
				continue
			}
			for _, list := range images[i].ReferencedBy {
				if j, ok := at[list]; !ok || expiredBy[j] < 0 {
					expiredBy[i] = -1
					changed = true
					break
				}
			}
		}
	}
}

// referencing returns, per image, the indexes of the expired images that reference it, which
// order.go must place first.
func referencing(images []Image, expiredBy []int) [][]int {
	at := make(map[string]int, len(images))
	for i := range images {
		at[images[i].Digest] = i
	}
	out := make([][]int, len(images))
	for i := range images {
		for _, list := range images[i].ReferencedBy {
			if j, ok := at[list]; ok && j != i && expiredBy[j] >= 0 {
				out[i] = append(out[i], j)
			}
		}
	}
	return out
}
