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

import "slices"

// expiryOrder returns the indexes of the expired images (expiredBy[i] >= 0) in the order to delete
// them: oldest pushed first, as ECR expires, except that an image waits for every expired list
// that references it. Children are usually pushed before their index, so plain push order would
// delete them first and, were the run cut short, leave an index that cannot be pulled.
//
// Manifests are content addressed, so references cannot form a cycle; should a caller's data
// hold one anyway, the oldest image left in it goes first, which keeps the result total and
// deterministic.
func expiryOrder(images []Image, expiredBy []int) []int {
	refs := referencing(images, expiredBy)
	waiting := make([]int, len(images))
	children := make([][]int, len(images))
	var ready []int // sorted, so ready[0] is the oldest image free to go
	total := 0
	for i := range images {
		if expiredBy[i] < 0 {
			continue
		}
		total++
		waiting[i] = len(refs[i])
		for _, j := range refs[i] {
			children[j] = append(children[j], i)
		}
		if waiting[i] == 0 {
			ready = append(ready, i)
		}
	}

	done := make([]bool, len(images))
	out := make([]int, 0, total)
	oldest := 0 // scan position for the cycle fallback
	for len(out) < total {
		var i int
		if len(ready) > 0 {
			i, ready = ready[0], ready[1:]
		} else {
			for done[oldest] || expiredBy[oldest] < 0 {
				oldest++
			}
			i = oldest
		}
		done[i] = true
		out = append(out, i)
		for _, c := range children[i] {
			if waiting[c]--; waiting[c] == 0 && !done[c] {
				at, _ := slices.BinarySearch(ready, c)
				ready = slices.Insert(ready, at, c)
			}
		}
	}
	return out
}
