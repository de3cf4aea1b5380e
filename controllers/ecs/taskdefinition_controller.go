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
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/controllers/ecs/revisions"
	"github.com/berth-dev/berth/controllers/internal/finalizers"
	"github.com/berth-dev/berth/internal/taskdef"
)

// defaultRevisionHistoryLimit applies when spec.revisionHistoryLimit is unset (the CRD
// defaults it; this covers objects stored before the default existed).
const defaultRevisionHistoryLimit = 10

// TaskDefinitionReconciler registers TaskDefinition revisions: every spec change that
// translates to a Pod becomes revision N+1, stored as an immutable ControllerRevision owned
// by the TaskDefinition; old revisions no Service uses are pruned beyond the history limit.
//
// Decisions that write (register a revision, prune one, release the finalizer) are taken
// from the cache and confirmed from the API server before the write: the TaskDefinition and
// ControllerRevision informers lag independently, and a pass that sees the new status but not
// yet the new revision must not register the same spec twice.
type TaskDefinitionReconciler struct {
	client.Client
	// APIReader reads from the API server, uncached, to confirm a write the cache suggests.
	APIReader client.Reader
	Scheme    *runtime.Scheme
	Recorder  recorder.EventRecorder
}

// taskDefinitionScope is what one reconcile pass read and decided.
type taskDefinitionScope struct {
	td        *ecsv1alpha1.TaskDefinition
	revisions []appsv1.ControllerRevision // the family's revisions, oldest first
	hash      string
	result    *taskdef.Result
	// invalid is the translation error of the current spec; the latest good revision stays.
	invalid error
	// used maps a revision number to the Services using it.
	used map[int64][]string
	// users are the Services using the family at all (for deletion).
	users []string
}

// +kubebuilder:rbac:groups=ecs.berth.dev,resources=taskdefinitions,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=taskdefinitions/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=taskdefinitions/finalizers,verbs=update
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=services,verbs=get;list;watch
// +kubebuilder:rbac:groups=apps,resources=controllerrevisions,verbs=get;list;watch;create;delete

// Reconcile registers a revision when the spec changed, prunes unused old revisions, and
// writes status once.
func (r *TaskDefinitionReconciler) Reconcile(ctx context.Context, req ctrl.Request) (_ ctrl.Result, retErr error) {
	td := &ecsv1alpha1.TaskDefinition{}
	if err := r.Get(ctx, req.NamespacedName, td); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if err := finalizers.Ensure(ctx, r.Client, td, ecsv1alpha1.Finalizer); err != nil {
		return ctrl.Result{}, err
	}

	orig := td.DeepCopy()
	s := &taskDefinitionScope{td: td}
	defer func() {
		computeTaskDefinitionStatus(s, retErr)
		if !equality.Semantic.DeepEqual(orig.Status, td.Status) {
			// NotFound: the pass released the finalizer and the TaskDefinition is gone.
			if err := r.Status().Patch(ctx, td, client.MergeFrom(orig)); client.IgnoreNotFound(err) != nil {
				retErr = errors.Join(retErr, fmt.Errorf("writing status: %w", err))
			}
		}
	}()

	if !td.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.reconcileDelete(ctx, s)
	}
	return ctrl.Result{}, r.reconcileNormal(ctx, s)
}

