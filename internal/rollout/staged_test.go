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
	"path/filepath"
	"strings"
	"testing"
	"time"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/testutil/golden"
)

// stagedSim runs a staged deployment pass after pass the way the controller does: a task
// started in one pass is healthy in the next (or STOPPED, for a bad revision), the clock moves
// one minute per pass, the stage state is kept between passes, and once the deployment rolled
// back the rolling planner drains the target.
type stagedSim struct {
	t        *testing.T
	cfg      StagedConfig
	config   Config
	deps     []Deployment
	tasks    []Task
	state    StagedState
	source   string
	status   ecsv1alpha1.ServiceDeploymentState
	now      time.Time
	seq      int
	bad      bool // target tasks fail to start
	log      strings.Builder
	maxTotal int
}

const (
	blueID  = "ecs-svc-blue"
	greenID = "ecs-svc-green"
)

func newStagedSim(t *testing.T, cfg StagedConfig, desired int32) *stagedSim {
	t.Helper()
	s := &stagedSim{t: t, cfg: cfg, now: t0, config: Config{DesiredCount: desired, CircuitBreakerEnable: true, CircuitBreakerRollback: true}}
	s.deps = []Deployment{{ID: blueID, Status: ecsv1alpha1.DeploymentPrimary, TaskDefinition: "web:1", DesiredCount: desired,
		RunningCount: desired, RolloutState: ecsv1alpha1.RolloutCompleted, CreatedAt: t0.Add(-time.Hour)}}
	for range desired {
		s.add(blueID, TaskRunning, true)
	}
	s.status = ecsv1alpha1.ServiceDeploymentInProgress
	return s
}

func (s *stagedSim) add(dep string, state TaskState, healthy bool) {
	s.seq++
	s.tasks = append(s.tasks, Task{Name: fmt.Sprintf("t%02d-%s", s.seq, strings.TrimPrefix(dep, "ecs-svc-")), Deployment: dep,
		State: state, Healthy: healthy, Zone: "a", Node: "n", CreatedAt: s.now})
}

// tick makes pending tasks run (or fail) and removes stopped ones.
func (s *stagedSim) tick() {
	var next []Task
	for _, t := range s.tasks {
		switch {
		case t.State == TaskStopped || t.State == TaskStopping:
			continue
		case t.State == TaskPending && t.Deployment == greenID && s.bad:
			t.State, t.FailedToStart = TaskStopped, true
		case t.State == TaskPending:
			t.State, t.Healthy = TaskRunning, true
		}
		next = append(next, t)
	}
	s.tasks = next
}

func (s *stagedSim) count(dep string) (live, healthyN int) {
	for _, t := range s.tasks {
		if t.Deployment == dep && (t.State == TaskPending || t.State == TaskRunning) {
			live++
			if healthy(t) {
				healthyN++
			}
		}
	}
	return live, healthyN
}

// pass runs one pass; rollback asks for a rollback of green in it.
func (s *stagedSim) pass(i int, rollback bool) {
	in := Input{ServiceName: "web", Config: s.config, Target: Target{ID: greenID, TaskDefinition: "web:2"},
		Deployments: s.deps, Tasks: s.tasks, Now: s.now}
	if rollback {
		in.RollbackRequested = greenID
	}
	var plan Plan
	line := ""
	if s.status == ecsv1alpha1.ServiceDeploymentInProgress {
		sp := ComputeStaged(StagedInput{Input: in, Staged: s.cfg, State: s.state, Source: s.source})
		plan, s.state, s.source = sp.Plan, sp.Step.Next, sp.Source
		s.checkStep(sp)
		blueShare, greenShare := s.shares(sp.Step)
		line = fmt.Sprintf("%-29s weight %4d  traffic blue %4d green %4d  production=%-6s", sp.Step.Next.Stage, sp.Step.Next.Weight, blueShare, greenShare, sp.Step.Production)
		switch {
		case sp.Step.RollBack:
			s.status = ecsv1alpha1.ServiceDeploymentRollbackInProgress
		case sp.Step.Done:
			s.status = ecsv1alpha1.ServiceDeploymentSuccessful
		}
	} else {
		plan = Compute(in)
		line = fmt.Sprintf("%-29s (rolling planner drains)", s.status)
		if live, _ := s.count(greenID); s.status == ecsv1alpha1.ServiceDeploymentRollbackInProgress && live == 0 {
			s.status = ecsv1alpha1.ServiceDeploymentRollbackSuccessful
		}
	}
	s.deps = plan.Deployments
	stop := map[string]bool{}
	for _, a := range plan.Stop {
		stop[a.Task] = true
	}
	for _, r := range plan.Remove {
		stop[r] = true
	}
	for i := range s.tasks {
		if stop[s.tasks[i].Name] {
			s.tasks[i].State = TaskStopping
		}
	}
	for dep, n := range plan.Start {
		for range n {
			s.add(dep, TaskPending, false)
		}
	}
	bl, bh := s.count(blueID)
	gl, gh := s.count(greenID)
	s.maxTotal = max(s.maxTotal, bl+gl)
	fmt.Fprintf(&s.log, "%02d %s  blue %d/%d green %d/%d  start %d stop %d", i, line, bh, bl, gh, gl, plan.StartCount(), len(plan.Stop))
	if p, ok := plan.Primary(); ok {
		fmt.Fprintf(&s.log, "  PRIMARY %s %s", strings.TrimPrefix(p.ID, "ecs-svc-"), p.RolloutState)
	}
	s.log.WriteString("\n")
	for _, e := range plan.Events {
		if e.Reason == ReasonTasksStopped {
			continue
		}
		fmt.Fprintf(&s.log, "     %s %s\n", e.Reason, e.Message)
	}
	s.now = s.now.Add(time.Minute)
	s.tick()
}

