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
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// podPlatform maps runtimePlatform to a nodeSelector on the well-known architecture and OS
// labels.
func (t *translator) podPlatform(pod *corev1.PodSpec, _ []corev1.Container) error {
	rp := t.spec.RuntimePlatform
	if rp == nil {
		return nil
	}
	sel := map[string]string{}
	switch rp.CPUArchitecture {
	case "":
	case ecsv1alpha1.CPUArchitectureX8664:
		sel[corev1.LabelArchStable] = "amd64"
	case ecsv1alpha1.CPUArchitectureARM64:
		sel[corev1.LabelArchStable] = "arm64"
	default:
		return invalid("", "runtimePlatform.cpuArchitecture", "%q is neither X86_64 nor ARM64", rp.CPUArchitecture)
	}
	switch os := rp.OperatingSystemFamily; {
	case os == "":
	case os == ecsv1alpha1.OSFamilyLinux:
		sel[corev1.LabelOSStable] = "linux"
	case strings.HasPrefix(string(os), "WINDOWS_"):
		sel[corev1.LabelOSStable] = "windows"
	default:
		return invalid("", "runtimePlatform.operatingSystemFamily", "%q is neither LINUX nor a WINDOWS_* family", os)
	}
	if len(sel) > 0 {
		pod.NodeSelector = sel
	}
	return nil
}

// podIdentity sets the service account (taskRoleArn's part) and the image pull secrets: the
// execution pull Secret for bundled-registry images, then repositoryCredentials in
// container order, each once. A task without a task role gets no credentials, as an ECS
// task without one gets none: it runs as the namespace's default service account with no
// API token mounted (the ServiceAccount's own automountServiceAccountToken decides when a
// role is named).
func (t *translator) podIdentity(pod *corev1.PodSpec, _ []corev1.Container) error {
	if sa := t.spec.TaskRoleServiceAccountName; sa != "" {
		if err := checkObjectName("", "taskRoleServiceAccountName", "ServiceAccount", sa); err != nil {
			return err
		}
		pod.ServiceAccountName = sa
	} else {
		pod.AutomountServiceAccountToken = ptr.To(false)
	}
	seen := map[string]bool{}
	add := func(name string) {
		if !seen[name] {
			seen[name] = true
			pod.ImagePullSecrets = append(pod.ImagePullSecrets, corev1.LocalObjectReference{Name: name})
		}
	}
	if t.opts.PullSecretName != "" && len(RegistryImages(t.spec, t.opts.RegistryHost)) > 0 {
		add(PullSecretName(t.opts.PullSecretName, ExecutionServiceAccount(t.spec)))
	}
	for _, d := range t.spec.ContainerDefinitions {
		if rc := d.RepositoryCredentials; rc != nil {
			if err := checkObjectName(d.Name, cfield(d.Name, "repositoryCredentials", "credentialsParameter"),
				"Secret", rc.CredentialsParameter); err != nil {
				return err
			}
			add(rc.CredentialsParameter)
		}
	}
	return nil
}

// taskLevelApproximations reports the task parameters that have no Pod equivalent.
func (t *translator) taskLevelApproximations() {
	s := t.spec
	if s.TaskRoleArn != "" {
		who := "the namespace's default service account, with no API token"
		if s.TaskRoleServiceAccountName != "" {
			who = "service account " + s.TaskRoleServiceAccountName
		}
		t.approximate("taskRoleArn", "no effect: Kubernetes has no IAM roles; the task runs as "+who+" (taskRoleServiceAccountName)")
	}
	if s.ExecutionRoleArn != "" {
		t.approximate("executionRoleArn", "no effect: Kubernetes has no IAM roles; images are pulled with the Pod's "+
			"imagePullSecrets (executionServiceAccountName)")
	}
	if p := s.ProxyConfiguration; p != nil {
		t.approximate("proxyConfiguration", "not applied: "+p.ContainerName+" runs as an ordinary container and no traffic "+
			"is redirected through it; a service mesh injects and configures its own proxy")
	}
	if len(s.InferenceAccelerators) > 0 {
		t.approximate("inferenceAccelerators", "not attached: Elastic Inference is retired and Kubernetes has no equivalent")
	}
	if s.EnableFaultInjection != nil && *s.EnableFaultInjection {
		t.approximate("enableFaultInjection", "no effect: Kubernetes has no ECS fault-injection endpoints")
	}
}
