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
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// The simulator plays a Service controller and a cluster in lockstep, one planning pass per
// step of simStep: a task started in step i is placed (PENDING) in step i+1 and RUNNING and
// healthy in step i+2, or STOPPED before RUNNING if its revision is bad; a stopped task is
// STOPPING for the next step and then gone. It writes one line per step and checks the
// planner's invariants on every plan.

const (
	simService = "web"
	simStep    = 10 * time.Second
	simMax     = 80 // steps before a scenario that should converge is declared stuck
)

var (
	simEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	simZones = []string{"zone-a", "zone-b", "zone-c"}
)

func simID(rev int) string      { return fmt.Sprintf("ecs-svc-r%d", rev) }
func simTaskDef(rev int) string { return fmt.Sprintf("%s:%d", simService, rev) }

// short is the revision tag of a deployment ID, for compact lines.
func short(id string) string { return strings.TrimPrefix(id, "ecs-svc-") }

// change is a scripted edit of the spec or the cluster, applied before a step's pass.
type change struct {
	desc  string
	apply func(*simulator)
}

func deploy(rev int) change {
	return change{fmt.Sprintf("taskDefinition %s", simTaskDef(rev)), func(s *simulator) {
		s.target = Target{ID: simID(rev), TaskDefinition: simTaskDef(rev)}
	}}
}

func configure(minPct, maxPct int32) change {
	return change{fmt.Sprintf("minimumHealthyPercent %d, maximumPercent %d", minPct, maxPct), func(s *simulator) {
		s.cfg.MinimumHealthyPercent, s.cfg.MaximumPercent = minPct, maxPct
	}}
}

func scale(n int32) change {
	return change{fmt.Sprintf("desiredCount %d", n), func(s *simulator) { s.cfg.DesiredCount = n }}
}

// crash stops a running task by itself (an essential container exited after it had been
// healthy): not a failure to start.
func crash(name string) change {
	return change{fmt.Sprintf("task %s exits", name), func(s *simulator) {
		for i := range s.tasks {
			if s.tasks[i].Name == name {
				s.tasks[i].State, s.tasks[i].Healthy = TaskStopped, false
			}
		}
	}}
}

// orphan adds healthy tasks of a deployment the status does not know (a lost status).
func orphan(rev, n int) change {
	return change{fmt.Sprintf("%d running tasks of unknown deployment %s appear", n, simID(rev)), func(s *simulator) {
		for range n {
			t := s.newTask(rev)
			t.CreatedAt = simEpoch.Add(-30 * time.Minute)
			t.State, t.Healthy = TaskRunning, true
			s.place(&t)
			s.tasks = append(s.tasks, t)
		}
	}}
}

type scenario struct {
	name    string
	config  Config
	initial int   // revision running steady at step 0; 0 creates the service
	bad     []int // revisions whose tasks stop before RUNNING
	stuck   []int // revisions whose tasks are never placed
	script  map[int][]change
	check   func(*testing.T, *simulator)
}

type simulator struct {
	t      *testing.T
	sc     scenario
	cfg    Config
	target Target
	tasks  []Task
	deps   []Deployment
	steady bool
	seq    map[int]int // revision → tasks made
	out    strings.Builder
	plans  []Plan
}

func newSimulator(t *testing.T, sc scenario) *simulator {
	t.Helper()
	s := &simulator{t: t, sc: sc, cfg: sc.config, seq: map[int]int{}}
	if sc.initial > 0 {
		rev := sc.initial
		s.target = Target{ID: simID(rev), TaskDefinition: simTaskDef(rev)}
		for range sc.config.DesiredCount {
			task := s.newTask(rev)
			task.CreatedAt = simEpoch.Add(-time.Hour)
			task.State, task.Healthy = TaskRunning, true
			s.place(&task)
			s.tasks = append(s.tasks, task)
		}
		at := simEpoch.Add(-time.Hour)
		s.deps = []Deployment{{
			ID: simID(rev), Status: ecsv1alpha1.DeploymentPrimary, TaskDefinition: simTaskDef(rev),
			DesiredCount: sc.config.DesiredCount, RunningCount: sc.config.DesiredCount,
			RolloutState: ecsv1alpha1.RolloutCompleted, RolloutStateReason: reasonCompleted(simID(rev)),
			CreatedAt: at, UpdatedAt: at,
		}}
		s.steady = true
	}
	return s
}

func (s *simulator) revOf(id string) int {
	var rev int
	if _, err := fmt.Sscanf(id, "ecs-svc-r%d", &rev); err != nil {
		s.t.Fatalf("deployment id %q: %v", id, err)
	}
	return rev
}

func (s *simulator) newTask(rev int) Task {
	s.seq[rev]++
	return Task{
		Name:           fmt.Sprintf("%s-r%d-%02d", simService, rev, s.seq[rev]),
		Deployment:     simID(rev),
		TaskDefinition: simTaskDef(rev),
		State:          TaskProvisioning,
	}
}

