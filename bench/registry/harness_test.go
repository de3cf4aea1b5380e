//go:build bench || soak

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

package registrybench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crlog "sigs.k8s.io/controller-runtime/pkg/log"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	"github.com/berth-dev/berth/internal/testutil/envtest"
	"github.com/berth-dev/berth/internal/testutil/regproc"
	"github.com/berth-dev/berth/internal/testutil/s3test"
)

// The harness: one envtest control plane for the package, berth-registry built from
// ./cmd/registry and run as a process with a kubeconfig holding its own ServiceAccount token
// (the RBAC of config/registry), and the stock distribution registry built by
// hack/build-stock-registry.sh. Every address is on loopback.

var (
	suiteOnce sync.Once
	suiteVal  *suite
	errSuite  error
)

func TestMain(m *testing.M) {
	// envtest logs through controller-runtime's logger, which warns with a stack trace when
	// it was never set.
	crlog.SetLogger(logr.Discard())
	code := m.Run()
	if suiteVal != nil {
		suiteVal.stop()
	}
	os.Exit(code)
}

// suite is the shared control plane and the registry binaries.
type suite struct {
	env  *envtest.Env
	kube kubernetes.Interface
	c    client.Client
	// dir holds the binaries and kubeconfig; removed at the end.
	dir string
	// kubeconfig is berth-registry's connection to the API server, as its ServiceAccount.
	kubeconfig string
	// berthBin is berth-registry built from this tree.
	berthBin string
}

// needSuite starts the shared suite on first use. The benchmarks exist to print figures, so
// a missing control plane is a failure, not a skip; KUBEBUILDER_ASSETS defaults to what
// hack/setup-tools.sh provides.
func needSuite(t *testing.T) *suite {
	t.Helper()
	suiteOnce.Do(func() { suiteVal, errSuite = startSuite() })
	if errSuite != nil {
		t.Fatalf("starting the control plane and building berth-registry: %v", errSuite)
	}
	return suiteVal
}

func startSuite() (_ *suite, err error) {
	root := envtest.RepoRoot()
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		out, err := exec.CommandContext(context.Background(), filepath.Join(root, "hack", "setup-tools.sh")).Output() //nolint:gosec // the repository's own script
		if err != nil {
			return nil, fmt.Errorf("hack/setup-tools.sh: %w", err)
		}
		if err := os.Setenv("KUBEBUILDER_ASSETS", lastLine(string(out))); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp("", "berth-registry-bench-")
	if err != nil {
		return nil, err
	}
	s := &suite{dir: dir}
	defer func() {
		if err != nil {
			s.stop()
		}
	}()
	if s.berthBin, err = regproc.BuildBerth(dir); err != nil {
		return nil, err
	}

	if s.env, err = envtest.Start(); err != nil {
		return nil, err
	}
	s.c = s.env.Client
	if s.kube, err = kubernetes.NewForConfig(s.env.Config); err != nil {
		return nil, err
	}
	token, err := envtest.InstallRegistryIdentity(context.Background(), s.c, s.kube)
	if err != nil {
		return nil, err
	}
	s.kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := regproc.WriteKubeconfig(s.kubeconfig, s.env.Config, token); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *suite) stop() {
	if s.env != nil {
		_ = s.env.Stop()
	}
	_ = os.RemoveAll(s.dir)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// namespace creates a namespace (envtest never deletes them).
func (s *suite) namespace(t *testing.T, name string) {
	t.Helper()
	if err := s.c.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// serviceAccount creates a ServiceAccount bound to clusterRoles in its namespace and returns
// a registry token for it (audience berth-registry), once the API server accepts it.
func (s *suite) serviceAccount(t *testing.T, ns, saName string, clusterRoles ...string) string {
	t.Helper()
	ctx := context.Background()
	if err := s.c.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: saName}}); err != nil {
		t.Fatal(err)
	}
	for _, role := range clusterRoles {
		rb := &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: role + "-" + saName},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: saName}},
		}
		if err := s.c.Create(ctx, rb); err != nil {
			t.Fatal(err)
		}
		if err := envtest.WaitForBinding(ctx, s.c, s.kube, ns, role, rb.Subjects[0], 10*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	tr, err := s.kube.CoreV1().ServiceAccounts(ns).CreateToken(ctx, saName, &authnv1.TokenRequest{
		Spec: authnv1.TokenRequestSpec{Audiences: []string{"berth-registry"}, ExpirationSeconds: ptr.To[int64](3600)},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	token := tr.Status.Token
	waitFor(t, 10*time.Second, func() error {
		rev, err := s.kube.AuthenticationV1().TokenReviews().Create(ctx, &authnv1.TokenReview{
			Spec: authnv1.TokenReviewSpec{Token: token, Audiences: []string{"berth-registry"}},
		}, metav1.CreateOptions{})
		if err != nil {
			return err
		}
		if !rev.Status.Authenticated {
			return errors.New("the API server does not accept the new token yet")
		}
		return nil
	})
	return token
}

// repository creates a Repository (docs/registry-internals.md: pushes and pulls need one).
func (s *suite) repository(t *testing.T, ns, repoName string) {
	t.Helper()
	r := &ecrv1alpha1.Repository{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: repoName},
		Spec:       ecrv1alpha1.RepositorySpec{ImageTagMutability: ecrv1alpha1.Mutable},
	}
	if err := s.c.Create(context.Background(), r); err != nil {
		t.Fatal(err)
	}
}

// pullActions are what a pull needs from a RepositoryPolicy.
var pullActions = []ecrv1alpha1.Action{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"}

// policy creates a RepositoryPolicy with one Allow statement for principal.
func (s *suite) policy(t *testing.T, ns, policyName, repo string, principal ecrv1alpha1.Principal) {
	t.Helper()
	p := &ecrv1alpha1.RepositoryPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: policyName},
		Spec: ecrv1alpha1.RepositoryPolicySpec{
			RepositoryName: repo,
			Statements:     []ecrv1alpha1.Statement{{Effect: ecrv1alpha1.EffectAllow, Principals: []ecrv1alpha1.Principal{principal}, Actions: pullActions}},
		},
	}
	if err := s.c.Create(context.Background(), p); err != nil {
		t.Fatal(err)
	}
}

