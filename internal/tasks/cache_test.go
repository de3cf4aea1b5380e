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
	"fmt"
	"testing"
	"unsafe"

	gocmp "github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/taskdef"
)

// TestForCacheKeepsWhatIsRead runs every Observe case on the cached form of its Pod: the
// transform must not change a task's state, health, stop reason or exit.
func TestForCacheKeepsWhatIsRead(t *testing.T) {
	pool := &StringPool{}
	for _, tc := range observeCases() {
		want := Observe(tc.pod)
		for _, p := range []*StringPool{nil, pool} {
			if got := Observe(ForCache(tc.pod, p)); !equalObservation(got, want) {
				t.Errorf("%s (pool %v): Observe(ForCache(pod)) = %+v, Observe(pod) = %+v", tc.name, p != nil, got, want)
			}
		}
	}
}

// TestForCache checks, on a task Pod as the Service controller creates it (a translated task
// definition with a health check, a port and tags, pinned by node affinity) and as the API
// server and the kubelet fill it in, what the cached form keeps and drops.
func TestForCache(t *testing.T) {
	tmpl := WithDeployment(BuildTemplate(TemplateInput{Service: "web", Namespace: "ns", Translated: translated(t, webSpec())}), "ecs-svc-abc")
	owner := metav1.OwnerReference{APIVersion: "ecs.berth.dev/v1alpha1", Kind: "Service", Name: "web", UID: "u1", Controller: ptr.To(true)}
	pod := NewPod(&tmpl, "web-abc-xyz12", "ns", owner, Pin{Node: "n1"})
	pod.UID, pod.ResourceVersion, pod.CreationTimestamp = "p1", "42", t0
	pod.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "berth-controller", Operation: metav1.ManagedFieldsOperationUpdate}}
	pod.Spec.NodeName = "n1"
	pod.Labels["team"] = "payments" // a propagated tag
	pod.Annotations[taskdef.AnnotationDockerLabels] = `{"com.example/Odd Key":"x"}`
	pod.Annotations[AnnotationRebalanceZone] = "zone-b"
	pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: "kube-api-access-x"})
	pod.Spec.Tolerations = []corev1.Toleration{{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists}}
	pod.Status = corev1.PodStatus{
		Phase: corev1.PodRunning, HostIP: "10.0.0.1", PodIP: "10.1.0.7", PodIPs: []corev1.PodIP{{IP: "10.1.0.7"}}, QOSClass: corev1.PodQOSBestEffort,
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: t0}},
		ContainerStatuses: []corev1.ContainerStatus{{Name: "web", Ready: true, RestartCount: 1, Image: "nginx:1.27", ImageID: "docker.io/library/nginx@sha256:abc",
			ContainerID: "containerd://0123", Started: ptr.To(true), State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: t0}}}},
	}
	before := pod.DeepCopy()

	got := ForCache(pod, &StringPool{})
	if d := gocmp.Diff(before, pod); d != "" {
		t.Errorf("ForCache changed its input:\n%s", d)
	}
	if d := gocmp.Diff(got, ForCache(got, nil)); d != "" {
		t.Errorf("ForCache is not idempotent:\n%s", d)
	}
	want := before.ObjectMeta.DeepCopy()
	want.ManagedFields = nil
	delete(want.Labels, "team")
	delete(want.Annotations, taskdef.AnnotationDockerLabels)
	if d := gocmp.Diff(*want, got.ObjectMeta); d != "" {
		t.Errorf("metadata (managedFields, the tag and the docker labels dropped):\n%s", d)
	}
	for _, k := range []string{ecsv1alpha1.ServiceLabel, ecsv1alpha1.DeploymentLabel, ecsv1alpha1.TaskDefinitionLabel} {
		if got.Labels[k] == "" {
			t.Errorf("label %s dropped: %v", k, got.Labels)
		}
	}
	for _, k := range []string{taskdef.AnnotationFamily, taskdef.AnnotationRevision, taskdef.AnnotationEssentialContainers, AnnotationRebalanceZone} {
		if got.Annotations[k] == "" {
			t.Errorf("annotation %s dropped: %v", k, got.Annotations)
		}
	}
	if d := gocmp.Diff(before.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution,
		got.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution); d != "" {
		t.Errorf("the node pin:\n%s", d)
	}
	wantSpec := corev1.PodSpec{NodeName: "n1", RestartPolicy: before.Spec.RestartPolicy, Containers: []corev1.Container{{Name: "web"}},
		Affinity: got.Spec.Affinity}
	if d := gocmp.Diff(wantSpec, got.Spec); d != "" {
		t.Errorf("spec:\n%s", d)
	}
	wantStatus := corev1.PodStatus{Phase: corev1.PodRunning, Conditions: before.Status.Conditions,
		ContainerStatuses: []corev1.ContainerStatus{{Name: "web", Ready: true, RestartCount: 1, State: before.Status.ContainerStatuses[0].State}}}
	if d := gocmp.Diff(wantStatus, got.Status); d != "" {
		t.Errorf("status:\n%s", d)
	}
	if before.Spec.Containers[0].Image == "" || before.Spec.Containers[0].ReadinessProbe == nil || len(before.Spec.Containers[0].Ports) == 0 {
		t.Fatal("the test Pod lacks the fields the transform drops; the test proves nothing")
	}
}

func TestStringPool(t *testing.T) {
	var nilPool *StringPool
	if nilPool.get("a") != "a" {
		t.Error("a nil pool must return the string")
	}
	p := &StringPool{}
	a, b := string([]byte("zone-a")), string([]byte("zone-a"))
	if unsafe.StringData(p.get(a)) != unsafe.StringData(p.get(b)) {
		t.Error("equal strings must share one copy")
	}
	for i := range maxPooled + 10 {
		p.get(fmt.Sprint(i))
	}
	if n := len(p.m); n > maxPooled {
		t.Errorf("the pool holds %d strings, more than %d", n, maxPooled)
	}
}
