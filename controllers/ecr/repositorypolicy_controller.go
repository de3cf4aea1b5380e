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

package ecr

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	"github.com/berth-dev/berth/internal/conditions"
	"github.com/berth-dev/berth/internal/policy"
)

// PolicyRepositoryIndex indexes RepositoryPolicies by spec.repositoryName, so a Repository
// that appears or goes finds the policies that name it.
const PolicyRepositoryIndex = "ecr.berth.dev/repository-name"

// RepositoryPolicyReconciler reports whether each RepositoryPolicy is in force: its
// repository exists and every statement is valid. The registry enforces the statements; this
// controller only tells users whether what they wrote applies.
type RepositoryPolicyReconciler struct {
	client.Client
	// Recorder emits an Event each time the policy goes in or out of force.
	Recorder recorder.EventRecorder
}

// +kubebuilder:rbac:groups=ecr.berth.dev,resources=repositorypolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups=ecr.berth.dev,resources=repositorypolicies/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=ecr.berth.dev,resources=repositories,verbs=get;list;watch

// Reconcile computes the policy's Ready condition and writes status when it changed.
func (r *RepositoryPolicyReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	p := &ecrv1alpha1.RepositoryPolicy{}
	if err := r.Get(ctx, req.NamespacedName, p); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	orig := p.DeepCopy()
	reason, message, err := r.evaluate(ctx, p)
	if err != nil {
		return ctrl.Result{}, err
	}
	inForce := reason == ecrv1alpha1.ReconciledReason
	if inForce {
		conditions.True(&p.Status.Conditions, p.Generation, ecrv1alpha1.ReadyCondition, reason, message)
	} else {
		conditions.False(&p.Status.Conditions, p.Generation, ecrv1alpha1.ReadyCondition, reason, message)
	}
	// An invalid statement needs a spec change: Stalled, which kstatus reads as failed. A
	// policy waiting for its Repository is in progress (creating the Repository ends it).
	invalid := reason == ecrv1alpha1.InvalidStatementReason
	conditions.SetAbnormal(&p.Status.Conditions, p.Generation, ecrv1alpha1.StalledCondition, invalid, reason, message)
	p.Status.ObservedGeneration = p.Generation
	if equality.Semantic.DeepEqual(orig.Status, p.Status) {
		return ctrl.Result{}, nil
	}
	if err := r.Status().Patch(ctx, p, client.MergeFrom(orig)); err != nil {
		return ctrl.Result{}, fmt.Errorf("writing status: %w", err)
	}
	if before := meta.FindStatusCondition(orig.Status.Conditions, ecrv1alpha1.ReadyCondition); before == nil || before.Reason != reason {
		typ := corev1.EventTypeNormal
		if !inForce {
			typ = corev1.EventTypeWarning
		}
		r.Recorder.Eventf(p, nil, typ, reason, "Evaluate", "%s", conditions.Truncate(message, 1024))
	}
	return ctrl.Result{}, nil
}

// evaluate returns the Ready reason and message for a policy.
func (r *RepositoryPolicyReconciler) evaluate(ctx context.Context, p *ecrv1alpha1.RepositoryPolicy) (reason, message string, err error) {
	// Anything the evaluator cannot enforce as written (an object that got past the CRD's
	// rules, stored before them) is reported, never silently matched or skipped.
	if errs := policy.Validate(&p.Spec); len(errs) > 0 {
		msgs := make([]string, 0, len(errs))
		for _, e := range errs {
			msgs = append(msgs, e.Error())
		}
		return ecrv1alpha1.InvalidStatementReason, strings.Join(msgs, "; "), nil
	}
	scope := fmt.Sprintf("every repository in namespace %s", p.Namespace)
	if p.Spec.RepositoryName != "*" {
		err := r.Get(ctx, types.NamespacedName{Namespace: p.Namespace, Name: p.Spec.RepositoryName}, &ecrv1alpha1.Repository{})
		switch {
		case apierrors.IsNotFound(err):
			return ecrv1alpha1.RepositoryNotFoundReason, fmt.Sprintf("no Repository %q in namespace %s: the policy applies once it exists",
				p.Spec.RepositoryName, p.Namespace), nil
		case err != nil:
			return "", "", fmt.Errorf("reading Repository %s/%s: %w", p.Namespace, p.Spec.RepositoryName, err)
		}
		scope = fmt.Sprintf("repository %s/%s", p.Namespace, p.Spec.RepositoryName)
	}
	return ecrv1alpha1.ReconciledReason, fmt.Sprintf("%d statements in force for %s", len(p.Spec.Statements), scope), nil
}

// policiesForRepository maps a Repository to the policies naming it.
func (r *RepositoryPolicyReconciler) policiesForRepository(ctx context.Context, o client.Object) []reconcile.Request {
	list := &ecrv1alpha1.RepositoryPolicyList{}
	if err := r.List(ctx, list, client.InNamespace(o.GetNamespace()), client.MatchingFieldsSelector{
		Selector: fields.OneTermEqualSelector(PolicyRepositoryIndex, o.GetName()),
	}); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing RepositoryPolicies for a Repository")
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for _, p := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: p.Namespace, Name: p.Name}})
	}
	return reqs
}

// SetupIndexes registers the field index the RepositoryPolicy reconciler queries
// (PolicyRepositoryIndex).
func SetupIndexes(ctx context.Context, mgr ctrl.Manager) error {
	if err := mgr.GetFieldIndexer().IndexField(ctx, &ecrv1alpha1.RepositoryPolicy{}, PolicyRepositoryIndex, func(o client.Object) []string {
		p, ok := o.(*ecrv1alpha1.RepositoryPolicy)
		if !ok {
			return nil
		}
		return []string{p.Spec.RepositoryName}
	}); err != nil {
		return fmt.Errorf("indexing RepositoryPolicies by repository: %w", err)
	}
	return nil
}

// SetupWithManager watches policies and the Repositories they name; SetupIndexes must have
// registered PolicyRepositoryIndex.
func (r *RepositoryPolicyReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("repositorypolicy").
		For(&ecrv1alpha1.RepositoryPolicy{}).
		Watches(&ecrv1alpha1.Repository{}, handler.EnqueueRequestsFromMapFunc(r.policiesForRepository)).
		Complete(r)
}