// saPrincipal names a ServiceAccount in a policy statement.
func saPrincipal(ns, saName string) ecrv1alpha1.Principal {
	return ecrv1alpha1.Principal{Kind: ecrv1alpha1.PrincipalServiceAccount, Namespace: ns, Name: saName}
}

// waitFor polls f every 50ms until it succeeds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %v", timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freeAddr returns a loopback address with a port that was free a moment ago.

// berthOptions configure one berth-registry process.
type berthOptions struct {
	// addr and storage are kept across restarts; empty addr picks a free port.
	addr, storage string
	drainTimeout  time.Duration
	// extra are more flags.
	extra []string
	// s3, when set, stores in its bucket under storage (a key prefix) instead of a folder.
	s3 *s3test.Store
}

// startBerth runs berth-registry on loopback (regproc.StartBerth) with filesystem storage,
// or o.s3's bucket, as the suite's registry identity, and waits until it is ready.
func (s *suite) startBerth(t *testing.T, o berthOptions) *regproc.Process {
	t.Helper()
	b := regproc.Berth{Bin: s.berthBin, Kubeconfig: s.kubeconfig, Addr: o.addr, Storage: regproc.FilesystemFlags(o.storage),
		InstanceID: "bench", DrainTimeout: o.drainTimeout, Extra: o.extra}
	if o.s3 != nil {
		b.Storage, b.Env = regproc.S3Flags(o.s3, o.storage)
	}
	return regproc.StartBerth(t, b)
}

// randomImage is an OCI image of layers incompressible layers of layerSize bytes each, from
// a seeded ChaCha8 stream, so every (seed, layer) is distinct content. The layers are stored
// as they are (uncompressed media type), so no compression cost falls on either side.
func randomImage(seed uint64, layers int, layerSize int) (v1.Image, error) {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	src := rand.NewChaCha8(key)
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	adds := make([]v1.Layer, 0, layers)
	for range layers {
		b := make([]byte, layerSize)
		_, _ = src.Read(b)
		adds = append(adds, static.NewLayer(b, types.OCIUncompressedLayer))
	}
	img, err := mutate.AppendLayers(img, adds...)
	if err != nil {
		return nil, fmt.Errorf("building the image: %w", err)
	}
	return img, nil
}

// credentials are crane's credentials for a Kubernetes token; no token is anonymous.
func credentials(token string) authn.Authenticator {
	if token == "" {
		return authn.Anonymous
	}
	return authn.FromConfig(authn.AuthConfig{Username: "berth", Password: token})
}

