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

package ecs_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/tasks"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

// isolatedTaskDefinition creates family "web" with networkMode none and waits for revision 1.
func isolatedTaskDefinition(t *testing.T, ns string) {
	t.Helper()
	td := newTaskDefinition(ns, "web", "nginx:1.26")
	td.Spec.NetworkMode = ecsv1alpha1.NetworkModeNone
	if err := k8s.Create(context.Background(), td); err != nil {
		t.Fatal(err)
	}
	waitRevision(t, ns, "web", 1)
}

// ownedNetworkPolicy returns the Service's deny-all NetworkPolicy when the Service owns it.
func ownedNetworkPolicy(ns string) (*networkingv1.NetworkPolicy, error) {
	ctx := context.Background()
	svc := &ecsv1alpha1.Service{}
	if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: "web"}, svc); err != nil {
		return nil, err
	}
	np := &networkingv1.NetworkPolicy{}
	if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: tasks.DenyAllNetworkPolicyName("web")}, np); err != nil {
		return nil, err
	}
	if !metav1.IsControlledBy(np, svc) {
		return nil, fmt.Errorf("NetworkPolicy %s is not the Service's", np.Name)
	}
	if np.Spec.PodSelector.MatchLabels[tasks.LabelNetworkIsolated] != "true" || len(np.Spec.PolicyTypes) != 2 || len(np.Spec.Ingress)+len(np.Spec.Egress) != 0 {
		return nil, fmt.Errorf("NetworkPolicy spec = %+v", np.Spec)
	}
	return np, nil
}

// TestServiceIsolatesTasksWithoutNetworking: a task that must have no network is started only
// once its deny-all NetworkPolicy is in force. While another object holds the policy's name,
// the Service starts nothing and says why; once the name is free, the policy comes first.
func TestServiceIsolatesTasksWithoutNetworking(t *testing.T) {
	ns := serviceNamespace(t)
	ctx := context.Background()
	isolatedTaskDefinition(t, ns)
	squatter := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: tasks.DenyAllNetworkPolicyName("web")},
		Spec:       networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "other"}}},
	}
	if err := k8s.Create(ctx, squatter); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Create(ctx, newService(ns, "web", 2)); err != nil {
		t.Fatal(err)
	}
	kubetest.Eventually(t, waitFor, func() error {
		r := conditionOf(getService(t, ns, "web"), ecsv1alpha1.ReconcilingCondition)
		if r == nil || r.Reason != ecsv1alpha1.ReconcileErrorReason || !strings.Contains(r.Message, "network isolation is not in force") {
			return fmt.Errorf("Reconciling = %+v, want the missing isolation named", r)
		}
		return nil
	})
	kubetest.Consistently(t, 2*time.Second, func() error {
		if pods := livePods(t, ns, "web"); len(pods) != 0 {
			return fmt.Errorf("%d tasks without networking started with no NetworkPolicy isolating them", len(pods))
		}
		return nil
	})

	// The name is freed: from now on, whenever a task exists, so does the Service's policy.
	if err := k8s.Delete(ctx, squatter); err != nil {
		t.Fatal(err)
	}
	kubetest.Eventually(t, waitFor, func() error {
		pods := livePods(t, ns, "web")
		if _, err := ownedNetworkPolicy(ns); err != nil {
			if len(pods) > 0 {
				t.Fatalf("%d tasks exist before their NetworkPolicy: %v", len(pods), err)
			}
			return err
		}
		if len(pods) != 2 {
			return fmt.Errorf("%d tasks, want 2", len(pods))
		}
		for _, p := range pods {
			if p.Labels[tasks.LabelNetworkIsolated] != "true" {
				return fmt.Errorf("task %s labels = %v", p.Name, p.Labels)
			}
		}
		return nil
	})
}

// TestServiceFailingStartsDoNotStopTheOtherSteps: with every task create refused (a
// ResourceQuota of zero Pods), a pass still applies the NetworkPolicy and the load balancer's
// core Service, records its deployments and prunes the templates of deployments that left the
// history, and reports the refusal.
func TestServiceFailingStartsDoNotStopTheOtherSteps(t *testing.T) {
	ns := serviceNamespace(t)
	ctx := context.Background()
	quota := &corev1.ResourceQuota{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "no-pods"},
		Spec:       corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("0")}},
	}
	if err := k8s.Create(ctx, quota); err != nil {
		t.Fatal(err)
	}
	// No quota controller runs here: write the usage it would, so admission enforces the quota.
	quota.Status = corev1.ResourceQuotaStatus{Hard: quota.Spec.Hard, Used: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("0")}}
	if err := k8s.Status().Update(ctx, quota); err != nil {
		t.Fatal(err)
	}
	isolatedTaskDefinition(t, ns)
	svc := newService(ns, "web", 1)
	svc.Spec.LoadBalancers = []ecsv1alpha1.LoadBalancer{{ContainerName: "web", ContainerPort: 8080, Port: ptr.To[int32](80)}}
	if err := k8s.Create(ctx, svc); err != nil {
		t.Fatal(err)
	}
	kubetest.Eventually(t, waitFor, func() error {
		r := conditionOf(getService(t, ns, "web"), ecsv1alpha1.ReconcilingCondition)
		if r == nil || r.Reason != ecsv1alpha1.ReconcileErrorReason || !strings.Contains(r.Message, "exceeded quota") {
			return fmt.Errorf("Reconciling = %+v, want the quota's refusal", r)
		}
		if _, err := ownedNetworkPolicy(ns); err != nil {
			return err
		}
		return k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: "web"}, &corev1.Service{})
	})
	first := primary(getService(t, ns, "web"))
	if first == nil {
		t.Fatal("no PRIMARY deployment recorded")
	}
	ids := []string{first.ID}

	// New revisions push deployments out of the history (5 INACTIVE are kept); their stored
	// templates must go with them although every start keeps failing.
	for i := 2; i <= 8; i++ {
		setImage(t, ns, "web", fmt.Sprintf("nginx:1.%d", 26+i))
		waitRevision(t, ns, "web", int64(i))
		kubetest.Eventually(t, waitFor, func() error {
			d := primary(getService(t, ns, "web"))
			if d == nil || d.TaskDefinition != fmt.Sprintf("web:%d", i) {
				return fmt.Errorf("PRIMARY = %+v, want web:%d", d, i)
			}
			ids = append(ids, d.ID)
			return nil
		})
	}
	kubetest.Eventually(t, waitFor, func() error {
		kept := map[string]bool{}
		for _, d := range getService(t, ns, "web").Status.Deployments {
			kept[d.ID] = true
		}
		gone := 0
		for _, id := range ids {
			if kept[id] {
				continue
			}
			gone++
			list := &appsv1.ControllerRevisionList{}
			if err := k8s.List(ctx, list, client.InNamespace(ns), client.MatchingLabels{ecsv1alpha1.ServiceLabel: "web", ecsv1alpha1.DeploymentLabel: id}); err != nil {
				return err
			}
			if len(list.Items) != 0 {
				return fmt.Errorf("the template of deployment %s, no longer in the history, is still stored", id)
			}
		}
		if gone == 0 {
			return fmt.Errorf("all %d deployments are still in the history", len(ids))
		}
		return nil
	})
}
