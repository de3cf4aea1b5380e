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
	"slices"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	networkingv1ac "k8s.io/client-go/applyconfigurations/networking/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/controllers/ecs/revisions"
	"github.com/berth-dev/berth/internal/placement"
	"github.com/berth-dev/berth/internal/taskdef"
	"github.com/berth-dev/berth/internal/tasks"
)

// errTaskCannotRun is a task definition, overrides or placement the task can never run
// with: the task stops with TaskFailedToStart.
var errTaskCannotRun = errors.New("the task cannot run")

// reconcileStart starts a task that has no Pod yet: it resolves the revision the spec names
// (once: a Pod that exists names its revision), translates it with the overrides and the
// placement, isolates it when it has no networking, and creates the Pod. A family or
// revision that does not exist stalls the Task until it appears; a revision the task cannot
// run with stops it with TaskFailedToStart.
func (r *TaskReconciler) reconcileStart(ctx context.Context, s *taskScope) error {
	if s.pod != nil || s.podGone || s.status.LastStatus != "" || s.task.Spec.DesiredStatus == ecsv1alpha1.DesiredStopped {
		return nil
	}
	rev, err := r.resolve(ctx, s)
	if err != nil || rev == nil {
		return err
	}
	pod, isolated, err := r.buildTaskPod(ctx, s, rev)
	switch {
	case errors.Is(err, errTaskCannotRun):
		s.status = tasks.StandaloneNotStarted(&s.status, err.Error(), s.now)
		s.status.TaskDefinition = rev.Ref()
		s.stalledReason, s.stalledMessage = ecsv1alpha1.InvalidTaskDefinitionReason, err.Error()
		return nil
	case err != nil:
		return err
	}
	if ok, err := r.pullSecretReady(ctx, s, rev, pod); err != nil || !ok {
		return err
	}
	if isolated {
		if ok, err := r.applyTaskNetworkPolicy(ctx, s); err != nil || !ok {
			return err
		}
	}
	if err := r.Create(ctx, pod); err != nil {
		return r.podNotCreated(ctx, s, rev, err)
	}
	ctrl.LoggerFrom(ctx).Info("Started task", "taskDefinition", rev.Ref(), "pod", pod.Name)
	s.pod = pod
	s.status.TaskDefinition, s.status.Group = rev.Ref(), group(s.task, rev.Family)
	return nil
}

// resolve finds the revision the spec names, confirming with the API server before
// reporting it missing (the cache may lag behind a TaskDefinition created a moment ago). A
// missing one stalls the Task and returns nil.
func (r *TaskReconciler) resolve(ctx context.Context, s *taskScope) (*revisions.Revision, error) {
	ref := s.task.Spec.TaskDefinition
	rev, err := revisions.Resolve(ctx, r.Client, s.task.Namespace, ref)
	if errors.Is(err, revisions.ErrFamilyNotFound) || errors.Is(err, revisions.ErrRevisionNotFound) {
		rev, err = revisions.Resolve(ctx, r.APIReader, s.task.Namespace, ref)
	}
	switch {
	case errors.Is(err, revisions.ErrFamilyNotFound), errors.Is(err, revisions.ErrRevisionNotFound), errors.Is(err, revisions.ErrInvalidReference):
		s.stalledReason, s.stalledMessage = ecsv1alpha1.TaskDefinitionNotFoundReason, err.Error()
		return nil, nil
	case err != nil:
		return nil, err
	}
	return rev, nil
}

