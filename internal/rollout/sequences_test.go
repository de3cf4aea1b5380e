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
	"path/filepath"
	"slices"
	"strings"
	"testing"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/testutil/golden"
)

// cfg is a Config with the breaker on and rolling back, the setting most services use.
func cfg(desired, minPct, maxPct int32) Config {
	return Config{DesiredCount: desired, MinimumHealthyPercent: minPct, MaximumPercent: maxPct,
		CircuitBreakerEnable: true, CircuitBreakerRollback: true}
}

func noRollback(c Config) Config { c.CircuitBreakerRollback = false; return c }
func noBreaker(c Config) Config {
	c.CircuitBreakerEnable, c.CircuitBreakerRollback = false, false
	return c
}

func at(changes ...change) []change { return changes }

// convergesTo is the usual end check: revision rev is PRIMARY, COMPLETED and alone.
func convergesTo(rev int) func(*testing.T, *simulator) {
	return func(t *testing.T, s *simulator) {
		t.Helper()
		s.converged(t, rev)
	}
}

// The scenarios are the specification of the rollout behaviour; read the golden files.
var scenarios = []scenario{
	{name: "create-d3", config: cfg(3, 100, 200),
		script: map[int][]change{0: at(deploy(1))}, check: convergesTo(1)},
	{name: "rolling-100-200-d6", config: cfg(6, 100, 200), initial: 1,
		script: map[int][]change{0: at(deploy(2))}, check: convergesTo(2)},
	{name: "rolling-50-200-d4", config: cfg(4, 50, 200), initial: 1,
		script: map[int][]change{0: at(deploy(2))}, check: convergesTo(2)},
	{name: "rolling-50-100-d4", config: cfg(4, 50, 100), initial: 1,
		script: map[int][]change{0: at(deploy(2))}, check: convergesTo(2)},
	{name: "rolling-0-100-d4", config: cfg(4, 0, 100), initial: 1,
		script: map[int][]change{0: at(deploy(2))}, check: convergesTo(2)},
	{name: "rolling-100-150-d5", config: cfg(5, 100, 150), initial: 1,
		script: map[int][]change{0: at(deploy(2))}, check: convergesTo(2)},
	{name: "scale-out-during-rollout", config: cfg(4, 100, 200), initial: 1,
		script: map[int][]change{0: at(deploy(2)), 1: at(scale(8))}, check: convergesTo(2)},
	{name: "scale-in-during-rollout", config: cfg(6, 100, 200), initial: 1,
		script: map[int][]change{0: at(deploy(2)), 1: at(scale(3))}, check: convergesTo(2)},
	{name: "scale-in-zone-balance", config: cfg(7, 100, 200), initial: 1,
		script: map[int][]change{0: at(scale(3))}, check: func(t *testing.T, s *simulator) {
			t.Helper()
			s.converged(t, 1)
			zoneBalanced(t, s)
		}},
	{name: "scale-to-zero", config: cfg(3, 100, 200), initial: 1,
		script: map[int][]change{0: at(scale(0))}, check: convergesTo(1)},
	{name: "zero-desired", config: cfg(0, 100, 200),
		script: map[int][]change{0: at(deploy(1)), 1: at(deploy(2)), 2: at(scale(2))}, check: convergesTo(2)},
	{name: "breaker-rollback-d4", config: cfg(4, 100, 200), initial: 1, bad: []int{2},
		script: map[int][]change{0: at(deploy(2))}, check: func(t *testing.T, s *simulator) {
			t.Helper()
			s.converged(t, 1)
			wantRollout(t, s, 2, ecsv1alpha1.RolloutFailed)
			wantEvents(t, s, "(service web) (deployment ecs-svc-r2) deployment failed: tasks failed to start.",
				"(service web) rolling back to deployment ecs-svc-r1.")
		}},
	{name: "breaker-rollback-0-100-d4", config: cfg(4, 0, 100), initial: 1, bad: []int{2},
		script: map[int][]change{0: at(deploy(2))}, check: func(t *testing.T, s *simulator) {
			t.Helper()
			s.converged(t, 1)
			wantRollout(t, s, 2, ecsv1alpha1.RolloutFailed)
		}},
	{name: "breaker-rollback-spec-unchanged", config: cfg(3, 100, 200), initial: 1, bad: []int{2},
		// The spec keeps asking for r2 after the rollback: the FAILED deployment is not
		// retried; a new revision r3 is rolled out normally.
		script: map[int][]change{0: at(deploy(2)), 4: at(deploy(2)), 6: at(deploy(3))}, check: convergesTo(3)},
	{name: "breaker-no-rollback-d4", config: noRollback(cfg(4, 100, 200)), initial: 1, bad: []int{2},
		script: map[int][]change{0: at(deploy(2)), 10: at(deploy(3))}, check: func(t *testing.T, s *simulator) {
			t.Helper()
			s.converged(t, 3)
			wantRollout(t, s, 2, ecsv1alpha1.RolloutFailed)
			frozen := false
			for i, p := range s.plans[:10] {
				if pr, _ := p.Primary(); pr.RolloutState == ecsv1alpha1.RolloutFailed {
					frozen = true
					if p.StartCount() > 0 || len(p.Stop) > 0 {
						t.Errorf("step %d: FAILED deployment without rollback still acts", i)
					}
				}
			}
			if !frozen {
				t.Errorf("the breaker never tripped")
			}
		}},
	{name: "first-deployment-fails", config: cfg(2, 100, 200), bad: []int{1},
		script: map[int][]change{0: at(deploy(1)), 10: at(deploy(2))}, check: convergesTo(2)},
	{name: "no-breaker-bad-revision", config: noBreaker(cfg(2, 100, 200)), initial: 1, bad: []int{2},
		script: map[int][]change{0: at(deploy(2)), 10: at(deploy(3))}, check: convergesTo(3)},
	{name: "blocked-d1-100-150", config: cfg(1, 100, 150), initial: 1,
		script: map[int][]change{0: at(deploy(2)), 3: at(configure(0, 150))}, check: convergesTo(2)},
	{name: "unknown-deployment", config: cfg(3, 100, 200), initial: 1,
		script: map[int][]change{0: at(orphan(9, 2))}, check: convergesTo(1)},
	{name: "revert-mid-rollout", config: cfg(4, 100, 200), initial: 1,
		script: map[int][]change{0: at(deploy(2)), 2: at(deploy(1))}, check: convergesTo(1)},
	{name: "task-crash-replaced", config: cfg(3, 100, 200), initial: 1,
		script: map[int][]change{1: at(crash("web-r1-02"))}, check: convergesTo(1)},
	{name: "unplaceable-revision", config: cfg(4, 100, 200), initial: 1, stuck: []int{2},
		script: map[int][]change{0: at(deploy(2)), 6: at(deploy(3))}, check: convergesTo(3)},
	{name: "inactive-history-bounded", config: cfg(1, 0, 100), initial: 1,
		script: map[int][]change{
			0: at(deploy(2)), 3: at(deploy(3)), 6: at(deploy(4)), 9: at(deploy(5)),
			12: at(deploy(6)), 15: at(deploy(7)), 18: at(deploy(8)),
		}, check: func(t *testing.T, s *simulator) {
			t.Helper()
			s.converged(t, 8)
			if n := len(s.plans[len(s.plans)-1].Deployments); n != 1+MaxInactiveDeployments {
				t.Errorf("%d deployments kept, want %d", n, 1+MaxInactiveDeployments)
			}
		}},
}

