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
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	"github.com/berth-dev/berth/internal/testutil/authtest"
	"github.com/berth-dev/berth/internal/testutil/envtest"
	"github.com/berth-dev/berth/registry/options"
)

// The integration tests run the real registry on a loopback port against a real
// kube-apiserver (envtest): real TokenReviews, SubjectAccessReviews and RBAC, with the
// ClusterRoles of config/rbac and the registry's own RBAC from config/registry (the registry
// runs as its ServiceAccount, so those manifests are tested too). Clients are
// go-containerregistry's remote package, which is crane.
//
// The control plane starts on the first integration test and is shared; tests use their own
// namespaces. Without KUBEBUILDER_ASSETS the integration tests skip and the unit tests run.

var (
	suiteOnce sync.Once
	suiteVal  *testSuite
	errSuite  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if suiteVal != nil {
		suiteVal.stop()
	}
	os.Exit(code)
}

// testSuite is the shared control plane and registry.
type testSuite struct {
	env  *envtest.Env
	kube kubernetes.Interface
	c    client.Client
	// registryConfig is the registry's own identity (its ServiceAccount token).
	registryConfig *rest.Config
	// server and addr are the shared registry (inmemory storage).
	server *Server
	addr   string
	stop   func()
}

// needSuite returns the shared suite, starting it on first use, or skips without envtest.
func needSuite(tb testing.TB) *testSuite {
	tb.Helper()
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		tb.Skip("KUBEBUILDER_ASSETS is unset: run `KUBEBUILDER_ASSETS=$(hack/setup-tools.sh) go test ./registry/...` for the integration tests")
	}
	suiteOnce.Do(func() { suiteVal, errSuite = startSuite() })
	if errSuite != nil {
		tb.Fatalf("starting the test control plane and registry: %v", errSuite)
	}
	return suiteVal
}

func startSuite() (_ *testSuite, err error) {
	env, err := envtest.Start(envtest.WithServiceAccountSigner(), envtest.WithAggregation())
	if err != nil {
		return nil, err
	}
	s := &testSuite{env: env, c: env.Client}
	defer func() {
		if err != nil {
			_ = env.Stop()
		}
	}()
	if s.kube, err = kubernetes.NewForConfig(env.Config); err != nil {
		return nil, err
	}
	token, err := envtest.InstallRegistryIdentity(context.Background(), s.c, s.kube)
	if err != nil {
		return nil, err
	}
	s.registryConfig = &rest.Config{
		Host:            env.Config.Host,
		TLSClientConfig: rest.TLSClientConfig{CAData: env.Config.CAData},
		BearerToken:     token,
	}

	opts := testOptions()
	s.server, err = New(opts, s.registryConfig)
	if err != nil {
		return nil, err
	}
	addr, stop, err := serveOn(s.server, "127.0.0.1:0", stderrLogger())
	if err != nil {
		return nil, err
	}
	s.addr = addr
	s.stop = func() {
		closeClientConnections()
		stop()
		_ = env.Stop()
	}
	return s, nil
}

// testOptions are the options of test registries: inmemory storage, loopback, no metrics port.
func testOptions() options.Options {
	o := options.DefaultOptions()
	o.Addr = "127.0.0.1:0"
	o.MetricsAddr = "0"
	o.Storage.Driver = options.DriverInMemory
	o.HTTPSecret = "integration-test-secret"
	o.DrainTimeout = metav1.Duration{Duration: 10 * time.Second}
	o.LeaseNamespace = "berth-system" // tag leases with the Role of config/registry
	return o
}