// buildTaskPod translates the revision with the task's overrides and placement into its Pod,
// its images pinned to their digests now, when the task starts. isolated says the task has
// no networking and needs its deny-all NetworkPolicy first.
func (r *TaskReconciler) buildTaskPod(ctx context.Context, s *taskScope, rev *revisions.Revision) (*corev1.Pod, bool, error) {
	spec, err := taskdef.ApplyOverrides(&rev.Spec, s.task.Spec.Overrides)
	if err != nil {
		return nil, false, fmt.Errorf("%w: %w", errTaskCannotRun, err)
	}
	opts := taskdef.Options{
		Family:                rev.Family,
		Revision:              rev.Number,
		RegistryHost:          r.RegistryHost,
		PullSecretName:        r.PullSecretName,
		ContainerRestartRules: r.ContainerRestartRules,
	}
	res, err := taskdef.Translate(spec, opts)
	if err != nil {
		return nil, false, fmt.Errorf("%w: task definition %s: %w", errTaskCannotRun, rev.Ref(), err)
	}
	if r.Digests != nil {
		digests, err := r.Digests.Resolve(ctx, s.task.Namespace, images(&res.Template.Spec))
		if err != nil {
			return nil, false, fmt.Errorf("resolving image digests: %w", err)
		}
		if len(digests) > 0 {
			opts.Digests = digests
			if res, err = taskdef.Translate(spec, opts); err != nil {
				return nil, false, fmt.Errorf("%w: task definition %s: %w", errTaskCannotRun, rev.Ref(), err)
			}
		}
	}
	grp := group(s.task, rev.Family)
	sched, err := placement.Translate(s.task.Spec.PlacementStrategy, s.task.Spec.PlacementConstraints, spec.PlacementConstraints,
		placement.Options{Selector: tasks.GroupSelector(grp), BinpackSchedulerName: r.BinpackSchedulerName, SpreadAcrossDeployments: true})
	if err != nil {
		return nil, false, fmt.Errorf("%w: %w", errTaskCannotRun, err)
	}
	pod := tasks.StandalonePod(tasks.StandaloneInput{
		Task:           s.task.Name,
		Namespace:      s.task.Namespace,
		Group:          grp,
		StartedBy:      s.task.Spec.StartedBy,
		Translated:     res,
		Scheduling:     sched,
		Tags:           s.task.Spec.Tags,
		RestartEnabled: tasks.RestartEnabledContainers(spec),
		Owner:          *metav1.NewControllerRef(s.task, ecsv1alpha1.GroupVersion.WithKind("Task")),
	})
	return pod, res.DenyAllNetworkPolicy, nil
}

// pullSecretReady reports whether the execution pull Secret the Pod lists exists. The pull
// credentials controller makes it once it sees the Task; a Pod created before it would fail
// its first pull, and a standalone task, unlike a service's, is not replaced, so the task
// waits (Reconciling) for it. The cache holds only the Secrets Berth made; one the user made
// under that name is found through the API server.
func (r *TaskReconciler) pullSecretReady(ctx context.Context, s *taskScope, rev *revisions.Revision, pod *corev1.Pod) (bool, error) {
	if r.PullSecretName == "" {
		return true, nil
	}
	sa := taskdef.ExecutionServiceAccount(&rev.Spec)
	name := taskdef.PullSecretName(r.PullSecretName, sa)
	if !slices.ContainsFunc(pod.Spec.ImagePullSecrets, func(ref corev1.LocalObjectReference) bool { return ref.Name == name }) {
		return true, nil
	}
	key := types.NamespacedName{Namespace: s.task.Namespace, Name: name}
	err := r.Get(ctx, key, &corev1.Secret{})
	if apierrors.IsNotFound(err) {
		err = r.APIReader.Get(ctx, key, &corev1.Secret{})
	}
	switch {
	case apierrors.IsNotFound(err):
		s.waiting = fmt.Sprintf("waiting for the pull Secret %s of execution ServiceAccount %s, which the pull credentials controller makes", name, sa)
		return false, nil
	case err != nil:
		return false, fmt.Errorf("reading pull Secret %s: %w", name, err)
	}
	return true, nil
}

// group is the task group in effect: spec.group, or ECS's "family:<family>".
func group(task *ecsv1alpha1.Task, family string) string {
	if task.Spec.Group != "" {
		return task.Spec.Group
	}
	return tasks.DefaultGroup(family)
}

