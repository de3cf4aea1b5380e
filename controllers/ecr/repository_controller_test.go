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

package controllers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/yaml"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	"github.com/berth-dev/berth/internal/conditions"
	"github.com/berth-dev/berth/internal/lifecycle"
	"github.com/berth-dev/berth/internal/testutil/envtest"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
	"github.com/berth-dev/berth/registry"
	"github.com/berth-dev/berth/registry/imageapi"
)

// repoEnv is TestRepository's control plane (with ServiceAccount tokens, which the registry
// needs, unlike the shared suite's) and the real registry on loopback.
type repoEnv struct {
	env      *envtest.Env
	c        client.Client
	kube     kubernetes.Interface
	regAddr  string
	pushTok  string
	pusherNS string
}

// TestRepository runs the Repository controller against the real registry: first with
// notifications and no resync within the test, then with the registry unreachable, then with
// resync only.
func TestRepository(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Skip("KUBEBUILDER_ASSETS is unset")
	}
	e := startRepoEnv(t)
	ctx := context.Background()
	eventsAddr := freeLoopbackAddr(t)
	e.regAddr = startTestRegistry(t, e, "http://"+eventsAddr+RegistryEventsPath)

	stop1 := startRepositoryManager(t, e, RepositoryOptions{ResyncInterval: time.Hour, EventsAddr: eventsAddr})
	t.Run("PushShowsInStatusByNotification", func(t *testing.T) { testRepositoryPushStatus(t, e) })
	t.Run("Lifecycle", func(t *testing.T) { testRepositoryLifecycle(t, e) })
	t.Run("Deletion", func(t *testing.T) { testRepositoryDeletion(t, e) })
	kept := e.repository(t, "kept", nil)
	img := e.push(t, "kept", "v1")
	waitStatus(t, e, "kept", func(st ecrv1alpha1.RepositoryStatus) error { return wantCount(st, 1) })
	stop1()

	t.Run("RegistryUnavailable", func(t *testing.T) {
		dead, err := newRegistryClient("http://"+freeLoopbackAddr(t), http.DefaultClient, staticToken("x"))
		if err != nil {
			t.Fatal(err)
		}
		r := &RepositoryReconciler{Client: e.c, Recorder: &events.FakeRecorder{}, Registry: dead, RegistryHost: "registry.test", ResyncInterval: time.Hour}
		req := ctrl.Request{NamespacedName: client.ObjectKeyFromObject(kept)}
		if _, err := r.Reconcile(ctx, req); !errors.Is(err, errRegistryUnavailable) {
			t.Fatalf("reconcile with the registry down: %v, want errRegistryUnavailable", err)
		}
		got := e.get(t, "kept")
		if c := readyCondition(got.Status); c == nil || c.Reason != ecrv1alpha1.RegistryUnavailableReason || got.Status.ImageCount != 1 {
			t.Fatalf("status with the registry down = %+v, want Ready False RegistryUnavailable and the image kept", got.Status)
		}
		// A forced delete while the registry is down keeps the object (and its finalizer).
		patch := client.MergeFrom(got.DeepCopy())
		got.Spec.ForceDelete = true
		if err := e.c.Patch(ctx, got, patch); err != nil {
			t.Fatal(err)
		}
		if err := e.c.Delete(ctx, got); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Reconcile(ctx, req); !errors.Is(err, errRegistryUnavailable) {
			t.Fatalf("delete with the registry down: %v", err)
		}
		if got := e.get(t, "kept"); got.DeletionTimestamp.IsZero() || !slices.Contains(got.Finalizers, ecrv1alpha1.Finalizer) {
			t.Fatalf("repository after a delete with the registry down: %+v", got.ObjectMeta)
		}
		if imgs := e.images(t, "kept"); len(imgs) != 1 || imgs[0].Digest != img.String() {
			t.Fatalf("images after a delete with the registry down: %+v", imgs)
		}
	})

	_ = startRepositoryManager(t, e, RepositoryOptions{ResyncInterval: 2 * time.Second, EventsAddr: "0"})
	t.Run("ForceDeleteAfterRegistryReturns", func(t *testing.T) {
		kubetest.Eventually(t, 30*time.Second, func() error { return e.gone(t, "kept") })
	})
	t.Run("PushShowsInStatusByResync", func(t *testing.T) {
		e.repository(t, "resync", nil)
		waitStatus(t, e, "resync", func(st ecrv1alpha1.RepositoryStatus) error { return wantCount(st, 0) })
		d := e.push(t, "resync", "v1")
		waitStatus(t, e, "resync", func(st ecrv1alpha1.RepositoryStatus) error {
			if err := wantCount(st, 1); err != nil {
				return err
			}
			if st.Images[0].Digest != d.String() {
				return fmt.Errorf("images %+v", st.Images)
			}
			return nil
		})
	})
}

