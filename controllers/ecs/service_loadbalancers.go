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
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	networkingv1ac "k8s.io/client-go/applyconfigurations/networking/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/rollout"
	"github.com/berth-dev/berth/internal/tasks"
)

// appliedHashAnnotation holds the hash of what the controller last applied to a core Service
// or NetworkPolicy, so an unchanged object costs no request.
const appliedHashAnnotation = "ecs.berth.dev/applied-hash"

// reasonNameTaken: a child the controller would create exists and belongs to someone else.
const reasonNameTaken = ecsv1alpha1.NameTakenReason

// reconcileLoadBalancers makes the core Services of loadBalancers and serviceRegistries match
// the spec (server-side apply, skipped when the applied hash is unchanged) and deletes the
// ones it made that the spec no longer names. A Service of the same name that Berth does not
// own is left alone and reported.
func (r *ServiceReconciler) reconcileLoadBalancers(ctx context.Context, s *serviceScope) error {
	var template *corev1.PodTemplateSpec
	if t, err := r.currentTemplate(ctx, s); err != nil {
		return err
	} else if t != nil {
		template = &t.Template
	}
	existing := &corev1.ServiceList{}
	if err := r.List(ctx, existing, client.InNamespace(s.svc.Namespace), client.MatchingLabels{ecsv1alpha1.ServiceLabel: s.svc.Name}); err != nil {
		return fmt.Errorf("listing core Services: %w", err)
	}
	owned := map[string]*corev1.Service{}
	for i := range existing.Items {
		if metav1.IsControlledBy(&existing.Items[i], s.svc) {
			owned[existing.Items[i].Name] = &existing.Items[i]
		}
	}
	var errs []error
	wanted := map[string]bool{}
	for _, desired := range s.stagedServices(tasks.CoreServices(s.svc, template)) {
		wanted[desired.Name] = true
		hash, err := objectHash(desired.Labels, desired.Spec)
		if err != nil {
			return err
		}
		if cur := owned[desired.Name]; cur != nil && cur.Annotations[appliedHashAnnotation] == hash && coreServiceMatches(cur, &desired) {
			continue
		}
		if owned[desired.Name] == nil {
			if taken, err := r.nameTaken(ctx, s, &corev1.Service{}, desired.Name); err != nil || taken {
				errs = append(errs, err)
				continue
			}
		}
		if err := r.Apply(ctx, coreServiceApply(&desired, s.svc, hash), client.FieldOwner(serviceFieldOwner), client.ForceOwnership); err != nil {
			errs = append(errs, fmt.Errorf("applying core Service %s: %w", desired.Name, err))
			continue
		}
		ctrl.LoggerFrom(ctx).Info("Applied core Service", "coreService", desired.Name)
	}
	for name, cur := range owned {
		if wanted[name] {
			continue
		}
		if err := r.Delete(ctx, cur, client.Preconditions{UID: &cur.UID}); client.IgnoreNotFound(err) != nil {
			errs = append(errs, fmt.Errorf("deleting core Service %s: %w", name, err))
		}
	}
	s.servicesApplied = len(errs) == 0
	return errors.Join(errs...)
}

// reconcileNetworkPolicy keeps the deny-all NetworkPolicy while any task, or the current
// template, has no networking (ECS networkMode none, disableNetworking); it selects only
// those tasks.
func (r *ServiceReconciler) reconcileNetworkPolicy(ctx context.Context, s *serviceScope) error {
	needed := false
	if t, err := r.currentTemplate(ctx, s); err != nil {
		return err
	} else if t != nil && t.Template.Labels[tasks.LabelNetworkIsolated] == "true" {
		needed = true
	}
	for _, t := range s.tasks {
		if t.pod != nil && t.pod.Labels[tasks.LabelNetworkIsolated] == "true" {
			needed = true
		}
	}
	name := tasks.DenyAllNetworkPolicyName(s.svc.Name)
	cur := &networkingv1.NetworkPolicy{}
	err := r.Get(ctx, types.NamespacedName{Namespace: s.svc.Namespace, Name: name}, cur)
	switch {
	case apierrors.IsNotFound(err):
		cur = nil
	case err != nil:
		return fmt.Errorf("reading NetworkPolicy %s: %w", name, err)
	case !metav1.IsControlledBy(cur, s.svc):
		cur = nil
	}
	if !needed {
		if cur == nil {
			return nil
		}
		if err := r.Delete(ctx, cur, client.Preconditions{UID: &cur.UID}); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("deleting NetworkPolicy %s: %w", name, err)
		}
		return nil
	}
	desired := tasks.DenyAllNetworkPolicy(s.svc)
	hash, err := objectHash(desired.Labels, desired.Spec)
	if err != nil {
		return err
	}
	if cur != nil && cur.Annotations[appliedHashAnnotation] == hash {
		s.isolated = true
		return nil
	}
	if cur == nil {
		if taken, err := r.nameTaken(ctx, s, &networkingv1.NetworkPolicy{}, name); err != nil || taken {
			return err
		}
	}
	ac := networkingv1ac.NetworkPolicy(name, s.svc.Namespace).
		WithLabels(desired.Labels).
		WithAnnotations(map[string]string{appliedHashAnnotation: hash}).
		WithOwnerReferences(ownerApply(s.svc)).
		WithSpec(networkingv1ac.NetworkPolicySpec().
			WithPodSelector(metav1ac.LabelSelector().WithMatchLabels(desired.Spec.PodSelector.MatchLabels)).
			WithPolicyTypes(desired.Spec.PolicyTypes...))
	if err := r.Apply(ctx, ac, client.FieldOwner(serviceFieldOwner), client.ForceOwnership); err != nil {
		return fmt.Errorf("applying NetworkPolicy %s: %w", name, err)
	}
	s.isolated = true
	return nil
}

