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
	"crypto/x509"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
)

// CAKey is the key of a caCertificateRef ConfigMap that holds the PEM certificates (the key
// of kube-root-ca.crt and of Gateway API's CA certificate references).
const CAKey = "ca.crt"

// References reads the Secret and the ConfigMap a rule names, in the rule's namespace: the
// one reading of both, for the registry (which pulls with them) and the controller (which
// validates the rule with them), so that a rule's Ready condition and the registry's 502 say
// the same thing. Each function returns the object, or an error apierrors.IsNotFound knows.
type References struct {
	Secret    func(ctx context.Context, namespace, name string) (*corev1.Secret, error)
	ConfigMap func(ctx context.Context, namespace, name string) (*corev1.ConfigMap, error)
}

// ReferencesOf reads with a clientset (get only).
func ReferencesOf(core interface {
	corev1client.SecretsGetter
	corev1client.ConfigMapsGetter
}) References {
	return References{
		Secret: func(ctx context.Context, namespace, name string) (*corev1.Secret, error) {
			return core.Secrets(namespace).Get(ctx, name, metav1.GetOptions{})
		},
		ConfigMap: func(ctx context.Context, namespace, name string) (*corev1.ConfigMap, error) {
			return core.ConfigMaps(namespace).Get(ctx, name, metav1.GetOptions{})
		},
	}
}

// Credentials reads the rule's credentialSecretRef: authn.Anonymous without one. A missing
// or malformed Secret is an *Error of FailureCredentials (Missing when there is no Secret);
// any other error is a failure to read it.
func (refs References) Credentials(ctx context.Context, rule *ecrv1alpha1.PullThroughCacheRule) (authn.Authenticator, error) {
	ref := rule.Spec.CredentialSecretRef
	if ref == nil {
		return authn.Anonymous, nil
	}
	s, err := refs.Secret(ctx, rule.Namespace, ref.Name)
	switch {
	case apierrors.IsNotFound(err):
		return nil, &Error{Failure: FailureCredentials, Missing: true,
			Err: fmt.Errorf("no Secret %q (credentialSecretRef) in namespace %s", ref.Name, rule.Namespace)}
	case err != nil:
		return nil, fmt.Errorf("reading Secret %s/%s: %w", rule.Namespace, ref.Name, err)
	}
	if err := CheckSecret(s); err != nil {
		return nil, &Error{Failure: FailureCredentials, Err: err}
	}
	return authn.FromConfig(authn.AuthConfig{Username: string(s.Data[corev1.BasicAuthUsernameKey]), Password: string(s.Data[corev1.BasicAuthPasswordKey])}), nil
}

// CheckSecret says what is wrong with a credentials Secret: it must be named
// pull-through-cache-*, of type kubernetes.io/basic-auth, with a username and a password.
func CheckSecret(s *corev1.Secret) error {
	switch {
	case !strings.HasPrefix(s.Name, "pull-through-cache-"):
		return fmt.Errorf("secret %s: credentials Secrets must be named pull-through-cache-*", s.Name)
	case s.Type != corev1.SecretTypeBasicAuth:
		return fmt.Errorf("secret %s has type %q, want %s", s.Name, s.Type, corev1.SecretTypeBasicAuth)
	case len(s.Data[corev1.BasicAuthUsernameKey]) == 0 || len(s.Data[corev1.BasicAuthPasswordKey]) == 0:
		return fmt.Errorf("secret %s needs non-empty %q and %q", s.Name, corev1.BasicAuthUsernameKey, corev1.BasicAuthPasswordKey)
	}
	return nil
}

// CABundle is what a caCertificateRef holds: the PEM as read (its SHA-256 names the bundle)
// and the certificates parsed from it, once.
type CABundle struct {
	PEM   []byte
	Roots *x509.CertPool
}

// CACertificates reads the certificates of the rule's caCertificateRef: nil without one. A
// missing ConfigMap, or one whose ca.crt holds no certificate, is an *Error of
// FailureCACertificate (Missing when there is no ConfigMap); any other error is a failure to
// read it.
func (refs References) CACertificates(ctx context.Context, rule *ecrv1alpha1.PullThroughCacheRule) (*CABundle, error) {
	ref := rule.Spec.CACertificateRef
	if ref == nil {
		return nil, nil
	}
	cm, err := refs.ConfigMap(ctx, rule.Namespace, ref.Name)
	switch {
	case apierrors.IsNotFound(err):
		return nil, &Error{Failure: FailureCACertificate, Missing: true,
			Err: fmt.Errorf("no ConfigMap %q (caCertificateRef) in namespace %s", ref.Name, rule.Namespace)}
	case err != nil:
		return nil, fmt.Errorf("reading ConfigMap %s/%s: %w", rule.Namespace, ref.Name, err)
	}
	pemCerts := []byte(cm.Data[CAKey])
	var why error
	roots := x509.NewCertPool()
	switch {
	case len(pemCerts) == 0:
		why = fmt.Errorf("key %s is missing or empty", CAKey)
	case !roots.AppendCertsFromPEM(pemCerts):
		why = fmt.Errorf("key %s holds no PEM certificate", CAKey)
	}
	if why != nil {
		return nil, &Error{Failure: FailureCACertificate, Err: fmt.Errorf("ConfigMap %s (caCertificateRef): %w", ref.Name, why)}
	}
	return &CABundle{PEM: pemCerts, Roots: roots}, nil
}