// place puts a task where kube-scheduler's zone spread would: the zone, then the node, with
// the fewest placed tasks of the service.
func (s *simulator) place(task *Task) {
	zones, nodes := map[string]int{}, map[string]int{}
	for _, t := range s.tasks {
		if t.Zone != "" && t.State != TaskStopping && t.State != TaskStopped {
			zones[t.Zone]++
			nodes[t.Node]++
		}
	}
	zone := slices.MinFunc(simZones, func(a, b string) int { return cmp.Compare(zones[a], zones[b]) })
	node := slices.MinFunc([]string{zone + "-1", zone + "-2"}, func(a, b string) int { return cmp.Compare(nodes[a], nodes[b]) })
	task.Zone, task.Node = zone, node
}

// advance moves every task one step along its life.
func (s *simulator) advance() {
	next := s.tasks[:0]
	for _, t := range s.tasks {
		rev := s.revOf(t.Deployment)
		switch t.State {
		case TaskStopping:
			continue // gone
		case TaskProvisioning:
			if !slices.Contains(s.sc.stuck, rev) {
				t.State = TaskPending
				s.place(&t)
			}
		case TaskPending:
			if slices.Contains(s.sc.bad, rev) {
				t.State, t.FailedToStart = TaskStopped, true
			} else {
				t.State, t.Healthy = TaskRunning, true
			}
		}
		next = append(next, t)
	}
	s.tasks = next
}

func (s *simulator) now(step int) time.Time { return simEpoch.Add(time.Duration(step) * simStep) }

// run plays the scenario and returns the transcript.
func (s *simulator) run() string {
	s.header()
	last := 0
	for step := range s.sc.script {
		last = max(last, step)
	}
	for step := 0; ; step++ {
		if step > simMax {
			s.t.Fatalf("%s: no steady state after %d steps", s.sc.name, simMax)
		}
		if step > 0 {
			s.advance()
		}
		for _, c := range s.sc.script[step] {
			c.apply(s)
			fmt.Fprintf(&s.out, "   spec: %s\n", c.desc)
		}
		plan := s.pass(step)
		if step >= last && plan.SteadyState && len(plan.Stop) == 0 && plan.StartCount() == 0 {
			break
		}
	}
	s.footer()
	return s.out.String()
}

// footer writes the final status.deployments in full, times as offsets from step 0.
func (s *simulator) footer() {
	fmt.Fprintf(&s.out, "# final deployments\n")
	for _, d := range s.deps {
		fmt.Fprintf(&s.out, "%s %s %s desired=%d running=%d pending=%d failed=%d created=%s updated=%s %s %q\n",
			d.ID, d.TaskDefinition, d.Status, d.DesiredCount, d.RunningCount, d.PendingCount, d.FailedTasks,
			d.CreatedAt.Sub(simEpoch), d.UpdatedAt.Sub(simEpoch), cmp.Or(string(d.RolloutState), "-"), d.RolloutStateReason)
	}
}

// pass runs the planner once, checks and records the plan, and applies it.
func (s *simulator) pass(step int) Plan {
	in := Input{
		ServiceName: simService, Config: s.cfg, Target: s.target,
		Deployments: slices.Clone(s.deps), Tasks: slices.Clone(s.tasks),
		Steady: s.steady, Now: s.now(step),
	}
	plan := Compute(in)
	for _, v := range planViolations(in, plan) {
		s.t.Errorf("%s step %d: %s", s.sc.name, step, v)
	}
	if diff := gocmp.Diff(plan, Compute(in)); diff != "" {
		s.t.Errorf("%s step %d: Compute is not deterministic (-first +second):\n%s", s.sc.name, step, diff)
	}
	s.record(step, in, plan)

	stop := map[string]bool{}
	for _, a := range plan.Stop {
		stop[a.Task] = true
	}
	next := s.tasks[:0]
	for _, t := range s.tasks {
		if slices.Contains(plan.Remove, t.Name) {
			continue
		}
		if stop[t.Name] {
			t.State, t.Healthy = TaskStopping, false
		}
		next = append(next, t)
	}
	s.tasks = next
	for _, id := range slices.Sorted(mapKeys(plan.Start)) {
		var names []string
		for range plan.Start[id] {
			task := s.newTask(s.revOf(id))
			task.CreatedAt = s.now(step)
			s.tasks = append(s.tasks, task)
			names = append(names, task.Name)
		}
		// The controller names the tasks it creates, so it emits this event itself.
		for _, e := range TasksStartedEvents(simService, names) {
			fmt.Fprintf(&s.out, "   %s %s (controller): %s\n", e.Type, e.Reason, e.Message)
		}
	}
	s.deps, s.steady = plan.Deployments, plan.SteadyState
	s.plans = append(s.plans, plan)
	return plan
}

