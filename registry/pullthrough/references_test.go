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

package pullthrough

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
)

// TestReferences: what the registry and the controller both make of a rule's Secret and
// ConfigMap — the class of each failure, whether the object is missing, and a message that
// names the object and what to fix.
func TestReferences(t *testing.T) {
	ca := selfSignedPEM(t)
	objects := []*corev1.Secret{
		{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "pull-through-cache-hub"}, Type: corev1.SecretTypeBasicAuth,
			Data: map[string][]byte{"username": []byte("u"), "password": []byte("p")}},
		{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "pull-through-cache-opaque"}, Type: corev1.SecretTypeOpaque,
			Data: map[string][]byte{"username": []byte("u"), "password": []byte("p")}},
		{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "hub"}, Type: corev1.SecretTypeBasicAuth,
			Data: map[string][]byte{"username": []byte("u"), "password": []byte("p")}},
		{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "pull-through-cache-empty"}, Type: corev1.SecretTypeBasicAuth,
			Data: map[string][]byte{"username": []byte("u")}},
	}
	core := fake.NewClientset()
	ctx := context.Background()
	for _, s := range objects {
		if _, err := core.CoreV1().Secrets("team").Create(ctx, s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range map[string]map[string]string{
		"inhouse-ca": {CAKey: ca},
		"garbage":    {CAKey: "not a certificate"},
		"other-key":  {"tls.crt": ca},
	} {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: name}, Data: data}
		if _, err := core.CoreV1().ConfigMaps("team").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	refs := ReferencesOf(core.CoreV1())
	forbidden := References{
		Secret: func(context.Context, string, string) (*corev1.Secret, error) {
			return nil, apierrors.NewForbidden(schema.GroupResource{Resource: "secrets"}, "x", errors.New("no"))
		},
		ConfigMap: func(context.Context, string, string) (*corev1.ConfigMap, error) {
			return nil, apierrors.NewForbidden(schema.GroupResource{Resource: "configmaps"}, "x", errors.New("no"))
		},
	}

	for _, tc := range []struct {
		name    string
		refs    References
		secret  string
		ca      string
		failure Failure // "" with wantErr: a failure to read, no verdict
		missing bool
		wantErr string
	}{
		{name: "no references"},
		{name: "good Secret and CA", secret: "pull-through-cache-hub", ca: "inhouse-ca"},
		{name: "missing Secret", secret: "pull-through-cache-gone", failure: FailureCredentials, missing: true, wantErr: `no Secret "pull-through-cache-gone" (credentialSecretRef) in namespace team`},
		{name: "wrong type", secret: "pull-through-cache-opaque", failure: FailureCredentials, wantErr: "want kubernetes.io/basic-auth"},
		{name: "wrong name", secret: "hub", failure: FailureCredentials, wantErr: "must be named pull-through-cache-*"},
		{name: "no password", secret: "pull-through-cache-empty", failure: FailureCredentials, wantErr: `non-empty "username" and "password"`},
		{name: "missing ConfigMap", ca: "gone", failure: FailureCACertificate, missing: true, wantErr: `no ConfigMap "gone" (caCertificateRef) in namespace team`},
		{name: "garbage CA", ca: "garbage", failure: FailureCACertificate, wantErr: "ConfigMap garbage (caCertificateRef): key ca.crt holds no PEM certificate"},
		{name: "CA under another key", ca: "other-key", failure: FailureCACertificate, wantErr: "key ca.crt is missing or empty"},
		{name: "Secret unreadable", refs: forbidden, secret: "pull-through-cache-hub", wantErr: "reading Secret team/pull-through-cache-hub"},
		{name: "ConfigMap unreadable", refs: forbidden, ca: "inhouse-ca", wantErr: "reading ConfigMap team/inhouse-ca"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rule := &ecrv1alpha1.PullThroughCacheRule{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "hub"}}
			if tc.secret != "" {
				rule.Spec.CredentialSecretRef = &ecrv1alpha1.SecretReference{Name: tc.secret}
			}
			if tc.ca != "" {
				rule.Spec.CACertificateRef = &ecrv1alpha1.ConfigMapReference{Name: tc.ca}
			}
			r := refs
			if tc.refs.Secret != nil {
				r = tc.refs
			}
			creds, err := r.Credentials(ctx, rule)
			if err == nil {
				var bundle *CABundle
				bundle, err = r.CACertificates(ctx, rule)
				if err == nil && (tc.ca != "") != (bundle != nil) {
					t.Fatalf("CACertificates = %+v for caCertificateRef %q", bundle, tc.ca)
				}
				if err == nil && creds == nil {
					t.Fatal("Credentials returned no authenticator")
				}
			}
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
			var e *Error
			isVerdict := errors.As(err, &e)
			if tc.failure == "" {
				if isVerdict {
					t.Fatalf("a failure to read is classed %s; want a plain error", e.Failure)
				}
				return
			}
			if !isVerdict || e.Failure != tc.failure || e.Missing != tc.missing {
				t.Fatalf("error %#v, want failure %s missing %v", err, tc.failure, tc.missing)
			}
		})
	}
}

func selfSignedPEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "in-house CA"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}
