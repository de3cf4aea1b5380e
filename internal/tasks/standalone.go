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
	"crypto/sha256"
	"encoding/hex"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/placement"
	"github.com/berth-dev/berth/internal/taskdef"
)

// Annotations on a standalone task's Pod.
const (
	// AnnotationGroup holds the task's group as written (the TaskGroupLabel may be a hash).
	AnnotationGroup = "ecs.berth.dev/group"
	// AnnotationStartedBy holds the task's startedBy.
	AnnotationStartedBy = "ecs.berth.dev/started-by"
)

// DefaultGroup is ECS's group of a standalone task: "family:<family>".
func DefaultGroup(family string) string { return "family:" + family }

// GroupLabelValue is the TaskGroupLabel value of a group: the group itself when it is a valid
// label value, otherwise "g-" and a hash of it (ECS groups such as "family:web" hold ':').
func GroupLabelValue(group string) string {
	if len(validation.IsValidLabelValue(group)) == 0 {
		return group
	}
	sum := sha256.Sum256([]byte(group))
	return "g-" + hex.EncodeToString(sum[:15])
}

// GroupSelector selects the Pods of a task group: what spread strategies and distinctInstance
// count for standalone tasks.
func GroupSelector(group string) map[string]string {
	return map[string]string{ecsv1alpha1.TaskGroupLabel: GroupLabelValue(group)}
}

// StandaloneInput is what a standalone task's Pod is built from.
type StandaloneInput struct {
	// Task and Namespace name the Task; the Pod has the Task's name.
	Task, Namespace string
	// Group is the task group in effect (spec.group or DefaultGroup).
	Group string
	// StartedBy is the Task's startedBy.
	StartedBy string
	// Translated is the translation of the revision with the Task's overrides applied.
	Translated *taskdef.Result
	// Scheduling holds the placement fields of the Task and its task definition.
	Scheduling placement.Scheduling
	// Tags are the Task's tags.
	Tags []ecsv1alpha1.Tag
	// RestartEnabled are the containers with the ECS restart policy enabled.
	RestartEnabled []string
	// Owner is the Task's controller reference.
	Owner metav1.OwnerReference
}

// StandalonePod builds a standalone task's Pod: the translation with the placement fields,
// the tags, the restart-enabled containers, the network isolation label, the Task and group
// labels and the group and startedBy annotations, owned by the Task.
func StandalonePod(in StandaloneInput) *corev1.Pod {
	t := *in.Translated.Template.DeepCopy()
	in.Scheduling.ApplyTo(&t.Spec)
	labels, annotations := taskMetadata(&t, in.Tags, in.RestartEnabled, in.Translated.DenyAllNetworkPolicy)
	labels[ecsv1alpha1.TaskLabel] = in.Task
	labels[ecsv1alpha1.TaskGroupLabel] = GroupLabelValue(in.Group)
	annotations[AnnotationGroup] = in.Group
	if in.StartedBy != "" {
		annotations[AnnotationStartedBy] = in.StartedBy
	}
	t.Labels, t.Annotations = labels, annotations
	return NewPod(&t, in.Task, in.Namespace, in.Owner, Pin{})
}

// StandaloneDenyAllNetworkPolicyName names the NetworkPolicy isolating a standalone task
// without networking.
func StandaloneDenyAllNetworkPolicyName(task string) string { return task + "-no-network" }

// StandaloneDenyAllNetworkPolicy selects a standalone task's Pod and allows it no traffic in
// either direction: ECS networkMode none and disableNetworking.
func StandaloneDenyAllNetworkPolicy(task, namespace string) networkingv1.NetworkPolicy {
	return networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{
			Name: StandaloneDenyAllNetworkPolicyName(task), Namespace: namespace,
			Labels: map[string]string{ecsv1alpha1.TaskLabel: task},
		},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{
				ecsv1alpha1.TaskLabel: task, LabelNetworkIsolated: "true",
			}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
		},
	}
}