// shares is the production traffic each revision gets after a step, in tenths of a percent.
func (s *stagedSim) shares(st StagedStep) (blue, green int32) {
	switch st.Production {
	case SelectTarget:
		return 0, FullWeight
	case SelectBoth:
		bl, _ := s.count(blueID)
		gl, _ := s.count(greenID)
		if bl+gl == 0 {
			return FullWeight, 0
		}
		green = int32(gl) * FullWeight / int32(bl+gl) //nolint:gosec // task counts
		return FullWeight - green, green
	default:
		return FullWeight - st.RouteWeight, st.RouteWeight
	}
}

// checkStep checks the invariants of one step.
func (s *stagedSim) checkStep(sp StagedPlan) {
	t, st := s.t, sp.Step
	d := s.config.DesiredCount
	if b, g := s.shares(st); b+g != FullWeight || b < 0 || g < 0 {
		t.Errorf("shares %d + %d != %d", b, g, FullWeight)
	}
	if st.Next.Weight < 0 || st.Next.Weight > FullWeight || st.RouteWeight < 0 || st.RouteWeight > FullWeight {
		t.Errorf("weight out of range: %+v", st)
	}
	if st.TargetCount > d || st.TargetCount+st.SourceCount > 2*d {
		t.Errorf("asks for %d target + %d source tasks with D=%d", st.TargetCount, st.SourceCount, d)
	}
	if st.Next.Stage != ecsv1alpha1.StageCleanUp && sp.Source != "" && st.SourceCount != d {
		t.Errorf("stage %s keeps %d source tasks, want D=%d until CLEAN_UP", st.Next.Stage, st.SourceCount, d)
	}
	for _, a := range sp.Stop {
		if a.Deployment == blueID && st.Next.Stage != ecsv1alpha1.StageCleanUp {
			t.Errorf("stage %s stops blue task %s before CLEAN_UP", st.Next.Stage, a.Task)
		}
	}
	if st.RollBack && (st.Production != SelectSource || st.RouteWeight != 0 || st.TargetCount != 0) {
		t.Errorf("a rollback leaves traffic on the target: %+v", st)
	}
}

func (s *stagedSim) run(rollbackAt ecsv1alpha1.LifecycleStage) {
	requested := false
	for i := range 60 {
		rb := false
		if rollbackAt != "" && !requested && s.state.Stage == rollbackAt && s.status == ecsv1alpha1.ServiceDeploymentInProgress {
			rb, requested = true, true
			fmt.Fprintf(&s.log, "   rollback requested in %s\n", rollbackAt)
		}
		s.pass(i, rb)
		if s.status == ecsv1alpha1.ServiceDeploymentSuccessful || s.status == ecsv1alpha1.ServiceDeploymentRollbackSuccessful {
			if bl, _ := s.count(blueID); bl > 0 && s.status == ecsv1alpha1.ServiceDeploymentSuccessful {
				continue
			}
			fmt.Fprintf(&s.log, "=> %s; at most %d tasks at once\n", s.status, s.maxTotal)
			return
		}
	}
	s.t.Fatalf("did not finish:\n%s", s.log.String())
}

