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

package taskdef

import (
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// Options are the inputs the translation needs besides the spec: they come from the
// TaskDefinition object, the controller's configuration and the deployment, not from the
// revision itself, so the revision's spec hash does not depend on them.
type Options struct {
	// Family is the task definition family (the object's name), for labels and annotations.
	Family string `json:"family,omitempty"`
	// Revision is the revision number, for labels and annotations; 0 leaves it out.
	Revision int64 `json:"revision,omitempty"`
	// RegistryHost is host[:port] of the bundled registry. Images under it are pulled with
	// PullSecretName.
	RegistryHost string `json:"registryHost,omitempty"`
	// PullSecretName is the execution pull Secret (kubernetes.io/dockerconfigjson) listed in
	// imagePullSecrets when an image is under RegistryHost; empty adds none.
	PullSecretName string `json:"pullSecretName,omitempty"`
	// Digests maps an image reference, as written in the spec, to the digest ("sha256:...")
	// it resolved to when the deployment started. Such images are pinned to repo@digest
	// unless the container sets versionConsistency: disabled (ECS versionConsistency).
	Digests map[string]string `json:"digests,omitempty"`
	// ContainerRestartRules says the cluster supports per-container restart policies and
	// rules (the ContainerRestartRules feature). Without it an ECS restartPolicy can only be
	// approximated by the Pod's restartPolicy.
	ContainerRestartRules bool `json:"containerRestartRules,omitempty"`
}

// Approximation records a field with no exact Kubernetes equivalent and what was done with
// it, so the Translated condition can name it: nothing is dropped silently.
type Approximation struct {
	// Field is the path in the spec, such as containerDefinitions[web].ulimits.
	Field string `json:"field"`
	// Detail says what the task gets instead.
	Detail string `json:"detail"`
}

// Result is a translated revision: the task Pod template and what the caller must know
// besides it.
type Result struct {
	// Template is the task Pod's template. The Service controller adds the per-deployment
	// labels, the owner reference and the placement fields.
	Template corev1.PodTemplateSpec `json:"template"`
	// Approximations are sorted by field, then detail.
	Approximations []Approximation `json:"approximations,omitempty"`
	// DenyAllNetworkPolicy is set for disableNetworking or networkMode none: the caller
	// creates a NetworkPolicy selecting the task Pods that allows no traffic.
	DenyAllNetworkPolicy bool `json:"denyAllNetworkPolicy,omitempty"`
	// EssentialContainers are the containers whose exit ends the task, in definition order
	// (also in the AnnotationEssentialContainers annotation).
	EssentialContainers []string `json:"essentialContainers"`
}

// Label and annotation keys Translate writes on the template.
const (
	// LabelTaskDefinition is "<family>-<revision>", so task Pods can be selected by revision.
	LabelTaskDefinition = "ecs.berth.dev/task-definition"
	// AnnotationFamily is the task definition family.
	AnnotationFamily = "ecs.berth.dev/family"
	// AnnotationRevision is the task definition revision number.
	AnnotationRevision = "ecs.berth.dev/revision"
	// AnnotationEssentialContainers is a comma-separated list of the essential containers.
	AnnotationEssentialContainers = "ecs.berth.dev/essential-containers"
	// AnnotationDockerLabels holds, as a JSON object, the dockerLabels whose keys are not
	// valid label or annotation keys.
	AnnotationDockerLabels = "ecs.berth.dev/docker-labels"
	// LogAnnotationSuffix is appended to a container's name to form the prefix of its
	// logConfiguration annotations: <container>.logs.ecs.berth.dev/driver and
	// <container>.logs.ecs.berth.dev/<option>.
	LogAnnotationSuffix = ".logs.ecs.berth.dev"
)

// defaultStopTimeout is the ECS stop timeout of a container that sets none (seconds).
const defaultStopTimeout = 30

// Translate turns a revision's spec into the task Pod template. It never panics; input that
// cannot become a valid Pod, or that ECS rejects, returns a *FieldError naming the field.
func Translate(spec *ecsv1alpha1.TaskDefinitionSpec, opts Options) (*Result, error) {
	if spec == nil {
		return nil, invalid("", "spec", "the task definition has no spec")
	}
	t := &translator{spec: spec, opts: opts}
	return t.run()
}

// translator holds the state of one Translate call.
type translator struct {
	spec   *ecsv1alpha1.TaskDefinitionSpec
	opts   Options
	approx []Approximation

	// names are the containers' names, validated by checkContainers.
	names []string
	// index maps a container name to its position in containerDefinitions.
	index map[string]int
	plan  *dependencyPlan

	// volumes are the Pod's volumes; volumeNames the names taken.
	volumes     []corev1.Volume
	volumeNames map[string]bool
	// taskVolumes are the names of spec.volumes.
	taskVolumes map[string]bool
	// portNames and hostPorts map the Pod's port names and "port/protocol" host ports to
	// the container that has them.
	portNames, hostPorts map[string]string
}

// approximate records an approximation.
func (t *translator) approximate(field, detail string) {
	t.approx = append(t.approx, Approximation{Field: field, Detail: detail})
}

// run validates the containers, places them by dependsOn, builds each container, then the
// Pod-wide fields merged over the containers, then the metadata.
func (t *translator) run() (*Result, error) {
	if err := t.checkContainers(); err != nil {
		return nil, err
	}
	if err := t.planDependencies(); err != nil {
		return nil, err
	}
	if err := t.taskVolumesToPod(); err != nil {
		return nil, err
	}

	defs := t.spec.ContainerDefinitions
	ctrs := make([]corev1.Container, len(defs))
	for i := range defs {
		c, err := t.container(i)
		if err != nil {
			return nil, err
		}
		ctrs[i] = c
	}
	if err := t.applyVolumesFrom(ctrs); err != nil {
		return nil, err
	}

	pod := corev1.PodSpec{
		EnableServiceLinks: ptr.To(false),
		RestartPolicy:      corev1.RestartPolicyNever,
	}
	for _, step := range []func(*corev1.PodSpec, []corev1.Container) error{
		t.podNetwork,
		t.podNamespaces,
		t.podSysctls,
		t.podPlatform,
		t.podResources,
		t.podIdentity,
		t.podTermination,
		t.podRestart,
	} {
		if err := step(&pod, ctrs); err != nil {
			return nil, err
		}
	}
	t.taskLevelApproximations()

	for _, i := range t.plan.initOrder {
		pod.InitContainers = append(pod.InitContainers, ctrs[i])
	}
	for i := range defs {
		if t.plan.kinds[i] == kindContainer {
			pod.Containers = append(pod.Containers, ctrs[i])
		}
	}
	pod.Volumes = t.volumes

	res := &Result{EssentialContainers: []string{}}
	for i, d := range defs {
		if isEssential(&d) {
			res.EssentialContainers = append(res.EssentialContainers, t.names[i])
		}
	}
	meta, err := t.metadata(res.EssentialContainers)
	if err != nil {
		return nil, err
	}
	res.Template = corev1.PodTemplateSpec{ObjectMeta: meta, Spec: pod}
	res.DenyAllNetworkPolicy = t.disableNetworking() || t.spec.NetworkMode == ecsv1alpha1.NetworkModeNone

	sort.Slice(t.approx, func(a, b int) bool {
		if t.approx[a].Field != t.approx[b].Field {
			return t.approx[a].Field < t.approx[b].Field
		}
		return t.approx[a].Detail < t.approx[b].Detail
	})
	res.Approximations = t.approx
	if err := checkPodSpec(&res.Template.Spec); err != nil {
		return nil, err
	}
	return res, nil
}

// isEssential reports ECS's essential flag, which defaults to true.
func isEssential(d *ecsv1alpha1.ContainerDefinition) bool {
	return d.Essential == nil || *d.Essential
}
