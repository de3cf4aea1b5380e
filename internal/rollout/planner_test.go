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
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

var t0 = simEpoch

func mk(name string, rev int, state TaskState, isHealthy bool) Task {
	zone := simZones[len(name)%3]
	return Task{Name: name, Deployment: simID(rev), TaskDefinition: simTaskDef(rev), State: state,
		Healthy: isHealthy, Zone: zone, Node: zone + "-1", CreatedAt: t0.Add(-time.Hour)}
}

func up(name string, rev int) Task { return mk(name, rev, TaskRunning, true) }

func dep(rev int, status ecsv1alpha1.DeploymentStatus, state ecsv1alpha1.RolloutState) Deployment {
	at := t0.Add(time.Duration(rev-10) * time.Minute)
	return Deployment{ID: simID(rev), Status: status, TaskDefinition: simTaskDef(rev), RolloutState: state,
		CreatedAt: at, UpdatedAt: at}
}

func target(rev int) Target { return Target{ID: simID(rev), TaskDefinition: simTaskDef(rev)} }

func stopped(p Plan) []string {
	var out []string
	for _, s := range p.Stop {
		out = append(out, s.Task)
	}
	return out
}

func find(p Plan, rev int) Deployment {
	for _, d := range p.Deployments {
		if d.ID == simID(rev) {
			return d
		}
	}
	return Deployment{}
}

func messages(p Plan) []string {
	var out []string
	for _, e := range p.Events {
		out = append(out, e.Message)
	}
	return out
}

func TestComputeActions(t *testing.T) {
	primary := dep(2, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress)
	old := dep(1, ecsv1alpha1.DeploymentActive, ecsv1alpha1.RolloutCompleted)
	tests := []struct {
		name      string
		cfg       Config
		tasks     []Task
		wantStart int32
		wantStop  []string
	}{{
		name:      "STOPPING tasks count toward neither bound",
		cfg:       cfg(2, 100, 100),
		tasks:     []Task{up("a", 1), up("b", 1), mk("c", 1, TaskStopping, false), mk("d", 2, TaskStopping, false)},
		wantStart: 0, // U=2 is full with a and b; c and d do not count
	}, {
		name:      "a replacement starts while its predecessor drains",
		cfg:       cfg(2, 0, 100),
		tasks:     []Task{up("a", 2), mk("b", 2, TaskStopping, false)},
		wantStart: 1,
	}, {
		name: "older tasks that are not healthy go first, whatever min",
		cfg:  cfg(4, 100, 200),
		tasks: []Task{up("n1", 2), up("n2", 2), mk("n3", 2, TaskPending, false), mk("n4", 2, TaskPending, false),
			mk("o1", 1, TaskProvisioning, false), mk("o2", 1, TaskPending, false), mk("o3", 1, TaskRunning, false),
			up("o4", 1), up("o5", 1)},
		wantStop: []string{"o1", "o2", "o3"}, // healthy 4 = L: o4, o5 stay
	}, {
		name:      "healthy older tasks go once the new ones are healthy",
		cfg:       cfg(2, 100, 200),
		tasks:     []Task{up("n1", 2), up("n2", 2), up("o1", 1), up("o2", 1)},
		wantStop:  []string{"o1", "o2"},
		wantStart: 0,
	}, {
		name:      "min 50 stops half before anything new runs",
		cfg:       cfg(4, 50, 100),
		tasks:     []Task{up("o1", 1), up("o2", 1), up("o3", 1), up("o4", 1)},
		wantStop:  []string{"o1", "o2"}, // equals: the newest, then the first names
		wantStart: 2,
	}, {
		name:      "scale-in of the PRIMARY: unplaced, then pending, then healthy by zone",
		cfg:       cfg(3, 100, 200),
		tasks:     []Task{mk("p1", 2, TaskProvisioning, false), mk("p2", 2, TaskPending, false), up("a", 2), up("bb", 2), up("ccc", 2), up("dddd", 2)},
		wantStop:  []string{"a", "p1", "p2"}, // a and dddd share a zone: one of them goes (the first name)
		wantStart: 0,
	}, {
		name:      "a lowered desired count is held to U even mid-rollout",
		cfg:       cfg(2, 0, 100),
		tasks:     []Task{mk("n1", 2, TaskPending, false), mk("n2", 2, TaskPending, false), mk("n3", 2, TaskPending, false), up("o1", 1)},
		wantStop:  []string{"n1", "o1"},
		wantStart: 0,
	}, {
		name:      "zero desired stops everything",
		cfg:       cfg(0, 100, 200),
		tasks:     []Task{up("n1", 2), mk("n2", 2, TaskPending, false), up("o1", 1)},
		wantStop:  []string{"n1", "n2", "o1"},
		wantStart: 0,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Input{ServiceName: "web", Config: tt.cfg, Target: target(2),
				Deployments: []Deployment{primary, old}, Tasks: tt.tasks, Now: t0}
			p := Compute(in)
			if v := planViolations(in, p); len(v) > 0 {
				t.Fatalf("violations: %v", v)
			}
			if got := p.StartCount(); got != tt.wantStart {
				t.Errorf("starts %d, want %d", got, tt.wantStart)
			}
			if diff := gocmp.Diff(tt.wantStop, stopped(p)); diff != "" {
				t.Errorf("stops (-want +got):\n%s", diff)
			}
		})
	}
}