var (
	blueGreen  = StagedConfig{Strategy: ecsv1alpha1.DeploymentStrategyBlueGreen, Traffic: ecsv1alpha1.TrafficServiceSelector, Bake: 3 * time.Minute, FirstWeight: FullWeight, StepWeight: FullWeight}
	canary     = StagedConfig{Strategy: ecsv1alpha1.DeploymentStrategyCanary, Traffic: ecsv1alpha1.TrafficHTTPRoute, Bake: 2 * time.Minute, FirstWeight: 50, StepWeight: FullWeight, StepBake: 3 * time.Minute}
	linear     = StagedConfig{Strategy: ecsv1alpha1.DeploymentStrategyLinear, Traffic: ecsv1alpha1.TrafficHTTPRoute, Bake: time.Minute, FirstWeight: 300, StepWeight: 300, StepBake: 2 * time.Minute}
	linearTask = StagedConfig{Strategy: ecsv1alpha1.DeploymentStrategyLinear, Traffic: ecsv1alpha1.TrafficTaskCount, Bake: time.Minute, FirstWeight: 250, StepWeight: 250, StepBake: time.Minute}
	headless   = StagedConfig{Strategy: ecsv1alpha1.DeploymentStrategyBlueGreen, Traffic: ecsv1alpha1.TrafficNone, Bake: 2 * time.Minute, FirstWeight: FullWeight, StepWeight: FullWeight}
)

func TestStagedSequences(t *testing.T) {
	cases := []struct {
		name string
		cfg  StagedConfig
		d    int32
	}{
		{"blue-green-d3", blueGreen, 3},
		{"canary-5pct-httproute-d4", canary, 4},
		{"linear-30pct-httproute-d2", linear, 2},
		{"linear-25pct-taskcount-d4", linearTask, 4},
		{"headless-blue-green-d2", headless, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStagedSim(t, c.cfg, c.d)
			s.run("")
			if s.status != ecsv1alpha1.ServiceDeploymentSuccessful {
				t.Errorf("status %s, want SUCCESSFUL", s.status)
			}
			if s.maxTotal > int(2*c.d) {
				t.Errorf("%d tasks at once, want at most 2D", s.maxTotal)
			}
			golden.Assert(t, filepath.Join("testdata", "staged", c.name+".txt"), []byte(s.log.String()))
		})
	}
}

// TestStagedRollbackFromEveryStage asks for a rollback in every stage a strategy waits in,
// and checks the rollback: traffic back on blue in the same pass, green drained, blue PRIMARY.
func TestStagedRollbackFromEveryStage(t *testing.T) {
	waits := []ecsv1alpha1.LifecycleStage{ecsv1alpha1.StageScaleUp, ecsv1alpha1.StageProductionTrafficShift, ecsv1alpha1.StageBakeTime}
	for _, c := range []struct {
		name string
		cfg  StagedConfig
	}{{"blue-green", blueGreen}, {"canary", canary}, {"linear", linear}, {"linear-taskcount", linearTask}} {
		for _, stage := range waits {
			if c.cfg.Strategy == ecsv1alpha1.DeploymentStrategyBlueGreen && stage == ecsv1alpha1.StageProductionTrafficShift ||
				c.cfg.Traffic == ecsv1alpha1.TrafficTaskCount && stage == ecsv1alpha1.StageScaleUp {
				continue // passed through in one pass: BLUE_GREEN shifts at once, TaskCount scales up by steps
			}
			name := c.name + "-" + strings.ToLower(string(stage))
			t.Run(name, func(t *testing.T) {
				s := newStagedSim(t, c.cfg, 3)
				s.run(stage)
				if s.status != ecsv1alpha1.ServiceDeploymentRollbackSuccessful {
					t.Fatalf("status %s, want ROLLBACK_SUCCESSFUL:\n%s", s.status, s.log.String())
				}
				if p, ok := (Plan{Deployments: s.deps}).Primary(); !ok || p.ID != blueID {
					t.Errorf("PRIMARY %+v, want blue", p)
				}
				if live, _ := s.count(blueID); live != 3 {
					t.Errorf("blue has %d tasks, want 3", live)
				}
				golden.Assert(t, filepath.Join("testdata", "staged", "rollback-"+name+".txt"), []byte(s.log.String()))
			})
		}
	}
}