func mapKeys(m map[string]int32) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func (s *simulator) header() {
	c := s.sc.config
	fmt.Fprintf(&s.out, "# %s\n", s.sc.name)
	fmt.Fprintf(&s.out, "# desiredCount %d, minimumHealthyPercent %d, maximumPercent %d, circuit breaker %s\n",
		c.DesiredCount, c.MinimumHealthyPercent, c.MaximumPercent, breakerText(c))
	if len(s.sc.bad) > 0 {
		fmt.Fprintf(&s.out, "# tasks of revisions %v stop before RUNNING\n", s.sc.bad)
	}
	if len(s.sc.stuck) > 0 {
		fmt.Fprintf(&s.out, "# tasks of revisions %v are never placed\n", s.sc.stuck)
	}
	fmt.Fprintf(&s.out, "# step L U | deployment status rollout healthy/running/pending failed (observed, status after the pass) | live tasks per zone a/b/c | actions\n")
}

func breakerText(c Config) string {
	switch {
	case !c.CircuitBreakerEnable:
		return "off"
	case c.CircuitBreakerRollback:
		return "on with rollback"
	default:
		return "on without rollback"
	}
}

func (s *simulator) record(step int, in Input, plan Plan) {
	type obs struct{ healthy, running, pending int }
	seen := map[string]*obs{}
	zones := map[string]int{}
	for _, t := range in.Tasks {
		o := seen[t.Deployment]
		if o == nil {
			o = &obs{}
			seen[t.Deployment] = o
		}
		switch t.State {
		case TaskProvisioning, TaskPending:
			o.pending++
		case TaskRunning:
			o.running++
			if t.Healthy {
				o.healthy++
			}
		}
		if t.State == TaskPending || t.State == TaskRunning {
			zones[t.Zone]++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%02d L=%d U=%d |", step, plan.Lower, plan.Upper)
	for _, d := range plan.Deployments {
		state := cmp.Or(string(d.RolloutState), "-")
		if d.Status == ecsv1alpha1.DeploymentInactive {
			fmt.Fprintf(&b, " %s INACTIVE %s f%d |", short(d.ID), state, d.FailedTasks)
			continue
		}
		o := seen[d.ID]
		if o == nil {
			o = &obs{}
		}
		fmt.Fprintf(&b, " %s %s %s %d/%d/%d f%d |", short(d.ID), d.Status, state,
			o.healthy, o.running, o.pending, d.FailedTasks)
	}
	fmt.Fprintf(&b, " zones %d/%d/%d |", zones["zone-a"], zones["zone-b"], zones["zone-c"])
	var acts []string
	for _, id := range slices.Sorted(mapKeys(plan.Start)) {
		acts = append(acts, fmt.Sprintf("start %s x%d", short(id), plan.Start[id]))
	}
	if len(plan.Stop) > 0 {
		names := make([]string, len(plan.Stop))
		for i, a := range plan.Stop {
			names[i] = a.Task
		}
		acts = append(acts, "stop "+strings.Join(names, ","))
	}
	if len(plan.Remove) > 0 {
		acts = append(acts, "remove "+strings.Join(plan.Remove, ","))
	}
	if plan.Rollback != nil {
		acts = append(acts, fmt.Sprintf("rollback %s->%s", short(plan.Rollback.From), short(plan.Rollback.To)))
	}
	if plan.SteadyState {
		acts = append(acts, "steady")
	}
	if len(acts) == 0 {
		acts = []string{"-"}
	}
	b.WriteString(" " + strings.Join(acts, "; "))
	s.out.WriteString(b.String() + "\n")
	for _, e := range plan.Events {
		fmt.Fprintf(&s.out, "   %s %s: %s\n", e.Type, e.Reason, e.Message)
	}
}

// converged checks the end state every converging scenario must reach: one PRIMARY
// COMPLETED deployment with D healthy tasks, nothing else live, no ACTIVE deployment.
func (s *simulator) converged(t *testing.T, rev int) {
	t.Helper()
	last := s.plans[len(s.plans)-1]
	p, ok := last.Primary()
	if !ok || p.ID != simID(rev) || p.RolloutState != ecsv1alpha1.RolloutCompleted || !last.SteadyState {
		t.Errorf("%s: end state %v (steady %v), want %s PRIMARY COMPLETED and steady", s.sc.name, ids(last.Deployments), last.SteadyState, simID(rev))
	}
	healthyPrimary := 0
	for _, task := range s.tasks {
		switch {
		case task.State == TaskStopping:
		case task.Deployment != simID(rev) || !healthy(task):
			t.Errorf("%s: task %s (%s %s) left at the end", s.sc.name, task.Name, task.Deployment, task.State)
		default:
			healthyPrimary++
		}
	}
	if healthyPrimary != int(s.cfg.DesiredCount) {
		t.Errorf("%s: %d healthy PRIMARY tasks at the end, want %d", s.sc.name, healthyPrimary, s.cfg.DesiredCount)
	}
	for _, d := range last.Deployments[1:] {
		if d.Status != ecsv1alpha1.DeploymentInactive {
			t.Errorf("%s: deployment %s is %s at the end", s.sc.name, d.ID, d.Status)
		}
	}
}