func testRepositoryPushStatus(t *testing.T, e *repoEnv) {
	t.Helper()
	r := e.repository(t, "app", nil)
	waitStatus(t, e, "app", func(st ecrv1alpha1.RepositoryStatus) error {
		if st.RepositoryURI != "registry.test/"+r.Namespace+"/app" {
			return fmt.Errorf("repositoryUri %q", st.RepositoryURI)
		}
		if !conditions.IsTrue(st.Conditions, ecrv1alpha1.ReadyCondition) {
			return fmt.Errorf("not ready: %+v", st.Conditions)
		}
		return wantCount(st, 0)
	})
	before := time.Now().Add(-time.Second)
	img, err := random.Image(4096, 2)
	if err != nil {
		t.Fatal(err)
	}
	d := e.pushImage(t, "app", "v1", img)
	start := time.Now()
	m, _ := img.Manifest()
	size := m.Config.Size
	for _, l := range m.Layers {
		size += l.Size
	}
	waitStatus(t, e, "app", func(st ecrv1alpha1.RepositoryStatus) error {
		if err := wantCount(st, 1); err != nil {
			return err
		}
		got := st.Images[0]
		if got.Digest != d.String() || !slices.Equal(got.Tags, []string{"v1"}) || got.SizeBytes != size || st.SizeBytes != size ||
			got.PushedAt == nil || got.PushedAt.Time.Before(before.Truncate(time.Second)) || st.LastPushedAt == nil {
			return fmt.Errorf("status %+v, want digest %s, tag v1, size %d", st, d, size)
		}
		return nil
	})
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("status showed the push after %s, want seconds", took)
	}

	// A pull is recorded by the registry and listed as the image's last pull.
	if imgs := e.images(t, "app"); len(imgs) != 1 || !imgs[0].LastPulledAt.IsZero() {
		t.Fatalf("images before any pull: %+v", imgs)
	}
	pulledAfter := time.Now().Add(-time.Second)
	ref, err := name.ParseReference(e.regAddr+"/"+e.pusherNS+"/app:v1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := remote.Get(ref, remote.WithAuth(authn.FromConfig(authn.AuthConfig{Username: "berth", Password: e.pushTok}))); err != nil {
		t.Fatal(err)
	}
	kubetest.Eventually(t, 10*time.Second, func() error {
		imgs := e.images(t, "app")
		if len(imgs) != 1 || imgs[0].LastPulledAt.Before(pulledAfter) {
			return fmt.Errorf("images after a pull: %+v", imgs)
		}
		return nil
	})
}

// lifecycleCase pushes images (tag, or "" for untagged) in order, then sets rules and expects
// the images at expire (indexes into pushes) to go.
type lifecycleCase struct {
	name   string
	pushes []string
	rules  []ecrv1alpha1.LifecycleRule
	expire []int
}

func countRule(prio int32, status ecrv1alpha1.TagStatus, prefixes []string, n int32) ecrv1alpha1.LifecycleRule {
	return ecrv1alpha1.LifecycleRule{
		RulePriority: prio,
		Selection: ecrv1alpha1.LifecycleSelection{
			TagStatus: status, TagPrefixList: prefixes, CountType: ecrv1alpha1.CountImageCountMoreThan, CountNumber: n,
		},
		Action: ecrv1alpha1.LifecycleAction{Type: ecrv1alpha1.LifecycleActionExpire},
	}
}

