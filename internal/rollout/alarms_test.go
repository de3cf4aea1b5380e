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
	"strings"
	"testing"
	"time"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// TestComputeAlarmFailure: a fired alarm fails the IN_PROGRESS PRIMARY; with rollback the
// newest COMPLETED deployment (INACTIVE here: its tasks are already gone) becomes PRIMARY
// and starts D tasks again; without rollback, or with nothing COMPLETED, the PRIMARY stays,
// FAILED and frozen.
func TestComputeAlarmFailure(t *testing.T) {
	const why = "alarm errors is in ALARM: alarm errors breached (1 of 1): errors = 3, threshold 1 (GreaterThanThreshold)"
	primary := dep(2, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress)
	completed := dep(1, ecsv1alpha1.DeploymentInactive, ecsv1alpha1.RolloutCompleted)
	tasks := []Task{up("a", 2), up("b", 2), up("c", 2)}
	tests := []struct {
		name        string
		rollback    bool
		deps        []Deployment
		wantPrimary string
		wantStart   int32
	}{
		{name: "rollback", rollback: true, deps: []Deployment{primary, completed}, wantPrimary: simID(1), wantStart: 3},
		{name: "no rollback", rollback: false, deps: []Deployment{primary, completed}, wantPrimary: simID(2)},
		{name: "nothing to go back to", rollback: true, deps: []Deployment{primary}, wantPrimary: simID(2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cfg(3, 100, 200)
			c.AlarmRollback = tt.rollback
			in := Input{ServiceName: "web", Config: c, Target: target(2), Deployments: tt.deps, Tasks: tasks, Now: t0, AlarmFailure: why}
			p := Compute(in)
			if v := planViolations(in, p); len(v) > 0 {
				t.Fatalf("violations: %v", v)
			}
			if pr, _ := p.Primary(); pr.ID != tt.wantPrimary {
				t.Fatalf("PRIMARY %s, want %s", pr.ID, tt.wantPrimary)
			}
			r2 := find(p, 2)
			if r2.RolloutState != ecsv1alpha1.RolloutFailed || !strings.Contains(r2.RolloutStateReason, why) {
				t.Errorf("r2: %s %q", r2.RolloutState, r2.RolloutStateReason)
			}
			if got := p.Start[simID(1)]; got != tt.wantStart {
				t.Errorf("starts for r1: %d, want %d", got, tt.wantStart)
			}
			if p.StartCount() != tt.wantStart {
				t.Errorf("starts %v", p.Start)
			}
			msgs := messages(p)
			if len(msgs) == 0 || !strings.Contains(msgs[0], "(deployment ecs-svc-r2) deployment failed: "+why) {
				t.Errorf("events %q", msgs)
			}
			if (p.Rollback != nil) != (tt.wantPrimary == simID(1)) {
				t.Errorf("rollback %+v", p.Rollback)
			}
		})
	}
}

// TestComputeAlarmBake: a ROLLING deployment with an alarm bake stays IN_PROGRESS (not
// steady) after its tasks are all replaced, until the bake ends; a failure in the bake rolls
// it back to the deployment it replaced, whose tasks start again.
func TestComputeAlarmBake(t *testing.T) {
	c := cfg(2, 100, 200)
	c.AlarmBake, c.AlarmRollback = 10*time.Minute, true
	deps := []Deployment{dep(2, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress), dep(1, ecsv1alpha1.DeploymentInactive, ecsv1alpha1.RolloutCompleted)}
	in := Input{ServiceName: "web", Config: c, Target: target(2), Deployments: deps, Tasks: []Task{up("a", 2), up("b", 2)}, Now: t0}

	p := Compute(in)
	if p.SteadyState || find(p, 2).RolloutState != ecsv1alpha1.RolloutInProgress {
		t.Fatalf("baking: steady %v, rollout %s", p.SteadyState, find(p, 2).RolloutState)
	}
	if !p.BakeStartedAt.Equal(t0) || !p.Wait.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("bake %v until %v", p.BakeStartedAt, p.Wait)
	}
	if m := messages(p); len(m) != 1 || !strings.Contains(m[0], "has entered the BAKE_TIME lifecycle stage") {
		t.Fatalf("events %q", m)
	}
	if p.StartCount() != 0 || len(p.Stop) != 0 {
		t.Fatalf("baking moves no task: %+v", p)
	}

	// Later in the bake: no new event, same end.
	in.Deployments, in.BakeStartedAt, in.Now = p.Deployments, t0, t0.Add(4*time.Minute)
	p = Compute(in)
	if len(p.Events) != 0 || !p.Wait.Equal(t0.Add(10*time.Minute)) || find(p, 2).RolloutState != ecsv1alpha1.RolloutInProgress {
		t.Fatalf("mid-bake: %q wait %v", messages(p), p.Wait)
	}

	// An alarm in the bake: r1 is PRIMARY again and starts its two tasks.
	fail := in
	fail.AlarmFailure = "alarm errors is in ALARM"
	pf := Compute(fail)
	if pr, _ := pf.Primary(); pr.ID != simID(1) || pf.Start[simID(1)] != 2 || pf.Rollback == nil {
		t.Fatalf("rollback in bake: primary %s, starts %v", pr.ID, pf.Start)
	}

	// The bake ends: COMPLETED and steady.
	in.Now = t0.Add(10 * time.Minute)
	p = Compute(in)
	if !p.SteadyState || find(p, 2).RolloutState != ecsv1alpha1.RolloutCompleted || !p.Wait.IsZero() {
		t.Fatalf("after bake: steady %v rollout %s", p.SteadyState, find(p, 2).RolloutState)
	}
	if m := messages(p); len(m) != 2 || !strings.Contains(m[0], "completed") {
		t.Fatalf("events %q", m)
	}
}

