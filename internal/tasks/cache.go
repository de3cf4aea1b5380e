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
package tasks

import (
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/berth-dev/berth/internal/taskdef"
)

// cachedAnnotations are the annotations of a task Pod the controller reads.
var cachedAnnotations = []string{
	taskdef.AnnotationFamily, taskdef.AnnotationRevision, taskdef.AnnotationEssentialContainers,
	AnnotationRestartEnabled, AnnotationRebalanceZone,
}

// cachedLabelPrefix is the domain of the labels of a task Pod the controller reads (the
// service, deployment, task definition and network isolation labels); the others are the
// user's tags and docker labels.
const cachedLabelPrefix = "ecs.berth.dev/"

// ForCache is the part of a service task Pod the controller reads, for the manager's cache
// (a cache transform): everything else of the Pod is dropped before it is stored, since with
// 20,000 tasks the cached Pods are most of the controller's memory. Strings that many Pods
// share (namespace, node, label and annotation keys and values, owner, container names,
// condition and state words) come from pool when it is not nil, so the cache holds one copy.
//
// What is kept, and who reads it:
//   - metadata: name, namespace, uid, resourceVersion, generation, creation and deletion
//     times, owner references, finalizers, the labels of Berth's domain (ecs.berth.dev/…) and
//     the annotations of cachedAnnotations: the Service controller (reconcileTasks: the
//     service, deployment and network isolation labels, the task definition and rebalancing
//     annotations, the controller reference, deletion), Observe (the essential and
//     restart-enabled annotations), the metrics collector (the service label), the
//     owner-reference event handler, label-selected lists and the cache itself
//     (resourceVersion);
//   - spec.nodeName, spec.restartPolicy, the required node affinity (a DAEMON task's pin), and
//     each container's and init container's name, restartPolicy and restartPolicyRules:
//     Observe (which containers are main, sidecars, essential; whether an exit restarts) and
//     the Service controller (node, pin);
//   - status.phase, reason, message, the PodScheduled, Initialized, Ready and DisruptionTarget
//     conditions (type, status, reason, message, lastTransitionTime), and each container
//     status's name, state, lastTerminationState, ready and restartCount: Observe.
//
// Dropped: the user's labels and annotations (tags, docker labels), images, commands,
// environment, ports, resources, probes, volumes and mounts, security contexts, tolerations,
// topology spread, managedFields, IPs, container IDs and image IDs, and every other field.
// Standalone Task Pods are not transformed: the Task's status reports more of them (images,
// digests, IPs). ForCache is idempotent and does not change pod.
func ForCache(pod *corev1.Pod, pool *StringPool) *corev1.Pod {
	in := pool.get
	out := &corev1.Pod{
		TypeMeta: pod.TypeMeta,
		ObjectMeta: metav1.ObjectMeta{
			Name: pod.Name, Namespace: in(pod.Namespace), UID: pod.UID, ResourceVersion: pod.ResourceVersion,
			Generation: pod.Generation, CreationTimestamp: pod.CreationTimestamp,
			DeletionTimestamp: pod.DeletionTimestamp, DeletionGracePeriodSeconds: pod.DeletionGracePeriodSeconds,
			Labels: labelsForCache(pod.Labels, in), Annotations: annotationsForCache(pod.Annotations, in),
			OwnerReferences: ownersForCache(pod.OwnerReferences, in), Finalizers: pod.Finalizers,
		},
		Spec: corev1.PodSpec{
			NodeName:       in(pod.Spec.NodeName),
			RestartPolicy:  corev1.RestartPolicy(in(string(pod.Spec.RestartPolicy))),
			Containers:     containersForCache(pod.Spec.Containers, in),
			InitContainers: containersForCache(pod.Spec.InitContainers, in),
		},
		Status: corev1.PodStatus{
			Phase: corev1.PodPhase(in(string(pod.Status.Phase))), Reason: in(pod.Status.Reason), Message: pod.Status.Message,
			Conditions:            conditionsForCache(pod.Status.Conditions, in),
			ContainerStatuses:     statusesForCache(pod.Status.ContainerStatuses, in),
			InitContainerStatuses: statusesForCache(pod.Status.InitContainerStatuses, in),
		},
	}
	if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		out.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution,
		}}
	}
	return out
}

