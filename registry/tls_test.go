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

package registry

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/testr"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	"github.com/berth-dev/berth/internal/testutil/envtest"
	"github.com/berth-dev/berth/registry/options"
)

// TestRunServesTLS runs the registry as cmd/registry does (Run, with --tls-cert-file and
// --tls-key-file) and pushes and pulls over HTTPS.
func TestRunServesTLS(t *testing.T) {
	s := needSuite(t)
	s.namespaces(t, "tls-a")
	builder := s.serviceAccount(t, "tls-a", "builder", "berth-registry-poweruser")
	s.repository(t, "tls-a", "app", ecrv1alpha1.Mutable)

	dir := t.TempDir()
	pool := writeServingCert(t, dir)
	opts := testOptions()
	opts.TLS = options.TLSOptions{CertFile: filepath.Join(dir, "tls.crt"), KeyFile: filepath.Join(dir, "tls.key")}
	opts.Addr = envtest.FreeLoopbackAddr(t)
	srv, err := New(opts, s.registryConfig)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(logr.NewContext(context.Background(), testr.New(t)))
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	transport := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	defer func() {
		transport.CloseIdleConnections()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	httpsClient := &http.Client{Transport: transport}
	eventually(t, 30*time.Second, func() error {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, "https://"+opts.Addr+"/readyz", nil)
		resp, err := httpsClient.Do(req)
		if err != nil {
			return err
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return &net.AddrError{Err: resp.Status, Addr: opts.Addr}
		}
		return nil
	})

	img := randomImage(t)
	ref, err := name.ParseReference(opts.Addr + "/tls-a/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	tlsOpts := append(remoteOptions(builder.token), remote.WithTransport(transport))
	if err := remote.Write(ref, img, tlsOpts...); err != nil {
		t.Fatalf("push over HTTPS: %v", err)
	}
	got, err := remote.Image(ref, tlsOpts...)
	if err != nil {
		t.Fatalf("pull over HTTPS: %v", err)
	}
	if d, _ := got.Digest(); d != digestOf(t, img) {
		t.Errorf("pulled %s, pushed %s", d, digestOf(t, img))
	}
}

// writeServingCert writes a self-signed certificate for 127.0.0.1 as tls.crt and tls.key in
// dir and returns a pool that trusts it.
func writeServingCert(t *testing.T, dir string) *x509.CertPool {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "berth-registry"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tls.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tls.key"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pool
}
