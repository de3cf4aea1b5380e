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
	"encoding/pem"
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

	// A Secret of another type is named as such (read from the API server: the manager's
	// cache holds no Secret of users).
	opaque := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "pull-through-cache-opaque"},
		StringData: map[string]string{corev1.BasicAuthUsernameKey: "cache-user", corev1.BasicAuthPasswordKey: "right"},
	}
	if err := k8s.Create(ctx, opaque); err != nil {
		t.Fatal(err)
	}
	wrongType := &ecrv1alpha1.PullThroughCacheRule{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "opaque"},
		Spec: ecrv1alpha1.PullThroughCacheRuleSpec{EcrRepositoryPrefix: "opaque", UpstreamRegistryURL: upstream,
			CredentialSecretRef: &ecrv1alpha1.SecretReference{Name: opaque.Name}},
	}
	if err := k8s.Create(ctx, wrongType); err != nil {
		t.Fatal(err)
	}
	got = waitRuleReady(t, ns, "opaque", metav1.ConditionFalse, ecrv1alpha1.InvalidSecretReason)
	if c := meta.FindStatusCondition(got.Status.Conditions, ecrv1alpha1.ReadyCondition); !strings.Contains(c.Message, string(corev1.SecretTypeBasicAuth)) {
		t.Fatalf("the condition does not say which type the Secret needs: %q", c.Message)
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

// TestPullThroughCacheRulePrivateCA: an HTTPS upstream whose certificate no system root
// signed (httptest's, for 127.0.0.1) is validated with the CA of the rule's
// caCertificateRef ConfigMap; each way that ConfigMap can be wrong is a reason of its own,
// and changing the ConfigMap (a watch, not the revalidation timer) validates the rule again.
func TestPullThroughCacheRulePrivateCA(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	caPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))

	// The system's roots do not know the upstream's CA.
	roots := &ecrv1alpha1.PullThroughCacheRule{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "roots"},
		Spec:       ecrv1alpha1.PullThroughCacheRuleSpec{EcrRepositoryPrefix: "roots", UpstreamRegistryURL: srv.URL},
	}
	if err := k8s.Create(ctx, roots); err != nil {
		t.Fatal(err)
	}
	got := waitRuleReady(t, ns, "roots", metav1.ConditionFalse, ecrv1alpha1.UpstreamUnreachableReason)
	if c := meta.FindStatusCondition(got.Status.Conditions, ecrv1alpha1.ReadyCondition); !strings.Contains(c.Message, "certificate") {
		t.Fatalf("the condition does not say the certificate was not trusted: %q", c.Message)
	}

	rule := &ecrv1alpha1.PullThroughCacheRule{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "inhouse"},
		Spec: ecrv1alpha1.PullThroughCacheRuleSpec{EcrRepositoryPrefix: "inhouse", UpstreamRegistryURL: srv.URL,
			CACertificateRef: &ecrv1alpha1.ConfigMapReference{Name: "inhouse-ca"}},
	}
	if err := k8s.Create(ctx, rule); err != nil {
		t.Fatal(err)
	}
	got = waitRuleReady(t, ns, "inhouse", metav1.ConditionFalse, ecrv1alpha1.CACertificateNotFoundReason)
	if !meta.IsStatusConditionTrue(got.Status.Conditions, ecrv1alpha1.StalledCondition) {
		t.Fatalf("a missing CA ConfigMap is not Stalled: %+v", got.Status.Conditions)
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "inhouse-ca"},
		Data: map[string]string{"ca.crt": "-----BEGIN CERTIFICATE-----\nnot one\n-----END CERTIFICATE-----\n"}}
	if err := k8s.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	got = waitRuleReady(t, ns, "inhouse", metav1.ConditionFalse, ecrv1alpha1.InvalidCACertificateReason)
	if c := meta.FindStatusCondition(got.Status.Conditions, ecrv1alpha1.ReadyCondition); !strings.Contains(c.Message, "inhouse-ca") || !strings.Contains(c.Message, "ca.crt") {
		t.Fatalf("the condition does not name the ConfigMap and its key: %q", c.Message)
	}
	cm.Data["ca.crt"] = caPEM
	if err := k8s.Update(ctx, cm); err != nil {
		t.Fatal(err)
	}
	got = waitRuleReady(t, ns, "inhouse", metav1.ConditionTrue, ecrv1alpha1.UpstreamValidatedReason)
	if meta.FindStatusCondition(got.Status.Conditions, ecrv1alpha1.StalledCondition) != nil {
		t.Fatalf("status after the fix: %+v", got.Status)
	}

	// The API server refuses a CA for a plain-HTTP upstream, naming the field.
	plain := &ecrv1alpha1.PullThroughCacheRule{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "plain"},
		Spec: ecrv1alpha1.PullThroughCacheRuleSpec{EcrRepositoryPrefix: "plain", UpstreamRegistryURL: "http://registry.internal:5000",
			CACertificateRef: &ecrv1alpha1.ConfigMapReference{Name: "inhouse-ca"}},
	}
	if err := k8s.Create(ctx, plain); err == nil || !strings.Contains(err.Error(), "caCertificateRef needs an https upstream") {
		t.Fatalf("a CA for an http:// upstream: %v, want refused naming caCertificateRef", err)
	}
}