// serveOn serves srv on addr and waits until /readyz answers 200. stop ends the server and
// waits for Serve to return.
func serveOn(srv *Server, addr string, log logr.Logger) (string, func(), error) {
	var ln net.Listener
	var err error
	// A restarted server takes over its predecessor's port, which may take a moment to free.
	for range 50 {
		var lc net.ListenConfig
		if ln, err = lc.Listen(context.Background(), "tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return "", nil, err
	}
	ctx, cancel := context.WithCancel(logr.NewContext(context.Background(), log))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			log.Error(err, "registry server ended with an error")
		}
	}
	addr = ln.Addr().String()
	deadline := time.Now().Add(time.Minute)
	for {
		select {
		case err := <-done:
			cancel()
			return "", nil, fmt.Errorf("registry server ended before it was ready: %w", err)
		default:
		}
		if readyz(addr) == http.StatusOK {
			return addr, stop, nil
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, errors.New("registry server not ready within a minute")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func readyz(addr string) int {
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://"+addr+"/readyz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// stderrLogger logs errors (and startup) of the shared server to stderr.
func stderrLogger() logr.Logger {
	return funcr.New(func(prefix, args string) { fmt.Fprintln(os.Stderr, prefix, args) }, funcr.Options{})
}

// caller is a ServiceAccount with a registry token.
type caller struct {
	namespace, name, token string
}

// user returns the caller's Kubernetes user name.
func (c caller) user() string { return "system:serviceaccount:" + c.namespace + ":" + c.name }

// namespaces creates namespaces (never deleted: envtest has no namespace controller).
func (s *testSuite) namespaces(t testing.TB, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := s.c.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
}

// serviceAccount creates a ServiceAccount bound to clusterRoles in its namespace and returns
// it with a registry token.
func (s *testSuite) serviceAccount(t testing.TB, ns, name string, clusterRoles ...string) caller {
	t.Helper()
	ctx := context.Background()
	if err := s.c.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}); err != nil {
		t.Fatal(err)
	}
	for _, role := range clusterRoles {
		s.bind(t, ns, role, ns, name)
	}
	return caller{namespace: ns, name: name, token: s.token(t, ns, name, options.DefaultAudience)}
}

// bind binds clusterRole to ServiceAccount saNS/saName in namespace ns.
func (s *testSuite) bind(t testing.TB, ns, clusterRole, saNS, saName string) {
	t.Helper()
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: clusterRole + "-" + saNS + "-" + saName},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: clusterRole},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: saNS, Name: saName}},
	}
	if err := s.c.Create(context.Background(), rb); err != nil {
		t.Fatal(err)
	}
	s.waitForBinding(t, ns, clusterRole, rb.Subjects[0])
}

// waitForBinding waits until the API server grants subject its new binding to clusterRole
// in ns (envtest.WaitForBinding).
func (s *testSuite) waitForBinding(t testing.TB, ns, clusterRole string, subject rbacv1.Subject) {
	t.Helper()
	if err := envtest.WaitForBinding(context.Background(), s.c, s.kube, ns, clusterRole, subject, 10*time.Second); err != nil {
		t.Fatal(err)
	}
}

