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
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/schedule"
)

// defaultMaximumEventAge is EventBridge Scheduler's default maximumEventAgeInSeconds, used
// when the schema default is missing (objects stored through a CRD without it).
const defaultMaximumEventAge = 24 * time.Hour

// ScheduledTaskReconciler runs ECS scheduled tasks: at each time a ScheduledTask's schedule
// expression names, it creates the run's Tasks (owned by the ScheduledTask, labelled with
// its name, annotated with the run's scheduled time), applies the concurrency policy, prunes
// the runs its history limits do not keep, and asks for a pass when the next run is due
// (RequeueAfter: the schedule is the one time-based requeue). What must survive a restart,
// the last run handled, is in status (and on the Tasks' annotations).
type ScheduledTaskReconciler struct {
	client.Client
	Scheme   *runtime.Scheme
	Recorder recorder.EventRecorder
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// schedScope is what one pass read and decided.
type schedScope struct {
	st  *ecsv1alpha1.ScheduledTask
	now time.Time

	// sched is the parsed schedule; nil when the expression or time zone is invalid, and
	// then invalidReason and invalidMessage say why.
	sched                         *schedule.Schedule
	invalidReason, invalidMessage string
	// tasks are the ScheduledTask's Tasks.
	tasks []*ecsv1alpha1.Task
	// status is the status the pass computes (conditions aside).
	status ecsv1alpha1.ScheduledTaskStatus
	// requeueAfter is when the next run is due.
	requeueAfter time.Duration
}

// +kubebuilder:rbac:groups=ecs.berth.dev,resources=scheduledtasks,verbs=get;list;watch
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=scheduledtasks/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=scheduledtasks/finalizers,verbs=update
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=tasks,verbs=get;list;watch;create;patch;delete

// Reconcile runs one pass over a ScheduledTask: parse its schedule, read its Tasks, start the
// run that is due, prune its history, then write the status once.
func (r *ScheduledTaskReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	st := &ecsv1alpha1.ScheduledTask{}
	if err := r.Get(ctx, req.NamespacedName, st); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !st.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil // its Tasks are owned by it and go with it
	}
	s := &schedScope{st: st, now: r.now(), status: *st.Status.DeepCopy()}
	err := r.reconcileNormal(ctx, s)
	if werr := r.writeStatus(ctx, s, err); werr != nil {
		return ctrl.Result{}, errors.Join(err, werr)
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{RequeueAfter: s.requeueAfter}, nil
}

// reconcileNormal parses the schedule and reads the Tasks (a failure there ends the pass),
// then runs what is due and prunes the history; the errors of those two are joined.
func (r *ScheduledTaskReconciler) reconcileNormal(ctx context.Context, s *schedScope) error {
	r.reconcileSchedule(s)
	if err := r.reconcileTasks(ctx, s); err != nil {
		return err
	}
	r.reconcileState(s)
	return errors.Join(r.reconcileRun(ctx, s), r.reconcileHistory(ctx, s))
}

// reconcileSchedule parses the expression in its time zone, bounded by startDate (default:
// the creation time) and endDate.
func (r *ScheduledTaskReconciler) reconcileSchedule(s *schedScope) {
	spec := &s.st.Spec
	expr, err := schedule.Parse(spec.ScheduleExpression, spec.ScheduleExpressionTimezone)
	var perr *schedule.Error
	switch {
	case errors.As(err, &perr):
		s.invalidReason = ecsv1alpha1.InvalidScheduleExpressionReason
		s.invalidMessage = fmt.Sprintf("scheduleExpression %q: %v", spec.ScheduleExpression, err)
		return
	case err != nil:
		s.invalidReason, s.invalidMessage = ecsv1alpha1.InvalidTimezoneReason, "scheduleExpressionTimezone: "+err.Error()
		return
	}
	sched := &schedule.Schedule{Expression: expr, Start: s.st.CreationTimestamp.Time}
	if spec.StartDate != nil {
		sched.Start = spec.StartDate.Time
	}
	if spec.EndDate != nil {
		sched.End = spec.EndDate.Time
	}
	s.sched = sched
}

// reconcileTasks reads the Tasks the ScheduledTask started. A Task that records a later run
// than the status (a pass whose status write was lost) moves lastScheduleTime up to it, so
// that run is not started twice.
func (r *ScheduledTaskReconciler) reconcileTasks(ctx context.Context, s *schedScope) error {
	list := &ecsv1alpha1.TaskList{}
	if err := r.List(ctx, list, client.InNamespace(s.st.Namespace),
		client.MatchingLabels{ecsv1alpha1.ScheduledTaskLabel: s.st.Name}); err != nil {
		return fmt.Errorf("listing the ScheduledTask's Tasks: %w", err)
	}
	for i := range list.Items {
		task := &list.Items[i]
		if !metav1.IsControlledBy(task, s.st) {
			continue
		}
		s.tasks = append(s.tasks, task)
		if t, ok := schedule.ScheduledTime(task); ok && (s.status.LastScheduleTime == nil || t.After(s.status.LastScheduleTime.Time)) {
			s.status.LastScheduleTime = &metav1.Time{Time: t}
		}
	}
	return nil
}

// reconcileState records the state in effect; a schedule enabled again after DISABLED resumes
// now: the runs that fell while it was disabled are not started.
func (r *ScheduledTaskReconciler) reconcileState(s *schedScope) {
	state := s.st.Spec.State
	if state == "" {
		state = ecsv1alpha1.ScheduleEnabled
	}
	if state == ecsv1alpha1.ScheduleEnabled && s.status.State == ecsv1alpha1.ScheduleDisabled {
		s.status.ResumedAt = &metav1.Time{Time: s.now}
	}
	s.status.State = state
}

// reconcileRun starts the run that is due, if any, and computes the next one. The rule for
// runs missed while the controller was down is schedule.Plan's: only the latest due run
// starts, and only if it is due for no longer than maximumEventAgeInSeconds.
func (r *ScheduledTaskReconciler) reconcileRun(ctx context.Context, s *schedScope) error {
	s.status.NextScheduleTime = nil
	if s.sched == nil || s.status.State == ecsv1alpha1.ScheduleDisabled {
		return nil
	}
	plan := s.sched.Plan(s.planInput())
	if plan.Missed > 0 {
		r.missedEvent(s, plan)
	}
	if !plan.Run.IsZero() {
		if err := r.startRun(ctx, s, plan.Run); err != nil {
			return err // the run is not recorded as handled: the next pass tries again
		}
	}
	if !plan.Handled.IsZero() {
		s.status.LastScheduleTime = &metav1.Time{Time: plan.Handled}
	}
	if !plan.Next.IsZero() {
		s.status.NextScheduleTime = &metav1.Time{Time: plan.Next}
		s.requeueAfter = max(plan.NextDue.Sub(s.now), time.Second)
	}
	return nil
}

// planInput is what the plan is decided from.
func (s *schedScope) planInput() schedule.PlanInput {
	in := schedule.PlanInput{Now: s.now, MaxAge: defaultMaximumEventAge, Key: string(s.st.UID)}
	if s.status.LastScheduleTime != nil {
		in.Last = s.status.LastScheduleTime.Time
	}
	if s.status.ResumedAt != nil && s.status.ResumedAt.After(in.Last) {
		in.Last = s.status.ResumedAt.Time
	}
	if rp := s.st.Spec.RetryPolicy; rp != nil && rp.MaximumEventAgeInSeconds != nil {
		in.MaxAge = time.Duration(*rp.MaximumEventAgeInSeconds) * time.Second
	}
	if w := s.st.Spec.FlexibleTimeWindow; w != nil && w.Mode == ecsv1alpha1.FlexibleTimeWindowFlexible && w.MaximumWindowInMinutes != nil {
		in.Window = time.Duration(*w.MaximumWindowInMinutes) * time.Minute
	}
	return in
}

// startRun applies the concurrency policy to the run scheduled at t and creates its Tasks.
func (r *ScheduledTaskReconciler) startRun(ctx context.Context, s *schedScope, t time.Time) error {
	var running []*ecsv1alpha1.Task
	for _, task := range s.tasks {
		if task.Status.LastStatus != ecsv1alpha1.TaskStopped {
			running = append(running, task)
		}
	}
	switch policy := s.st.Spec.ConcurrencyPolicy; {
	case len(running) == 0 || policy == ecsv1alpha1.ConcurrencyAllow || policy == "":
	case policy == ecsv1alpha1.ConcurrencyForbid:
		r.event(s.st, eventNormal, reasonRunSkipped, "RunTask", fmt.Sprintf(
			"Skipped the run of %s: %d Task(s) of an earlier run have not stopped (concurrencyPolicy Forbid)", formatTime(t), len(running)))
		return nil
	case policy == ecsv1alpha1.ConcurrencyReplace:
		if err := r.stopTasks(ctx, running, "Replaced by the run of "+formatTime(t)); err != nil {
			return err
		}
	}
	names, err := r.createTasks(ctx, s, t)
	if err != nil {
		return err
	}
	r.event(s.st, eventNormal, reasonRunStarted, "RunTask", fmt.Sprintf("Started the run of %s: %v", formatTime(t), names))
	ctrl.LoggerFrom(ctx).Info("Started scheduled run", "scheduledTime", t, "tasks", names)
	return nil
}

// createTasks creates the run's Tasks; one that exists already (a pass whose status write
// was lost) is kept.
func (r *ScheduledTaskReconciler) createTasks(ctx context.Context, s *schedScope, t time.Time) ([]string, error) {
	tmpl := &s.st.Spec.TaskTemplate
	count := 1
	if tmpl.Count != nil {
		count = int(*tmpl.Count)
	}
	names := schedule.TaskNames(s.st.Name, t, count)
	for _, name := range names {
		task := &ecsv1alpha1.Task{
			ObjectMeta: metav1.ObjectMeta{
				Namespace:   s.st.Namespace,
				Name:        name,
				Labels:      map[string]string{ecsv1alpha1.ScheduledTaskLabel: s.st.Name},
				Annotations: map[string]string{ecsv1alpha1.ScheduledTimeAnnotation: t.UTC().Format(time.RFC3339)},
			},
			Spec: ecsv1alpha1.TaskSpec{
				TaskDefinition:         tmpl.TaskDefinition,
				Overrides:              tmpl.Overrides.DeepCopy(),
				PlacementStrategy:      tmpl.PlacementStrategy,
				PlacementConstraints:   tmpl.PlacementConstraints,
				Group:                  tmpl.Group,
				StartedBy:              s.st.Name,
				Tags:                   tmpl.Tags,
				DesiredStatus:          ecsv1alpha1.DesiredRunning,
				TTLSecondsAfterStopped: tmpl.TTLSecondsAfterStopped,
			},
		}
		if err := controllerutil.SetControllerReference(s.st, task, r.Scheme); err != nil {
			return nil, fmt.Errorf("owning Task %s: %w", name, err)
		}
		if err := r.Create(ctx, task); err != nil && !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("creating Task %s for the run of %s: %w", name, formatTime(t), err)
		}
		s.tasks = append(s.tasks, task)
	}
	return names, nil
}

