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

// Package registrytest runs, for the tests of the controllers that use the bundled registry
// (Repository, pull credentials, digest resolution), a control plane that issues
// ServiceAccount tokens and the real registry on loopback, and pushes images to it. It sits
// above the registry package, which it runs, so it is not in internal/testutil.
package registrytest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	"github.com/berth-dev/berth/internal/testutil/envtest"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
	"github.com/berth-dev/berth/registry"
	regclient "github.com/berth-dev/berth/registry/client"
	"github.com/berth-dev/berth/registry/imageapi"
	"github.com/berth-dev/berth/registry/options"
)

// Env is a control plane of its own (with ServiceAccount tokens, which the registry needs,
// unlike the packages' shared suites) and, once StartRegistry ran, the real registry on
// loopback, with a pusher ServiceAccount allowed to push to PusherNS.
type Env struct {
	// Env is the control plane.
	Env *envtest.Env
	// C is its client.
	C client.Client
	// Kube is its typed client, for TokenRequests.
	Kube kubernetes.Interface
	// RegAddr is the registry's loopback address, once started.
	RegAddr string
	// PushTok is a registry token of the pusher.
	PushTok string
	// PusherNS is the namespace whose repositories the tests push to.
	PusherNS string
	// storage is the registries' folder.
	storage string
}

// Start runs the control plane with the controller's and the registry's identities and RBAC
// from config/, and a pusher ServiceAccount in PusherNS; it stops at the end of the test.
func Start(t testing.TB) *Env {
	t.Helper()
	env, err := envtest.Start(envtest.WithServiceAccountSigner())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	kube, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{Env: env, C: env.Client, Kube: kube, PusherNS: "repo-test", storage: t.TempDir()}
	ctx := context.Background()
	for _, ns := range []string{"berth-system", e.PusherNS} {
		if err := e.C.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			t.Fatal(err)
		}
	}
	root := envtest.RepoRoot()
	for _, f := range []string{
		"config/rbac/service_account.yaml",
		"config/rbac/registry_admin_role.yaml",
		"config/rbac/registry_admin_binding.yaml",
		"config/registry/service_account.yaml",
		"config/registry/cluster_role.yaml",
		"config/registry/cluster_role_binding.yaml",
	} {
		if err := envtest.ApplyFile(ctx, e.C, filepath.Join(root, f)); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.C.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: e.PusherNS, Name: "pusher"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.C.Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: e.PusherNS, Name: "pusher"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "berth-registry-admin"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: e.PusherNS, Name: "pusher"}},
	}); err != nil {
		t.Fatal(err)
	}
	e.PushTok = e.Token(t, e.PusherNS, "pusher")
	return e
}