// TestStagedBreakerRollsBack: green tasks that never start trip the circuit breaker in
// SCALE_UP, which rolls back like a request does.
func TestStagedBreakerRollsBack(t *testing.T) {
	s := newStagedSim(t, blueGreen, 3)
	s.bad = true
	s.run("")
	if s.status != ecsv1alpha1.ServiceDeploymentRollbackSuccessful {
		t.Fatalf("status %s, want ROLLBACK_SUCCESSFUL:\n%s", s.status, s.log.String())
	}
	golden.Assert(t, filepath.Join("testdata", "staged", "breaker-blue-green.txt"), []byte(s.log.String()))
}

// TestStagedResume: a pass that starts from a state kept in status does not shift traffic
// again (no TrafficShifted event) and keeps the stage's timer.
func TestStagedResume(t *testing.T) {
	st := StagedState{Stage: ecsv1alpha1.StageProductionTrafficShift, Weight: 50, StageStartedAt: t0}
	o := StagedObserved{Service: "web", Deployment: greenID, Desired: 3, Source: true, TargetHealthy: 3, SourceLive: 3, Now: t0.Add(time.Minute)}
	step := Step(canary, st, o)
	if step.Next != st || len(step.Events) != 0 || step.RouteWeight != 50 || !step.Wait.Equal(t0.Add(3*time.Minute)) {
		t.Errorf("resumed step = %+v, want the same state, no events, weight 50, wait until +3m", step)
	}
}

func TestStagedConfigFrom(t *testing.T) {
	pct, bake := 0.5, int32(2)
	spec := &ecsv1alpha1.ServiceSpec{DeploymentConfiguration: ecsv1alpha1.DeploymentConfiguration{
		Strategy: ecsv1alpha1.DeploymentStrategyCanary, BakeTimeInMinutes: &bake,
		CanaryConfiguration: &ecsv1alpha1.CanaryConfiguration{CanaryPercent: &pct}}}
	got := StagedConfigFrom(spec, ecsv1alpha1.TrafficHTTPRoute)
	want := StagedConfig{Strategy: ecsv1alpha1.DeploymentStrategyCanary, Traffic: ecsv1alpha1.TrafficHTTPRoute,
		Bake: 2 * time.Minute, FirstWeight: 5, StepWeight: FullWeight, StepBake: 10 * time.Minute}
	if got != want {
		t.Errorf("canary = %+v, want %+v", got, want)
	}
	spec.DeploymentConfiguration = ecsv1alpha1.DeploymentConfiguration{Strategy: ecsv1alpha1.DeploymentStrategyLinear}
	got = StagedConfigFrom(spec, ecsv1alpha1.TrafficTaskCount)
	want = StagedConfig{Strategy: ecsv1alpha1.DeploymentStrategyLinear, Traffic: ecsv1alpha1.TrafficTaskCount,
		FirstWeight: 100, StepWeight: 100, StepBake: 6 * time.Minute}
	if got != want {
		t.Errorf("linear defaults = %+v, want %+v", got, want)
	}
	if PercentOf(5) != "0.5%" || PercentOf(1000) != "100%" {
		t.Errorf("PercentOf: %s %s", PercentOf(5), PercentOf(1000))
	}
}

// TestRollingRollbackOnRequest: a rollback request fails the IN_PROGRESS PRIMARY and brings
// back the last COMPLETED deployment, even with the circuit breaker off.
func TestRollingRollbackOnRequest(t *testing.T) {
	deps := []Deployment{
		{ID: greenID, Status: ecsv1alpha1.DeploymentPrimary, TaskDefinition: "web:2", RolloutState: ecsv1alpha1.RolloutInProgress, CreatedAt: t0},
		{ID: blueID, Status: ecsv1alpha1.DeploymentActive, TaskDefinition: "web:1", RolloutState: ecsv1alpha1.RolloutCompleted, CreatedAt: t0.Add(-time.Hour)},
	}
	tasks := []Task{{Name: "b1", Deployment: blueID, State: TaskRunning, Healthy: true}, {Name: "g1", Deployment: greenID, State: TaskRunning, Healthy: true}}
	in := Input{ServiceName: "web", Config: Config{DesiredCount: 1, MinimumHealthyPercent: 100, MaximumPercent: 200},
		Target: Target{ID: greenID, TaskDefinition: "web:2"}, Deployments: deps, Tasks: tasks, Now: t0.Add(time.Minute)}
	if plan := Compute(in); plan.Rollback != nil {
		t.Fatalf("rolled back without a request: %+v", plan.Rollback)
	}
	in.RollbackRequested = greenID
	plan := Compute(in)
	p, _ := plan.Primary()
	if plan.Rollback == nil || plan.Rollback.To != blueID || p.ID != blueID {
		t.Fatalf("rollback = %+v, PRIMARY %s; want back to blue", plan.Rollback, p.ID)
	}
	if len(plan.Stop) != 1 || plan.Stop[0].Task != "g1" {
		t.Errorf("stops %+v, want green's task", plan.Stop)
	}
	in.RollbackRequested = "ecs-svc-other"
	if plan := Compute(in); plan.Rollback != nil {
		t.Errorf("a request naming another deployment rolled back: %+v", plan.Rollback)
	}
}