func TestComputeUsesChooser(t *testing.T) {
	tasks := []Task{up("a", 1), up("b", 1), up("c", 1), up("d", 1)}
	var calls int
	last := func(c, all []Task, n int) []Task {
		calls++
		if len(all) != 4 || n != 2 {
			t.Errorf("chooser got %d tasks, n=%d", len(all), n)
		}
		return c[len(c)-n:]
	}
	in := Input{ServiceName: "web", Config: cfg(2, 100, 200), Target: target(1),
		Deployments: []Deployment{dep(1, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutCompleted)},
		Tasks:       tasks, Now: t0, ChooseVictims: last}
	p := Compute(in)
	if calls != 1 || !slices.Equal(stopped(p), []string{"c", "d"}) {
		t.Errorf("chooser called %d times, stops %v; want once and [c d]", calls, stopped(p))
	}
	in.ChooseVictims = junkChooser
	p = Compute(in)
	if got := stopped(p); len(got) != 2 || got[0] == got[1] || got[0] != "a" {
		t.Errorf("junk chooser: stops %v, want a and one other", got)
	}
	for _, s := range p.Stop {
		if s.Reason != "Scaling activity initiated by (deployment ecs-svc-r1)" {
			t.Errorf("stop reason %q", s.Reason)
		}
	}
}

func TestDefaultVictimsBalanceZones(t *testing.T) {
	// 3 / 2 / 2 tasks over three zones, scaled to 3 → 1 / 1 / 1.
	var tasks []Task
	for i, z := range []string{"zone-a", "zone-a", "zone-a", "zone-b", "zone-b", "zone-c", "zone-c"} {
		tasks = append(tasks, Task{Name: fmt.Sprintf("t%d", i), Deployment: simID(1), State: TaskRunning,
			Healthy: true, Zone: z, Node: z + "-1", CreatedAt: t0.Add(time.Duration(i) * time.Minute)})
	}
	p := Compute(Input{ServiceName: "web", Config: cfg(3, 100, 200), Target: target(1), Tasks: tasks, Now: t0})
	left := map[string]int{}
	gone := stopped(p)
	for _, task := range tasks {
		if !slices.Contains(gone, task.Name) {
			left[task.Zone]++
		}
	}
	if diff := gocmp.Diff(map[string]int{"zone-a": 1, "zone-b": 1, "zone-c": 1}, left); diff != "" {
		t.Errorf("zones after scale-in (-want +got):\n%s", diff)
	}
}

