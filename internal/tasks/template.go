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
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/placement"
	"github.com/berth-dev/berth/internal/taskdef"
)

// Labels and annotations the Service controller adds to task Pods besides the translation's.
const (
	// LabelNetworkIsolated marks the tasks of a task definition without networking
	// (networkMode none, disableNetworking); the service's deny-all NetworkPolicy selects
	// them, so only those tasks lose the network, whatever deployment they belong to.
	LabelNetworkIsolated = "ecs.berth.dev/network-isolated"
	// AnnotationTags holds, as a JSON object, the propagated tags whose keys are valid
	// neither as label nor as annotation keys (ECS tag keys allow spaces and colons).
	AnnotationTags = "ecs.berth.dev/tags"
	// AnnotationRebalanceZone marks the extra task started to rebalance the service into the
	// named zone; it is pinned there.
	AnnotationRebalanceZone = "ecs.berth.dev/rebalance-zone"
	// LabelManagedName and LabelManagedPartOf are the standard labels enableECSManagedTags
	// adds, as ECS adds aws:ecs:serviceName and aws:ecs:clusterName.
	LabelManagedName   = "app.kubernetes.io/name"
	LabelManagedPartOf = "app.kubernetes.io/part-of"
)

// DeploymentIDPrefix starts every deployment ID, as ECS's "ecs-svc/…" IDs do.
const DeploymentIDPrefix = "ecs-svc-"

// hashAlphabet has no vowels (no words in names) and no look-alike characters, as the
// suffixes Kubernetes generates.
const hashAlphabet = "bcdfghjklmnpqrstvwxz2456789"

// hashLength is the number of characters of a deployment hash (about 47 bits).
const hashLength = 10

// TemplateInput is what a deployment's task Pod template is built from.
type TemplateInput struct {
	// Service and Namespace name the ECS service.
	Service, Namespace string
	// Translated is the task definition revision's translation.
	Translated *taskdef.Result
	// Scheduling holds the placement fields of the service and task definition.
	Scheduling placement.Scheduling
	// Tags are the propagated tags (see PropagatedTags).
	Tags []ecsv1alpha1.Tag
	// ManagedTags adds app.kubernetes.io/name and part-of (enableECSManagedTags).
	ManagedTags bool
	// HealthCheckGracePeriodSeconds delays every liveness probe (the ECS container health
	// check), so a failing check cannot end a task during the grace period.
	HealthCheckGracePeriodSeconds int32
	// RestartEnabled are the containers with the ECS restart policy enabled.
	RestartEnabled []string
}

// BuildTemplate assembles a deployment's task Pod template: the translation, then the
// placement fields, the propagated and managed tags, the grace period, and the Service label.
// The deployment label is added by WithDeployment once the ID is known, because the ID is a
// hash of this template.
func BuildTemplate(in TemplateInput) corev1.PodTemplateSpec {
	t := *in.Translated.Template.DeepCopy()
	in.Scheduling.ApplyTo(&t.Spec)
	labels, annotations := taskMetadata(&t, in.Tags, in.RestartEnabled, in.Translated.DenyAllNetworkPolicy)
	if in.ManagedTags {
		labels[LabelManagedName] = in.Service
		labels[LabelManagedPartOf] = in.Namespace
	}
	labels[ecsv1alpha1.ServiceLabel] = in.Service
	t.Labels, t.Annotations = labels, annotations

	if grace := in.HealthCheckGracePeriodSeconds; grace > 0 {
		for _, list := range [][]corev1.Container{t.Spec.InitContainers, t.Spec.Containers} {
			for i := range list {
				if p := list[i].LivenessProbe; p != nil {
					p.InitialDelaySeconds = max(p.InitialDelaySeconds, grace)
				}
			}
		}
	}
	return t
}

// taskMetadata returns copies of a translated template's labels and annotations with what
// every task Pod gets besides the translation, for services and standalone tasks alike: the
// tags (labels where valid as labels, annotations where only the key is, the AnnotationTags
// JSON otherwise; keys in Berth's domain are ignored), the containers with the ECS restart
// policy, and the label the deny-all NetworkPolicy selects.
func taskMetadata(t *corev1.PodTemplateSpec, tags []ecsv1alpha1.Tag, restartEnabled []string, isolated bool) (labels, annotations map[string]string) {
	labels = map[string]string{}
	annotations = map[string]string{}
	maps.Copy(labels, t.Labels)
	maps.Copy(annotations, t.Annotations)
	odd := map[string]string{}
	for _, tag := range tags {
		switch {
		case isBerthKey(tag.Key):
		case len(validation.IsQualifiedName(tag.Key)) > 0:
			odd[tag.Key] = tag.Value
		case len(validation.IsValidLabelValue(tag.Value)) > 0:
			annotations[tag.Key] = tag.Value
		default:
			labels[tag.Key] = tag.Value
		}
	}
	if len(odd) > 0 {
		b, err := json.Marshal(odd) // sorted keys: deterministic
		if err == nil {
			annotations[AnnotationTags] = string(b)
		}
	}
	if isolated {
		labels[LabelNetworkIsolated] = "true"
	}
	if len(restartEnabled) > 0 {
		annotations[AnnotationRestartEnabled] = strings.Join(restartEnabled, ",")
	}
	return labels, annotations
}