// reconcileNormal runs the steps in order; each reads or changes one thing.
func (r *TaskDefinitionReconciler) reconcileNormal(ctx context.Context, s *taskDefinitionScope) error {
	for _, step := range []func(context.Context, *taskDefinitionScope) error{
		r.reconcileRevisions,
		r.reconcileTranslation,
		r.reconcileRegister,
		r.reconcileUsage,
		r.reconcilePrune,
	} {
		if err := step(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// reconcileDelete keeps the TaskDefinition (and so its revisions) while a Service still
// uses the family, as ECS keeps a deleted task definition in DELETE_IN_PROGRESS until its
// services stop.
func (r *TaskDefinitionReconciler) reconcileDelete(ctx context.Context, s *taskDefinitionScope) error {
	if err := r.reconcileRevisions(ctx, s); err != nil {
		return err
	}
	if err := r.reconcileUsage(ctx, s); err != nil {
		return err
	}
	if len(s.users) > 0 || !controllerutil.ContainsFinalizer(s.td, ecsv1alpha1.Finalizer) {
		return nil // a Service update brings the next pass
	}
	// The cache may not show a Service created a moment ago: confirm before releasing.
	if err := r.reconcileLiveUsage(ctx, s); err != nil || len(s.users) > 0 {
		return err
	}
	return finalizers.Release(ctx, r.Client, s.td, ecsv1alpha1.Finalizer)
}

// reconcileRevisions reads the family's ControllerRevisions from the cache.
func (r *TaskDefinitionReconciler) reconcileRevisions(ctx context.Context, s *taskDefinitionScope) error {
	revisions, err := familyRevisions(ctx, r.Client, s.td)
	if err != nil {
		return err
	}
	s.revisions = revisions
	return nil
}

// familyRevisions lists the ControllerRevisions td controls, oldest first.
func familyRevisions(ctx context.Context, c client.Reader, td *ecsv1alpha1.TaskDefinition) ([]appsv1.ControllerRevision, error) {
	list := &appsv1.ControllerRevisionList{}
	if err := c.List(ctx, list, client.InNamespace(td.Namespace), client.MatchingLabels{revisions.FamilyLabel: td.Name}); err != nil {
		return nil, fmt.Errorf("listing revisions: %w", err)
	}
	var out []appsv1.ControllerRevision
	for _, cr := range list.Items {
		if metav1.IsControlledBy(&cr, td) {
			out = append(out, cr)
		}
	}
	slices.SortFunc(out, func(a, b appsv1.ControllerRevision) int { return cmp.Compare(a.Revision, b.Revision) })
	return out, nil
}

// reconcileTranslation hashes the spec and translates it; a translation error is a state of
// the object (reported in status), not a reconcile error.
func (r *TaskDefinitionReconciler) reconcileTranslation(_ context.Context, s *taskDefinitionScope) error {
	hash, err := taskdef.SpecHash(&s.td.Spec)
	if err != nil {
		return err
	}
	s.hash = hash
	s.result, s.invalid = taskdef.Translate(&s.td.Spec, taskdef.Options{Family: s.td.Name})
	return nil
}

// latestRevision returns the newest stored revision, or nil.
func (s *taskDefinitionScope) latestRevision() *appsv1.ControllerRevision {
	if len(s.revisions) == 0 {
		return nil
	}
	return &s.revisions[len(s.revisions)-1]
}

// registered reports whether the latest revision holds the current spec.
func (s *taskDefinitionScope) registered() bool {
	latest := s.latestRevision()
	return latest != nil && latest.Annotations[revisions.SpecHashAnnotation] == s.hash
}

// reconcileRegister stores the spec as revision N+1 when it differs from the latest
// revision and translates. N is the highest number ever used, so numbers never repeat.
//
// Registering is decided from the cache, then confirmed from the API server: the cache may
// hold the TaskDefinition's new status but not yet the revision that status counts (or miss
// it after a restart's first list raced the create), and a second revision of an unchanged
// spec is a number an ECS user sees jump. The revision's name is derived from its number, so
// even two controllers deciding at once cannot both create revision N.
func (r *TaskDefinitionReconciler) reconcileRegister(ctx context.Context, s *taskDefinitionScope) error {
	if s.invalid != nil || s.registered() {
		return nil //nolint:nilerr // a spec that does not translate registers nothing; status reports why
	}
	live, err := familyRevisions(ctx, r.APIReader, s.td)
	if err != nil {
		return err
	}
	s.revisions = live
	if s.registered() {
		return nil // the cache lagged behind a registration of this spec
	}
	latest := s.latestRevision()
	n := s.td.Status.Revision
	if latest != nil {
		n = max(n, latest.Revision)
	}
	n++
	data, err := json.Marshal(&s.td.Spec)
	if err != nil {
		return fmt.Errorf("encoding revision: %w", err)
	}
	cr := &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{
			Name:        revisions.Name(s.td.Name, n),
			Namespace:   s.td.Namespace,
			Labels:      map[string]string{revisions.FamilyLabel: s.td.Name},
			Annotations: map[string]string{revisions.SpecHashAnnotation: s.hash},
		},
		Data:     runtime.RawExtension{Raw: data},
		Revision: n,
	}
	if err := controllerutil.SetControllerReference(s.td, cr, r.Scheme); err != nil {
		return fmt.Errorf("owning revision: %w", err)
	}
	if err := r.Create(ctx, cr); err != nil {
		if apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
			// The namespace is being deleted, its revisions first: the TaskDefinition goes
			// with it, and retrying would only fill the log until it does.
			ctrl.LoggerFrom(ctx).V(1).Info("not registering a revision in a namespace being deleted", "revision", n)
			return nil
		}
		return fmt.Errorf("registering revision %d: %w", n, err)
	}
	s.revisions = append(s.revisions, *cr)
	ctrl.LoggerFrom(ctx).Info("registered revision", "taskDefinition", klog.KObj(s.td), "revision", n, "specHash", s.hash)
	r.Recorder.Eventf(s.td, cr, corev1.EventTypeNormal, "RevisionRegistered", "Register", "registered revision %d (%s)", n, cr.Name)
	return nil
}

// reconcileUsage finds which revisions Services use, from the cache.
func (r *TaskDefinitionReconciler) reconcileUsage(ctx context.Context, s *taskDefinitionScope) error {
	services, err := servicesUsingFamily(ctx, r.Client, s.td.Namespace, s.td.Name)
	if err != nil {
		return err
	}
	s.used, s.users = familyUsage(s.td, services)
	return nil
}

// reconcileLiveUsage re-reads the usage from the API server, before a write that the cached
// usage allows: a Service created or pinned a moment ago may not be in the cache yet.
func (r *TaskDefinitionReconciler) reconcileLiveUsage(ctx context.Context, s *taskDefinitionScope) error {
	list := &ecsv1alpha1.ServiceList{}
	if err := r.APIReader.List(ctx, list, client.InNamespace(s.td.Namespace)); err != nil {
		return fmt.Errorf("listing Services that use %s/%s: %w", s.td.Namespace, s.td.Name, err)
	}
	s.used, s.users = familyUsage(s.td, list.Items)
	return nil
}

// familyUsage maps each revision of td's family to the Services using it ("web" counts as
// the latest revision), and lists the Services using the family at all, sorted.
func familyUsage(td *ecsv1alpha1.TaskDefinition, services []ecsv1alpha1.Service) (map[int64][]string, []string) {
	used := map[int64][]string{}
	var users []string
	for _, svc := range services {
		uses := false
		for _, ref := range serviceRefs(&svc) {
			family, n, err := revisions.ParseRef(ref)
			if err != nil || family != td.Name {
				continue
			}
			uses = true
			if n == 0 && td.Status.Revision > 0 {
				n = td.Status.Revision
			}
			if n > 0 && !slices.Contains(used[n], svc.Name) {
				used[n] = append(used[n], svc.Name)
			}
		}
		if uses {
			users = append(users, svc.Name)
		}
	}
	slices.Sort(users)
	return used, slices.Compact(users)
}

// reconcilePrune deletes the oldest revisions that are neither the latest nor used by a
// Service, keeping revisionHistoryLimit of them.
func (r *TaskDefinitionReconciler) reconcilePrune(ctx context.Context, s *taskDefinitionScope) error {
	limit := defaultRevisionHistoryLimit
	if s.td.Spec.RevisionHistoryLimit != nil {
		limit = int(*s.td.Spec.RevisionHistoryLimit)
	}
	var unused []appsv1.ControllerRevision
	for i, cr := range s.revisions {
		if i < len(s.revisions)-1 && len(s.used[cr.Revision]) == 0 {
			unused = append(unused, cr)
		}
	}
	if len(unused) <= limit {
		return nil
	}
	if err := r.reconcileLiveUsage(ctx, s); err != nil {
		return err
	}
	unused = slices.DeleteFunc(unused, func(cr appsv1.ControllerRevision) bool { return len(s.used[cr.Revision]) > 0 })
	if len(unused) <= limit {
		return nil
	}
	for _, cr := range unused[:len(unused)-limit] {
		if err := r.Delete(ctx, &cr, client.Preconditions{UID: &cr.UID}); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("pruning revision %d: %w", cr.Revision, err)
		}
		s.revisions = slices.DeleteFunc(s.revisions, func(c appsv1.ControllerRevision) bool { return c.Name == cr.Name })
	}
	return nil
}

// SetupWithManager watches TaskDefinitions, their ControllerRevisions, and the Services
// that use them.
func (r *TaskDefinitionReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("taskdefinition").
		For(&ecsv1alpha1.TaskDefinition{}).
		Owns(&appsv1.ControllerRevision{}).
		Watches(&ecsv1alpha1.Service{}, handler.EnqueueRequestsFromMapFunc(taskDefinitionsOfService), builder.WithPredicates(serviceRefsChanged)).
		Complete(r)
}
