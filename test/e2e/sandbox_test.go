//go:build e2e

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

package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"

	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

// TestSandboxSchedulesAndRunsPods checks the sandbox itself: kube-scheduler places a Pod on
// a kwok node of the zone it asks for, and kwok reports it Running.
func TestSandboxSchedulesAndRunsPods(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "probe"},
		Spec: corev1.PodSpec{
			NodeSelector: map[string]string{"topology.kubernetes.io/zone": "zone-b"},
			Containers:   []corev1.Container{{Name: "c", Image: "busybox"}},
		},
	}
	if err := k8s.Create(ctx, pod); err != nil {
		t.Fatal(err)
	}
	kubetest.Eventually(t, time.Minute, func() error {
		got := &corev1.Pod{}
		if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: "probe"}, got); err != nil {
			return err
		}
		if got.Spec.NodeName == "" || got.Status.Phase != corev1.PodRunning {
			return fmt.Errorf("pod on node %q in phase %s", got.Spec.NodeName, got.Status.Phase)
		}
		node := &corev1.Node{}
		if err := k8s.Get(ctx, types.NamespacedName{Name: got.Spec.NodeName}, node); err != nil {
			return err
		}
		if zone := node.Labels["topology.kubernetes.io/zone"]; zone != "zone-b" {
			return fmt.Errorf("scheduled to zone %q, want zone-b", zone)
		}
		return nil
	})
}

// TestTaskDefinitionRegistersInSandbox runs the revision controller in the sandbox.
func TestTaskDefinitionRegistersInSandbox(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	td := &ecsv1alpha1.TaskDefinition{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"},
		Spec: ecsv1alpha1.TaskDefinitionSpec{
			ContainerDefinitions: []ecsv1alpha1.ContainerDefinition{{Name: "web", Image: "nginx:1.27"}},
		},
	}
	if err := k8s.Create(ctx, td); err != nil {
		t.Fatal(err)
	}
	kubetest.Eventually(t, time.Minute, func() error {
		got := &ecsv1alpha1.TaskDefinition{}
		if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: "web"}, got); err != nil {
			return err
		}
		if got.Status.Revision != 1 {
			return fmt.Errorf("revision %d, want 1", got.Status.Revision)
		}
		return nil
	})
}
