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

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

var (
	randStates   = []TaskState{TaskProvisioning, TaskPending, TaskRunning, TaskRunning, TaskRunning, TaskStopping, TaskStopped}
	randStatuses = []ecsv1alpha1.DeploymentStatus{ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.DeploymentActive, ecsv1alpha1.DeploymentInactive}
	randRollouts = []ecsv1alpha1.RolloutState{ecsv1alpha1.RolloutInProgress, ecsv1alpha1.RolloutCompleted, ecsv1alpha1.RolloutFailed, ""}
)

// randomInput makes an arbitrary, possibly inconsistent, observation: any mix of states,
// several PRIMARY deployments, tasks of unknown deployments, STOPPED tasks, odd percents.
func randomInput(r *rand.Rand) Input {
	pick := func(n int) int { return r.IntN(n) }
	in := Input{
		ServiceName: "svc",
		Config: Config{
			DesiredCount:           int32(pick(13)),
			MinimumHealthyPercent:  []int32{0, 50, 100, int32(pick(101))}[pick(4)],
			MaximumPercent:         []int32{100, 150, 200, 100 + int32(pick(101))}[pick(4)],
			CircuitBreakerEnable:   pick(3) > 0,
			CircuitBreakerRollback: pick(2) == 0,
		},
		Steady: pick(2) == 0,
		Now:    simEpoch.Add(time.Duration(pick(1000)) * time.Second),
	}
	nDeps := pick(6)
	for i := range nDeps {
		at := simEpoch.Add(-time.Duration(pick(5000)) * time.Second)
		in.Deployments = append(in.Deployments, Deployment{
			ID: simID(i + 1), Status: randStatuses[pick(len(randStatuses))], TaskDefinition: simTaskDef(i + 1),
			DesiredCount: int32(pick(8)), RunningCount: int32(pick(8)), FailedTasks: int32(pick(6)),
			RolloutState: randRollouts[pick(len(randRollouts))], CreatedAt: at, UpdatedAt: at,
		})
	}
	switch t := pick(4); {
	case t == 0:
		// no target: the newest PRIMARY, if any, stays
	case t == 1 || nDeps == 0:
		in.Target = Target{ID: simID(nDeps + 1), TaskDefinition: simTaskDef(nDeps + 1)}
	default:
		rev := pick(nDeps) + 1
		in.Target = Target{ID: simID(rev), TaskDefinition: simTaskDef(rev)}
	}
	for i := range pick(30) {
		rev := pick(nDeps+3) + 1 // some tasks belong to no known deployment
		t := Task{
			Name: fmt.Sprintf("t%02d", i), Deployment: simID(rev), TaskDefinition: simTaskDef(rev),
			State: randStates[pick(len(randStates))], Healthy: pick(4) > 0, FailedToStart: pick(2) == 0,
			CreatedAt: simEpoch.Add(-time.Duration(pick(5000)) * time.Second),
		}
		if pick(10) == 0 {
			t.Deployment = ""
		}
		if t.State != TaskProvisioning {
			t.Zone = simZones[pick(3)]
			t.Node = fmt.Sprintf("%s-%d", t.Zone, pick(2)+1)
		}
		in.Tasks = append(in.Tasks, t)
	}
	switch pick(4) {
	case 1:
		in.ChooseVictims = func(c, _ []Task, n int) []Task { return c[len(c)-n:] } // oldest names
	case 2:
		in.ChooseVictims = junkChooser
	case 3:
		in.ChooseVictims = func([]Task, []Task, int) []Task { return nil }
	}
	return in
}

// junkChooser breaks the VictimChooser contract every way it can; the planner must repair it.
func junkChooser(c, all []Task, _ int) []Task {
	out := []Task{{Name: "nobody"}}
	if len(all) > 0 {
		out = append(out, all[0])
	}
	out = append(out, c[0], c[0])
	out = append(out, c...)
	out[len(out)-1].State = TaskStopped // a chooser must not be able to alter tasks
	return out
}

func checkRandomInput(t *testing.T, in Input) {
	t.Helper()
	before := comparable(cloneInput(in))
	p := Compute(in)
	if v := planViolations(in, p); len(v) > 0 {
		t.Fatalf("violations:\n%s\ninput: %+v\nplan: %+v", strings.Join(v, "\n"), in, p)
	}
	if !gocmp.Equal(before, comparable(in)) {
		t.Fatalf("Compute changed its input (-before +after):\n%s", gocmp.Diff(before, comparable(in)))
	}
	if again := Compute(in); !gocmp.Equal(p, again) {
		t.Fatalf("Compute is not deterministic:\n%s", gocmp.Diff(p, again))
	}
	shuffled := cloneInput(in)
	r := rand.New(rand.NewPCG(uint64(len(in.Tasks)), 7))
	r.Shuffle(len(shuffled.Tasks), func(i, j int) { shuffled.Tasks[i], shuffled.Tasks[j] = shuffled.Tasks[j], shuffled.Tasks[i] })
	r.Shuffle(len(shuffled.Deployments), func(i, j int) {
		shuffled.Deployments[i], shuffled.Deployments[j] = shuffled.Deployments[j], shuffled.Deployments[i]
	})
	if other := Compute(shuffled); !gocmp.Equal(p, other) {
		t.Fatalf("the plan depends on the order of tasks or deployments:\n%s", gocmp.Diff(p, other))
	}
}

func cloneInput(in Input) Input {
	in.Tasks = slices.Clone(in.Tasks)
	in.Deployments = slices.Clone(in.Deployments)
	return in
}

// comparable drops what go-cmp cannot compare (the chooser function).
func comparable(in Input) Input {
	in.ChooseVictims = nil
	return in
}

// TestComputeProperties runs the planner on thousands of random observations and checks
// the invariants of a single plan: never beyond U, never below L, starts only for the
// PRIMARY and up to D, stops only of live tasks, input untouched, order-independent.
func TestComputeProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(2026, 1))
	for range 2000 {
		checkRandomInput(t, randomInput(r))
	}
}

// FuzzCompute explores the same properties from fuzzer-chosen seeds:
// go test ./internal/rollout/ -run '^$' -fuzz FuzzCompute.
func FuzzCompute(f *testing.F) {
	for _, seed := range []uint64{0, 1, 2, 42, 2026} {
		f.Add(seed, seed*7)
	}
	f.Fuzz(func(t *testing.T, a, b uint64) {
		checkRandomInput(t, randomInput(rand.New(rand.NewPCG(a, b))))
	})
}