// regClient is the one registry client of the benchmarks (go-containerregistry's remote, which
// is crane), with its own connection pool and retry policy.
type regClient struct {
	transport *http.Transport
	token     string
	// user, when set, is the Basic user name with token as its password (another registry's
	// htpasswd); otherwise token is a Berth registry token.
	user    string
	backoff remote.Backoff
}

// newClient makes a client that does not retry, unless retries are asked for later.
func newClient(token string) *regClient {
	tr := remote.DefaultTransport.(*http.Transport).Clone() //nolint:forcetypeassert // documented as *http.Transport
	tr.MaxIdleConnsPerHost = 64
	return &regClient{transport: tr, token: token, backoff: remote.Backoff{Duration: 10 * time.Millisecond, Factor: 1, Steps: 1}}
}

func (c *regClient) options(ctx context.Context) []remote.Option {
	return []remote.Option{
		remote.WithAuth(c.auth()),
		remote.WithContext(ctx),
		remote.WithTransport(c.transport),
		remote.WithRetryBackoff(c.backoff),
	}
}

func (c *regClient) close() { c.transport.CloseIdleConnections() }

func (c *regClient) auth() authn.Authenticator {
	if c.user != "" {
		return &authn.Basic{Username: c.user, Password: c.token}
	}
	return credentials(c.token)
}

// push writes img to ref (host/repo:tag).
func (c *regClient) push(ctx context.Context, ref string, img v1.Image) error {
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return err
	}
	if err := remote.Write(r, img, c.options(ctx)...); err != nil {
		return fmt.Errorf("pushing %s: %w", ref, err)
	}
	return nil
}

// pull reads the image at ref completely, as `crane pull` does, with every blob checked
// against its digest, and returns the manifest digest and the bytes of blobs read.
func (c *regClient) pull(ctx context.Context, ref string) (v1.Hash, int64, error) {
	return c.pullLayers(ctx, ref, 1)
}

// pullLayers is pull with jobs layers downloaded at once, as containerd (3 by default) and
// docker do.
func (c *regClient) pullLayers(ctx context.Context, ref string, jobs int) (v1.Hash, int64, error) {
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return v1.Hash{}, 0, err
	}
	img, err := remote.Image(r, c.options(ctx)...)
	if err != nil {
		return v1.Hash{}, 0, fmt.Errorf("pulling %s: %w", ref, err)
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return v1.Hash{}, 0, fmt.Errorf("pulling the config of %s: %w", ref, err)
	}
	n := int64(len(cfg))
	layers, err := img.Layers()
	if err != nil {
		return v1.Hash{}, 0, err
	}
	var (
		mu    sync.Mutex
		first error
	)
	sem := make(chan struct{}, max(jobs, 1))
	var wg sync.WaitGroup
	for _, l := range layers {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			m, err := readLayer(l)
			mu.Lock()
			defer mu.Unlock()
			n += m
			if err != nil && first == nil {
				first = fmt.Errorf("pulling a layer of %s: %w", ref, err)
			}
		})
	}
	wg.Wait()
	if first != nil {
		return v1.Hash{}, 0, first
	}
	d, err := img.Digest()
	return d, n, err
}

// readLayer reads a layer's blob to its end, which checks its digest.
func readLayer(l v1.Layer) (int64, error) {
	rc, err := l.Compressed()
	if err != nil {
		return 0, err
	}
	defer func() { _ = rc.Close() }()
	return io.Copy(io.Discard, rc)
}

// rawRequest sends one request (authenticated when token is set) and returns the status and
// the body.
func rawRequest(ctx context.Context, hc *http.Client, method, url, token string, accept ...string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.SetBasicAuth("berth", token)
	}
	for _, a := range accept {
		req.Header.Add("Accept", a)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, resp.Body); err != nil {
		return resp.StatusCode, nil, fmt.Errorf("reading %s: %w", url, err)
	}
	return resp.StatusCode, buf.Bytes(), nil
}

// sha256Digest is the OCI digest of b.
func sha256Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// scrape reads the Prometheus text format into series → value; unlabelled sums are kept under
// the bare metric name too.
func scrape(ctx context.Context, url string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		series := line[:i]
		out[series] = v
		if j := strings.IndexByte(series, '{'); j > 0 {
			out[series[:j]] += v
		}
	}
	return out, sc.Err()
}
