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
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

// basicAuthRegistry answers /v2/ as a registry with HTTP Basic credentials user:password
// would (the stock registry's htpasswd mode: registry/pullthrough_test.go runs that one).
func basicAuthRegistry(t *testing.T, user, password string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != password {
			w.Header().Set("WWW-Authenticate", `Basic realm="upstream"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func waitRuleReady(t *testing.T, ns, name string, status metav1.ConditionStatus, reason string) *ecrv1alpha1.PullThroughCacheRule {
	t.Helper()
	rule := &ecrv1alpha1.PullThroughCacheRule{}
	kubetest.Eventually(t, waitFor, func() error {
		if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, rule); err != nil {
			return err
		}
		c := meta.FindStatusCondition(rule.Status.Conditions, ecrv1alpha1.ReadyCondition)
		if c == nil || c.Status != status || c.Reason != reason || rule.Status.ObservedGeneration != rule.Generation {
			return fmt.Errorf("Ready = %+v, want %s/%s", c, status, reason)
		}
		return nil
	})
	return rule
}

func TestPullThroughCacheRuleValidatesCredentials(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	upstream := basicAuthRegistry(t, "cache-user", "right")
	rule := &ecrv1alpha1.PullThroughCacheRule{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "hub"},
		Spec: ecrv1alpha1.PullThroughCacheRuleSpec{EcrRepositoryPrefix: "hub", UpstreamRegistryURL: upstream,
			CredentialSecretRef: &ecrv1alpha1.SecretReference{Name: "pull-through-cache-hub"}},
	}
	if err := k8s.Create(ctx, rule); err != nil {
		t.Fatal(err)
	}
	waitRuleReady(t, ns, "hub", metav1.ConditionFalse, ecrv1alpha1.SecretNotFoundReason)

	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "pull-through-cache-hub"},
		Type:       corev1.SecretTypeBasicAuth,
		StringData: map[string]string{corev1.BasicAuthUsernameKey: "cache-user", corev1.BasicAuthPasswordKey: "wrong"},
	}
	if err := k8s.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	got := waitRuleReady(t, ns, "hub", metav1.ConditionFalse, ecrv1alpha1.UpstreamAuthenticationFailedReason)
	c := meta.FindStatusCondition(got.Status.Conditions, ecrv1alpha1.ReadyCondition)
	if !strings.Contains(c.Message, "401") || !strings.Contains(c.Message, "pull-through-cache-hub") {
		t.Fatalf("the condition does not say what the upstream answered and which Secret to check: %q", c.Message)
	}
	if !meta.IsStatusConditionTrue(got.Status.Conditions, ecrv1alpha1.StalledCondition) {
		t.Fatalf("refused credentials are not Stalled: %+v", got.Status.Conditions)
	}

	// Fixing the Secret (a watch, not the revalidation timer) makes the rule Ready.
	secret.StringData = map[string]string{corev1.BasicAuthPasswordKey: "right"}
	if err := k8s.Update(ctx, secret); err != nil {
		t.Fatal(err)
	}
	got = waitRuleReady(t, ns, "hub", metav1.ConditionTrue, ecrv1alpha1.UpstreamValidatedReason)
	if meta.FindStatusCondition(got.Status.Conditions, ecrv1alpha1.StalledCondition) != nil || got.Status.LastValidatedAt == nil {
		t.Fatalf("status after the fix: %+v", got.Status)
	}

	// An upstream that does not answer.
	down := &ecrv1alpha1.PullThroughCacheRule{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "down"},
		Spec:       ecrv1alpha1.PullThroughCacheRuleSpec{EcrRepositoryPrefix: "down", UpstreamRegistryURL: "http://127.0.0.1:1"},
	}
	if err := k8s.Create(ctx, down); err != nil {
		t.Fatal(err)
	}
	waitRuleReady(t, ns, "down", metav1.ConditionFalse, ecrv1alpha1.UpstreamUnreachableReason)
}