func TestComputeCountsFailures(t *testing.T) {
	failed := mk("f1", 2, TaskStopped, false)
	failed.FailedToStart = true
	crashed := mk("f2", 2, TaskStopped, false) // ran healthy, then exited: not a failure to start
	evicted := mk("f3", 2, TaskStopping, false)
	evicted.FailedToStart = true // STOPPING is never counted: its deletion was already asked for
	oldFailed := mk("f4", 1, TaskStopped, false)
	oldFailed.FailedToStart = true
	in := Input{ServiceName: "web", Config: cfg(6, 100, 200), Target: target(2),
		Deployments: []Deployment{dep(2, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress),
			dep(1, ecsv1alpha1.DeploymentActive, ecsv1alpha1.RolloutCompleted)},
		Tasks: []Task{failed, crashed, evicted, oldFailed, up("o1", 1)}, Now: t0}
	in.Deployments[0].FailedTasks = 1
	p := Compute(in)
	if got := find(p, 2).FailedTasks; got != 2 {
		t.Errorf("PRIMARY failedTasks %d, want 2", got)
	}
	if got := find(p, 1).FailedTasks; got != 1 {
		t.Errorf("ACTIVE failedTasks %d, want 1", got)
	}
	if !slices.Equal(p.Remove, []string{"f1", "f2", "f4"}) {
		t.Errorf("remove %v, want the STOPPED tasks", p.Remove)
	}
	if find(p, 2).RolloutState != ecsv1alpha1.RolloutInProgress {
		t.Errorf("breaker tripped below the threshold")
	}
}

func TestComputeBreaker(t *testing.T) {
	failing := func(n int) []Task {
		var out []Task
		for i := range n {
			task := mk(fmt.Sprintf("f%d", i), 2, TaskStopped, false)
			task.FailedToStart = true
			out = append(out, task)
		}
		return out
	}
	primary := dep(2, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress)
	completed := dep(1, ecsv1alpha1.DeploymentInactive, ecsv1alpha1.RolloutCompleted)
	older := dep(0, ecsv1alpha1.DeploymentInactive, ecsv1alpha1.RolloutCompleted)
	tests := []struct {
		name        string
		cfg         Config
		deps        []Deployment
		failures    int
		wantPrimary string
		wantState   ecsv1alpha1.RolloutState // of ecs-svc-r2
		wantEvents  []string
	}{{
		name: "below the threshold", cfg: cfg(7, 100, 200), deps: []Deployment{primary, completed}, failures: 3,
		wantPrimary: simID(2), wantState: ecsv1alpha1.RolloutInProgress,
	}, {
		name: "at the threshold, rolls back to the newest COMPLETED", cfg: cfg(7, 100, 200),
		deps: []Deployment{primary, completed, older}, failures: 4,
		wantPrimary: simID(1), wantState: ecsv1alpha1.RolloutFailed,
		wantEvents: []string{
			"(service web) (deployment ecs-svc-r2) deployment failed: tasks failed to start.",
			"(service web) rolling back to deployment ecs-svc-r1.",
		},
	}, {
		name: "nothing COMPLETED to go back to", cfg: cfg(2, 100, 200), deps: []Deployment{primary}, failures: 3,
		wantPrimary: simID(2), wantState: ecsv1alpha1.RolloutFailed,
		wantEvents: []string{"(service web) (deployment ecs-svc-r2) deployment failed: tasks failed to start."},
	}, {
		name: "without rollback", cfg: noRollback(cfg(2, 100, 200)), deps: []Deployment{primary, completed}, failures: 3,
		wantPrimary: simID(2), wantState: ecsv1alpha1.RolloutFailed,
		wantEvents: []string{"(service web) (deployment ecs-svc-r2) deployment failed: tasks failed to start."},
	}, {
		name: "breaker off only warns", cfg: noBreaker(cfg(2, 100, 200)), deps: []Deployment{primary, completed}, failures: 3,
		wantPrimary: simID(2), wantState: ecsv1alpha1.RolloutInProgress,
		wantEvents: []string{"(service web) is unable to consistently start tasks successfully."},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Input{ServiceName: "web", Config: tt.cfg, Target: target(2), Deployments: tt.deps,
				Tasks: failing(tt.failures), Now: t0}
			p := Compute(in)
			if v := planViolations(in, p); len(v) > 0 {
				t.Fatalf("violations: %v", v)
			}
			if pr, _ := p.Primary(); pr.ID != tt.wantPrimary {
				t.Errorf("PRIMARY %s, want %s", pr.ID, tt.wantPrimary)
			}
			if got := find(p, 2).RolloutState; got != tt.wantState {
				t.Errorf("ecs-svc-r2 rollout %s, want %s", got, tt.wantState)
			}
			var got []string
			for _, m := range messages(p) {
				if !strings.Contains(m, "has started") && !strings.Contains(m, "has stopped") {
					got = append(got, m)
				}
			}
			if diff := gocmp.Diff(tt.wantEvents, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if (p.Rollback != nil) != (tt.wantPrimary != simID(2)) {
				t.Errorf("rollback %+v", p.Rollback)
			}
			if p.Rollback != nil && (p.Rollback.From != simID(2) || p.Rollback.To != simID(1) || p.Rollback.TaskDefinition != "web:1") {
				t.Errorf("rollback %+v", *p.Rollback)
			}
			// The next pass, with the failures gone, emits nothing again.
			in.Deployments, in.Tasks = p.Deployments, nil
			if again := Compute(in); len(again.Events) > 0 && again.Events[0].Type == EventWarning {
				t.Errorf("warning repeated: %v", messages(again))
			}
		})
	}
}

