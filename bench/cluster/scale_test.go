//go:build bench || soak

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

package clusterbench

import (
	"math"
	"os"
	"strconv"
)

// benchScale is BENCH_SCALE (default 1): every task count of P1–P5 is multiplied by it, for
// quick runs (0.1 gives the first round's sizes: P1 300 tasks, P2 300 → 7 → 4 → 10 → 3, P3
// 100, P5 2,000 tasks in 40 services). The budgets are met at the full scale.
var benchScale = func() float64 {
	if f, err := strconv.ParseFloat(os.Getenv("BENCH_SCALE"), 64); err == nil && f > 0 {
		return f
	}
	return 1
}()

// scaled is n times benchScale, rounded, at least 1.
func scaled(n int) int {
	return max(1, int(math.Round(float64(n)*benchScale)))
}

// memTasksPerService is the size of each of P5's Services.
const memTasksPerService = 50

// controllerQPS and controllerBurst are cmd/manager's default client limits; the floor client
// of P1b (and P9's creators) get the same, so they compare the controller's work, not a bigger
// rate limit.
const controllerQPS, controllerBurst = 200, 400

// floorWorkers is how many Pods the floor client creates at once (docs/budgets.md).
const floorWorkers = 16

// The sizes of docs/budgets.md, scaled.
var (
	// startupTasks is P1's scale-up (0 → 3,000).
	startupTasks = scaled(3000)
	// scaleInSteps is the P2 sequence after 0 → startupTasks.
	scaleInSteps = []int32{int32(scaled(70)), int32(scaled(40)), int32(scaled(100)), int32(scaled(30))} //nolint:gosec // small counts
	// rolloutTasks is P3's rolling deployment (1,000 tasks).
	rolloutTasks = scaled(1000)
	// memServices is P5's Services of memTasksPerService tasks each (400 × 50 = 20,000).
	memServices = scaled(400)
	memTasks    = memServices * memTasksPerService
	// nodePods is the pod capacity of each of the sandbox's 6 kwok nodes: room for P5's tasks
	// with a margin, and never less than the first round's 1,000.
	nodePods = max(1000, (memTasks*12/10/6+99)/100*100)
)
