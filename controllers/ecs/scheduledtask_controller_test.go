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

package ecs

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/testutil/envtest"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// schedEnv is a control plane of its own with the ScheduledTask controller on a fake clock,
// which a test can stop (a controller outage) and start again.
type schedEnv struct {
	t     *testing.T
	env   *envtest.Env
	c     client.Client
	clock *fakeClock
	stop  func()
}

func (e *schedEnv) start() {
	e.t.Helper()
	cacheOpts, err := CacheOptions()
	if err != nil {
		e.t.Fatal(err)
	}
	e.stop = e.env.StartManager(e.t, cacheOpts, func(_ context.Context, mgr ctrl.Manager) error {
		return (&ScheduledTaskReconciler{
			Client:   mgr.GetClient(),
			Scheme:   mgr.GetScheme(),
			Recorder: mgr.GetEventRecorder("berth-scheduledtask-controller"),
			Now:      e.clock.Now,
		}).SetupWithManager(mgr)
	})
}

func (e *schedEnv) get(ns, name string) *ecsv1alpha1.ScheduledTask {
	e.t.Helper()
	st := &ecsv1alpha1.ScheduledTask{}
	if err := e.c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, st); err != nil {
		e.t.Fatal(err)
	}
	return st
}

// wait waits until the status, written for the current generation, passes check.
func (e *schedEnv) wait(ns, name string, check func(*ecsv1alpha1.ScheduledTask) error) *ecsv1alpha1.ScheduledTask {
	e.t.Helper()
	var st *ecsv1alpha1.ScheduledTask
	kubetest.Eventually(e.t, kubetest.WaitFor, func() error {
		st = e.get(ns, name)
		if st.Status.ObservedGeneration != st.Generation {
			return fmt.Errorf("status of generation %d, want %d", st.Status.ObservedGeneration, st.Generation)
		}
		if err := check(st); err != nil {
			return fmt.Errorf("%w; status %+v", err, st.Status)
		}
		return nil
	})
	return st
}

// lastSchedule is a wait check: lastScheduleTime and nextScheduleTime are these.
func lastSchedule(last, next string) func(*ecsv1alpha1.ScheduledTask) error {
	return func(st *ecsv1alpha1.ScheduledTask) error {
		got := func(t *metav1.Time) string {
			if t == nil {
				return ""
			}
			return t.UTC().Format(time.RFC3339)
		}
		if got(st.Status.LastScheduleTime) != last || got(st.Status.NextScheduleTime) != next {
			return fmt.Errorf("last %q next %q, want %q %q", got(st.Status.LastScheduleTime), got(st.Status.NextScheduleTime), last, next)
		}
		return nil
	}
}

// tasks lists the ScheduledTask's Tasks by name.
func (e *schedEnv) tasks(ns, name string) []string {
	e.t.Helper()
	list := &ecsv1alpha1.TaskList{}
	if err := e.c.List(context.Background(), list, client.InNamespace(ns), client.MatchingLabels{ecsv1alpha1.ScheduledTaskLabel: name}); err != nil {
		e.t.Fatal(err)
	}
	var names []string
	for _, task := range list.Items {
		if task.DeletionTimestamp == nil {
			names = append(names, task.Name)
		}
	}
	slices.Sort(names)
	return names
}

// poke changes a Task's annotations: the controller watches its Tasks, so this runs a pass.
func (e *schedEnv) poke(ns, task string) {
	e.t.Helper()
	obj := &ecsv1alpha1.Task{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: task}}
	patch := fmt.Sprintf(`{"metadata":{"annotations":{"test.berth.dev/poke":%q}}}`, time.Now().String())
	if err := e.c.Patch(context.Background(), obj, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
		e.t.Fatal(err)
	}
}

// stopTask plays the Task controller: the Task is STOPPED, its essential container exited
// with code.
func (e *schedEnv) stopTask(ns, name string, code int32) {
	e.t.Helper()
	task := &ecsv1alpha1.Task{}
	if err := e.c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, task); err != nil {
		e.t.Fatal(err)
	}
	task.Status = ecsv1alpha1.TaskStatus{
		LastStatus: ecsv1alpha1.TaskStopped, DesiredStatus: ecsv1alpha1.DesiredStopped,
		StopCode: ecsv1alpha1.StopCodeEssentialContainerExited, StoppedReason: "Essential container in task exited",
		ExitCode: ptr.To(code), StoppedAt: &metav1.Time{Time: time.Now().Truncate(time.Second)},
	}
	if err := e.c.Status().Update(context.Background(), task); err != nil {
		e.t.Fatal(err)
	}
}