func TestComputeFrozenScalesIn(t *testing.T) {
	failed := dep(2, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutFailed)
	in := Input{ServiceName: "web", Config: noRollback(cfg(2, 100, 200)), Target: target(2),
		Deployments: []Deployment{failed, dep(1, ecsv1alpha1.DeploymentActive, ecsv1alpha1.RolloutCompleted)},
		Tasks:       []Task{up("o1", 1), up("o2", 1), up("o3", 1), mk("n1", 2, TaskPending, false)}, Now: t0}
	p := Compute(in)
	if p.StartCount() != 0 || len(p.Stop) != 2 || p.Stop[0].Task != "n1" {
		t.Errorf("frozen: starts %d, stops %v; want none and n1 plus one old", p.StartCount(), stopped(p))
	}
}

func TestResolvePrimary(t *testing.T) {
	failedOld := dep(2, ecsv1alpha1.DeploymentActive, ecsv1alpha1.RolloutFailed)
	rolledBack := dep(1, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutCompleted)
	tests := []struct {
		name        string
		deps        []Deployment
		target      Target
		wantPrimary string
		wantCreated time.Time
	}{
		{"new target", []Deployment{rolledBack}, target(3), simID(3), t0},
		{"FAILED target is not retried", []Deployment{rolledBack, failedOld}, target(2), simID(1), rolledBack.CreatedAt},
		{"older COMPLETED target comes back", []Deployment{dep(3, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress),
			dep(1, ecsv1alpha1.DeploymentActive, ecsv1alpha1.RolloutCompleted)}, target(1), simID(1), t0},
		{"no target: the newest PRIMARY", []Deployment{rolledBack, dep(3, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress)}, Target{}, simID(3), dep(3, "", "").CreatedAt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Compute(Input{ServiceName: "web", Config: cfg(0, 100, 200), Target: tt.target, Deployments: tt.deps, Now: t0})
			pr, ok := p.Primary()
			if !ok || pr.ID != tt.wantPrimary || !pr.CreatedAt.Equal(tt.wantCreated) {
				t.Errorf("PRIMARY %s created %v, want %s created %v", pr.ID, pr.CreatedAt, tt.wantPrimary, tt.wantCreated)
			}
			for _, d := range p.Deployments[1:] {
				if d.Status == ecsv1alpha1.DeploymentPrimary {
					t.Errorf("second PRIMARY %s", d.ID)
				}
			}
		})
	}
	if p := Compute(Input{ServiceName: "web", Config: cfg(3, 100, 200), Tasks: []Task{up("a", 1)}, Now: t0}); p.StartCount() != 0 || len(p.Stop) != 0 {
		t.Errorf("without Target or PRIMARY the plan acts: %+v", p)
	}
}