// stopTasks stops Tasks as ECS StopTask does: desiredStatus STOPPED with a reason.
func (r *ScheduledTaskReconciler) stopTasks(ctx context.Context, running []*ecsv1alpha1.Task, reason string) error {
	var errs []error
	for _, task := range running {
		if task.Spec.DesiredStatus == ecsv1alpha1.DesiredStopped {
			continue
		}
		orig := task.DeepCopy()
		task.Spec.DesiredStatus, task.Spec.StopReason = ecsv1alpha1.DesiredStopped, reason
		if err := r.Patch(ctx, task, client.MergeFrom(orig)); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("stopping Task %s: %w", task.Name, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if len(running) > 0 {
		r.event(running[0], eventNormal, reasonRunReplaced, "StopTask", reason)
	}
	return nil
}

// reconcileHistory lists the runs whose Tasks exist in status and deletes the Tasks of the
// finished runs the history limits do not keep.
func (r *ScheduledTaskReconciler) reconcileHistory(ctx context.Context, s *schedScope) error {
	successful, failed := 3, 1
	if v := s.st.Spec.SuccessfulRunsHistoryLimit; v != nil {
		successful = int(*v)
	}
	if v := s.st.Spec.FailedRunsHistoryLimit; v != nil {
		failed = int(*v)
	}
	keep, prune := schedule.Prune(schedule.Runs(s.tasks), successful, failed)
	var errs []error
	for _, run := range prune {
		for _, task := range run.Tasks {
			if task.UID == "" {
				continue // created by this pass; not read back
			}
			if err := r.Delete(ctx, task, client.Preconditions{UID: &task.UID}, client.PropagationPolicy(metav1.DeletePropagationBackground)); err != nil && !apierrors.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("deleting Task %s of an old run: %w", task.Name, err))
			}
		}
	}
	s.status.Runs, s.status.LastSuccessfulTime = nil, nil
	for _, run := range keep {
		if len(s.status.Runs) < maxRunsInStatus {
			s.status.Runs = append(s.status.Runs, run.Status)
		}
		if run.Status.Outcome == ecsv1alpha1.RunSucceeded && s.status.LastSuccessfulTime == nil {
			s.status.LastSuccessfulTime = run.Status.ScheduledTime.DeepCopy()
		}
	}
	return errors.Join(errs...)
}