// nameTaken reports (once per pass, as an event) a child name held by an object Berth does
// not own; the cache only holds Berth's, so the API server is asked.
func (r *ServiceReconciler) nameTaken(ctx context.Context, s *serviceScope, obj client.Object, name string) (bool, error) {
	err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: s.svc.Namespace, Name: name}, obj)
	switch {
	case apierrors.IsNotFound(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("reading %s: %w", name, err)
	case metav1.IsControlledBy(obj, s.svc):
		return false, nil
	}
	msg := fmt.Sprintf("(service %s) cannot manage %s: an object of that name exists and is not owned by the service.", s.svc.Name, name)
	if !recentEvent(s.svc.Status.Events, msg) {
		s.event(rollout.EventWarning, reasonNameTaken, msg)
	}
	return true, nil
}

// coreServiceMatches reports whether a core Service still has the fields the controller
// applies, so a hand edit of them is undone even though the applied hash did not change.
func coreServiceMatches(cur, desired *corev1.Service) bool {
	if cur.Spec.Type != desired.Spec.Type || !maps.Equal(cur.Spec.Selector, desired.Spec.Selector) ||
		(desired.Spec.ClusterIP != "" && cur.Spec.ClusterIP != desired.Spec.ClusterIP) || len(cur.Spec.Ports) != len(desired.Spec.Ports) {
		return false
	}
	for i, p := range desired.Spec.Ports {
		c := cur.Spec.Ports[i]
		if c.Name != p.Name || c.Port != p.Port || c.TargetPort != p.TargetPort || c.Protocol != p.Protocol {
			return false
		}
	}
	return true
}

// coreServiceApply is the apply configuration of a core Service the controller owns.
func coreServiceApply(desired *corev1.Service, owner *ecsv1alpha1.Service, hash string) *corev1ac.ServiceApplyConfiguration {
	spec := corev1ac.ServiceSpec().WithType(desired.Spec.Type).WithSelector(desired.Spec.Selector)
	if desired.Spec.ClusterIP != "" {
		spec.WithClusterIP(desired.Spec.ClusterIP)
	}
	for _, p := range desired.Spec.Ports {
		spec.WithPorts(corev1ac.ServicePort().WithName(p.Name).WithPort(p.Port).WithTargetPort(p.TargetPort).WithProtocol(p.Protocol))
	}
	return corev1ac.Service(desired.Name, desired.Namespace).
		WithLabels(desired.Labels).
		WithAnnotations(map[string]string{appliedHashAnnotation: hash}).
		WithOwnerReferences(ownerApply(owner)).
		WithSpec(spec)
}

// ownerApply is the controller owner reference to the ECS service, as an apply configuration.
func ownerApply(svc *ecsv1alpha1.Service) *metav1ac.OwnerReferenceApplyConfiguration {
	gvk := ecsv1alpha1.GroupVersion.WithKind("Service")
	return metav1ac.OwnerReference().
		WithAPIVersion(gvk.GroupVersion().String()).WithKind(gvk.Kind).
		WithName(svc.Name).WithUID(svc.UID).
		WithController(true).WithBlockOwnerDeletion(true)
}

// objectHash hashes what the controller applies to a child.
func objectHash(parts ...any) (string, error) {
	b, err := json.Marshal(parts)
	if err != nil {
		return "", fmt.Errorf("hashing a child object: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8]), nil
}