// TestResetOnHealthyTask: a task reaching a healthy state resets the failure count, so
// failures apart do not trip the breaker; without the reset they add up.
func TestResetOnHealthyTask(t *testing.T) {
	for _, reset := range []bool{true, false} {
		deps := []Deployment{{ID: greenID, Status: ecsv1alpha1.DeploymentPrimary, TaskDefinition: "web:2",
			RolloutState: ecsv1alpha1.RolloutInProgress, FailedTasks: 2, RunningCount: 0, CreatedAt: t0}}
		tasks := []Task{{Name: "g1", Deployment: greenID, State: TaskRunning, Healthy: true},
			{Name: "g2", Deployment: greenID, State: TaskStopped, FailedToStart: true}}
		cfg := Config{DesiredCount: 3, MinimumHealthyPercent: 100, MaximumPercent: 200, CircuitBreakerEnable: true, CircuitBreakerResetOnHealthy: reset}
		plan := Compute(Input{ServiceName: "web", Config: cfg, Target: Target{ID: greenID}, Deployments: deps, Tasks: tasks, Now: t0})
		p, _ := plan.Primary()
		want, state := int32(1), ecsv1alpha1.RolloutInProgress
		if !reset {
			want, state = 3, ecsv1alpha1.RolloutFailed
		}
		if p.FailedTasks != want || p.RolloutState != state {
			t.Errorf("reset %v: failedTasks %d %s, want %d %s", reset, p.FailedTasks, p.RolloutState, want, state)
		}
	}
}

// TestStagedHookGate: a stage with hooks waits until they pass, before and after its action;
// a hook's failure rolls back from that stage.
func TestStagedHookGate(t *testing.T) {
	hooked := map[ecsv1alpha1.LifecycleStage]bool{ecsv1alpha1.StagePreScaleUp: true, ecsv1alpha1.StagePostTestTrafficShift: true}
	o := StagedObserved{Service: "web", Deployment: greenID, Desired: 2, Source: true, SourceLive: 2, Now: t0, Hooked: hooked}
	step := Step(blueGreen, StagedState{}, o)
	if step.Next.Stage != ecsv1alpha1.StagePreScaleUp || step.TargetCount != 0 {
		t.Fatalf("first pass = %+v, want PRE_SCALE_UP waiting for its hook, no green task", step)
	}
	o.HookPassed = true
	step = Step(blueGreen, step.Next, o)
	if step.Next.Stage != ecsv1alpha1.StageScaleUp || step.TargetCount != 2 {
		t.Fatalf("hook passed = %+v, want SCALE_UP with 2 green tasks", step)
	}
	o.HookPassed, o.TargetHealthy = false, 2
	step = Step(blueGreen, step.Next, o)
	if step.Next.Stage != ecsv1alpha1.StagePostTestTrafficShift || step.Production != SelectSource {
		t.Fatalf("green ready = %+v, want POST_TEST_TRAFFIC_SHIFT waiting, production on blue", step)
	}
	o.Failure = "lifecycle hook 0 answered FAILED."
	step = Step(blueGreen, step.Next, o)
	if !step.RollBack || step.Next.Stage != ecsv1alpha1.StagePostTestTrafficShift || step.TargetCount != 0 {
		t.Fatalf("hook failed = %+v, want a rollback from POST_TEST_TRAFFIC_SHIFT", step)
	}
}