// hasEvent waits for an Event with reason on the object whose note contains text.
func (e *schedEnv) hasEvent(ns, name, reason, text string) {
	e.t.Helper()
	kubetest.Eventually(e.t, kubetest.WaitFor, func() error {
		list := &eventsv1.EventList{}
		if err := e.c.List(context.Background(), list, client.InNamespace(ns)); err != nil {
			return err
		}
		var seen []string
		for _, ev := range list.Items {
			if ev.Regarding.Name == name && ev.Reason == reason && strings.Contains(ev.Note, text) {
				return nil
			}
			seen = append(seen, ev.Reason+": "+ev.Note)
		}
		return fmt.Errorf("no %s Event on %s containing %q; have %q", reason, name, text, seen)
	})
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// taskName is the Task a one-task run at t creates.
func taskName(st string, t string) string {
	return fmt.Sprintf("%s-%d", st, ts(t).Unix())
}

func newScheduledTask(ns, name, expr string) *ecsv1alpha1.ScheduledTask {
	return &ecsv1alpha1.ScheduledTask{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: ecsv1alpha1.ScheduledTaskSpec{
			ScheduleExpression: expr,
			StartDate:          &metav1.Time{Time: ts("2026-03-01T09:30:00Z")},
			TaskTemplate:       ecsv1alpha1.ScheduledTaskTemplate{TaskDefinition: "web"},
		},
	}
}

// TestScheduledTask runs the ScheduledTask controller on a fake clock against a control plane
// of its own, so that it can be stopped (a controller outage) while the clock moves on.
func TestScheduledTask(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Skip("KUBEBUILDER_ASSETS is unset")
	}
	env, err := envtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	e := &schedEnv{t: t, env: env, c: env.Client, clock: &fakeClock{}}

	t.Run("missed runs after an outage", func(t *testing.T) { testScheduledMissedRuns(t, e) })
	t.Run("Forbid, outcomes and history limits", func(t *testing.T) { testScheduledHistory(t, e) })
	t.Run("Replace and count", func(t *testing.T) { testScheduledReplace(t, e) })
	t.Run("invalid expression or time zone stalls", func(t *testing.T) { testScheduledInvalid(t, e) })
	t.Run("disabled, then enabled again", func(t *testing.T) { testScheduledDisabled(t, e) })
}

// testScheduledMissedRuns: an hourly schedule runs at 10:00; the controller is down from
// 10:00:30 to 15:20. Of the five runs due meanwhile, only the latest (15:00, 20 minutes
// old, within maximumEventAgeInSeconds 3600) starts; the four before it are reported missed.
// Down again until 18:30 with maximumEventAgeInSeconds 1200: the 18:00 run is 30 minutes old
// and does not start either.
func testScheduledMissedRuns(t *testing.T, e *schedEnv) {
	t.Helper()
	e.t = t
	ctx := context.Background()
	ns := kubetest.NewNamespace(t, e.c, "sched-")
	e.clock.Set(ts("2026-03-01T10:00:30Z"))
	e.start()
	st := newScheduledTask(ns, "hourly", "cron(0 * * * ? *)")
	st.Spec.RetryPolicy = &ecsv1alpha1.RetryPolicy{MaximumEventAgeInSeconds: ptr.To[int32](3600)}
	if err := e.c.Create(ctx, st); err != nil {
		t.Fatal(err)
	}
	e.wait(ns, "hourly", lastSchedule("2026-03-01T10:00:00Z", "2026-03-01T11:00:00Z"))
	if got, want := e.tasks(ns, "hourly"), []string{taskName("hourly", "2026-03-01T10:00:00Z")}; !slices.Equal(got, want) {
		t.Fatalf("Tasks %v, want %v", got, want)
	}

	e.stop() // the outage
	e.clock.Set(ts("2026-03-01T15:20:00Z"))
	e.start()
	e.wait(ns, "hourly", lastSchedule("2026-03-01T15:00:00Z", "2026-03-01T16:00:00Z"))
	want := []string{taskName("hourly", "2026-03-01T10:00:00Z"), taskName("hourly", "2026-03-01T15:00:00Z")}
	if got := e.tasks(ns, "hourly"); !slices.Equal(got, want) {
		t.Fatalf("after the outage, Tasks %v, want %v (only the latest missed run)", got, want)
	}
	e.hasEvent(ns, "hourly", reasonRunsMissed, "4 run(s) before 2026-03-01T15:00:00Z were not started")
	e.hasEvent(ns, "hourly", reasonRunStarted, "2026-03-01T15:00:00Z")

	e.stop()
	st = e.get(ns, "hourly")
	st.Spec.RetryPolicy.MaximumEventAgeInSeconds = ptr.To[int32](1200)
	if err := e.c.Update(ctx, st); err != nil {
		t.Fatal(err)
	}
	e.clock.Set(ts("2026-03-01T18:30:00Z"))
	e.start()
	e.wait(ns, "hourly", lastSchedule("2026-03-01T18:00:00Z", "2026-03-01T19:00:00Z"))
	if got := e.tasks(ns, "hourly"); !slices.Equal(got, want) {
		t.Fatalf("after the second outage, Tasks %v, want %v (18:00 is older than 1200 s)", got, want)
	}
	e.hasEvent(ns, "hourly", reasonRunsMissed, "3 run(s) up to 2026-03-01T18:00:00Z were not started")

	// The Tasks are the template's, owned and labelled.
	task := &ecsv1alpha1.Task{}
	if err := e.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: want[1]}, task); err != nil {
		t.Fatal(err)
	}
	if !metav1.IsControlledBy(task, st) || task.Spec.TaskDefinition != "web" || task.Spec.StartedBy != "hourly" ||
		task.Annotations[ecsv1alpha1.ScheduledTimeAnnotation] != "2026-03-01T15:00:00Z" {
		t.Errorf("Task %s: owners %v, spec %+v, annotations %v", task.Name, task.OwnerReferences, task.Spec, task.Annotations)
	}
	e.stop()
}

