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

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/controllers/ecs/revisions"
	"github.com/berth-dev/berth/internal/tasks"
)

// CacheOptions limits what the manager caches to the children of Berth's ECS objects:
// ControllerRevisions of task definition families, not every StatefulSet's and DaemonSet's;
// task Pods, core Services and NetworkPolicies of ECS services, not every workload's; the pull
// credentials the controller keeps, not every Secret. Nothing is cached with managedFields;
// task Pods keep only the fields the controller reads (tasks.ForCache) and Nodes lose their
// image lists, which are most of their size and never read.
func CacheOptions() (cache.Options, error) {
	family, err := labels.NewRequirement(revisions.FamilyLabel, selection.Exists, nil)
	if err != nil {
		return cache.Options{}, fmt.Errorf("building cache selector: %w", err)
	}
	service, err := labels.NewRequirement(ecsv1alpha1.ServiceLabel, selection.Exists, nil)
	if err != nil {
		return cache.Options{}, fmt.Errorf("building cache selector: %w", err)
	}
	ofServices := labels.NewSelector().Add(*service)
	managed, err := labels.NewRequirement(PullCredentialsLabel, selection.Exists, nil)
	if err != nil {
		return cache.Options{}, fmt.Errorf("building cache selector: %w", err)
	}
	pullCredentials := labels.NewSelector().Add(*managed)
	return cache.Options{
		// Every kind the manager caches (Berth's own included) without managedFields: no
		// reconciler reads them, and each writer's entry holds a copy of the fields it set.
		// A ByObject entry without a Transform of its own gets this one.
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			&appsv1.ControllerRevision{}:  {Label: labels.NewSelector().Add(*family)},
			&corev1.Pod{}:                 {Label: ofServices, Transform: stripTaskPod(&tasks.StringPool{})},
			&corev1.Service{}:             {Label: ofServices},
			&networkingv1.NetworkPolicy{}: {Label: ofServices},
			&corev1.Node{}:                {Transform: stripNode},
			// Only the pull credentials the controller keeps, not every Secret of the cluster.
			&corev1.Secret{}:         {Label: pullCredentials},
			&corev1.ServiceAccount{}: {Label: pullCredentials},
			&rbacv1.RoleBinding{}:    {Label: pullCredentials},
		}}, nil
}

// stripTaskPod keeps only what the controller reads of a service task Pod
// (tasks.ForCache), sharing repeated strings through pool: with 20,000 tasks, the cached
// Pods are most of its memory.
func stripTaskPod(pool *tasks.StringPool) toolscache.TransformFunc {
	return func(obj any) (any, error) {
		if p, ok := obj.(*corev1.Pod); ok {
			return tasks.ForCache(p, pool), nil
		}
		return obj, nil
	}
}

// stripNode drops what the Service controller never reads from cached Nodes: managedFields
// and the image list, which can be most of a Node's size.
func stripNode(obj any) (any, error) {
	if n, ok := obj.(*corev1.Node); ok {
		n.ManagedFields = nil
		n.Status.Images = nil
	}
	return obj, nil
}

// taskPodsByService indexes the cached task Pods by "namespace/service", the Service their
// ecsv1alpha1.ServiceLabel names.
const taskPodsByService = "ecs.berth.dev/task-pods-by-service"

// taskPodReader reads the task Pods of a Service.
type taskPodReader interface {
	// serviceTaskPods returns the Pods of namespace labelled with service's name, in no
	// particular order. They are shared with the cache: read them, never modify them.
	serviceTaskPods(ctx context.Context, namespace, service string) ([]*corev1.Pod, error)
}

// indexedTaskPods reads a Service's task Pods from the manager's Pod informer by
// taskPodsByService: pointers to the cached Pods. A List from the cache copies every Pod into
// its PodList, even with client.UnsafeDisableDeepCopy (1,240 bytes a Pod: 3.7 MB allocated
// by every pass of a 3,000-task Service, and the garbage collection that follows;
// docs/benchmarks.md).
type indexedTaskPods struct {
	indexer toolscache.Indexer
}

// newIndexedTaskPods adds taskPodsByService to c's Pod informer and reads from its index.
func newIndexedTaskPods(ctx context.Context, c cache.Cache) (indexedTaskPods, error) {
	inf, err := c.GetInformer(ctx, &corev1.Pod{})
	if err != nil {
		return indexedTaskPods{}, fmt.Errorf("getting the Pod informer: %w", err)
	}
	if err := inf.AddIndexers(toolscache.Indexers{taskPodsByService: serviceKeyOfTaskPod}); err != nil {
		return indexedTaskPods{}, fmt.Errorf("indexing task Pods by Service: %w", err)
	}
	withIndexer, ok := inf.(interface{ GetIndexer() toolscache.Indexer })
	if !ok {
		return indexedTaskPods{}, fmt.Errorf("the Pod informer (%T) does not expose its indexer", inf)
	}
	return indexedTaskPods{indexer: withIndexer.GetIndexer()}, nil
}

// serviceKeyOfTaskPod is taskPodsByService's key of a task Pod: "namespace/service".
func serviceKeyOfTaskPod(obj any) ([]string, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, nil
	}
	service, ok := pod.Labels[ecsv1alpha1.ServiceLabel]
	if !ok {
		return nil, nil
	}
	return []string{pod.Namespace + "/" + service}, nil
}

func (p indexedTaskPods) serviceTaskPods(_ context.Context, namespace, service string) ([]*corev1.Pod, error) {
	objs, err := p.indexer.ByIndex(taskPodsByService, namespace+"/"+service)
	if err != nil {
		return nil, fmt.Errorf("reading the task Pods of %s/%s from the cache: %w", namespace, service, err)
	}
	pods := make([]*corev1.Pod, 0, len(objs))
	for _, obj := range objs {
		if pod, ok := obj.(*corev1.Pod); ok {
			pods = append(pods, pod)
		}
	}
	return pods, nil
}