// isBerthKey reports a key in Berth's own label domain, which tags may not write.
func isBerthKey(k string) bool {
	prefix, _, found := strings.Cut(k, "/")
	return found && (prefix == "ecs.berth.dev" || strings.HasSuffix(prefix, ".ecs.berth.dev"))
}

// PropagatedTags returns the tags propagateTags copies to the task Pods.
func PropagatedTags(svc *ecsv1alpha1.ServiceSpec, td *ecsv1alpha1.TaskDefinitionSpec) []ecsv1alpha1.Tag {
	switch svc.PropagateTags {
	case ecsv1alpha1.PropagateTagsService:
		return slices.Clone(svc.Tags)
	case ecsv1alpha1.PropagateTagsTaskDefinition:
		return slices.Clone(td.Tags)
	default:
		return nil
	}
}

// RestartEnabledContainers lists the containers whose ECS restart policy is enabled.
func RestartEnabledContainers(td *ecsv1alpha1.TaskDefinitionSpec) []string {
	var out []string
	for _, d := range td.ContainerDefinitions {
		if d.RestartPolicy != nil && d.RestartPolicy.Enabled {
			out = append(out, d.Name)
		}
	}
	return out
}

// DeploymentID is the ID of the deployment running template: a stable hash of the service,
// the template (which holds the revision and every pod-affecting setting) and the
// forceNewDeployment token. Identical inputs give the same ID, so re-applying an unchanged
// Service starts nothing. Image digests resolved when a deployment starts must not be part
// of template: they are fixed per deployment, not an input to its identity.
func DeploymentID(namespace, service, forceNewDeployment string, template *corev1.PodTemplateSpec) (string, error) {
	b, err := json.Marshal(struct {
		Namespace, Service, Force string
		Template                  *corev1.PodTemplateSpec
	}{namespace, service, forceNewDeployment, template})
	if err != nil {
		return "", fmt.Errorf("hashing the task template: %w", err)
	}
	sum := sha256.Sum256(b)
	x := binary.BigEndian.Uint64(sum[:8])
	out := make([]byte, hashLength)
	for i := range out {
		out[i] = hashAlphabet[x%uint64(len(hashAlphabet))]
		x /= uint64(len(hashAlphabet))
	}
	return DeploymentIDPrefix + string(out), nil
}

// DeploymentHash is the hash part of a deployment ID, used in task and revision names.
func DeploymentHash(id string) string { return strings.TrimPrefix(id, DeploymentIDPrefix) }

// WithDeployment returns template labelled with the deployment ID.
func WithDeployment(template corev1.PodTemplateSpec, id string) corev1.PodTemplateSpec {
	t := *template.DeepCopy()
	if t.Labels == nil {
		t.Labels = map[string]string{}
	}
	t.Labels[ecsv1alpha1.DeploymentLabel] = id
	return t
}

// Pin places one task: on a node (DAEMON), or in a zone (rebalancing).
type Pin struct {
	// Node is the node name a DAEMON task must run on.
	Node string
	// Zone is the zone a rebalancing task must run in.
	Zone string
}

// NewPod makes a task Pod from a deployment's template: name, namespace, the controller
// owner reference, and required node affinity for a pin (ANDed with the template's own).
func NewPod(template *corev1.PodTemplateSpec, name, namespace string, owner metav1.OwnerReference, pin Pin) *corev1.Pod {
	t := template.DeepCopy()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:            name,
			Namespace:       namespace,
			Labels:          t.Labels,
			Annotations:     t.Annotations,
			OwnerReferences: []metav1.OwnerReference{owner},
		},
		Spec: t.Spec,
	}
	var term *corev1.NodeSelectorTerm
	switch {
	case pin.Node != "":
		term = &corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{{
			Key: "metadata.name", Operator: corev1.NodeSelectorOpIn, Values: []string{pin.Node},
		}}}
	case pin.Zone != "":
		term = &corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{{
			Key: corev1.LabelTopologyZone, Operator: corev1.NodeSelectorOpIn, Values: []string{pin.Zone},
		}}}
		if pod.Annotations == nil {
			pod.Annotations = map[string]string{}
		}
		pod.Annotations[AnnotationRebalanceZone] = pin.Zone
	}
	if term != nil {
		placement.Scheduling{Affinity: &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{*term}},
		}}}.ApplyTo(&pod.Spec)
	}
	return pod
}

// PodName is a task's name: "<service>-<deployment hash>-<suffix>".
func PodName(service, deploymentID, suffix string) string {
	return service + "-" + DeploymentHash(deploymentID) + "-" + suffix
}