// testScheduledHistory: with Forbid a run is skipped while the previous one runs; runs'
// outcomes follow their Tasks; finished runs beyond the history limits (2 successful, 1
// failed) lose their Tasks.
func testScheduledHistory(t *testing.T, e *schedEnv) {
	t.Helper()
	e.t = t
	ns := kubetest.NewNamespace(t, e.c, "sched-")
	e.clock.Set(ts("2026-03-01T10:00:30Z"))
	e.start()
	defer e.stop()
	st := newScheduledTask(ns, "hist", "cron(0 * * * ? *)")
	st.Spec.ConcurrencyPolicy = ecsv1alpha1.ConcurrencyForbid
	st.Spec.SuccessfulRunsHistoryLimit, st.Spec.FailedRunsHistoryLimit = ptr.To[int32](2), ptr.To[int32](1)
	if err := e.c.Create(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	run := func(hour int) string { return taskName("hist", fmt.Sprintf("2026-03-01T%02d:00:00Z", hour)) }
	at := func(hour int) string { return fmt.Sprintf("2026-03-01T%02d:00:00Z", hour) }
	e.wait(ns, "hist", lastSchedule(at(10), at(11)))

	// 11:00: the 10:00 Task still runs: skipped.
	e.clock.Set(ts("2026-03-01T11:00:30Z"))
	e.poke(ns, run(10))
	e.wait(ns, "hist", lastSchedule(at(11), at(12)))
	if got := e.tasks(ns, "hist"); !slices.Equal(got, []string{run(10)}) {
		t.Fatalf("Forbid: Tasks %v, want only %s", got, run(10))
	}
	e.hasEvent(ns, "hist", reasonRunSkipped, "concurrencyPolicy Forbid")

	// Each hour the previous Task stops (the Task's status change runs a pass) and the next
	// run starts: successes at 10, 12, 13; failures at 14, 15.
	// The stop is seen (its run has an outcome) before the clock moves: a pass that ran at the
	// new hour with the previous Task still RUNNING would skip the run (Forbid).
	step := func(stopped, code int, hour int) {
		t.Helper()
		e.stopTask(ns, run(stopped), int32(code))
		e.wait(ns, "hist", func(st *ecsv1alpha1.ScheduledTask) error {
			for _, r := range st.Status.Runs {
				if r.ScheduledTime.Equal(&metav1.Time{Time: ts(at(stopped))}) && r.Outcome != ecsv1alpha1.RunRunning {
					return nil
				}
			}
			return fmt.Errorf("the %s run has no outcome yet: %+v", at(stopped), st.Status.Runs)
		})
		e.clock.Set(ts(at(hour)).Add(30 * time.Second))
		e.poke(ns, run(stopped))
		e.wait(ns, "hist", lastSchedule(at(hour), at(hour+1)))
	}
	step(10, 0, 12)
	st = e.wait(ns, "hist", func(st *ecsv1alpha1.ScheduledTask) error {
		if len(st.Status.Runs) != 2 || st.Status.Runs[0].Outcome != ecsv1alpha1.RunRunning || st.Status.Runs[1].Outcome != ecsv1alpha1.RunSucceeded {
			return fmt.Errorf("runs %+v, want 12:00 Running, 10:00 Succeeded", st.Status.Runs)
		}
		return nil
	})
	if st.Status.LastSuccessfulTime == nil || !st.Status.LastSuccessfulTime.Equal(&metav1.Time{Time: ts(at(10))}) {
		t.Errorf("lastSuccessfulTime %v, want %s", st.Status.LastSuccessfulTime, at(10))
	}
	e.hasEvent(ns, "hist", reasonRunSucceeded, at(10))
	step(12, 0, 13)
	step(13, 0, 14) // three successful runs: 10:00's Tasks go
	kubetest.Eventually(t, kubetest.WaitFor, func() error {
		if got, want := e.tasks(ns, "hist"), []string{run(12), run(13), run(14)}; !slices.Equal(got, want) {
			return fmt.Errorf("Tasks %v, want %v", got, want)
		}
		return nil
	})
	step(14, 1, 15)
	e.hasEvent(ns, "hist", reasonRunFailed, at(14))
	step(15, 2, 16) // two failed runs: 14:00's Tasks go
	kubetest.Eventually(t, kubetest.WaitFor, func() error {
		if got, want := e.tasks(ns, "hist"), []string{run(12), run(13), run(15), run(16)}; !slices.Equal(got, want) {
			return fmt.Errorf("Tasks %v, want %v", got, want)
		}
		return nil
	})
	e.wait(ns, "hist", func(st *ecsv1alpha1.ScheduledTask) error {
		var got []string
		for _, r := range st.Status.Runs {
			got = append(got, r.ScheduledTime.UTC().Format("15")+" "+string(r.Outcome))
		}
		if want := []string{"16 Running", "15 Failed", "13 Succeeded", "12 Succeeded"}; !slices.Equal(got, want) {
			return fmt.Errorf("runs %v, want %v", got, want)
		}
		return nil
	})
}

// testScheduledReplace: with Replace the running Tasks are stopped (StopTask) and the new run
// starts; count 3 starts three Tasks a run.
func testScheduledReplace(t *testing.T, e *schedEnv) {
	t.Helper()
	e.t = t
	ns := kubetest.NewNamespace(t, e.c, "sched-")
	e.clock.Set(ts("2026-03-01T10:00:30Z"))
	e.start()
	defer e.stop()
	st := newScheduledTask(ns, "repl", "cron(0 * * * ? *)")
	st.Spec.ConcurrencyPolicy = ecsv1alpha1.ConcurrencyReplace
	st.Spec.TaskTemplate.Count = ptr.To[int32](3)
	if err := e.c.Create(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	e.wait(ns, "repl", lastSchedule("2026-03-01T10:00:00Z", "2026-03-01T11:00:00Z"))
	first := taskName("repl", "2026-03-01T10:00:00Z")
	if got, want := e.tasks(ns, "repl"), []string{first + "-1", first + "-2", first + "-3"}; !slices.Equal(got, want) {
		t.Fatalf("Tasks %v, want %v", got, want)
	}
	e.clock.Set(ts("2026-03-01T11:00:30Z"))
	e.poke(ns, first+"-1")
	e.wait(ns, "repl", lastSchedule("2026-03-01T11:00:00Z", "2026-03-01T12:00:00Z"))
	if got := e.tasks(ns, "repl"); len(got) != 6 {
		t.Fatalf("Tasks %v, want 6", got)
	}
	for i := 1; i <= 3; i++ {
		task := &ecsv1alpha1.Task{}
		if err := e.c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: fmt.Sprintf("%s-%d", first, i)}, task); err != nil {
			t.Fatal(err)
		}
		if task.Spec.DesiredStatus != ecsv1alpha1.DesiredStopped || task.Spec.StopReason != "Replaced by the run of 2026-03-01T11:00:00Z" {
			t.Errorf("Task %s: desiredStatus %s, stopReason %q; want STOPPED, replaced", task.Name, task.Spec.DesiredStatus, task.Spec.StopReason)
		}
	}
}

