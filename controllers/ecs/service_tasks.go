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
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	utilrand "k8s.io/apimachinery/pkg/util/rand"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/rollout"
	"github.com/berth-dev/berth/internal/slowstart"
	"github.com/berth-dev/berth/internal/taskdef"
	"github.com/berth-dev/berth/internal/tasks"
)

// Kubernetes event reasons of the service events the controller adds to the planner's.
const (
	// reasonTaskStopped: a task ended by itself or was stopped by the cluster.
	reasonTaskStopped = "TaskStopped"
)

// observedTask is one task of the pass: its Pod (nil for a Pod created but not yet in the
// cache) and what the Pod says.
type observedTask struct {
	task rollout.Task
	// pod is the cached task Pod (nil for an expectation), shared with the cache: read only.
	pod *corev1.Pod
	uid types.UID
	obs tasks.Observation
	// rebalanceZone is set on the extra task started to rebalance into that zone.
	rebalanceZone string
	// pinned is the node a DAEMON task is pinned to.
	pinned string
}

// live reports a task that counts toward the bounds: PROVISIONING, PENDING or RUNNING.
func (t *observedTask) live() bool {
	switch t.task.State {
	case rollout.TaskProvisioning, rollout.TaskPending, rollout.TaskRunning:
		return true
	default:
		return false
	}
}

// reconcileNodes reads the Nodes (for the tasks' zones) and, for a DAEMON service or one
// with zone rebalancing, which Nodes and zones its tasks may use.
func (r *ServiceReconciler) reconcileNodes(ctx context.Context, s *serviceScope) error {
	list := &corev1.NodeList{}
	if err := r.List(ctx, list, client.UnsafeDisableDeepCopy); err != nil {
		return fmt.Errorf("listing Nodes: %w", err)
	}
	s.nodes = make(map[string]*corev1.Node, len(list.Items))
	for i := range list.Items {
		s.nodes[list.Items[i].Name] = &list.Items[i]
	}
	if !nodeAware(s.svc) {
		return nil
	}
	tmpl, err := r.currentTemplate(ctx, s)
	if err != nil || tmpl == nil {
		return err
	}
	s.eligibleKnown = true
	for _, n := range list.Items {
		if ok, _ := tasks.Eligible(&n, &tmpl.Template.Spec); !ok {
			continue
		}
		s.eligible = append(s.eligible, n.Name)
		if z := tasks.Zone(&n); z != "" && !slices.Contains(s.zones, z) {
			s.zones = append(s.zones, z)
		}
	}
	slices.Sort(s.eligible)
	slices.Sort(s.zones)
	return nil
}

// currentTemplate is the template the service's tasks are started from now: the target's,
// or, when the spec cannot be acted on, the PRIMARY deployment's.
func (r *ServiceReconciler) currentTemplate(ctx context.Context, s *serviceScope) (*deploymentTemplate, error) {
	if t := s.templates[s.target.ID]; t != nil {
		return t, nil
	}
	for _, d := range s.svc.Status.Deployments {
		if d.Status == ecsv1alpha1.DeploymentPrimary {
			return r.loadTemplate(ctx, s, d.ID)
		}
	}
	return nil, nil
}