func TestComputeUpdatedAtOnlyOnChange(t *testing.T) {
	in := Input{ServiceName: "web", Config: cfg(2, 100, 200), Target: target(1), Steady: true,
		Deployments: []Deployment{dep(1, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutCompleted)},
		Tasks:       []Task{up("a", 1), up("b", 1)}, Now: t0}
	in.Deployments[0].DesiredCount, in.Deployments[0].RunningCount = 2, 2
	in.Deployments[0].RolloutStateReason = reasonCompleted(simID(1))
	p := Compute(in)
	if diff := gocmp.Diff(in.Deployments, p.Deployments); diff != "" {
		t.Errorf("a steady pass changed the status (-in +out):\n%s", diff)
	}
	if !p.SteadyState || len(p.Events) != 0 {
		t.Errorf("steady %v, events %v; want steady and silent", p.SteadyState, messages(p))
	}
	in.Tasks = in.Tasks[:1]
	in.Now = t0.Add(time.Minute)
	p = Compute(in)
	if got := p.Deployments[0]; got.RunningCount != 1 || !got.UpdatedAt.Equal(in.Now) {
		t.Errorf("after a task loss: %+v", got)
	}
}

func TestComputeBoundsInactive(t *testing.T) {
	deps := []Deployment{dep(20, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutCompleted)}
	for rev := 1; rev <= 9; rev++ {
		deps = append(deps, dep(rev, ecsv1alpha1.DeploymentInactive, ecsv1alpha1.RolloutCompleted))
	}
	deps[3].RolloutState = ecsv1alpha1.RolloutFailed // ecs-svc-r3, an old one the spec still names
	p := Compute(Input{ServiceName: "web", Config: cfg(0, 100, 200), Target: target(3), Deployments: deps, Now: t0})
	want := []string{"ecs-svc-r20/PRIMARY", "ecs-svc-r9/INACTIVE", "ecs-svc-r8/INACTIVE", "ecs-svc-r7/INACTIVE",
		"ecs-svc-r6/INACTIVE", "ecs-svc-r5/INACTIVE", "ecs-svc-r3/INACTIVE"}
	if diff := gocmp.Diff(want, ids(p.Deployments)); diff != "" {
		t.Errorf("deployments kept (-want +got):\n%s", diff)
	}
}

func TestMessages(t *testing.T) {
	if got, want := TasksStartedMessage("web", []string{"a", "b"}), "(service web) has started 2 tasks: (task a) (task b)."; got != want {
		t.Errorf("TasksStartedMessage = %q, want %q", got, want)
	}
	if got, want := UnableToPlaceMessage("web", "0/3 nodes are available: 3 Insufficient memory."),
		"(service web) was unable to place a task because no container instance met all of its requirements. Reason: 0/3 nodes are available: 3 Insufficient memory."; got != want {
		t.Errorf("UnableToPlaceMessage = %q, want %q", got, want)
	}
	if got, want := StopReason("ecs-svc-1"), "Scaling activity initiated by (deployment ecs-svc-1)"; got != want {
		t.Errorf("StopReason = %q, want %q", got, want)
	}
	var names []string
	for i := range 23 {
		names = append(names, fmt.Sprintf("web-%02d", i))
	}
	events := TasksStartedEvents("web", names)
	want := "(service web) has started 23 tasks: (task web-00) (task web-01) (task web-02) (task web-03) (task web-04) " +
		"(task web-05) (task web-06) (task web-07) (task web-08) (task web-09) and 13 more."
	if len(events) != 1 || events[0].Message != want {
		t.Errorf("23 tasks → %d events %+v, want one: %q", len(events), events, want)
	}
	if events := TasksStartedEvents("web", nil); len(events) != 0 {
		t.Errorf("no task → %d events", len(events))
	}
	many := make([]string, 3000)
	for i := range many {
		many[i] = fmt.Sprintf("web-ecs-svc-0123456789-%05d", i)
	}
	for _, events := range [][]Event{TasksStartedEvents("web", many), tasksStoppedEvents("web", many)} {
		if len(events) != 1 || len(events[0].Message) > 1024 || !strings.HasSuffix(events[0].Message, " and 2990 more.") {
			t.Errorf("3,000 tasks → %d events, first %d characters: %q", len(events), len(events[0].Message), events[0].Message)
		}
	}
}

