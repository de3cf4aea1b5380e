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
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/berth-dev/berth/registry/auth"
	"github.com/berth-dev/berth/registry/authtoken"
	"github.com/berth-dev/berth/registry/handlers"
	"github.com/berth-dev/berth/registry/options"
)

// Lifetimes of the token API's self-made serving certificate.
const (
	// servingCertLifetime is how long the certificate (and its CA) is valid.
	servingCertLifetime = 5 * 365 * 24 * time.Hour
	// servingCertRenewBefore is how long before expiry a new one is made.
	servingCertRenewBefore = 90 * 24 * time.Hour
)

// apiServiceGVR is the APIService resource (kube-aggregator's, served by every API server).
var apiServiceGVR = schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"}

// tokenAPI is the authorization token half of the server: the signing keys, the front proxy
// check and the aggregated API's HTTPS server.
type tokenAPI struct {
	opts  options.TokenOptions
	kube  kubernetes.Interface
	dyn   dynamic.Interface
	ring  *authtoken.Keyring
	keys  *authtoken.KeySecret
	proxy *auth.FrontProxy
}

// newTokenAPI prepares the token API of opts; nil when it is off.
func newTokenAPI(opts options.TokenOptions, kube kubernetes.Interface, dyn dynamic.Interface) *tokenAPI {
	if opts.APIAddr == "" {
		return nil
	}
	ring := &authtoken.Keyring{}
	return &tokenAPI{
		opts: opts, kube: kube, dyn: dyn, ring: ring,
		keys: &authtoken.KeySecret{
			Secrets: kube.CoreV1().Secrets(opts.Namespace), Name: opts.KeySecret,
			RotateAfter: opts.RotateAfter.Duration, MaxTokenLifetime: opts.MaxLifetime.Duration, Ring: ring, Now: time.Now,
		},
		proxy: &auth.FrontProxy{ConfigMaps: kube.CoreV1().ConfigMaps(auth.FrontProxyConfigMapNamespace), Now: time.Now},
	}
}

// start loads the keys (and keeps them in step), the front proxy's configuration and the
// serving certificate, publishes the CA in the APIService, and serves the API on its own
// listener. It returns once the keys are loaded and the server listens; with no server when
// the API server has no aggregation layer configured (logged).
func (t *tokenAPI) start(ctx context.Context, log logr.Logger, host string) (*http.Server, net.Listener, error) {
	ready := make(chan struct{})
	keysErr := make(chan error, 1)
	go func() { keysErr <- t.keys.Run(logr.NewContext(ctx, log), ready) }()
	wait, cancel := context.WithTimeout(ctx, cacheSyncTimeout)
	defer cancel()
	select {
	case <-ready:
	case err := <-keysErr:
		return nil, nil, fmt.Errorf("loading the token keys: %w", err)
	case <-wait.Done():
		return nil, nil, fmt.Errorf("loading the token keys from Secret %s/%s: %w (check the registry's RBAC on it)", t.opts.Namespace, t.opts.KeySecret, wait.Err())
	}
	if err := t.proxy.Load(ctx); err != nil {
		// Tokens already issued still verify; only new ones cannot be had. The registry keeps
		// serving: a cluster without the aggregation layer must not lose its images.
		log.Error(err, "the AuthorizationToken API is off: the API server cannot proxy to it (its APIService stays unavailable)")
		return nil, nil, nil
	}
	cert, ca, err := t.servingCertificate(ctx)
	if err != nil {
		return nil, nil, err
	}
	if t.opts.APIService != "" {
		if err := t.publishCA(ctx, ca); apierrors.IsNotFound(err) {
			// Served all the same, and the CA is published as soon as an installer creates
			// the APIService.
			log.Error(err, "the token API's APIService does not exist yet: the API server routes to the API once it does; retrying", "apiService", t.opts.APIService)
			go t.publishCALater(ctx, log, ca)
		} else if err != nil {
			return nil, nil, err
		}
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", t.opts.APIAddr)
	if err != nil {
		return nil, nil, fmt.Errorf("listening for the token API on %s: %w", t.opts.APIAddr, err)
	}
	ln = tls.NewListener(ln, &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		// The front proxy's certificate is checked per request against the CA the API
		// server publishes (auth.FrontProxy), which can change while we run.
		ClientAuth: tls.RequestClientCert,
		NextProtos: []string{"h2", "http/1.1"},
	})
	srv := &http.Server{
		Handler: &handlers.AuthorizationTokens{
			FrontProxy: t.proxy, Reviews: t.kube.AuthorizationV1().SubjectAccessReviews(), Ring: t.ring,
			MaxLifetime: t.opts.MaxLifetime.Duration, ProxyEndpoint: host, Now: time.Now, Log: log.WithName("authorizationtokens"),
		},
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	log.Info("serving the AuthorizationToken API", "address", ln.Addr().String(), "apiService", t.opts.APIService, "keys", t.ring.IDs())
	return srv, ln, nil
}

// publishCA writes ca into the APIService's caBundle.
func (t *tokenAPI) publishCA(ctx context.Context, ca []byte) error {
	patch := fmt.Sprintf(`{"spec":{"caBundle":%q}}`, base64.StdEncoding.EncodeToString(ca))
	if _, err := t.dyn.Resource(apiServiceGVR).Patch(ctx, t.opts.APIService, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("publishing the token API's CA in APIService %s: %w", t.opts.APIService, err)
	}
	return nil
}

// publishCALater retries publishCA every 10 s until it succeeds or ctx ends.
func (t *tokenAPI) publishCALater(ctx context.Context, log logr.Logger, ca []byte) {
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			err := t.publishCA(ctx, ca)
			if err == nil {
				log.Info("published the token API's CA", "apiService", t.opts.APIService)
				return
			}
			if !apierrors.IsNotFound(err) {
				log.Error(err, "publishing the token API's CA, retrying")
			}
		}
	}
}