// reconcileTasks observes the service's task Pods and turns them into planner tasks,
// correcting the cache with the controller's expectations: a Pod it created and the cache
// does not show yet is PROVISIONING (no task once its deletion was confirmed:
// endDeletedExpectations), and one whose deletion it requested is STOPPING, so a lagging cache
// never makes it start, stop or count a task twice.
func (r *ServiceReconciler) reconcileTasks(ctx context.Context, s *serviceScope) error {
	pods, err := r.taskPods.serviceTaskPods(ctx, s.svc.Namespace, s.svc.Name)
	if err != nil {
		return fmt.Errorf("reading task Pods: %w", err)
	}
	s.tasksRead = true
	mem := s.mem
	seen := make(map[string]bool, len(pods))
	uids := make(map[types.UID]bool, len(pods))
	// Sized once: a pass of a 3,000-task Service grew it by doubling, 46 MB of a start's
	// 340 MB allocated (docs/benchmarks.md).
	s.tasks = make([]observedTask, 0, len(pods)+len(mem.creating))
	for _, pod := range pods {
		if !metav1.IsControlledBy(pod, s.svc) {
			continue
		}
		seen[pod.Name], uids[pod.UID] = true, true
		delete(mem.creating, pod.Name)
		t := observedTask{pod: pod, uid: pod.UID, obs: tasks.Observe(pod),
			rebalanceZone: pod.Annotations[tasks.AnnotationRebalanceZone], pinned: pinnedNode(pod)}
		if _, requested := mem.deleting[pod.Name]; requested {
			if pod.DeletionTimestamp != nil {
				delete(mem.deleting, pod.Name)
			} else if t.obs.State != rollout.TaskStopping {
				t.obs.State, t.obs.Healthy = rollout.TaskStopping, false
			}
		}
		if t.obs.State == rollout.TaskRunning && t.obs.Healthy {
			mem.healthy[pod.UID] = true
		}
		node := s.nodes[pod.Spec.NodeName]
		t.task = rollout.Task{
			Name:           pod.Name,
			Deployment:     pod.Labels[ecsv1alpha1.DeploymentLabel],
			TaskDefinition: podTaskDefinition(pod),
			Zone:           tasks.Zone(node),
			Node:           pod.Spec.NodeName,
			State:          t.obs.State,
			Healthy:        t.obs.Healthy,
			FailedToStart:  t.obs.State == rollout.TaskStopped && t.obs.ByTask && !t.obs.EverReady && !mem.healthy[pod.UID],
			CreatedAt:      pod.CreationTimestamp.Time,
		}
		s.reportStop(&t)
		s.tasks = append(s.tasks, t)
	}
	mem.expire(s.now)
	for name, e := range mem.creating {
		if e.deleted {
			continue
		}
		s.tasks = append(s.tasks, observedTask{uid: e.uid, pinned: e.node, rebalanceZone: e.zone, task: rollout.Task{
			Name: name, Deployment: e.deployment, TaskDefinition: e.taskDefinition,
			State: rollout.TaskProvisioning, CreatedAt: e.at,
		}})
	}
	for name := range mem.deleting {
		if _, creating := mem.creating[name]; !seen[name] && !creating {
			delete(mem.deleting, name) // gone
		}
	}
	for uid := range mem.healthy {
		if !uids[uid] {
			delete(mem.healthy, uid)
		}
	}
	for uid := range mem.reported {
		if !uids[uid] {
			delete(mem.reported, uid)
		}
	}
	slices.SortFunc(s.tasks, func(a, b observedTask) int { return strings.Compare(a.task.Name, b.task.Name) })
	ctrl.LoggerFrom(ctx).V(1).Info("Observed tasks", "tasks", len(s.tasks), "creating", len(mem.creating), "deleting", len(mem.deleting))
	return nil
}

// reportStop records the service event of a task that ended by itself or that the cluster
// stopped, once per Pod. Stops the controller requested are reported by the planner.
func (s *serviceScope) reportStop(t *observedTask) {
	if s.mem.reported[t.uid] {
		return
	}
	var msg string
	typ := rollout.EventNormal
	switch {
	case t.obs.State == rollout.TaskStopped:
		msg = t.obs.StopReason
		if t.obs.Exit != nil {
			msg += ": " + t.obs.Exit.String()
		}
		if t.obs.ByTask {
			typ = rollout.EventWarning
		}
	case t.obs.State == rollout.TaskStopping && t.obs.StopReason != "":
		msg = t.obs.StopReason
		typ = rollout.EventWarning
	default:
		return
	}
	s.mem.reported[t.uid] = true
	s.event(typ, reasonTaskStopped, fmt.Sprintf("(service %s) (task %s) stopped: %s.", s.svc.Name, t.task.Name, msg))
}

// podTaskDefinition is the "family:revision" a task Pod runs, from its annotations.
func podTaskDefinition(pod *corev1.Pod) string {
	family, rev := pod.Annotations[taskdef.AnnotationFamily], pod.Annotations[taskdef.AnnotationRevision]
	if family == "" || rev == "" {
		return ""
	}
	return family + ":" + rev
}

