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
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	"github.com/berth-dev/berth/internal/conditions"
	"github.com/berth-dev/berth/registry/pullthrough"
)

// Revalidation intervals: the upstream and its credentials live outside the cluster (a
// password expires, a token is revoked), so a rule is asked again after a while even when
// nothing in the cluster changed.
const (
	ruleRevalidateOK     = 10 * time.Minute
	ruleRevalidateFailed = time.Minute
	// ruleValidateTimeout bounds one question to the upstream.
	ruleValidateTimeout = 15 * time.Second
)

// PullThroughCacheRuleReconciler reports, as ECR's ValidatePullThroughCacheRule does, whether
// each rule's upstream answers and accepts its credentials. The registry does the caching;
// this controller only tells users whether their rule can work.
type PullThroughCacheRuleReconciler struct {
	client.Client
	// Recorder emits an Event each time the rule's Ready reason changes.
	Recorder recorder.EventRecorder
	// Transport reaches the upstreams; nil is http.DefaultTransport.
	Transport http.RoundTripper
}

// +kubebuilder:rbac:groups=ecr.berth.dev,resources=pullthroughcacherules,verbs=get;list;watch
// +kubebuilder:rbac:groups=ecr.berth.dev,resources=pullthroughcacherules/status,verbs=get;update;patch

// Reconcile validates the rule against its upstream and writes status when it changed.
func (r *PullThroughCacheRuleReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	rule := &ecrv1alpha1.PullThroughCacheRule{}
	if err := r.Get(ctx, req.NamespacedName, rule); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	orig := rule.DeepCopy()
	reason, message, err := r.validate(ctx, rule)
	if err != nil {
		return ctrl.Result{}, err
	}
	ok := reason == ecrv1alpha1.UpstreamValidatedReason
	if ok {
		conditions.True(&rule.Status.Conditions, rule.Generation, ecrv1alpha1.ReadyCondition, reason, message)
	} else {
		conditions.False(&rule.Status.Conditions, rule.Generation, ecrv1alpha1.ReadyCondition, reason, message)
	}
	// A missing or malformed Secret, or refused credentials, need a change by the user.
	stalled := reason == ecrv1alpha1.SecretNotFoundReason || reason == ecrv1alpha1.InvalidSecretReason || reason == ecrv1alpha1.UpstreamAuthenticationFailedReason
	conditions.SetAbnormal(&rule.Status.Conditions, rule.Generation, ecrv1alpha1.StalledCondition, stalled, reason, message)
	rule.Status.ObservedGeneration = rule.Generation
	before := meta.FindStatusCondition(orig.Status.Conditions, ecrv1alpha1.ReadyCondition)
	if !equality.Semantic.DeepEqual(orig.Status.Conditions, rule.Status.Conditions) || orig.Status.ObservedGeneration != rule.Status.ObservedGeneration || orig.Status.LastValidatedAt == nil {
		now := metav1.Now()
		rule.Status.LastValidatedAt = &now
		if err := r.Status().Patch(ctx, rule, client.MergeFrom(orig)); err != nil {
			return ctrl.Result{}, fmt.Errorf("writing status: %w", err)
		}
	}
	if before == nil || before.Reason != reason {
		typ := corev1.EventTypeNormal
		if !ok {
			typ = corev1.EventTypeWarning
		}
		r.Recorder.Eventf(rule, nil, typ, reason, "Validate", "%s", conditions.Truncate(message, 1024))
	}
	if ok {
		return ctrl.Result{RequeueAfter: ruleRevalidateOK}, nil
	}
	return ctrl.Result{RequeueAfter: ruleRevalidateFailed}, nil
}

// validate returns the Ready reason and message of a rule; an error is a failure to read the
// cluster, not a verdict on the rule.
func (r *PullThroughCacheRuleReconciler) validate(ctx context.Context, rule *ecrv1alpha1.PullThroughCacheRule) (reason, message string, err error) {
	creds := authn.Anonymous
	if ref := rule.Spec.CredentialSecretRef; ref != nil {
		s := &corev1.Secret{}
		err := r.Get(ctx, types.NamespacedName{Namespace: rule.Namespace, Name: ref.Name}, s)
		switch {
		case apierrors.IsNotFound(err):
			return ecrv1alpha1.SecretNotFoundReason, fmt.Sprintf("no Secret %q in namespace %s", ref.Name, rule.Namespace), nil
		case err != nil:
			return "", "", fmt.Errorf("reading Secret %s/%s: %w", rule.Namespace, ref.Name, err)
		}
		if err := pullthrough.CheckSecret(s); err != nil {
			return ecrv1alpha1.InvalidSecretReason, err.Error(), nil
		}
		creds = authn.FromConfig(authn.AuthConfig{Username: string(s.Data[corev1.BasicAuthUsernameKey]), Password: string(s.Data[corev1.BasicAuthPasswordKey])})
	}
	vctx, cancel := context.WithTimeout(ctx, ruleValidateTimeout)
	defer cancel()
	err = pullthrough.Validate(vctx, creds, r.Transport, rule)
	switch f := pullthrough.FailureOf(err); {
	case err == nil:
		return ecrv1alpha1.UpstreamValidatedReason, fmt.Sprintf("%s accepts the rule's credentials", rule.Spec.UpstreamRegistryURL), nil
	case f == pullthrough.FailureAuth:
		return ecrv1alpha1.UpstreamAuthenticationFailedReason, err.Error(), nil
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return "", "", ctx.Err()
	default:
		return ecrv1alpha1.UpstreamUnreachableReason, err.Error(), nil
	}
}

// rulesForSecret maps a Secret to the rules of its namespace that name it.
func (r *PullThroughCacheRuleReconciler) rulesForSecret(ctx context.Context, o client.Object) []reconcile.Request {
	list := &ecrv1alpha1.PullThroughCacheRuleList{}
	if err := r.List(ctx, list, client.InNamespace(o.GetNamespace())); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing PullThroughCacheRules for a Secret")
		return nil
	}
	var reqs []reconcile.Request
	for _, rule := range list.Items {
		if ref := rule.Spec.CredentialSecretRef; ref != nil && ref.Name == o.GetName() {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: rule.Namespace, Name: rule.Name}})
		}
	}
	return reqs
}

// SetupWithManager watches rules and the Secrets they name.
func (r *PullThroughCacheRuleReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("pullthroughcacherule").
		For(&ecrv1alpha1.PullThroughCacheRule{}).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.rulesForSecret)).
		Complete(r)
}
