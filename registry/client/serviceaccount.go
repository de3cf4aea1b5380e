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

package client

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	crclient "sigs.k8s.io/controller-runtime/pkg/client"
)

// Config is how a controller reaches the registry API as its own ServiceAccount.
type Config struct {
	// URL is the registry API's URL, for example http://berth-registry.berth-system.svc:5000.
	URL string
	// CAFile is a PEM bundle to trust for an https URL (default: system roots).
	CAFile string
	// ServiceAccount is the controller's ServiceAccount, <namespace>/<name>, whose tokens
	// authenticate it to the registry.
	ServiceAccount string
	// Audience is the registry's token audience.
	Audience string
	// TokenLifetime is the lifetime asked of each token (at least 10m); tokens are renewed at
	// half of it.
	TokenLifetime time.Duration
}

// NewForServiceAccount builds the client of cfg, whose tokens c requests through the
// TokenRequest API.
func NewForServiceAccount(c crclient.Client, cfg Config) (*Client, error) {
	ns, name, ok := strings.Cut(cfg.ServiceAccount, "/")
	if !ok || ns == "" || name == "" {
		return nil, fmt.Errorf("the controller's ServiceAccount %q must be <namespace>/<name>", cfg.ServiceAccount)
	}
	if cfg.TokenLifetime < 10*time.Minute {
		return nil, errors.New("the registry token lifetime must be at least 10m (the API server's minimum)")
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("reading the registry CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("no certificate in %s", cfg.CAFile)
		}
		transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	tokens := &ServiceAccountTokens{
		Client: c, Namespace: ns, Name: name,
		Audience: cfg.Audience, Lifetime: cfg.TokenLifetime, Now: time.Now,
	}
	return New(cfg.URL, &http.Client{Transport: transport, Timeout: 30 * time.Second}, tokens)
}