// applyTaskNetworkPolicy server-side applies the deny-all NetworkPolicy of a task without
// networking, owned by the Task, before its Pod exists. It reports false, and stalls the
// Task, when a NetworkPolicy of that name belongs to someone else. The cache holds only the
// Services' NetworkPolicies, so the API server is asked; this runs once per task.
func (r *TaskReconciler) applyTaskNetworkPolicy(ctx context.Context, s *taskScope) (bool, error) {
	desired := tasks.StandaloneDenyAllNetworkPolicy(s.task.Name, s.task.Namespace)
	cur := &networkingv1.NetworkPolicy{}
	err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(&desired), cur)
	switch {
	case err == nil && !metav1.IsControlledBy(cur, s.task):
		s.stalledReason = ecsv1alpha1.NameTakenReason
		s.stalledMessage = fmt.Sprintf("the task has no networking and NetworkPolicy %s, which would isolate it, exists and does not belong to this Task", desired.Name)
		return false, nil
	case err != nil && !apierrors.IsNotFound(err):
		return false, fmt.Errorf("reading NetworkPolicy %s: %w", desired.Name, err)
	}
	gvk := ecsv1alpha1.GroupVersion.WithKind("Task")
	ac := networkingv1ac.NetworkPolicy(desired.Name, desired.Namespace).
		WithLabels(desired.Labels).
		WithOwnerReferences(metav1ac.OwnerReference().
			WithAPIVersion(gvk.GroupVersion().String()).WithKind(gvk.Kind).
			WithName(s.task.Name).WithUID(s.task.UID).
			WithController(true).WithBlockOwnerDeletion(true)).
		WithSpec(networkingv1ac.NetworkPolicySpec().
			WithPodSelector(metav1ac.LabelSelector().WithMatchLabels(desired.Spec.PodSelector.MatchLabels)).
			WithPolicyTypes(desired.Spec.PolicyTypes...))
	if err := r.Apply(ctx, ac, client.FieldOwner(taskFieldOwner), client.ForceOwnership); err != nil {
		return false, fmt.Errorf("applying NetworkPolicy %s: %w", desired.Name, err)
	}
	return true, nil
}

// podNotCreated handles a failed Pod creation: a Pod of that name that the cache did not show
// is read and, when it is this task's, used (a pass whose status write was lost created it);
// one that belongs to someone else stalls the Task; a Pod the API server refuses as invalid
// stops the task with TaskFailedToStart; other errors are retried.
func (r *TaskReconciler) podNotCreated(ctx context.Context, s *taskScope, rev *revisions.Revision, err error) error {
	switch {
	case apierrors.IsAlreadyExists(err):
		pod := &corev1.Pod{}
		if err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: s.task.Namespace, Name: s.task.Name}, pod); err != nil {
			return fmt.Errorf("reading the task's Pod: %w", err)
		}
		if !metav1.IsControlledBy(pod, s.task) {
			s.stalledReason = ecsv1alpha1.NameTakenReason
			s.stalledMessage = fmt.Sprintf("a Pod named %s exists and does not belong to this Task; delete it or run the task under another name", pod.Name)
			return nil
		}
		s.pod = pod
		s.status.TaskDefinition, s.status.Group = podTaskDefinition(pod), pod.Annotations[tasks.AnnotationGroup]
		return nil
	case apierrors.IsInvalid(err):
		msg := fmt.Sprintf("the task's Pod is invalid: %v", err)
		s.status = tasks.StandaloneNotStarted(&s.status, msg, s.now)
		s.status.TaskDefinition = rev.Ref()
		s.stalledReason, s.stalledMessage = ecsv1alpha1.InvalidTaskDefinitionReason, msg
		return nil
	default:
		return fmt.Errorf("creating the task's Pod: %w", err)
	}
}