// TestComputeStagedAlarm: a fired alarm rolls a staged deployment back from the stage it is
// in, production back on the source, whatever alarms.rollback says.
func TestComputeStagedAlarm(t *testing.T) {
	deps := []Deployment{dep(2, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress), dep(1, ecsv1alpha1.DeploymentActive, ecsv1alpha1.RolloutCompleted)}
	tasks := []Task{up("a", 1), up("b", 1), up("c", 2), up("d", 2)}
	in := StagedInput{
		Input:  Input{ServiceName: "web", Config: cfg(2, 100, 200), Target: target(2), Deployments: deps, Tasks: tasks, Now: t0, AlarmFailure: "alarm errors is in ALARM"},
		Staged: StagedConfig{Strategy: ecsv1alpha1.DeploymentStrategyBlueGreen, Traffic: ecsv1alpha1.TrafficServiceSelector, FirstWeight: FullWeight, StepWeight: FullWeight, Bake: 5 * time.Minute},
		State:  StagedState{Stage: ecsv1alpha1.StageBakeTime, Weight: FullWeight, StageStartedAt: t0.Add(-time.Minute)},
		Source: simID(1),
	}
	sp := ComputeStaged(in)
	if !sp.Step.RollBack || sp.Step.Production != SelectSource {
		t.Fatalf("step %+v", sp.Step)
	}
	if pr, _ := sp.Primary(); pr.ID != simID(1) {
		t.Fatalf("PRIMARY %s", pr.ID)
	}
	found := false
	for _, m := range messages(sp.Plan) {
		found = found || strings.Contains(m, "rolling back in the BAKE_TIME lifecycle stage: alarm errors is in ALARM")
	}
	if !found {
		t.Fatalf("events %q", messages(sp.Plan))
	}
}

// TestConfigFromAlarms: the alarm settings reach the rolling planner only when alarms are
// enabled, and the bake only for ROLLING (the staged strategies bake in their own stage).
func TestConfigFromAlarms(t *testing.T) {
	on := &ecsv1alpha1.DeploymentAlarms{Enable: true, Rollback: true, Queries: []ecsv1alpha1.AlarmQuery{{Name: "a", Query: "up"}}}
	bake := int32(7)
	cases := []struct {
		name     string
		dc       ecsv1alpha1.DeploymentConfiguration
		daemon   bool
		rollback bool
		bake     time.Duration
	}{
		{name: "no alarms", dc: ecsv1alpha1.DeploymentConfiguration{BakeTimeInMinutes: &bake}},
		{name: "disabled", dc: ecsv1alpha1.DeploymentConfiguration{BakeTimeInMinutes: &bake, Alarms: &ecsv1alpha1.DeploymentAlarms{Rollback: true, Queries: on.Queries}}},
		{name: "rolling", dc: ecsv1alpha1.DeploymentConfiguration{BakeTimeInMinutes: &bake, Alarms: on}, rollback: true, bake: 7 * time.Minute},
		{name: "rolling without bake", dc: ecsv1alpha1.DeploymentConfiguration{Alarms: on}, rollback: true},
		{name: "blue/green bakes in its stage", dc: ecsv1alpha1.DeploymentConfiguration{Strategy: ecsv1alpha1.DeploymentStrategyBlueGreen, BakeTimeInMinutes: &bake, Alarms: on}, rollback: true},
		{name: "daemon is rolling", dc: ecsv1alpha1.DeploymentConfiguration{BakeTimeInMinutes: &bake, Alarms: on}, daemon: true, rollback: true, bake: 7 * time.Minute},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			spec := &ecsv1alpha1.ServiceSpec{DeploymentConfiguration: c.dc}
			if c.daemon {
				spec.SchedulingStrategy = ecsv1alpha1.SchedulingStrategyDaemon
			}
			got := ConfigFrom(spec, 3)
			if got.AlarmRollback != c.rollback || got.AlarmBake != c.bake {
				t.Fatalf("rollback %v bake %v, want %v %v", got.AlarmRollback, got.AlarmBake, c.rollback, c.bake)
			}
		})
	}
}
