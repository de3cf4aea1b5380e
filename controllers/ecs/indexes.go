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
	"slices"

	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/controllers/ecs/revisions"
)

// ServiceFamilyIndex indexes Services by every task definition family they use: the one
// spec.taskDefinition names and those of the deployments in status. The TaskDefinition
// controller uses it to find the revisions still in use.
const ServiceFamilyIndex = "ecs.berth.dev/task-definition-family"

// ServiceNodeAwareIndex indexes, under "true", the Services whose tasks depend on the set of
// Nodes: DAEMON services (one task per eligible node) and those with
// availabilityZoneRebalancing. A Node change enqueues only them.
const ServiceNodeAwareIndex = "ecs.berth.dev/node-aware"

// TaskWaitingFamilyIndex indexes the Tasks whose revision is not resolved yet by the family
// they name, so a TaskDefinition or revision appearing starts them.
const TaskWaitingFamilyIndex = "ecs.berth.dev/waiting-family"

// SetupIndexes registers the field indexes the reconcilers query.
func SetupIndexes(ctx context.Context, mgr ctrl.Manager) error {
	if err := mgr.GetFieldIndexer().IndexField(ctx, &ecsv1alpha1.Service{}, ServiceFamilyIndex, func(o client.Object) []string {
		return serviceFamilies(o.(*ecsv1alpha1.Service))
	}); err != nil {
		return fmt.Errorf("indexing Services by task definition family: %w", err)
	}
	if err := mgr.GetFieldIndexer().IndexField(ctx, &ecsv1alpha1.Service{}, ServiceNodeAwareIndex, func(o client.Object) []string {
		if nodeAware(o.(*ecsv1alpha1.Service)) {
			return []string{"true"}
		}
		return nil
	}); err != nil {
		return fmt.Errorf("indexing Services by node awareness: %w", err)
	}
	if err := mgr.GetFieldIndexer().IndexField(ctx, &ecsv1alpha1.Task{}, TaskWaitingFamilyIndex, func(o client.Object) []string {
		return waitingFamily(o.(*ecsv1alpha1.Task))
	}); err != nil {
		return fmt.Errorf("indexing Tasks by the family they wait for: %w", err)
	}
	return nil
}

// waitingFamily is the family a Task that has not started yet names; nil once it started.
func waitingFamily(t *ecsv1alpha1.Task) []string {
	if t.Status.TaskDefinition != "" || t.Status.LastStatus != "" {
		return nil
	}
	family, _, err := revisions.ParseRef(t.Spec.TaskDefinition)
	if err != nil {
		return nil
	}
	return []string{family}
}

// nodeAware reports whether a Service's tasks depend on the cluster's Nodes.
func nodeAware(svc *ecsv1alpha1.Service) bool {
	return svc.Spec.SchedulingStrategy == ecsv1alpha1.SchedulingStrategyDaemon || rebalancingEnabled(svc)
}

// rebalancingEnabled reads availabilityZoneRebalancing, ENABLED by default as on ECS
// CreateService.
func rebalancingEnabled(svc *ecsv1alpha1.Service) bool {
	return svc.Spec.SchedulingStrategy != ecsv1alpha1.SchedulingStrategyDaemon &&
		svc.Spec.AvailabilityZoneRebalancing != ecsv1alpha1.Disabled
}

// serviceRefs lists the "family[:revision]" references a Service holds: spec first, then
// its deployments.
func serviceRefs(svc *ecsv1alpha1.Service) []string {
	refs := make([]string, 0, 1+len(svc.Status.Deployments))
	refs = append(refs, svc.Spec.TaskDefinition)
	for _, d := range svc.Status.Deployments {
		refs = append(refs, d.TaskDefinition)
	}
	return refs
}

// serviceFamilies lists the distinct families a Service uses, sorted.
func serviceFamilies(svc *ecsv1alpha1.Service) []string {
	var out []string
	for _, ref := range serviceRefs(svc) {
		if family, _, err := revisions.ParseRef(ref); err == nil {
			out = append(out, family)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// servicesUsingFamily lists the Services of a namespace that use a family.
func servicesUsingFamily(ctx context.Context, c client.Reader, namespace, family string) ([]ecsv1alpha1.Service, error) {
	list := &ecsv1alpha1.ServiceList{}
	if err := c.List(ctx, list, client.InNamespace(namespace), client.MatchingFieldsSelector{
		Selector: fields.OneTermEqualSelector(ServiceFamilyIndex, family),
	}); err != nil {
		return nil, fmt.Errorf("listing Services that use %s/%s: %w", namespace, family, err)
	}
	return list.Items, nil
}

// taskDefinitionsOfService maps a Service to the TaskDefinitions it uses, so their
// reconcilers see revisions come into and out of use.
func taskDefinitionsOfService(_ context.Context, o client.Object) []reconcile.Request {
	svc, ok := o.(*ecsv1alpha1.Service)
	if !ok {
		return nil
	}
	var reqs []reconcile.Request
	for _, family := range serviceFamilies(svc) {
		reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: svc.Namespace, Name: family}})
	}
	return reqs
}

// serviceRefsChanged lets through only Service updates that change which task definition
// revisions it uses; status count updates are frequent and irrelevant to TaskDefinitions.
var serviceRefsChanged = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		o, ok1 := e.ObjectOld.(*ecsv1alpha1.Service)
		n, ok2 := e.ObjectNew.(*ecsv1alpha1.Service)
		return !ok1 || !ok2 || !slices.Equal(serviceRefs(o), serviceRefs(n))
	},
}
