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

package rollout

import "math"

// Bounds returns ECS's rolling-update bounds for desired count D: at least
// lower = ceil(D × minPct / 100) healthy RUNNING tasks and at most
// upper = floor(D × maxPct / 100) PROVISIONING, PENDING or RUNNING tasks. ECS rounds the
// lower bound up and the upper one down, so both stay on the safe side. Out-of-range input
// is clamped (D ≥ 0, minPct to 0..100, maxPct ≥ 100) so that lower ≤ D ≤ upper always holds.
func Bounds(desired, minPct, maxPct int32) (lower, upper int32) {
	d := int64(max(desired, 0))
	lo := int64(min(max(minPct, 0), 100))
	hi := int64(max(maxPct, 100))
	return toInt32((d*lo + 99) / 100), toInt32(d * hi / 100)
}

// FailureThreshold is the number of failed tasks that trips the deployment circuit breaker
// for desired count D: half of D rounded up, at least 3 and at most 200, as in ECS.
func FailureThreshold(desired int32) int32 {
	return min(max((max(desired, 0)+1)/2, 3), 200)
}

// toInt32 converts a count that cannot overflow in practice (desiredCount ≤ 5000), clamping
// rather than wrapping if it ever did.
func toInt32(n int64) int32 {
	return int32(min(max(n, math.MinInt32), math.MaxInt32)) //nolint:gosec // clamped on the line itself
}

// MaxInactiveDeployments is how many INACTIVE deployments a plan keeps (newest first), so
// status.deployments stays small while the recent history remains visible.
const MaxInactiveDeployments = 5
