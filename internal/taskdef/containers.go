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
	"fmt"
	"regexp"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// checkContainers validates what every later step relies on: at least one container, valid
// and unique names, images, and at least one essential container.
func (t *translator) checkContainers() error {
	defs := t.spec.ContainerDefinitions
	if len(defs) == 0 {
		return invalid("", "containerDefinitions", "a task definition needs at least one container")
	}
	t.names = make([]string, len(defs))
	t.index = make(map[string]int, len(defs))
	essential := false
	for i := range defs {
		d := &defs[i]
		if msgs := validation.IsDNS1123Label(d.Name); len(msgs) > 0 {
			return invalid("", idx("containerDefinitions", i)+".name",
				"container name %q is not a valid Kubernetes container name (lowercase letters, digits and '-', at most 63): %s",
				d.Name, strings.Join(msgs, "; "))
		}
		if j, dup := t.index[d.Name]; dup {
			return invalid(d.Name, idx("containerDefinitions", i)+".name",
				"container name %q is already used by containerDefinitions[%d]", d.Name, j)
		}
		t.index[d.Name] = i
		t.names[i] = d.Name
		if !validImageText(d.Image) {
			return invalid(d.Name, cfield(d.Name, "image"), "image %q must be a non-empty reference of printable ASCII characters, without whitespace", d.Image)
		}
		if isEssential(d) {
			essential = true
		}
	}
	if !essential {
		return invalid("", "containerDefinitions", "at least one container must be essential (ECS requires one)")
	}
	return nil
}

// container builds the Kubernetes container of containerDefinitions[i], except the mounts
// copied by volumesFrom, which need every container first.
func (t *translator) container(i int) (corev1.Container, error) {
	d := &t.spec.ContainerDefinitions[i]
	name := t.names[i]
	c := corev1.Container{
		Name: name,
		// ECS entryPoint is Docker's ENTRYPOINT: Kubernetes command. ECS command is Docker's
		// CMD: Kubernetes args. Swapping them is the classic mistake; a golden test pins it.
		Command:    slices.Clone(d.EntryPoint),
		Args:       slices.Clone(d.Command),
		WorkingDir: d.WorkingDirectory,
		Stdin:      d.Interactive != nil && *d.Interactive,
		TTY:        d.PseudoTerminal != nil && *d.PseudoTerminal,
	}
	var err error
	if c.Image, err = t.image(d); err != nil {
		return c, err
	}
	if c.Env, c.EnvFrom, err = t.env(d); err != nil {
		return c, err
	}
	if c.Resources, err = t.containerResources(d); err != nil {
		return c, err
	}
	if c.Ports, err = t.ports(d); err != nil {
		return c, err
	}
	if c.SecurityContext, err = t.securityContext(d); err != nil {
		return c, err
	}
	if c.VolumeMounts, err = t.ownMounts(d); err != nil {
		return c, err
	}
	if err = t.probes(i, &c); err != nil {
		return c, err
	}
	if err = t.containerRestart(i, &c); err != nil {
		return c, err
	}
	if t.plan.kinds[i] == kindSidecar {
		c.RestartPolicy = ptr.To(corev1.ContainerRestartPolicyAlways)
	}
	t.containerOnlyApproximations(d)
	return c, nil
}

// containerOnlyApproximations reports the container parameters that have no Pod equivalent
// at all.
func (t *translator) containerOnlyApproximations(d *ecsv1alpha1.ContainerDefinition) {
	if len(d.Ulimits) > 0 {
		limits := make([]string, 0, len(d.Ulimits))
		for _, u := range d.Ulimits {
			limits = append(limits, fmt.Sprintf("%s=%d:%d", u.Name, u.SoftLimit, u.HardLimit))
		}
		t.approximate(cfield(d.Name, "ulimits"), "not applied ("+strings.Join(limits, ", ")+
			"): Kubernetes has no per-container or per-Pod rlimits, the container runtime's defaults apply")
	}
	if len(d.Links) > 0 {
		t.approximate(cfield(d.Name, "links"), "not needed ("+strings.Join(d.Links, ", ")+"): the containers of a Pod share "+
			"one network namespace, so reach the linked containers on localhost instead of by name or alias")
	}
	if f := d.FirelensConfiguration; f != nil {
		t.approximate(cfield(d.Name, "firelensConfiguration"), "runs as an ordinary container ("+f.Type+
			"); other containers' logs are not routed to it, they go to the node's log pipeline")
	}
}

// digestPattern is an OCI digest: algorithm ":" encoded.
var digestPattern = regexp.MustCompile(`^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$`)

// sha256Pattern is the encoded part of a sha256 digest.
var sha256Pattern = regexp.MustCompile(`^[a-f0-9]{64}$`)

// image returns the container's image, pinned to the deployment's digest when ECS
// versionConsistency asks for it.
func (t *translator) image(d *ecsv1alpha1.ContainerDefinition) (string, error) {
	switch d.VersionConsistency {
	case "", "enabled", "disabled":
	default:
		return "", invalid(d.Name, cfield(d.Name, "versionConsistency"), "%q is neither enabled nor disabled", d.VersionConsistency)
	}
	digest, ok := t.opts.Digests[d.Image]
	if !ok || d.VersionConsistency == "disabled" || strings.Contains(d.Image, "@") {
		return d.Image, nil
	}
	algo, encoded, _ := strings.Cut(digest, ":")
	if !digestPattern.MatchString(digest) || (algo == "sha256" && !sha256Pattern.MatchString(encoded)) {
		return "", invalid(d.Name, cfield(d.Name, "image"), "the digest %q resolved for image %q is not a valid OCI digest", digest, d.Image)
	}
	ref, err := ParseImage(d.Image)
	if err != nil {
		return "", invalid(d.Name, cfield(d.Name, "image"), "%v", err)
	}
	return ref.Pinned(digest), nil
}

// validImageText reports whether an image reference is non-empty printable ASCII without
// spaces: OCI and Docker references are ASCII, and a control character would make an
// unreadable (and un-pullable) Pod image.
func validImageText(image string) bool {
	if image == "" {
		return false
	}
	for i := range len(image) {
		if image[i] < '!' || image[i] > '~' {
			return false
		}
	}
	return true
}