// Token is a registry token (audience options.DefaultAudience) of ServiceAccount ns/name.
func (e *Env) Token(t testing.TB, ns, name string) string {
	t.Helper()
	tr, err := e.Kube.CoreV1().ServiceAccounts(ns).CreateToken(context.Background(), name, &authnv1.TokenRequest{
		Spec: authnv1.TokenRequestSpec{Audiences: []string{options.DefaultAudience}, ExpirationSeconds: ptr.To[int64](3600)},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tr.Status.Token
}

// StartRegistry runs a berth-registry replica on loopback as its own ServiceAccount, posting
// notifications to notifyURL (none when empty), and returns its address; the first one's is
// RegAddr. The replicas share their storage (a folder) and upload-state secret, as the
// chart's replicas share a bucket.
func (e *Env) StartRegistry(t testing.TB, notifyURL string) string {
	t.Helper()
	cfg := &rest.Config{
		Host:            e.Env.Config.Host,
		TLSClientConfig: rest.TLSClientConfig{CAData: e.Env.Config.CAData},
	}
	// The registry's own token is for the API server's default audience.
	tr, err := e.Kube.CoreV1().ServiceAccounts("berth-system").CreateToken(context.Background(), "berth-registry",
		&authnv1.TokenRequest{Spec: authnv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.BearerToken = tr.Status.Token
	o := options.DefaultOptions()
	o.Addr = "127.0.0.1:0"
	o.MetricsAddr = "0"
	o.Storage.Driver, o.Storage.RootDirectory = options.DriverFilesystem, e.storage
	o.HTTPSecret = "repository-test"
	// Long enough for net/http's shutdown, which waits up to 5 s for connections a client
	// opened without sending a request yet (go-containerregistry opens them in parallel).
	o.DrainTimeout = metav1.Duration{Duration: 10 * time.Second}
	o.Notifications.URL = notifyURL
	o.Notifications.Threshold = 1
	o.Notifications.Backoff = metav1.Duration{Duration: 200 * time.Millisecond}
	srv, err := registry.New(o, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(logr.NewContext(context.Background(), logr.Discard()))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("registry: %v", err)
		}
	})
	addr := ln.Addr().String()
	if e.RegAddr == "" {
		e.RegAddr = addr
	}
	kubetest.Eventually(t, time.Minute, func() error {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://"+addr+"/readyz", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("readyz %d", resp.StatusCode)
		}
		return nil
	})
	return addr
}

// Repository creates Repository name in PusherNS with lifecycle policy p.
func (e *Env) Repository(t testing.TB, name string, p *ecrv1alpha1.LifecyclePolicy) *ecrv1alpha1.Repository {
	t.Helper()
	r := &ecrv1alpha1.Repository{
		ObjectMeta: metav1.ObjectMeta{Namespace: e.PusherNS, Name: name},
		Spec:       ecrv1alpha1.RepositorySpec{LifecyclePolicy: p},
	}
	if err := e.C.Create(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return r
}

// Get reads Repository name of PusherNS.
func (e *Env) Get(t testing.TB, name string) *ecrv1alpha1.Repository {
	t.Helper()
	r := &ecrv1alpha1.Repository{}
	if err := e.C.Get(context.Background(), types.NamespacedName{Namespace: e.PusherNS, Name: name}, r); err != nil {
		t.Fatal(err)
	}
	return r
}

// Gone returns nil once Repository name of PusherNS no longer exists.
func (e *Env) Gone(t testing.TB, name string) error {
	t.Helper()
	err := e.C.Get(context.Background(), types.NamespacedName{Namespace: e.PusherNS, Name: name}, &ecrv1alpha1.Repository{})
	switch {
	case apierrors.IsNotFound(err):
		return nil
	case err != nil:
		t.Fatal(err)
	}
	return fmt.Errorf("repository %s still exists", name)
}

// Push writes a random image under tag ("" pushes by digest, untagged), retrying while the
// registry's informer has not seen the Repository yet.
func (e *Env) Push(t testing.TB, repo, tag string) v1.Hash {
	t.Helper()
	img, err := random.Image(1024, 1)
	if err != nil {
		t.Fatal(err)
	}
	return e.PushImage(t, repo, tag, img)
}

// PushImage writes img under tag ("" pushes by digest), as Push does.
func (e *Env) PushImage(t testing.TB, repo, tag string, img v1.Image) v1.Hash {
	t.Helper()
	return e.PushImageTo(t, e.RegAddr, repo, tag, img)
}

// PushImageTo is PushImage through the registry replica at addr.
func (e *Env) PushImageTo(t testing.TB, addr, repo, tag string, img v1.Image) v1.Hash {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	ref := addr + "/" + e.PusherNS + "/" + repo
	if tag == "" {
		ref += "@" + d.String()
	} else {
		ref += ":" + tag
	}
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	auth := authn.FromConfig(authn.AuthConfig{Username: "berth", Password: e.PushTok})
	kubetest.Eventually(t, 15*time.Second, func() error {
		return remote.Write(r, img, remote.WithAuth(auth), remote.WithRetryBackoff(remote.Backoff{Duration: 10 * time.Millisecond, Factor: 1, Steps: 1}))
	})
	return d
}

// Images lists repo's images through the registry API, as the controller does.
func (e *Env) Images(t testing.TB, repo string) []imageapi.Image {
	t.Helper()
	c, err := regclient.New("http://"+e.RegAddr, http.DefaultClient, StaticToken(e.PushTok))
	if err != nil {
		t.Fatal(err)
	}
	imgs, err := c.Images(context.Background(), e.PusherNS, repo)
	if err != nil {
		t.Fatal(err)
	}
	return imgs
}

// StaticToken is a registry/client.TokenSource that always returns itself.
type StaticToken string

// Token implements registry/client.TokenSource.
func (s StaticToken) Token(context.Context) (string, error) { return string(s), nil }
