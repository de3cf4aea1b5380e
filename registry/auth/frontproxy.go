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

package auth

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
)

// The ConfigMap in which kube-apiserver publishes how it proxies to aggregated API servers.
const (
	// FrontProxyConfigMapNamespace and FrontProxyConfigMapName name it.
	FrontProxyConfigMapNamespace = "kube-system"
	FrontProxyConfigMapName      = "extension-apiserver-authentication"
)

// frontProxyReloadEvery bounds how often a request with an unknown client certificate makes
// FrontProxy read the ConfigMap again (the API server's front-proxy CA may have rotated).
const frontProxyReloadEvery = 30 * time.Second

// ErrNotFrontProxy is returned for a request that did not come from the API server's
// aggregation layer: no client certificate, one its front-proxy CA did not sign, or a name it
// does not allow.
var ErrNotFrontProxy = errors.New("the request does not come from the Kubernetes API server's front proxy")

// ProxiedUser is the user the API server authenticated and proxied a request for.
type ProxiedUser struct {
	Name   string
	UID    string
	Groups []string
	Extra  map[string][]string
}

// FrontProxy authenticates requests the Kubernetes API server proxies to berth-registry as an
// aggregated API server: the client certificate must be signed by the requestheader client
// CA and carry an allowed name; only then are the user headers (X-Remote-User, …) believed.
// The configuration is read from the ConfigMap kube-apiserver publishes, and read again when
// a certificate does not verify (the CA may have rotated).
type FrontProxy struct {
	ConfigMaps corev1client.ConfigMapInterface
	Now        func() time.Time

	mu       sync.RWMutex
	cfg      *frontProxyConfig
	loadedAt time.Time
}

type frontProxyConfig struct {
	roots                                 *x509.CertPool
	allowedNames                          []string
	userHeaders, uidHeaders, groupHeaders []string
	extraPrefixes                         []string
}

// Load reads the API server's front-proxy configuration.
func (f *FrontProxy) Load(ctx context.Context) error {
	cm, err := f.ConfigMaps.Get(ctx, FrontProxyConfigMapName, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("reading %s/%s: %w", FrontProxyConfigMapNamespace, FrontProxyConfigMapName, err)
	}
	cfg := &frontProxyConfig{roots: x509.NewCertPool()}
	ca := cm.Data["requestheader-client-ca-file"]
	if ca == "" || !cfg.roots.AppendCertsFromPEM([]byte(ca)) {
		return fmt.Errorf("%s/%s has no requestheader-client-ca-file: the API server's aggregation layer is not configured (--requestheader-client-ca-file)",
			FrontProxyConfigMapNamespace, FrontProxyConfigMapName)
	}
	for key, dst := range map[string]*[]string{
		"requestheader-allowed-names":        &cfg.allowedNames,
		"requestheader-username-headers":     &cfg.userHeaders,
		"requestheader-uid-headers":          &cfg.uidHeaders,
		"requestheader-group-headers":        &cfg.groupHeaders,
		"requestheader-extra-headers-prefix": &cfg.extraPrefixes,
	} {
		if v := cm.Data[key]; v != "" {
			if err := json.Unmarshal([]byte(v), dst); err != nil {
				return fmt.Errorf("%s/%s key %s: %w", FrontProxyConfigMapNamespace, FrontProxyConfigMapName, key, err)
			}
		}
	}
	if len(cfg.userHeaders) == 0 {
		return fmt.Errorf("%s/%s names no requestheader-username-headers", FrontProxyConfigMapNamespace, FrontProxyConfigMapName)
	}
	f.mu.Lock()
	f.cfg, f.loadedAt = cfg, f.Now()
	f.mu.Unlock()
	return nil
}

// Authenticate returns the user the API server proxied r for, or an error wrapping
// ErrNotFrontProxy.
func (f *FrontProxy) Authenticate(ctx context.Context, r *http.Request) (*ProxiedUser, error) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return nil, fmt.Errorf("%w: no client certificate", ErrNotFrontProxy)
	}
	f.mu.RLock()
	cfg, loadedAt := f.cfg, f.loadedAt
	f.mu.RUnlock()
	err := errors.New("not loaded")
	if cfg != nil {
		err = cfg.verify(r)
	}
	if err != nil && f.Now().Sub(loadedAt) >= frontProxyReloadEvery {
		if lerr := f.Load(ctx); lerr == nil {
			f.mu.RLock()
			cfg = f.cfg
			f.mu.RUnlock()
			err = cfg.verify(r)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotFrontProxy, err)
	}
	u := &ProxiedUser{Name: firstHeader(r, cfg.userHeaders), UID: firstHeader(r, cfg.uidHeaders)}
	if u.Name == "" {
		return nil, fmt.Errorf("%w: no user header (%s)", ErrNotFrontProxy, strings.Join(cfg.userHeaders, ", "))
	}
	for _, h := range cfg.groupHeaders {
		u.Groups = append(u.Groups, r.Header.Values(h)...)
	}
	for name, values := range r.Header {
		for _, prefix := range cfg.extraPrefixes {
			rest, ok := cutPrefixFold(name, prefix)
			if !ok {
				continue
			}
			key, err := url.PathUnescape(rest)
			if err != nil {
				key = rest
			}
			if u.Extra == nil {
				u.Extra = map[string][]string{}
			}
			key = strings.ToLower(key)
			u.Extra[key] = append(u.Extra[key], values...)
		}
	}
	return u, nil
}

// verify checks the client certificate chain against the front-proxy CA and the allowed names.
func (c *frontProxyConfig) verify(r *http.Request) error {
	certs := r.TLS.PeerCertificates
	inter := x509.NewCertPool()
	for _, ic := range certs[1:] {
		inter.AddCert(ic)
	}
	if _, err := certs[0].Verify(x509.VerifyOptions{Roots: c.roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return fmt.Errorf("client certificate: %w", err)
	}
	if len(c.allowedNames) > 0 && !slices.Contains(c.allowedNames, certs[0].Subject.CommonName) {
		return fmt.Errorf("client certificate name %q is not one of the allowed %v", certs[0].Subject.CommonName, c.allowedNames)
	}
	return nil
}

func firstHeader(r *http.Request, names []string) string {
	for _, n := range names {
		if v := r.Header.Get(n); v != "" {
			return v
		}
	}
	return ""
}

// cutPrefixFold is strings.CutPrefix ignoring case (header names are canonicalized).
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}