// servingCertificate reads the serving certificate and its CA from the serving Secret, or
// makes them (a CA and a certificate for the Service's DNS names) when the Secret is missing
// or the certificate is near its end. Replicas race to create it; the loser reads the
// winner's.
func (t *tokenAPI) servingCertificate(ctx context.Context) (tls.Certificate, []byte, error) {
	secrets := t.kube.CoreV1().Secrets(t.opts.Namespace)
	for range 3 {
		sec, err := secrets.Get(ctx, t.opts.ServingSecret, metav1.GetOptions{})
		found := err == nil
		if err != nil && !apierrors.IsNotFound(err) {
			return tls.Certificate{}, nil, fmt.Errorf("reading Secret %s: %w", t.opts.ServingSecret, err)
		}
		if found {
			if cert, ca, ok := usableServingSecret(sec, time.Now()); ok {
				return cert, ca, nil
			}
		}
		data, err := makeServingCertificate(t.opts.ServiceName, t.opts.Namespace, time.Now())
		if err != nil {
			return tls.Certificate{}, nil, err
		}
		if found {
			sec = sec.DeepCopy()
			sec.Data = data
			_, err = secrets.Update(ctx, sec, metav1.UpdateOptions{})
		} else {
			_, err = secrets.Create(ctx, &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Name: t.opts.ServingSecret, Namespace: t.opts.Namespace, Labels: map[string]string{"app.kubernetes.io/part-of": "berth", "app.kubernetes.io/name": "berth-registry"}},
				Type:       corev1.SecretTypeTLS, Data: data,
			}, metav1.CreateOptions{})
		}
		if err != nil && !apierrors.IsAlreadyExists(err) && !apierrors.IsConflict(err) {
			return tls.Certificate{}, nil, fmt.Errorf("writing Secret %s: %w", t.opts.ServingSecret, err)
		}
		// Written, or another replica won: read what is there.
	}
	return tls.Certificate{}, nil, fmt.Errorf("the serving Secret %s keeps changing under us: another replica writes it", t.opts.ServingSecret)
}

// usableServingSecret reads a serving Secret; ok when it holds a certificate valid for more
// than servingCertRenewBefore.
func usableServingSecret(sec *corev1.Secret, now time.Time) (tls.Certificate, []byte, bool) {
	cert, err := tls.X509KeyPair(sec.Data[corev1.TLSCertKey], sec.Data[corev1.TLSPrivateKeyKey])
	ca := sec.Data["ca.crt"]
	if err != nil || len(ca) == 0 || cert.Leaf == nil || now.Add(servingCertRenewBefore).After(cert.Leaf.NotAfter) {
		return tls.Certificate{}, nil, false
	}
	return cert, ca, true
}

// makeServingCertificate makes a CA and a serving certificate for Service name in namespace:
// the Secret data of kubernetes.io/tls plus ca.crt.
func makeServingCertificate(name, namespace string, now time.Time) (map[string][]byte, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: "berth-registry-token-api-ca@" + now.UTC().Format(time.RFC3339)},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(servingCertLifetime),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature, BasicConstraintsValid: true, IsCA: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("making the token API's CA: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	svc := name + "." + namespace + ".svc"
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: svc},
		DNSNames:  []string{name, name + "." + namespace, svc, svc + ".cluster.local"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(servingCertLifetime),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("making the token API's certificate: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	return map[string][]byte{
		corev1.TLSCertKey:       pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		corev1.TLSPrivateKeyKey: pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
		"ca.crt":                pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
	}, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return big.NewInt(time.Now().UnixNano())
	}
	return n
}
