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
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ForCache is the part of a service task Pod the controller reads, for the manager's cache
// (a cache transform): everything else of the Pod is dropped before it is stored, since with
// 20,000 tasks the cached Pods are most of the controller's memory.
//
// What is kept, and who reads it:
//   - metadata (name, namespace, uid, resourceVersion, generation, creation and deletion
//     times, labels, annotations, owner references, finalizers): the Service controller
//     (reconcileTasks: labels, the task definition and rebalancing annotations, the
//     controller reference, deletion), Observe (the essential and restart-enabled
//     annotations), the owner-reference event handler and the cache itself (resourceVersion);
//   - spec.nodeName, spec.restartPolicy, the required node affinity (a DAEMON task's pin), and
//     each container's and init container's name, restartPolicy and restartPolicyRules:
//     Observe (which containers are main, sidecars, essential; whether an exit restarts) and
//     the Service controller (node, pin);
//   - status.phase, reason, message, conditions, and each container status's name, state,
//     lastTerminationState, ready and restartCount: Observe.
//
// Dropped: images, commands, environment, ports, resources, probes, volumes and mounts,
// security contexts, tolerations, topology spread, managedFields, IPs, container IDs and
// image IDs, and every other field. Standalone Task Pods are not transformed: the Task's
// status reports more of them (images, digests, IPs). ForCache is idempotent.
func ForCache(pod *corev1.Pod) *corev1.Pod {
	out := &corev1.Pod{
		TypeMeta: pod.TypeMeta,
		ObjectMeta: metav1.ObjectMeta{
			Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID, ResourceVersion: pod.ResourceVersion,
			Generation: pod.Generation, CreationTimestamp: pod.CreationTimestamp,
			DeletionTimestamp: pod.DeletionTimestamp, DeletionGracePeriodSeconds: pod.DeletionGracePeriodSeconds,
			Labels: pod.Labels, Annotations: pod.Annotations, OwnerReferences: pod.OwnerReferences, Finalizers: pod.Finalizers,
		},
		Spec: corev1.PodSpec{
			NodeName:       pod.Spec.NodeName,
			RestartPolicy:  pod.Spec.RestartPolicy,
			Containers:     containersForCache(pod.Spec.Containers),
			InitContainers: containersForCache(pod.Spec.InitContainers),
		},
		Status: corev1.PodStatus{
			Phase: pod.Status.Phase, Reason: pod.Status.Reason, Message: pod.Status.Message, Conditions: pod.Status.Conditions,
			ContainerStatuses:     statusesForCache(pod.Status.ContainerStatuses),
			InitContainerStatuses: statusesForCache(pod.Status.InitContainerStatuses),
		},
	}
	if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		out.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution,
		}}
	}
	return out
}

func containersForCache(cs []corev1.Container) []corev1.Container {
	if cs == nil {
		return nil
	}
	out := make([]corev1.Container, len(cs))
	for i := range cs {
		out[i] = corev1.Container{Name: cs[i].Name, RestartPolicy: cs[i].RestartPolicy, RestartPolicyRules: cs[i].RestartPolicyRules}
	}
	return out
}

func statusesForCache(ss []corev1.ContainerStatus) []corev1.ContainerStatus {
	if ss == nil {
		return nil
	}
	out := make([]corev1.ContainerStatus, len(ss))
	for i := range ss {
		out[i] = corev1.ContainerStatus{Name: ss[i].Name, State: ss[i].State, LastTerminationState: ss[i].LastTerminationState,
			Ready: ss[i].Ready, RestartCount: ss[i].RestartCount}
	}
	return out
}
