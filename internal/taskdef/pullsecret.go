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
	"crypto/sha256"
	"encoding/hex"
	"strings"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// DefaultExecutionServiceAccount plays the part of ECS's ecsTaskExecutionRole: the identity
// that pulls a task's bundled-registry images when the task definition names none.
const DefaultExecutionServiceAccount = "berth-task-execution"

// ExecutionServiceAccount is the ServiceAccount whose registry token pulls the task
// definition's bundled-registry images.
func ExecutionServiceAccount(spec *ecsv1alpha1.TaskDefinitionSpec) string {
	if spec.ExecutionServiceAccountName != "" {
		return spec.ExecutionServiceAccountName
	}
	return DefaultExecutionServiceAccount
}

// PullSecretName is the name of the pull Secret holding executionSA's registry token. The
// default execution identity's Secret is base itself; another identity's is base-<sa>, so
// the controller that keeps the Secrets and the translation that lists them agree on the name
// without any lookup. Names that would pass 253 characters end in a hash instead.
func PullSecretName(base, executionSA string) string {
	if executionSA == "" || executionSA == DefaultExecutionServiceAccount {
		return base
	}
	name := base + "-" + executionSA
	if len(name) <= 253 {
		return name
	}
	sum := sha256.Sum256([]byte(executionSA))
	return strings.TrimRight(name[:253-17], "-.") + "-" + hex.EncodeToString(sum[:8])
}

// RegistryImages are the task definition's container images pulled from registryHost, in
// container order; none when registryHost is empty.
func RegistryImages(spec *ecsv1alpha1.TaskDefinitionSpec, registryHost string) []string {
	if registryHost == "" {
		return nil
	}
	var out []string
	for _, d := range spec.ContainerDefinitions {
		if ref, err := ParseImage(d.Image); err == nil && ref.From(registryHost) {
			out = append(out, d.Image)
		}
	}
	return out
}