func TestSequences(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			s := newSimulator(t, sc)
			got := s.run()
			golden.Assert(t, filepath.Join("testdata", "sequences", sc.name+".golden"), []byte(got))
			if sc.check != nil {
				sc.check(t, s)
			}
		})
	}
}

func wantRollout(t *testing.T, s *simulator, rev int, want ecsv1alpha1.RolloutState) {
	t.Helper()
	last := s.plans[len(s.plans)-1]
	for _, d := range last.Deployments {
		if d.ID == simID(rev) {
			if d.RolloutState != want {
				t.Errorf("%s rollout state %s, want %s", d.ID, d.RolloutState, want)
			}
			return
		}
	}
	t.Errorf("%s not in the final deployments %v", simID(rev), ids(last.Deployments))
}

func wantEvents(t *testing.T, s *simulator, want ...string) {
	t.Helper()
	var got []string
	for _, p := range s.plans {
		for _, e := range p.Events {
			got = append(got, e.Message)
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("event %q missing; got:\n%s", w, strings.Join(got, "\n"))
		}
	}
}

func zoneBalanced(t *testing.T, s *simulator) {
	t.Helper()
	zones := map[string]int{}
	for _, task := range s.tasks {
		if task.State == TaskRunning {
			zones[task.Zone]++
		}
	}
	lo, hi := -1, 0
	for _, z := range simZones {
		if lo < 0 || zones[z] < lo {
			lo = zones[z]
		}
		hi = max(hi, zones[z])
	}
	if hi-lo > 1 {
		t.Errorf("zones %v are not balanced", zones)
	}
}
