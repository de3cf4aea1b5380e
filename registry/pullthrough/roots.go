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
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
)

// maxCATransports bounds the transports kept per CA bundle.
const maxCATransports = 64

// WithCA returns base trusting roots, and only those, as the roots of the upstream's HTTPS
// certificate: a clone of base, which must be an *http.Transport (nil is
// http.DefaultTransport).
func WithCA(base http.RoundTripper, roots *x509.CertPool) (*http.Transport, error) {
	if base == nil {
		base = http.DefaultTransport
	}
	t, ok := base.(*http.Transport)
	if !ok {
		return nil, fmt.Errorf("the upstream transport %T cannot take CA certificates", base)
	}
	t = t.Clone()
	if t.TLSClientConfig == nil {
		t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	t.TLSClientConfig.RootCAs = roots
	return t, nil
}

// base is the transport under authentication for rule: up.Base, or, when the rule names a
// caCertificateRef, a transport with the ConfigMap's certificates as its roots — one per
// bundle, kept, so that its connections are reused.
func (up *Upstream) base(ctx context.Context, rule *ecrv1alpha1.PullThroughCacheRule) (http.RoundTripper, error) {
	base := up.Base
	if base == nil {
		base = http.DefaultTransport
	}
	bundle, err := up.References.CACertificates(ctx, rule)
	if err != nil {
		return nil, err
	}
	if bundle == nil {
		return base, nil
	}
	key := sha256.Sum256(bundle.PEM)
	up.mu.Lock()
	rt, ok := up.caTransports[key]
	up.mu.Unlock()
	if ok {
		return rt, nil
	}
	t, err := WithCA(base, bundle.Roots)
	if err != nil {
		return nil, err
	}
	up.mu.Lock()
	defer up.mu.Unlock()
	if len(up.caTransports) >= maxCATransports {
		for k, old := range up.caTransports {
			old.CloseIdleConnections()
			delete(up.caTransports, k)
		}
	}
	up.caTransports[key] = t
	return t, nil
}