func testRepositoryLifecycle(t *testing.T, e *repoEnv) {
	t.Helper()
	// Age-based rules (sinceImagePushed, sinceImagePulled) need push times the API cannot set;
	// internal/lifecycle's tables cover them, and this test the controller's use of Evaluate.
	for i, tc := range []lifecycleCase{{
		name:   "keep the newest two v-tagged images",
		pushes: []string{"v1", "v2", "v3", ""},
		rules:  []ecrv1alpha1.LifecycleRule{countRule(1, ecrv1alpha1.TagStatusTagged, []string{"v"}, 2)},
		expire: []int{0},
	}, {
		name:   "keep one untagged image",
		pushes: []string{"", "", "", "latest"},
		rules:  []ecrv1alpha1.LifecycleRule{countRule(1, ecrv1alpha1.TagStatusUntagged, nil, 1)},
		expire: []int{0, 1},
	}, {
		name:   "a higher-priority rule keeps what a lower one would expire",
		pushes: []string{"prod-1", "", "dev-1", "dev-2"},
		rules: []ecrv1alpha1.LifecycleRule{
			countRule(1, ecrv1alpha1.TagStatusTagged, []string{"prod"}, 5),
			countRule(2, ecrv1alpha1.TagStatusAny, nil, 2),
		},
		expire: []int{1},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			repo := fmt.Sprintf("lc%d", i)
			e.repository(t, repo, nil)
			var digests []string
			for _, tag := range tc.pushes {
				digests = append(digests, e.push(t, repo, tag).String())
				time.Sleep(20 * time.Millisecond) // distinct push times
			}
			waitStatus(t, e, repo, func(st ecrv1alpha1.RepositoryStatus) error { return wantCount(st, len(tc.pushes)) })

			policy := &ecrv1alpha1.LifecyclePolicy{Rules: tc.rules}
			var want []string
			for _, k := range tc.expire {
				want = append(want, digests[k])
			}
			var previewed []string
			for _, p := range lifecycle.Preview(policy, lifecycleImages(e.images(t, repo)), time.Now()) {
				previewed = append(previewed, p.Digest)
			}
			if !sameDigests(previewed, want) {
				t.Fatalf("preview %v, want %v", previewed, want)
			}

			r := e.get(t, repo)
			patch := client.MergeFrom(r.DeepCopy())
			r.Spec.LifecyclePolicy = policy
			if err := e.c.Patch(context.Background(), r, patch); err != nil {
				t.Fatal(err)
			}
			waitStatus(t, e, repo, func(st ecrv1alpha1.RepositoryStatus) error {
				if st.Lifecycle == nil || st.Lifecycle.ExpiredImages != int64(len(want)) || st.Lifecycle.LastEvaluatedAt == nil || len(st.Lifecycle.Preview) != 0 {
					return fmt.Errorf("lifecycle status %+v", st.Lifecycle)
				}
				return wantCount(st, len(tc.pushes)-len(want))
			})
			var left []string
			for _, img := range e.images(t, repo) {
				left = append(left, img.Digest)
			}
			for _, d := range digests {
				if slices.Contains(left, d) == slices.Contains(want, d) {
					t.Errorf("image %s: left %v, want expired %v", d, slices.Contains(left, d), slices.Contains(want, d))
				}
			}
		})
	}
}

func testRepositoryDeletion(t *testing.T, e *repoEnv) {
	t.Helper()
	ctx := context.Background()
	t.Run("empty", func(t *testing.T) {
		r := e.repository(t, "empty", nil)
		waitStatus(t, e, "empty", func(st ecrv1alpha1.RepositoryStatus) error { return wantCount(st, 0) })
		if err := e.c.Delete(ctx, r); err != nil {
			t.Fatal(err)
		}
		kubetest.Eventually(t, 10*time.Second, func() error { return e.gone(t, "empty") })
	})
	t.Run("not empty", func(t *testing.T) {
		r := e.repository(t, "full", nil)
		e.push(t, "full", "v1")
		e.push(t, "full", "")
		waitStatus(t, e, "full", func(st ecrv1alpha1.RepositoryStatus) error { return wantCount(st, 2) })
		if err := e.c.Delete(ctx, r); err != nil {
			t.Fatal(err)
		}
		waitStatus(t, e, "full", func(st ecrv1alpha1.RepositoryStatus) error {
			c := readyCondition(st)
			if c == nil || c.Status != metav1.ConditionFalse || c.Reason != ecrv1alpha1.RepositoryNotEmptyReason ||
				!strings.Contains(c.Message, "2 images") || !strings.Contains(c.Message, "forceDelete") {
				return fmt.Errorf("ready condition %+v", c)
			}
			return nil
		})
		kubetest.Consistently(t, 2*time.Second, func() error {
			if n := len(e.images(t, "full")); n != 2 {
				return fmt.Errorf("%d images left, want 2", n)
			}
			return nil
		})
		r = e.get(t, "full")
		patch := client.MergeFrom(r.DeepCopy())
		r.Spec.ForceDelete = true
		if err := e.c.Patch(ctx, r, patch); err != nil {
			t.Fatal(err)
		}
		kubetest.Eventually(t, 10*time.Second, func() error { return e.gone(t, "full") })
	})
}