// testScheduledInvalid: an expression that passes the schema and does not parse, or an
// unknown time zone, stalls the ScheduledTask with a reason and a message naming the
// position; fixing it makes it Ready.
func testScheduledInvalid(t *testing.T, e *schedEnv) {
	t.Helper()
	e.t = t
	ns := kubetest.NewNamespace(t, e.c, "sched-")
	e.clock.Set(ts("2026-03-01T10:00:30Z"))
	e.start()
	defer e.stop()
	stalled := func(reason, text string) func(*ecsv1alpha1.ScheduledTask) error {
		return func(st *ecsv1alpha1.ScheduledTask) error {
			c := meta.FindStatusCondition(st.Status.Conditions, ecsv1alpha1.StalledCondition)
			r := meta.FindStatusCondition(st.Status.Conditions, ecsv1alpha1.ReadyCondition)
			if c == nil || c.Reason != reason || !strings.Contains(c.Message, text) || r == nil || r.Status != metav1.ConditionFalse {
				return fmt.Errorf("Stalled %+v Ready %+v, want Stalled %s with %q", c, r, reason, text)
			}
			return nil
		}
	}
	st := newScheduledTask(ns, "bad", "cron(0 12 ? * FRI-MON *)")
	if err := e.c.Create(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	e.wait(ns, "bad", stalled(ecsv1alpha1.InvalidScheduleExpressionReason, "position 15 (day-of-week): range FRI-MON starts after it ends"))
	e.hasEvent(ns, "bad", ecsv1alpha1.InvalidScheduleExpressionReason, "position 15")

	st = e.get(ns, "bad")
	st.Spec.ScheduleExpression, st.Spec.ScheduleExpressionTimezone = "cron(0 12 ? * MON-FRI *)", "Mars/Olympus_Mons"
	if err := e.c.Update(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	e.wait(ns, "bad", stalled(ecsv1alpha1.InvalidTimezoneReason, `"Mars/Olympus_Mons"`))

	st = e.get(ns, "bad")
	st.Spec.ScheduleExpressionTimezone = "Europe/Berlin"
	if err := e.c.Update(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	// 2026-03-02 is a Monday: 12:00 in Berlin (CET) is 11:00 UTC.
	st = e.wait(ns, "bad", lastSchedule("", "2026-03-02T11:00:00Z"))
	if c := meta.FindStatusCondition(st.Status.Conditions, ecsv1alpha1.ReadyCondition); c == nil || c.Status != metav1.ConditionTrue || c.Reason != ecsv1alpha1.ScheduledReason ||
		meta.FindStatusCondition(st.Status.Conditions, ecsv1alpha1.StalledCondition) != nil {
		t.Errorf("conditions %+v, want Ready Scheduled and no Stalled", st.Status.Conditions)
	}
}

// testScheduledDisabled: a DISABLED schedule starts nothing; enabled again, it does not start
// the runs that fell while it was disabled, only the later ones.
func testScheduledDisabled(t *testing.T, e *schedEnv) {
	t.Helper()
	e.t = t
	ctx := context.Background()
	ns := kubetest.NewNamespace(t, e.c, "sched-")
	e.clock.Set(ts("2026-03-01T10:00:30Z"))
	e.start()
	defer e.stop()
	st := newScheduledTask(ns, "off", "cron(0 * * * ? *)")
	if err := e.c.Create(ctx, st); err != nil {
		t.Fatal(err)
	}
	e.wait(ns, "off", lastSchedule("2026-03-01T10:00:00Z", "2026-03-01T11:00:00Z"))
	first := taskName("off", "2026-03-01T10:00:00Z")

	st = e.get(ns, "off")
	st.Spec.State = ecsv1alpha1.ScheduleDisabled
	if err := e.c.Update(ctx, st); err != nil {
		t.Fatal(err)
	}
	e.wait(ns, "off", lastSchedule("2026-03-01T10:00:00Z", ""))

	e.clock.Set(ts("2026-03-01T12:10:00Z")) // 11:00 and 12:00 fell while disabled
	st = e.get(ns, "off")
	st.Spec.State = ecsv1alpha1.ScheduleEnabled
	if err := e.c.Update(ctx, st); err != nil {
		t.Fatal(err)
	}
	st = e.wait(ns, "off", lastSchedule("2026-03-01T10:00:00Z", "2026-03-01T13:00:00Z"))
	if st.Status.ResumedAt == nil || !st.Status.ResumedAt.Equal(&metav1.Time{Time: ts("2026-03-01T12:10:00Z")}) {
		t.Errorf("resumedAt %v, want 12:10", st.Status.ResumedAt)
	}
	// A later pass (the 10:00 Task stopped: its run's outcome changes the status) still
	// starts nothing for 11:00 or 12:00.
	e.clock.Set(ts("2026-03-01T12:20:00Z"))
	e.stopTask(ns, first, 0)
	e.wait(ns, "off", func(st *ecsv1alpha1.ScheduledTask) error {
		if len(st.Status.Runs) == 0 || st.Status.Runs[0].Outcome != ecsv1alpha1.RunSucceeded {
			return fmt.Errorf("runs %+v, want the 10:00 run Succeeded", st.Status.Runs)
		}
		return nil
	})
	if got := e.tasks(ns, "off"); !slices.Equal(got, []string{first}) {
		t.Fatalf("Tasks %v, want only %s: runs that fell while disabled must not start", got, first)
	}
}
