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

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"
	"sigs.k8s.io/controller-runtime/pkg/source"

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
	// APIReader reads the rules' credential Secrets from the API server: the manager's cache
	// holds only the pull credentials Berth keeps (ecs.CacheOptions), not users' Secrets.
	// Nil is the manager's API reader.
	APIReader client.Reader
	// Recorder emits an Event each time the rule's Ready reason changes.
	Recorder recorder.EventRecorder
	// Transport reaches the upstreams; nil is http.DefaultTransport.
	Transport http.RoundTripper
}

// +kubebuilder:rbac:groups=ecr.berth.dev,resources=pullthroughcacherules,verbs=get;list;watch
// +kubebuilder:rbac:groups=ecr.berth.dev,resources=pullthroughcacherules/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch

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
	// A missing or malformed Secret or CA ConfigMap, or refused credentials, need a change by
	// the user.
	stalled := reason == ecrv1alpha1.SecretNotFoundReason || reason == ecrv1alpha1.InvalidSecretReason ||
		reason == ecrv1alpha1.CACertificateNotFoundReason || reason == ecrv1alpha1.InvalidCACertificateReason ||
		reason == ecrv1alpha1.UpstreamAuthenticationFailedReason
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
	refs := r.references()
	creds, err := refs.Credentials(ctx, rule)
	if err != nil {
		return referenceVerdict(err)
	}
	base := r.Transport
	bundle, err := refs.CACertificates(ctx, rule)
	if err != nil {
		return referenceVerdict(err)
	}
	if bundle != nil {
		t, err := pullthrough.WithCA(r.Transport, bundle.Roots)
		if err != nil {
			return "", "", fmt.Errorf("making the transport of ConfigMap %s/%s: %w", rule.Namespace, rule.Spec.CACertificateRef.Name, err)
		}
		defer t.CloseIdleConnections()
		base = t
	}
	vctx, cancel := context.WithTimeout(ctx, ruleValidateTimeout)
	defer cancel()
	err = pullthrough.Validate(vctx, creds, base, rule)
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

// references reads a rule's Secret and ConfigMap with the API reader.
func (r *PullThroughCacheRuleReconciler) references() pullthrough.References {
	return pullthrough.References{
		Secret: func(ctx context.Context, namespace, name string) (*corev1.Secret, error) {
			s := &corev1.Secret{}
			return s, r.APIReader.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, s)
		},
		ConfigMap: func(ctx context.Context, namespace, name string) (*corev1.ConfigMap, error) {
			cm := &corev1.ConfigMap{}
			return cm, r.APIReader.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, cm)
		},
	}
}

// referenceVerdict is the Ready reason and message of a rule whose Secret or ConfigMap
// could not be used; an error that is no verdict (reading failed) is returned.
func referenceVerdict(err error) (reason, message string, _ error) {
	var e *pullthrough.Error
	if !errors.As(err, &e) {
		return "", "", err
	}
	switch {
	case e.Failure == pullthrough.FailureCredentials && e.Missing:
		return ecrv1alpha1.SecretNotFoundReason, err.Error(), nil
	case e.Failure == pullthrough.FailureCredentials:
		return ecrv1alpha1.InvalidSecretReason, err.Error(), nil
	case e.Failure == pullthrough.FailureCACertificate && e.Missing:
		return ecrv1alpha1.CACertificateNotFoundReason, err.Error(), nil
	case e.Failure == pullthrough.FailureCACertificate:
		return ecrv1alpha1.InvalidCACertificateReason, err.Error(), nil
	}
	return "", "", err
}

// rulesNaming maps an object to the rules of its namespace whose reference (ref of a rule:
// its Secret's or ConfigMap's name, "" for none) names it.
func (r *PullThroughCacheRuleReconciler) rulesNaming(ctx context.Context, o client.Object, ref func(*ecrv1alpha1.PullThroughCacheRule) string) []reconcile.Request {
	list := &ecrv1alpha1.PullThroughCacheRuleList{}
	if err := r.List(ctx, list, client.InNamespace(o.GetNamespace())); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing PullThroughCacheRules", "for", klog.KObj(o))
		return nil
	}
	var reqs []reconcile.Request
	for i := range list.Items {
		if ref(&list.Items[i]) == o.GetName() {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: list.Items[i].Namespace, Name: list.Items[i].Name}})
		}
	}
	return reqs
}

func secretOf(rule *ecrv1alpha1.PullThroughCacheRule) string {
	if ref := rule.Spec.CredentialSecretRef; ref != nil {
		return ref.Name
	}
	return ""
}

func caConfigMapOf(rule *ecrv1alpha1.PullThroughCacheRule) string {
	if ref := rule.Spec.CACertificateRef; ref != nil {
		return ref.Name
	}
	return ""
}

// SetupWithManager watches rules and the Secrets they name.
func (r *PullThroughCacheRuleReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.APIReader == nil {
		r.APIReader = mgr.GetAPIReader()
	}
	refs, err := newReferenceCache(mgr)
	if err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("pullthroughcacherule").
		For(&ecrv1alpha1.PullThroughCacheRule{}).
		WatchesRawSource(source.Kind(refs, &corev1.Secret{},
			handler.TypedEnqueueRequestsFromMapFunc(func(ctx context.Context, s *corev1.Secret) []reconcile.Request {
				return r.rulesNaming(ctx, s, secretOf)
			}))).
		WatchesRawSource(source.Kind(refs, caConfigMaps(),
			handler.TypedEnqueueRequestsFromMapFunc(func(ctx context.Context, cm *metav1.PartialObjectMetadata) []reconcile.Request {
				return r.rulesNaming(ctx, cm, caConfigMapOf)
			}))).
		Complete(r)
}

// caConfigMaps is what the controller watches of ConfigMaps: their metadata only.
func caConfigMaps() *metav1.PartialObjectMetadata {
	return &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}}
}

// newReferenceCache watches what rules name, to validate a rule again when it changes; the
// reconciler reads the object itself with APIReader. Of Secrets, those that can be
// credentials: type kubernetes.io/basic-auth (a field selector the API server applies), names
// only — a rule naming a Secret of another type is InvalidSecret, and since a Secret's type
// cannot change, its fix is a new basic-auth Secret, which is watched. Of ConfigMaps, the
// metadata of all (caConfigMaps).
func newReferenceCache(mgr ctrl.Manager) (cache.Cache, error) {
	c, err := cache.New(mgr.GetConfig(), cache.Options{
		HTTPClient: mgr.GetHTTPClient(),
		Scheme:     mgr.GetScheme(),
		Mapper:     mgr.GetRESTMapper(),
		ByObject: map[client.Object]cache.ByObject{
			&corev1.Secret{}: {
				Field:     fields.OneTermEqualSelector("type", string(corev1.SecretTypeBasicAuth)),
				Transform: credentialSecretName,
			},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("making the cache of Secrets and ConfigMaps rules name: %w", err)
	}
	if err := mgr.Add(c); err != nil {
		return nil, fmt.Errorf("adding the cache of Secrets and ConfigMaps rules name: %w", err)
	}
	return c, nil
}

// credentialSecretName keeps a watched Secret's name and namespace, not its data.
func credentialSecretName(obj any) (any, error) {
	if s, ok := obj.(*corev1.Secret); ok {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: s.Name,
			UID: s.UID, ResourceVersion: s.ResourceVersion}, Type: s.Type}, nil
	}
	return obj, nil
}
