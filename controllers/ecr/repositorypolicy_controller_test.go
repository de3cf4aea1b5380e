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

package ecr_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	"github.com/berth-dev/berth/controllers/ecr"

	"github.com/berth-dev/berth/internal/scheme"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

// waitPolicyReady waits for the policy's Ready condition to have the status and reason.
func waitPolicyReady(t *testing.T, ns, name string, status metav1.ConditionStatus, reason string) *metav1.Condition {
	t.Helper()
	var c *metav1.Condition
	kubetest.Eventually(t, waitFor, func() error {
		p := &ecrv1alpha1.RepositoryPolicy{}
		if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, p); err != nil {
			return err
		}
		c = meta.FindStatusCondition(p.Status.Conditions, ecrv1alpha1.ReadyCondition)
		if c == nil || c.Status != status || c.Reason != reason || p.Status.ObservedGeneration != p.Generation {
			return fmt.Errorf("Ready = %+v at observedGeneration %d/%d, want %s/%s", c, p.Status.ObservedGeneration, p.Generation, status, reason)
		}
		return nil
	})
	return c
}

func TestRepositoryPolicyFollowsItsRepository(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	pol := &ecrv1alpha1.RepositoryPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "pull"},
		Spec: ecrv1alpha1.RepositoryPolicySpec{
			RepositoryName: "web-app",
			Statements: []ecrv1alpha1.Statement{{
				Effect:     ecrv1alpha1.EffectAllow,
				Principals: []ecrv1alpha1.Principal{{Kind: ecrv1alpha1.PrincipalGroup, Name: "system:serviceaccounts:team-b"}},
				Actions:    []ecrv1alpha1.Action{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"},
			}},
		},
	}
	if err := k8s.Create(ctx, pol); err != nil {
		t.Fatal(err)
	}
	c := waitPolicyReady(t, ns, "pull", metav1.ConditionFalse, ecrv1alpha1.RepositoryNotFoundReason)
	if !strings.Contains(c.Message, "web-app") {
		t.Errorf("message %q should name the missing repository", c.Message)
	}

	repo := &ecrv1alpha1.Repository{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web-app"}}
	if err := k8s.Create(ctx, repo); err != nil {
		t.Fatal(err)
	}
	waitPolicyReady(t, ns, "pull", metav1.ConditionTrue, ecrv1alpha1.ReconciledReason)

	if err := k8s.Delete(ctx, repo); err != nil {
		t.Fatal(err)
	}
	waitPolicyReady(t, ns, "pull", metav1.ConditionFalse, ecrv1alpha1.RepositoryNotFoundReason)
}

func TestRepositoryPolicyForEveryRepository(t *testing.T) {
	ns := newNamespace(t)
	pol := &ecrv1alpha1.RepositoryPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "admins"},
		Spec: ecrv1alpha1.RepositoryPolicySpec{
			RepositoryName: "*",
			Statements: []ecrv1alpha1.Statement{{
				Effect:     ecrv1alpha1.EffectAllow,
				Principals: []ecrv1alpha1.Principal{{Kind: ecrv1alpha1.PrincipalGroup, Name: "platform-admins"}},
				Actions:    []ecrv1alpha1.Action{"ecr:*"},
			}},
		},
	}
	if err := k8s.Create(context.Background(), pol); err != nil {
		t.Fatal(err)
	}
	c := waitPolicyReady(t, ns, "admins", metav1.ConditionTrue, ecrv1alpha1.ReconciledReason)
	if !strings.Contains(c.Message, "every repository") {
		t.Errorf("message %q should say the policy covers every repository", c.Message)
	}
}

// TestRepositoryPolicyUnenforceableIsNotReady: a policy the CRD's rules would refuse now (a
// partial wildcard in a principal, stored before the rule existed) is reported Ready=False
// InvalidStatement, not put in force. The fake client stands in for such a stored object:
// the API server would refuse to create it.
func TestRepositoryPolicyUnenforceableIsNotReady(t *testing.T) {
	s, err := scheme.New()
	if err != nil {
		t.Fatal(err)
	}
	pol := &ecrv1alpha1.RepositoryPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "legacy", Name: "deny-all-sa", Generation: 1},
		Spec: ecrv1alpha1.RepositoryPolicySpec{
			RepositoryName: "*",
			Statements: []ecrv1alpha1.Statement{{
				Effect:     ecrv1alpha1.EffectDeny,
				Principals: []ecrv1alpha1.Principal{{Kind: ecrv1alpha1.PrincipalGroup, Name: "system:serviceaccounts:*"}},
				Actions:    []ecrv1alpha1.Action{"ecr:PutImage"},
			}},
		},
	}
	c := fake.NewClientBuilder().WithScheme(s).WithObjects(pol).WithStatusSubresource(pol).Build()
	r := &ecr.RepositoryPolicyReconciler{Client: c, Recorder: events.NewFakeRecorder(10)}
	ctx := context.Background()
	if _, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: types.NamespacedName{Namespace: "legacy", Name: "deny-all-sa"}}); err != nil {
		t.Fatal(err)
	}
	got := &ecrv1alpha1.RepositoryPolicy{}
	if err := c.Get(ctx, types.NamespacedName{Namespace: "legacy", Name: "deny-all-sa"}, got); err != nil {
		t.Fatal(err)
	}
	ready := meta.FindStatusCondition(got.Status.Conditions, ecrv1alpha1.ReadyCondition)
	if ready == nil || ready.Status != metav1.ConditionFalse || ready.Reason != ecrv1alpha1.InvalidStatementReason || !strings.Contains(ready.Message, "system:serviceaccounts:*") {
		t.Errorf("Ready = %+v, want False InvalidStatement naming the principal", ready)
	}
	if !meta.IsStatusConditionTrue(got.Status.Conditions, ecrv1alpha1.StalledCondition) {
		t.Errorf("Stalled is not True: %+v", got.Status.Conditions)
	}
}