// maxRunsInStatus bounds status.runs (the schema's MaxItems).
const maxRunsInStatus = 20

// writeStatus computes the conditions and writes the status when it changed.
func (r *ScheduledTaskReconciler) writeStatus(ctx context.Context, s *schedScope, reconcileErr error) error {
	orig := s.st.DeepCopy()
	computeScheduledTaskStatus(s, reconcileErr)
	if equality.Semantic.DeepEqual(orig.Status, s.st.Status) {
		return nil
	}
	if err := r.Status().Patch(ctx, s.st, client.MergeFrom(orig)); err != nil {
		return fmt.Errorf("writing status: %w", err)
	}
	r.emitScheduledTaskEvents(s.st, &orig.Status)
	return nil
}

// now reads the clock, to the second (status times are seconds).
func (r *ScheduledTaskReconciler) now() time.Time {
	if r.Now != nil {
		return r.Now().Truncate(time.Second)
	}
	return time.Now().Truncate(time.Second)
}

// SetupWithManager watches ScheduledTasks (spec changes) and the Tasks they own (each
// Task's progress changes its run's outcome and may end a Forbid or a history window).
func (r *ScheduledTaskReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("scheduledtask").
		For(&ecsv1alpha1.ScheduledTask{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Owns(&ecsv1alpha1.Task{}).
		Complete(r)
}