// --- environment ---

func startRepoEnv(t *testing.T) *repoEnv {
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
	e := &repoEnv{env: env, c: env.Client, kube: kube, pusherNS: "repo-test"}
	ctx := context.Background()
	for _, ns := range []string{"berth-system", e.pusherNS} {
		if err := e.c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
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
		applyTestFile(t, e.c, filepath.Join(root, f))
	}
	if err := e.c.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: e.pusherNS, Name: "pusher"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.c.Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: e.pusherNS, Name: "pusher"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "berth-registry-admin"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: e.pusherNS, Name: "pusher"}},
	}); err != nil {
		t.Fatal(err)
	}
	e.pushTok = e.token(t, e.pusherNS, "pusher")
	return e
}

func (e *repoEnv) token(t *testing.T, ns, name string) string {
	t.Helper()
	tr, err := e.kube.CoreV1().ServiceAccounts(ns).CreateToken(context.Background(), name, &authnv1.TokenRequest{
		Spec: authnv1.TokenRequestSpec{Audiences: []string{registry.DefaultAudience}, ExpirationSeconds: ptr.To[int64](3600)},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tr.Status.Token
}

// startTestRegistry runs berth-registry on loopback as its own ServiceAccount, posting
// notifications to notifyURL.
func startTestRegistry(t *testing.T, e *repoEnv, notifyURL string) string {
	t.Helper()
	cfg := &rest.Config{
		Host:            e.env.Config.Host,
		TLSClientConfig: rest.TLSClientConfig{CAData: e.env.Config.CAData},
	}
	// The registry's own token is for the API server's default audience.
	tr, err := e.kube.CoreV1().ServiceAccounts("berth-system").CreateToken(context.Background(), "berth-registry",
		&authnv1.TokenRequest{Spec: authnv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.BearerToken = tr.Status.Token
	o := registry.DefaultOptions()
	o.Addr = "127.0.0.1:0"
	o.MetricsAddr = "0"
	o.Storage.Driver = registry.DriverInMemory
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

// startRepositoryManager runs a manager with the Repository controller only; stop ends it.
func startRepositoryManager(t *testing.T, e *repoEnv, o RepositoryOptions) (stop func()) {
	t.Helper()
	o.RegistryHost = "registry.test"
	o.RegistryURL = "http://" + e.regAddr
	o.ServiceAccount = "berth-system/berth-controller"
	o.TokenAudience = registry.DefaultAudience
	o.TokenLifetime = time.Hour
	o.Concurrency = 2
	return startTestManager(t, e, cache.Options{}, func(ctx context.Context, mgr ctrl.Manager) error {
		reg, err := newRepositoryRegistry(mgr, o)
		if err != nil {
			return err
		}
		return setupRepository(ctx, mgr, o, reg)
	})
}

// startTestManager runs a manager against e's control plane with what setup registers; stop
// ends it (also at the end of the test).
func startTestManager(t *testing.T, e *repoEnv, cacheOpts cache.Options, setup func(context.Context, ctrl.Manager) error) (stop func()) {
	t.Helper()
	mgr, err := ctrl.NewManager(e.env.Config, manager.Options{
		Scheme:                 e.env.Scheme,
		Cache:                  cacheOpts,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Controller:             config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := setup(ctx, mgr); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	var stopped bool
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("manager: %v", err)
			}
		}
	}
	t.Cleanup(stop)
	return stop
}

// --- helpers ---

func (e *repoEnv) repository(t *testing.T, name string, p *ecrv1alpha1.LifecyclePolicy) *ecrv1alpha1.Repository {
	t.Helper()
	r := &ecrv1alpha1.Repository{
		ObjectMeta: metav1.ObjectMeta{Namespace: e.pusherNS, Name: name},
		Spec:       ecrv1alpha1.RepositorySpec{LifecyclePolicy: p},
	}
	if err := e.c.Create(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return r
}

func (e *repoEnv) get(t *testing.T, name string) *ecrv1alpha1.Repository {
	t.Helper()
	r := &ecrv1alpha1.Repository{}
	if err := e.c.Get(context.Background(), types.NamespacedName{Namespace: e.pusherNS, Name: name}, r); err != nil {
		t.Fatal(err)
	}
	return r
}

func (e *repoEnv) gone(t *testing.T, name string) error {
	t.Helper()
	err := e.c.Get(context.Background(), types.NamespacedName{Namespace: e.pusherNS, Name: name}, &ecrv1alpha1.Repository{})
	switch {
	case apierrors.IsNotFound(err):
		return nil
	case err != nil:
		t.Fatal(err)
	}
	return fmt.Errorf("repository %s still exists", name)
}

// push writes a random image under tag ("" pushes by digest, untagged), retrying while the
// registry's informer has not seen the Repository yet.
func (e *repoEnv) push(t *testing.T, repo, tag string) v1.Hash {
	t.Helper()
	img, err := random.Image(1024, 1)
	if err != nil {
		t.Fatal(err)
	}
	return e.pushImage(t, repo, tag, img)
}

func (e *repoEnv) pushImage(t *testing.T, repo, tag string, img v1.Image) v1.Hash {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	ref := e.regAddr + "/" + e.pusherNS + "/" + repo
	if tag == "" {
		ref += "@" + d.String()
	} else {
		ref += ":" + tag
	}
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	auth := authn.FromConfig(authn.AuthConfig{Username: "berth", Password: e.pushTok})
	kubetest.Eventually(t, 15*time.Second, func() error {
		return remote.Write(r, img, remote.WithAuth(auth), remote.WithRetryBackoff(remote.Backoff{Duration: 10 * time.Millisecond, Factor: 1, Steps: 1}))
	})
	return d
}

// images lists repo's images through the registry API, as the controller does.
func (e *repoEnv) images(t *testing.T, repo string) []imageapi.Image {
	t.Helper()
	c, err := newRegistryClient("http://"+e.regAddr, http.DefaultClient, staticToken(e.pushTok))
	if err != nil {
		t.Fatal(err)
	}
	imgs, err := c.images(context.Background(), e.pusherNS, repo)
	if err != nil {
		t.Fatal(err)
	}
	return imgs
}

func waitStatus(t *testing.T, e *repoEnv, name string, check func(ecrv1alpha1.RepositoryStatus) error) {
	t.Helper()
	kubetest.Eventually(t, 15*time.Second, func() error { return check(e.get(t, name).Status) })
}

func wantCount(st ecrv1alpha1.RepositoryStatus, n int) error {
	if st.RepositoryURI == "" || int(st.ImageCount) != n || len(st.Images) != min(n, statusMaxImages) {
		return fmt.Errorf("imageCount %d with %d images listed (uri %q), want %d", st.ImageCount, len(st.Images), st.RepositoryURI, n)
	}
	return nil
}

func readyCondition(st ecrv1alpha1.RepositoryStatus) *metav1.Condition {
	for i := range st.Conditions {
		if st.Conditions[i].Type == ecrv1alpha1.ReadyCondition {
			return &st.Conditions[i]
		}
	}
	return nil
}

func sameDigests(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

func applyTestFile(t *testing.T, c client.Client, path string) {
	t.Helper()
	data, err := os.ReadFile(path) //nolint:gosec // the repository's own manifests
	if err != nil {
		t.Fatal(err)
	}
	for doc := range strings.SplitSeq(string(data), "\n---") {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(u.Object) == 0 {
			continue
		}
		if err := c.Create(context.Background(), u); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
}

type staticToken string

func (s staticToken) token(context.Context) (string, error) { return string(s), nil }