// reconcileStops deletes the tasks the planner stops and the STOPPED tasks it removes, and
// retries deletions the cache never reflected. Deletions are issued concurrently, at most
// TaskWorkers at a time.
func (r *ServiceReconciler) reconcileStops(ctx context.Context, s *serviceScope) error {
	if !s.planned {
		return nil
	}
	names := make([]string, 0, len(s.plan.Stop)+len(s.plan.Remove))
	for _, st := range s.plan.Stop {
		names = append(names, st.Task)
	}
	names = append(names, s.plan.Remove...)
	for _, t := range s.tasks {
		if at, ok := s.mem.deleting[t.task.Name]; ok && t.pod != nil && t.pod.DeletionTimestamp == nil && !s.now.Before(at.Add(deleteRetry)) {
			names = append(names, t.task.Name)
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	if len(names) == 0 {
		return nil
	}
	byName := map[string]*observedTask{}
	for i := range s.tasks {
		byName[s.tasks[i].task.Name] = &s.tasks[i]
	}
	uids := make([]types.UID, len(names))
	for i, name := range names {
		s.mem.deleting[name] = s.now
		if t := byName[name]; t != nil {
			uids[i] = t.uid
			if t.uid != "" {
				s.mem.reported[t.uid] = true
			}
		}
	}
	confirmed := make([]bool, len(names))
	errs := parallel(ctx, r.taskWorkers(), len(names), func(ctx context.Context, i int) error {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: s.svc.Namespace, Name: names[i]}}
		var opts []client.DeleteOption
		if uids[i] != "" {
			opts = append(opts, client.Preconditions{UID: &uids[i]})
		}
		err := r.Delete(ctx, pod, opts...)
		switch {
		case err == nil || apierrors.IsNotFound(err):
			confirmed[i] = true
		case apierrors.IsConflict(err):
			// Another Pod holds the name: not ours to delete, and ours is not known gone.
		default:
			return fmt.Errorf("deleting task %s: %w", names[i], err)
		}
		return nil
	})
	s.endDeletedExpectations(names, confirmed)
	s.requeue(s.now.Add(deleteRetry))
	return errors.Join(errs...)
}

// endDeletedExpectations ends the tasks the pass deleted while they were only expectations
// (created, not yet in the cache), once the API server confirmed the deletion: the Pod is
// gone or has its deletion timestamp, so it is no live task whatever the cache shows later —
// a view of it without the deletion is STOPPING by its deleting entry, as any Pod whose
// deletion was requested. Without this, a Pod deleted before the cache ever showed it (never
// scheduled, so deleted at once; its ADDED and DELETED collapsed) stayed a PROVISIONING task,
// pending and counted live, until createExpectationTTL (issue 19's "pending 3"). A deletion
// not confirmed (an error, or another Pod under the name) keeps the task live: the Pod may
// still run, and the planner stops it again.
func (s *serviceScope) endDeletedExpectations(names []string, confirmed []bool) {
	for i, name := range names {
		if e, ok := s.mem.creating[name]; ok && confirmed[i] {
			e.deleted = true
			s.mem.creating[name] = e
		}
	}
}

// errIsolationMissing: tasks that must have no network are not started without their
// deny-all NetworkPolicy.
var errIsolationMissing = errors.New("the tasks' network isolation is not in force")

// reconcileStarts creates the tasks the planner starts, from the PRIMARY deployment's stored
// template: DAEMON tasks pinned to the eligible nodes that lack one, and the extra task of a
// rebalancing pinned to the emptiest zone. Creations go out with a slow start
// (createTasks); the started tasks are reported in one service event per pass.
func (r *ServiceReconciler) reconcileStarts(ctx context.Context, s *serviceScope) error {
	primary, ok := s.plan.Primary()
	if !s.planned || !ok {
		return nil
	}
	count := s.plan.Start[primary.ID]
	var pins []tasks.Pin
	switch s.svc.Spec.SchedulingStrategy {
	case ecsv1alpha1.SchedulingStrategyDaemon:
		for _, node := range s.nodesLackingTask(primary.ID) {
			if int32(len(pins)) == count { //nolint:gosec // a handful of nodes
				break
			}
			pins = append(pins, tasks.Pin{Node: node})
		}
	default:
		pins = make([]tasks.Pin, count)
	}
	if s.rebalanceZone != "" {
		pins = append(pins, tasks.Pin{Zone: s.rebalanceZone})
	}
	if len(pins) == 0 {
		return nil
	}
	tmpl, err := r.templateFor(ctx, s, primary)
	if err != nil {
		return err
	}
	if tmpl.Template.Labels[tasks.LabelNetworkIsolated] == "true" && !s.isolated {
		return fmt.Errorf("%w: not starting %d tasks until NetworkPolicy %s is in place", errIsolationMissing, len(pins),
			tasks.DenyAllNetworkPolicyName(s.svc.Name))
	}
	owner := metav1.NewControllerRef(s.svc, ecsv1alpha1.GroupVersion.WithKind("Service"))
	taken := map[string]bool{}
	for _, t := range s.tasks {
		taken[t.task.Name] = true
	}
	for name := range s.mem.creating { // a deleted expectation is no task, but its Pod may exist
		taken[name] = true
	}
	pods := make([]*corev1.Pod, len(pins))
	for i, pin := range pins {
		name := tasks.PodName(s.svc.Name, primary.ID, utilrand.String(5))
		for taken[name] {
			name = tasks.PodName(s.svc.Name, primary.ID, utilrand.String(5))
		}
		taken[name] = true
		pods[i] = tasks.NewPod(&tmpl.Template, name, s.svc.Namespace, *owner, pin)
		s.mem.creating[name] = expectedTask{deployment: primary.ID, taskDefinition: tmpl.TaskDefinition, at: s.now, node: pin.Node, zone: pin.Zone}
	}
	started, err := r.createTasks(ctx, s, pods)
	s.events = append(s.events, rollout.TasksStartedEvents(s.svc.Name, started)...)
	if len(started) > 0 {
		// Reconcile's requeue counts from its return, after the last create was answered.
		s.requeue(s.now.Add(createExpectationTTL))
	}
	return err
}

