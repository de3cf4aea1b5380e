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

package envtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	crenvtest "sigs.k8s.io/controller-runtime/pkg/envtest"
)

// Option adds to the control plane Start sets up.
type Option func(*options)

type options struct {
	wantSigner      bool
	sa              *serviceAccountSigner
	wantAggregation bool
	aggregationDir  string
}

// WithServiceAccountSigner makes kube-apiserver sign and verify ServiceAccount tokens with a
// key the test holds (Env.SignServiceAccountToken), under the issuer ServiceAccountIssuer.
// Tests then mint tokens the API server refuses for one chosen reason, such as an exp in the
// past, which the TokenRequest API (at least 10 minutes) cannot produce.
func WithServiceAccountSigner() Option {
	return func(o *options) { o.wantSigner = true }
}

// ServiceAccountIssuer is the token issuer the API server uses with WithServiceAccountSigner.
const ServiceAccountIssuer = "https://kubernetes.default.svc.cluster.local"

// serviceAccountSigner is the ServiceAccount token key of WithServiceAccountSigner.
type serviceAccountSigner struct {
	key   *ecdsa.PrivateKey
	keyID string
	dir   string
}

// applyOptions configures env for opts before it starts.
func applyOptions(env *crenvtest.Environment, opts []Option) (*options, error) {
	o := &options{}
	for _, opt := range opts {
		opt(o)
	}
	if o.wantAggregation {
		if err := o.configureAggregation(env); err != nil {
			return nil, err
		}
	}
	if !o.wantSigner {
		return o, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating the ServiceAccount signing key: %w", err)
	}
	priv, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encoding the ServiceAccount signing key: %w", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("encoding the ServiceAccount public key: %w", err)
	}
	dir, err := os.MkdirTemp("", "berth-envtest-sa-")
	if err != nil {
		return nil, fmt.Errorf("creating a folder for the ServiceAccount key: %w", err)
	}
	keyFile, pubFile := filepath.Join(dir, "sa.key"), filepath.Join(dir, "sa.pub")
	err = errors.Join(
		os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: priv}), 0o600),
		os.WriteFile(pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o600),
	)
	if err != nil {
		_ = os.RemoveAll(dir)
		o.cleanup()
		return nil, fmt.Errorf("writing the ServiceAccount key: %w", err)
	}
	env.ControlPlane.GetAPIServer().Configure().
		Set("service-account-signing-key-file", keyFile).
		Set("service-account-key-file", pubFile).
		Set("service-account-issuer", ServiceAccountIssuer)
	// The key ID kube-apiserver puts in the tokens it signs: the SHA-256 of the public key.
	sum := sha256.Sum256(pub)
	o.sa = &serviceAccountSigner{key: key, keyID: base64.RawURLEncoding.EncodeToString(sum[:]), dir: dir}
	return o, nil
}

// cleanup removes what applyOptions created.
func (o *options) cleanup() {
	if o != nil && o.sa != nil {
		_ = os.RemoveAll(o.sa.dir)
	}
	if o != nil && o.aggregationDir != "" {
		_ = os.RemoveAll(o.aggregationDir)
	}
}

// ErrNoSigner is returned by SignServiceAccountToken when Start was not given
// WithServiceAccountSigner.
var ErrNoSigner = errors.New("the control plane was started without WithServiceAccountSigner")

// SignServiceAccountToken signs claims (iss, sub, aud, exp, kubernetes.io…) as kube-apiserver
// signs ServiceAccount tokens, ES256 with the key of WithServiceAccountSigner.
func (e *Env) SignServiceAccountToken(claims map[string]any) (string, error) {
	if e.sa == nil {
		return "", ErrNoSigner
	}
	header, err := json.Marshal(map[string]string{"alg": "ES256", "kid": e.sa.keyID, "typ": "JWT"})
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("encoding the claims: %w", err)
	}
	signingInput := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(payload)
	digest := sha256.Sum256([]byte(signingInput))
	r, s, err := ecdsa.Sign(rand.Reader, e.sa.key, digest[:])
	if err != nil {
		return "", fmt.Errorf("signing the token: %w", err)
	}
	// JWS wants R and S as fixed-width big-endian integers, one after the other.
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return signingInput + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}
