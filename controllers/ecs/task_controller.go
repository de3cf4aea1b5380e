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

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"
	"sigs.k8s.io/controller-runtime/pkg/source"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/controllers/ecs/revisions"
	"github.com/berth-dev/berth/internal/statuspace"
	"github.com/berth-dev/berth/internal/tasks"
)

// taskFieldOwner is the server-side apply field manager of the Task controller.
const taskFieldOwner = "berth-task-controller"

// DefaultTaskConcurrency is how many Tasks are reconciled at once by default.
const DefaultTaskConcurrency = 8

// statusConflictRetry is how soon a pass runs again whose status write met a newer Task, or
// that read a Task older than the controller's own last status write. The retry must come
// from the queue: Tasks are watched for generation changes, so the status write that made
// the cached Task stale brings no pass of its own; the cache has it milliseconds after the
// write.
const statusConflictRetry = 200 * time.Millisecond

// TaskReconciler runs ECS standalone tasks: it resolves a Task's task definition revision
// once, translates it with the Task's overrides (internal/taskdef), creates the task's Pod,
// follows the Pod through ECS's lifecycle with the state machine of internal/tasks, stops the
// Pod when an essential container exited or the Task is stopped (after its exit state is
// written), and deletes the Task and its Pod once its retention ends.
type TaskReconciler struct {
	client.Client
	// APIReader reads from the API server, uncached: a Pod the cache does not show, a
	// family or revision the cache may not show yet.
	APIReader client.Reader
	Scheme    *runtime.Scheme
	Recorder  recorder.EventRecorder

	// Concurrency is how many Tasks are reconciled at once (DefaultTaskConcurrency when not
	// set).
	Concurrency int
	// BinpackSchedulerName is the scheduler profile of binpack placement strategies.
	BinpackSchedulerName string
	// ContainerRestartRules says the cluster has per-container restart rules.
	ContainerRestartRules bool
	// RegistryHost and PullSecretName: task images under RegistryHost are pulled with the
	// execution pull Secret (as for Services).
	RegistryHost, PullSecretName string
	// Digests pins the task's images to their digests when it starts; nil pins nothing.
	Digests DigestResolver
	// Now is the clock; nil is time.Now.
	Now func() time.Time

	// pods is the cache of standalone task Pods (those labelled ecs.berth.dev/task), made
	// by SetupWithManager: the manager's Pod cache holds only the Services' tasks.
	pods client.Reader
	// written remembers the Task versions the controller's status writes replaced.
	written taskWrites
}

// taskScope is what one pass read and decided; the status is computed from it.
type taskScope struct {
	task *ecsv1alpha1.Task
	now  time.Time

	// pod is the task's Pod, nil when it is not created yet or gone; podGone says it was
	// created and is confirmed gone.
	pod     *corev1.Pod
	podGone bool
	// node is the Pod's Node, nil when unknown or gone.
	node *corev1.Node
	// status is the task status the pass computed (conditions aside).
	status ecsv1alpha1.TaskStatus
	// deletePod says the Pod must be deleted once status is written.
	deletePod bool
	// stalledReason and stalledMessage say why the task cannot start yet or ever.
	stalledReason, stalledMessage string
	// waiting says what a task that has not started waits for.
	waiting string
	// requeueAfter is when the pass must run again: the retention's end, or a status
	// change that waits.
	requeueAfter time.Duration
}

// requeueSooner makes the next pass come after d at the latest.
func (s *taskScope) requeueSooner(d time.Duration) {
	if s.requeueAfter == 0 || d < s.requeueAfter {
		s.requeueAfter = d
	}
}

// +kubebuilder:rbac:groups=ecs.berth.dev,resources=tasks,verbs=get;list;watch;delete
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=tasks/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=tasks/finalizers,verbs=update
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=taskdefinitions,verbs=get;list;watch
// +kubebuilder:rbac:groups=apps,resources=controllerrevisions,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups="",resources=nodes,verbs=get;list;watch
// +kubebuilder:rbac:groups=networking.k8s.io,resources=networkpolicies,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch

// Reconcile runs one pass over a Task: read its Pod, start the task if it has none, observe
// it, write the status once, then stop the Pod if the task must stop and delete the Task
// when its retention ended. A Task has no finalizer: its Pod and NetworkPolicy are owned by
// it and go with it.
func (r *TaskReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	task := &ecsv1alpha1.Task{}
	if err := r.Get(ctx, req.NamespacedName, task); err != nil {
		if apierrors.IsNotFound(err) {
			r.written.forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !task.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	if r.written.behind(task) {
		// The cache has not caught up with this controller's last status write: decided
		// from the status before it, the pass's own write would only be refused.
		return ctrl.Result{RequeueAfter: statusConflictRetry}, nil
	}
	s := &taskScope{task: task, now: r.now().Truncate(time.Second), status: *task.Status.DeepCopy()}
	err := r.reconcileNormal(ctx, s)
	if werr := r.writeStatus(ctx, s, err); werr != nil {
		if err == nil && apierrors.IsConflict(werr) {
			// The pass read a Task older than the API server's (its own last write not yet
			// in the cache): not an error to report, but a pass to run again on newer data.
			return ctrl.Result{RequeueAfter: statusConflictRetry}, nil
		}
		return ctrl.Result{}, errors.Join(err, werr)
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	// Only once the status holds the exit state may the Pod go.
	if err := errors.Join(r.reconcileStop(ctx, s), r.reconcileRetention(ctx, s)); err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{RequeueAfter: s.requeueAfter}, nil
}

// taskStep is one step of a Task pass.
type taskStep func(context.Context, *taskScope) error

// reconcileNormal reads the task's Pod and Node, starts the task when it has no Pod yet, and
// observes it; the steps run in order and the first error ends the pass.
func (r *TaskReconciler) reconcileNormal(ctx context.Context, s *taskScope) error {
	for _, step := range []taskStep{r.reconcilePod, r.reconcileNode, r.reconcileStart, r.reconcileObserve} {
		if err := step(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// reconcilePod reads the task's Pod from the task Pod cache. A Pod the status names that
// the cache does not show is confirmed gone with the API server: a Pod created a moment ago
// may not be in the cache yet.
func (r *TaskReconciler) reconcilePod(ctx context.Context, s *taskScope) error {
	if s.status.LastStatus == ecsv1alpha1.TaskStopped && s.status.PodName == "" {
		return nil
	}
	key := types.NamespacedName{Namespace: s.task.Namespace, Name: s.task.Name}
	pod := &corev1.Pod{}
	err := r.pods.Get(ctx, key, pod)
	if apierrors.IsNotFound(err) && s.status.PodName != "" && s.status.LastStatus != ecsv1alpha1.TaskStopped {
		err = r.APIReader.Get(ctx, key, pod)
	}
	switch {
	case apierrors.IsNotFound(err):
		s.podGone = s.status.PodName != ""
		return nil
	case err != nil:
		return fmt.Errorf("reading the task's Pod: %w", err)
	case !metav1.IsControlledBy(pod, s.task):
		s.podGone = s.status.PodName != ""
		return nil
	}
	s.pod = pod
	if s.status.TaskDefinition == "" {
		// Created by a pass whose status write was lost: the Pod names its revision.
		s.status.TaskDefinition = podTaskDefinition(pod)
	}
	return nil
}

// reconcileNode reads the Node the task's Pod runs on, for its zone.
func (r *TaskReconciler) reconcileNode(ctx context.Context, s *taskScope) error {
	name := s.status.NodeName
	if s.pod != nil && s.pod.Spec.NodeName != "" {
		name = s.pod.Spec.NodeName
	}
	if name == "" {
		return nil
	}
	node := &corev1.Node{}
	if err := r.Get(ctx, types.NamespacedName{Name: name}, node); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("reading Node %s: %w", name, err)
	}
	s.node = node
	return nil
}

// reconcileObserve runs the task state machine on what the pass read.
func (r *TaskReconciler) reconcileObserve(_ context.Context, s *taskScope) error {
	if s.stalledReason != "" || (s.pod == nil && !s.podGone && s.status.LastStatus == "") {
		return nil // not started
	}
	step := tasks.ObserveStandalone(tasks.StandaloneObservation{
		Status:        s.status,
		Pod:           s.pod,
		PodGone:       s.podGone,
		Node:          s.node,
		StopRequested: s.task.Spec.DesiredStatus == ecsv1alpha1.DesiredStopped,
		StopReason:    s.task.Spec.StopReason,
		Now:           s.now,
	})
	s.status, s.deletePod = step.Status, step.DeletePod
	return nil
}

// reconcileStop deletes the Pod of a task that must stop. The kubelet stops its containers
// (SIGTERM, then SIGKILL after the grace period the task definition's stopTimeout set), as
// ECS stops a task's containers when an essential one exits or on StopTask.
func (r *TaskReconciler) reconcileStop(ctx context.Context, s *taskScope) error {
	if !s.deletePod || s.pod == nil || s.pod.DeletionTimestamp != nil {
		return nil
	}
	if err := r.Delete(ctx, s.pod, client.Preconditions{UID: &s.pod.UID}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("stopping the task's Pod: %w", err)
	}
	ctrl.LoggerFrom(ctx).Info("Stopping task", "stopCode", s.status.StopCode, "reason", s.status.StoppedReason)
	return nil
}

// reconcileRetention deletes a STOPPED Task and its Pod once ttlSecondsAfterStopped passed
// since it stopped, and otherwise asks for a pass then.
func (r *TaskReconciler) reconcileRetention(ctx context.Context, s *taskScope) error {
	st := &s.status
	if st.LastStatus != ecsv1alpha1.TaskStopped || st.StoppedAt == nil {
		return nil
	}
	ttl := time.Hour
	if t := s.task.Spec.TTLSecondsAfterStopped; t != nil {
		ttl = time.Duration(*t) * time.Second
	}
	if wait := st.StoppedAt.Add(ttl).Sub(s.now); wait > 0 {
		s.requeueSooner(wait)
		return nil
	}
	if s.pod != nil {
		if err := r.Delete(ctx, s.pod, client.Preconditions{UID: &s.pod.UID}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting the stopped task's Pod: %w", err)
		}
	}
	if err := r.Delete(ctx, s.task, client.Preconditions{UID: &s.task.UID}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting the stopped Task after its retention: %w", err)
	}
	ctrl.LoggerFrom(ctx).Info("Deleted stopped task after its retention", "stoppedAt", st.StoppedAt.Time, "ttl", ttl)
	return nil
}

// writeStatus computes the conditions and writes the status when it changed, and emits an
// Event when the task's state changed. Progress before RUNNING waits until
// statuspace.TaskProgressInterval after the Pod's creation (a pass is queued for then): a
// task that runs within that time is not written a third time for a PENDING in between.
func (r *TaskReconciler) writeStatus(ctx context.Context, s *taskScope, reconcileErr error) error {
	orig := s.task.DeepCopy()
	computeTaskStatus(s, reconcileErr)
	if equality.Semantic.DeepEqual(orig.Status, s.task.Status) {
		return nil
	}
	if created := orig.Status.CreatedAt; created != nil && statuspace.TaskProgressOnly(&orig.Status, &s.task.Status) {
		if wait := statuspace.Delay(true, created.Time, r.now(), statuspace.TaskProgressInterval); wait > 0 {
			s.task.Status = orig.Status
			s.requeueSooner(wait)
			return nil
		}
	}
	// Optimistic lock: a pass that read the Task from a cache behind the API server must not
	// overwrite what a newer pass wrote (the stop reason of a StopTask, once the Pod is gone,
	// would otherwise become "Task Pod was deleted"); the conflict brings a pass on fresh data.
	if err := r.Status().Patch(ctx, s.task, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("writing status: %w", err)
	}
	r.written.wrote(s.task, orig.ResourceVersion)
	r.emitTaskEvent(s.task, &orig.Status)
	return nil
}

// now reads the clock.
func (r *TaskReconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// SetupWithManager makes the task Pod cache and watches Tasks, their Pods, and what Tasks
// not started yet wait for: TaskDefinitions, revisions and pull Secrets.
func (r *TaskReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Concurrency <= 0 {
		r.Concurrency = DefaultTaskConcurrency
	}
	podCache, err := newTaskPodCache(mgr)
	if err != nil {
		return err
	}
	r.pods = podCache
	return ctrl.NewControllerManagedBy(mgr).
		Named("task").
		For(&ecsv1alpha1.Task{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WatchesRawSource(source.Kind(podCache, &corev1.Pod{},
			handler.TypedEnqueueRequestForOwner[*corev1.Pod](mgr.GetScheme(), mgr.GetRESTMapper(), &ecsv1alpha1.Task{}, handler.OnlyControllerOwner()))).
		Watches(&ecsv1alpha1.TaskDefinition{}, handler.EnqueueRequestsFromMapFunc(r.tasksWaitingForTaskDefinition),
			builder.WithPredicates(taskDefinitionRevisionChanged)).
		Watches(&appsv1.ControllerRevision{}, handler.EnqueueRequestsFromMapFunc(r.tasksWaitingForRevision),
			builder.WithPredicates(predicate.Funcs{
				UpdateFunc: func(event.UpdateEvent) bool { return false },
				DeleteFunc: func(event.DeleteEvent) bool { return false },
			})).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.tasksNotStarted),
			builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool {
				_, ok := o.GetLabels()[PullCredentialsLabel]
				return ok
			}))).
		WithOptions(controller.Options{MaxConcurrentReconciles: r.Concurrency}).
		Complete(r)
}

// newTaskPodCache makes the cache of standalone task Pods and adds it to the manager, which
// starts it with its own caches.
func newTaskPodCache(mgr ctrl.Manager) (cache.Cache, error) {
	req, err := labels.NewRequirement(ecsv1alpha1.TaskLabel, selection.Exists, nil)
	if err != nil {
		return nil, fmt.Errorf("building the task Pod selector: %w", err)
	}
	c, err := cache.New(mgr.GetConfig(), cache.Options{
		HTTPClient: mgr.GetHTTPClient(),
		Scheme:     mgr.GetScheme(),
		Mapper:     mgr.GetRESTMapper(),
		ByObject: map[client.Object]cache.ByObject{
			&corev1.Pod{}: {Label: labels.NewSelector().Add(*req), Transform: cache.TransformStripManagedFields()},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("making the task Pod cache: %w", err)
	}
	if err := mgr.Add(c); err != nil {
		return nil, fmt.Errorf("adding the task Pod cache: %w", err)
	}
	return c, nil
}

// tasksWaitingForTaskDefinition maps a TaskDefinition to the Tasks waiting for its family.
func (r *TaskReconciler) tasksWaitingForTaskDefinition(ctx context.Context, o client.Object) []reconcile.Request {
	return r.tasksWaitingFor(ctx, o.GetNamespace(), o.GetName())
}

// tasksWaitingForRevision maps a new task definition revision to the Tasks waiting for its
// family: the cache may see the TaskDefinition's new status before the revision itself.
func (r *TaskReconciler) tasksWaitingForRevision(ctx context.Context, o client.Object) []reconcile.Request {
	family := o.GetLabels()[revisions.FamilyLabel]
	if family == "" {
		return nil
	}
	return r.tasksWaitingFor(ctx, o.GetNamespace(), family)
}

func (r *TaskReconciler) tasksWaitingFor(ctx context.Context, namespace, family string) []reconcile.Request {
	list := &ecsv1alpha1.TaskList{}
	if err := r.List(ctx, list, client.InNamespace(namespace),
		client.MatchingFieldsSelector{Selector: fields.OneTermEqualSelector(TaskWaitingFamilyIndex, family)}); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Mapping a TaskDefinition to the Tasks waiting for it")
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for _, t := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: t.Namespace, Name: t.Name}})
	}
	return reqs
}

// tasksNotStarted maps a pull Secret to the Tasks of its namespace that have not started.
func (r *TaskReconciler) tasksNotStarted(ctx context.Context, o client.Object) []reconcile.Request {
	list := &ecsv1alpha1.TaskList{}
	if err := r.List(ctx, list, client.InNamespace(o.GetNamespace())); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Mapping a pull Secret to the Tasks waiting for it")
		return nil
	}
	var reqs []reconcile.Request
	for _, t := range list.Items {
		if t.Status.LastStatus == "" {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: t.Namespace, Name: t.Name}})
		}
	}
	return reqs
}