func TestConvert(t *testing.T) {
	at := t0.Add(-time.Hour)
	ds := []Deployment{{ID: "ecs-svc-1", Status: ecsv1alpha1.DeploymentPrimary, TaskDefinition: "web:1", DesiredCount: 3,
		RunningCount: 2, PendingCount: 1, FailedTasks: 1, RolloutState: ecsv1alpha1.RolloutInProgress,
		RolloutStateReason: "r", CreatedAt: at, UpdatedAt: at}}
	if diff := gocmp.Diff(ds, FromAPI(ToAPI(ds))); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	minPct, maxPct, zero := int32(50), int32(150), int32(0)
	daemon := ecsv1alpha1.SchedulingStrategyDaemon
	tests := []struct {
		strategy ecsv1alpha1.SchedulingStrategy
		dc       ecsv1alpha1.DeploymentConfiguration
		want     Config
	}{
		{"", ecsv1alpha1.DeploymentConfiguration{}, Config{DesiredCount: 4, MinimumHealthyPercent: 100, MaximumPercent: 200}},
		{ecsv1alpha1.SchedulingStrategyReplica, ecsv1alpha1.DeploymentConfiguration{}, Config{DesiredCount: 4, MinimumHealthyPercent: 100, MaximumPercent: 200}},
		{"", ecsv1alpha1.DeploymentConfiguration{MinimumHealthyPercent: &minPct, MaximumPercent: &maxPct,
			DeploymentCircuitBreaker: &ecsv1alpha1.DeploymentCircuitBreaker{Enable: true, Rollback: true}},
			Config{DesiredCount: 4, MinimumHealthyPercent: 50, MaximumPercent: 150, CircuitBreakerEnable: true, CircuitBreakerRollback: true, CircuitBreakerResetOnHealthy: true}},
		{"", ecsv1alpha1.DeploymentConfiguration{DeploymentCircuitBreaker: &ecsv1alpha1.DeploymentCircuitBreaker{Enable: true, ResetOnHealthyTask: new(false)}},
			Config{DesiredCount: 4, MinimumHealthyPercent: 100, MaximumPercent: 200, CircuitBreakerEnable: true}},
		{"", ecsv1alpha1.DeploymentConfiguration{DeploymentCircuitBreaker: &ecsv1alpha1.DeploymentCircuitBreaker{Rollback: true}},
			Config{DesiredCount: 4, MinimumHealthyPercent: 100, MaximumPercent: 200}},
		{"", ecsv1alpha1.DeploymentConfiguration{MinimumHealthyPercent: &zero}, Config{DesiredCount: 4, MinimumHealthyPercent: 0, MaximumPercent: 200}},
		// ECS's DAEMON defaults: stop first, no surge.
		{daemon, ecsv1alpha1.DeploymentConfiguration{}, Config{DesiredCount: 4, MinimumHealthyPercent: 0, MaximumPercent: 100}},
		{daemon, ecsv1alpha1.DeploymentConfiguration{MinimumHealthyPercent: &minPct}, Config{DesiredCount: 4, MinimumHealthyPercent: 50, MaximumPercent: 100}},
		{daemon, ecsv1alpha1.DeploymentConfiguration{MaximumPercent: &maxPct}, Config{DesiredCount: 4, MinimumHealthyPercent: 0, MaximumPercent: 150}},
	}
	for _, tt := range tests {
		spec := &ecsv1alpha1.ServiceSpec{SchedulingStrategy: tt.strategy, DeploymentConfiguration: tt.dc}
		if diff := gocmp.Diff(tt.want, ConfigFrom(spec, 4)); diff != "" {
			t.Errorf("ConfigFrom (-want +got):\n%s", diff)
		}
	}
}