func labelsForCache(labels map[string]string, in func(string) string) map[string]string {
	var out map[string]string
	for k, v := range labels {
		if !strings.HasPrefix(k, cachedLabelPrefix) {
			continue
		}
		if out == nil {
			out = make(map[string]string, len(labels))
		}
		out[in(k)] = in(v)
	}
	return out
}

func annotationsForCache(annotations map[string]string, in func(string) string) map[string]string {
	var out map[string]string
	for _, k := range cachedAnnotations {
		v, ok := annotations[k]
		if !ok {
			continue
		}
		if out == nil {
			out = make(map[string]string, len(cachedAnnotations))
		}
		out[k] = in(v)
	}
	return out
}

func ownersForCache(refs []metav1.OwnerReference, in func(string) string) []metav1.OwnerReference {
	if refs == nil {
		return nil
	}
	out := make([]metav1.OwnerReference, len(refs))
	for i, r := range refs {
		out[i] = metav1.OwnerReference{APIVersion: in(r.APIVersion), Kind: in(r.Kind), Name: in(r.Name),
			UID: types.UID(in(string(r.UID))), Controller: r.Controller, BlockOwnerDeletion: r.BlockOwnerDeletion}
	}
	return out
}

func containersForCache(cs []corev1.Container, in func(string) string) []corev1.Container {
	if cs == nil {
		return nil
	}
	out := make([]corev1.Container, len(cs))
	for i := range cs {
		out[i] = corev1.Container{Name: in(cs[i].Name), RestartPolicy: cs[i].RestartPolicy, RestartPolicyRules: cs[i].RestartPolicyRules}
	}
	return out
}

// cachedConditions are the Pod conditions Observe reads.
var cachedConditions = []corev1.PodConditionType{corev1.PodScheduled, corev1.PodInitialized, corev1.PodReady, conditionDisruptionTarget}

func conditionsForCache(cs []corev1.PodCondition, in func(string) string) []corev1.PodCondition {
	var out []corev1.PodCondition
	for _, c := range cs {
		if !slices.Contains(cachedConditions, c.Type) {
			continue
		}
		if out == nil {
			out = make([]corev1.PodCondition, 0, len(cachedConditions))
		}
		out = append(out, corev1.PodCondition{Type: corev1.PodConditionType(in(string(c.Type))),
			Status: corev1.ConditionStatus(in(string(c.Status))), Reason: in(c.Reason), Message: c.Message,
			LastTransitionTime: c.LastTransitionTime})
	}
	return out
}

func statusesForCache(ss []corev1.ContainerStatus, in func(string) string) []corev1.ContainerStatus {
	if ss == nil {
		return nil
	}
	out := make([]corev1.ContainerStatus, len(ss))
	for i := range ss {
		out[i] = corev1.ContainerStatus{Name: in(ss[i].Name), State: ss[i].State, LastTerminationState: ss[i].LastTerminationState,
			Ready: ss[i].Ready, RestartCount: ss[i].RestartCount}
	}
	return out
}

// StringPool hands out one copy of each string it is given, so the many cached Pods that
// carry the same words share them. It forgets everything once it holds maxPooled strings
// (sharing then starts again), so strings that stop being used cannot pile up. A nil pool
// returns every string as it is. It is safe for concurrent use.
type StringPool struct {
	mu sync.Mutex
	m  map[string]string
}

// maxPooled bounds a StringPool.
const maxPooled = 1 << 16

func (p *StringPool) get(s string) string {
	if p == nil || s == "" {
		return s
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if v, ok := p.m[s]; ok {
		return v
	}
	if p.m == nil || len(p.m) >= maxPooled {
		p.m = make(map[string]string, 1024)
	}
	p.m[s] = s
	return s
}