// createTasks creates the task Pods with a slow start (internal/slowstart: one at first, two
// more for each that succeeds, at most TaskWorkers at a time) and sends none after the first
// failure, as the ReplicaSet controller's slow start: a quota or an admission webhook that
// refuses every Pod then costs one request per pass, not one per task. The expectations of
// the Pods that were refused or not attempted are dropped; a create whose outcome is unknown
// (createOutcomeUnknown) keeps its expectation, as the Job and ReplicaSet controllers keep
// theirs on a timeout: the Pod may exist, and a replacement started now could run beside it
// once the cache shows both. It returns the started tasks' names, sorted.
//
// An expectation's lifetime starts when its create is answered, not when the pass began: a
// pass that creates thousands of tasks at the client's QPS may take longer than
// createExpectationTTL, and the cache is a moment behind the last creates when the next pass
// starts; dated from the pass, their expectations would lapse at once and the next pass would
// start replacements for tasks that exist.
func (r *ServiceReconciler) createTasks(ctx context.Context, s *serviceScope, pods []*corev1.Pod) ([]string, error) {
	answered := make([]time.Time, len(pods))
	res := slowstart.Run(len(pods), slowstart.Initial, r.taskWorkers(), func(i int) error {
		err := r.Create(ctx, pods[i])
		answered[i] = r.now()
		if err != nil {
			return fmt.Errorf("creating task %s: %w", pods[i].Name, err)
		}
		return nil
	})
	var started []string
	for i, pod := range pods {
		if i >= res.Attempted() || (res.Errs[i] != nil && !createOutcomeUnknown(res.Errs[i])) {
			delete(s.mem.creating, pod.Name)
			continue
		}
		if e, ok := s.mem.creating[pod.Name]; ok {
			e.uid, e.at = pod.UID, answered[i]
			s.mem.creating[pod.Name] = e
		}
		if res.Errs[i] == nil {
			started = append(started, pod.Name)
		}
	}
	slices.Sort(started)
	if err := res.Err(); err != nil {
		return started, fmt.Errorf("starting %d tasks: %w", len(pods), err)
	}
	return started, nil
}

// createOutcomeUnknown reports whether a failed create may still have stored the Pod: the
// API server answered that it timed out (the write may complete), or the client gave up
// waiting for the answer. A refusal (any other status) or a request that never reached the
// API server (connection refused) created nothing.
func createOutcomeUnknown(err error) bool {
	if apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err) {
		return true
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	netErr, ok := errors.AsType[net.Error](err)
	return ok && netErr.Timeout()
}

// nodesLackingTask lists the eligible nodes without a live task of the deployment that this
// pass keeps, in name order.
func (s *serviceScope) nodesLackingTask(deployment string) []string {
	stopping := map[string]bool{}
	for _, st := range s.plan.Stop {
		stopping[st.Task] = true
	}
	covered := map[string]bool{}
	for _, t := range s.tasks {
		if t.live() && t.task.Deployment == deployment && !stopping[t.task.Name] {
			covered[taskNode(&t)] = true
		}
	}
	var out []string
	for _, n := range s.eligible {
		if !covered[n] {
			out = append(out, n)
		}
	}
	return out
}

// taskNode is the node a task runs on or is pinned to.
func taskNode(t *observedTask) string {
	if t.task.Node != "" {
		return t.task.Node
	}
	return t.pinned
}

// pinnedNode is the node a DAEMON task Pod is pinned to by node affinity, or "".
func pinnedNode(pod *corev1.Pod) string {
	if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		for _, term := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
			for _, f := range term.MatchFields {
				if f.Key == "metadata.name" && f.Operator == corev1.NodeSelectorOpIn && len(f.Values) == 1 {
					return f.Values[0]
				}
			}
		}
	}
	return ""
}

// parallel runs fn for 0..n-1 with at most workers calls at once and returns each call's
// error (nil for success), in index order.
func parallel(ctx context.Context, workers, n int, fn func(context.Context, int) error) []error {
	errs := make([]error, n)
	sem := make(chan struct{}, max(workers, 1))
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			errs[i] = fn(ctx, i)
		})
	}
	wg.Wait()
	return errs
}
