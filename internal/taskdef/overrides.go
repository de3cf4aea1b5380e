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
	"slices"

	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// ApplyOverrides returns the task definition spec with a task's overrides applied, as ECS
// RunTask applies a TaskOverride: a container's command, cpu, memory and memoryReservation
// replace the definition's; its environment is merged by name (the override's value wins, new
// names are added after the definition's, in the override's order); its environmentFiles are
// added after the definition's; task cpu, memory, taskRoleServiceAccountName and
// ephemeralStorage replace the definition's. The result is translated like any revision, so
// an override that makes the task invalid (a container above the task memory) is refused by
// Translate. A container override naming no container of the definition is an error. spec
// is not modified.
func ApplyOverrides(spec *ecsv1alpha1.TaskDefinitionSpec, o *ecsv1alpha1.TaskOverride) (*ecsv1alpha1.TaskDefinitionSpec, error) {
	out := spec.DeepCopy()
	if o == nil {
		return out, nil
	}
	for i := range o.ContainerOverrides {
		co := &o.ContainerOverrides[i]
		idx := slices.IndexFunc(out.ContainerDefinitions, func(c ecsv1alpha1.ContainerDefinition) bool { return c.Name == co.Name })
		if idx < 0 {
			return nil, fmt.Errorf("overrides.containerOverrides[%d].name: the task definition has no container %q", i, co.Name)
		}
		overrideContainer(&out.ContainerDefinitions[idx], co)
	}
	if o.CPU != "" {
		out.CPU = o.CPU
	}
	if o.Memory != "" {
		out.Memory = o.Memory
	}
	if o.TaskRoleServiceAccountName != "" {
		out.TaskRoleServiceAccountName = o.TaskRoleServiceAccountName
	}
	if o.EphemeralStorage != nil {
		out.EphemeralStorage = o.EphemeralStorage.DeepCopy()
	}
	return out, nil
}

// overrideContainer applies one ContainerOverride to its container definition.
func overrideContainer(c *ecsv1alpha1.ContainerDefinition, o *ecsv1alpha1.ContainerOverride) {
	if o.Command != nil {
		c.Command = slices.Clone(o.Command)
	}
	for _, kv := range o.Environment {
		if i := slices.IndexFunc(c.Environment, func(e ecsv1alpha1.KeyValuePair) bool { return e.Name == kv.Name }); i >= 0 {
			c.Environment[i].Value = kv.Value
			continue
		}
		c.Environment = append(c.Environment, kv)
	}
	c.EnvironmentFiles = append(c.EnvironmentFiles, o.EnvironmentFiles...)
	if o.CPU != nil {
		c.CPU = ptr.To(*o.CPU)
	}
	if o.Memory != nil {
		c.Memory = ptr.To(*o.Memory)
	}
	if o.MemoryReservation != nil {
		c.MemoryReservation = ptr.To(*o.MemoryReservation)
	}
}