// token requests a token for the ServiceAccount, like `kubectl create token --audience`, and
// waits until the API server accepts it, so that the registry never caches a rejection of a
// token the API server has not caught up with.
func (s *testSuite) token(t testing.TB, ns, name string, audiences ...string) string {
	t.Helper()
	ctx := context.Background()
	tr, err := s.kube.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authnv1.TokenRequest{
		Spec: authnv1.TokenRequestSpec{Audiences: audiences, ExpirationSeconds: ptr.To[int64](3600)},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	token := tr.Status.Token
	eventually(t, 10*time.Second, func() error {
		if s.reviewToken(t, token, audiences...) {
			return nil
		}
		return errors.New("the API server does not accept the new token yet")
	})
	return token
}

// reviewToken asks the API server directly whether it accepts token for audiences.
func (s *testSuite) reviewToken(t testing.TB, token string, audiences ...string) bool {
	t.Helper()
	tr, err := s.kube.AuthenticationV1().TokenReviews().Create(context.Background(), &authnv1.TokenReview{
		Spec: authnv1.TokenReviewSpec{Token: token, Audiences: audiences},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tr.Status.Authenticated
}

// repository creates a Repository.
func (s *testSuite) repository(t testing.TB, ns, name string, mode ecrv1alpha1.ImageTagMutability, filters ...string) {
	t.Helper()
	r := &ecrv1alpha1.Repository{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       ecrv1alpha1.RepositorySpec{ImageTagMutability: mode},
	}
	for _, f := range filters {
		r.Spec.ImageTagMutabilityExclusionFilters = append(r.Spec.ImageTagMutabilityExclusionFilters, ecrv1alpha1.ImageTagMutabilityExclusionFilter{FilterType: "WILDCARD", Filter: f})
	}
	if err := s.c.Create(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	s.waitForRepository(t, ns, name, true)
}

// waitForRepository waits until the registry's informer has (or no longer has) the Repository.
func (s *testSuite) waitForRepository(t testing.TB, ns, name string, present bool) {
	t.Helper()
	eventually(t, 10*time.Second, func() error {
		r, err := s.server.store.Repository(context.Background(), ns, name)
		if err != nil {
			return err
		}
		if (r != nil) != present {
			return fmt.Errorf("repository %s/%s in the registry's cache: %v, want %v", ns, name, r != nil, present)
		}
		return nil
	})
}

// policy creates a RepositoryPolicy with one statement.
func (s *testSuite) policy(t testing.TB, ns, name, repo string, effect ecrv1alpha1.Effect, principal ecrv1alpha1.Principal, actions ...ecrv1alpha1.Action) *ecrv1alpha1.RepositoryPolicy {
	t.Helper()
	p := authtest.Policy(ns, repo, name, effect, principal, actions...)
	if err := s.c.Create(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

// ref is a reference to repo:tagOrDigest in the shared registry.
func (s *testSuite) ref(repo, tag string) string { return refAt(s.addr, repo, tag) }

func refAt(addr, repo, tag string) string {
	if strings.HasPrefix(tag, "sha256:") {
		return addr + "/" + repo + "@" + tag
	}
	return addr + "/" + repo + ":" + tag
}

// credentials are crane's credentials for token; no token is anonymous.
func credentials(token string) authn.Authenticator {
	if token == "" {
		return authn.Anonymous
	}
	return authn.FromConfig(authn.AuthConfig{Username: "berth", Password: token})
}

func remoteOptions(token string) []remote.Option {
	return []remote.Option{
		remote.WithAuth(credentials(token)),
		remote.WithContext(context.Background()),
		// Refusals are final; only the restart test wants retries, and it sets its own.
		remote.WithRetryBackoff(remote.Backoff{Duration: 10 * time.Millisecond, Factor: 1, Steps: 1}),
	}
}

// push writes img to ref as token's owner would with `crane push`.
func push(ref string, img v1.Image, token string, extra ...remote.Option) error {
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return err
	}
	return remote.Write(r, img, append(remoteOptions(token), extra...)...)
}

// pull reads the image at ref completely, as `crane pull` would, verifying every blob's
// digest, and returns the manifest digest.
func pull(ref, token string, extra ...remote.Option) (v1.Hash, error) {
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return v1.Hash{}, err
	}
	img, err := remote.Image(r, append(remoteOptions(token), extra...)...)
	if err != nil {
		return v1.Hash{}, err
	}
	if _, err := img.RawConfigFile(); err != nil {
		return v1.Hash{}, err
	}
	layers, err := img.Layers()
	if err != nil {
		return v1.Hash{}, err
	}
	for _, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			return v1.Hash{}, err
		}
		_, err = io.Copy(io.Discard, rc)
		_ = rc.Close()
		if err != nil {
			return v1.Hash{}, err
		}
	}
	return img.Digest()
}

// ociError is the HTTP status and first OCI error code of a registry client error.
func ociError(err error) (status int, code string) {
	var te *transport.Error
	if !errors.As(err, &te) {
		return 0, ""
	}
	if len(te.Errors) > 0 {
		code = string(te.Errors[0].Code)
	}
	return te.StatusCode, code
}

// wantRefused fails the test unless err is a registry refusal with status and (when the
// response had a body) code.
func wantRefused(t testing.TB, what string, err error, status int, code string) {
	t.Helper()
	gotStatus, gotCode := ociError(err)
	if gotStatus != status || (gotCode != "" && gotCode != code) {
		t.Fatalf("%s: err = %v (status %d, code %q), want status %d, code %s", what, err, gotStatus, gotCode, status, code)
	}
}

// eventually polls f every 20ms until it succeeds or timeout passes, and returns how long
// it took.
func eventually(t testing.TB, timeout time.Duration, f func() error) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		err := f()
		if err == nil {
			return time.Since(start)
		}
		if time.Since(start) > timeout {
			t.Fatalf("not within %s: %v", timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// response is what do read.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends one raw request to the shared registry with token as the Basic password.
func (s *testSuite) do(t testing.TB, method, path, token string) response {
	t.Helper()
	return s.doWith(t, method, path, func(req *http.Request) {
		if token != "" {
			req.SetBasicAuth("berth", token)
		}
	})
}

// doBearer sends a request with token as its Bearer token.
func (s *testSuite) doBearer(t testing.TB, method, path, token string) response {
	t.Helper()
	return s.doWith(t, method, path, func(req *http.Request) { req.Header.Set("Authorization", "Bearer "+token) })
}

func (s *testSuite) doWith(t testing.TB, method, path string, authorize func(*http.Request)) response {
	t.Helper()
	return sendTo(t, s.addr, method, path, authorize)
}

// doAt sends one raw request to the registry at addr with token as the Basic password.
func doAt(t testing.TB, addr, method, path, token string) response {
	t.Helper()
	return sendTo(t, addr, method, path, func(req *http.Request) { req.SetBasicAuth("berth", token) })
}

func sendTo(t testing.TB, addr, method, path string, authorize func(*http.Request)) response {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, "http://"+addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	authorize(req)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: body}
}

// closeClientConnections closes the idle connections of the test clients. A connection a
// client opened but never used holds http.Server.Shutdown for 5 seconds (net/http treats it
// as busy until then); tests call this before a final shutdown to keep the suite fast.
func closeClientConnections() {
	for _, rt := range []http.RoundTripper{remote.DefaultTransport, http.DefaultTransport} {
		if t, ok := rt.(interface{ CloseIdleConnections() }); ok {
			t.CloseIdleConnections()
		}
	}
}

// hex64 is a well-formed sha256 hex digest.
const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
