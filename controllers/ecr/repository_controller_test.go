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

package ecr

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	regclient "github.com/berth-dev/berth/registry/client"
	"github.com/berth-dev/berth/registry/options"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	"github.com/berth-dev/berth/controllers/internal/registrytest"
	"github.com/berth-dev/berth/internal/conditions"
	"github.com/berth-dev/berth/internal/lifecycle"
	"github.com/berth-dev/berth/internal/testutil/envtest"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

// TestRepository runs the Repository controller against the real registry: first with
// notifications and no resync within the test, then with the registry unreachable, then with
// resync only.
func TestRepository(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Skip("KUBEBUILDER_ASSETS is unset")
	}
	e := registrytest.Start(t)
	ctx := context.Background()
	eventsAddr := envtest.FreeLoopbackAddr(t)
	e.StartRegistry(t, "http://"+eventsAddr+RegistryEventsPath)

	stop1 := startRepositoryManager(t, e, time.Hour, eventsAddr)
	t.Run("PushShowsInStatusByNotification", func(t *testing.T) { testRepositoryPushStatus(t, e) })
	t.Run("ReplicasWriteStatusOncePerPush", func(t *testing.T) { testRepositoryReplicas(t, e, "http://"+eventsAddr+RegistryEventsPath) })
	t.Run("Lifecycle", func(t *testing.T) { testRepositoryLifecycle(t, e) })
	t.Run("Deletion", func(t *testing.T) { testRepositoryDeletion(t, e) })
	kept := e.Repository(t, "kept", nil)
	img := e.Push(t, "kept", "v1")
	waitStatus(t, e, "kept", func(st ecrv1alpha1.RepositoryStatus) error { return wantCount(st, 1) })
	stop1()

	t.Run("RegistryUnavailable", func(t *testing.T) {
		dead, err := regclient.New("http://"+envtest.FreeLoopbackAddr(t), http.DefaultClient, registrytest.StaticToken("x"))
		if err != nil {
			t.Fatal(err)
		}
		r := &RepositoryReconciler{Client: e.C, Recorder: &events.FakeRecorder{}, Registry: dead, RegistryHost: "registry.test", ResyncInterval: time.Hour}
		req := ctrl.Request{NamespacedName: client.ObjectKeyFromObject(kept)}
		if _, err := r.Reconcile(ctx, req); !errors.Is(err, regclient.ErrUnavailable) {
			t.Fatalf("reconcile with the registry down: %v, want regclient.ErrUnavailable", err)
		}
		got := e.Get(t, "kept")
		if c := readyCondition(got.Status); c == nil || c.Reason != ecrv1alpha1.RegistryUnavailableReason || got.Status.ImageCount != 1 {
			t.Fatalf("status with the registry down = %+v, want Ready False RegistryUnavailable and the image kept", got.Status)
		}
		// A forced delete while the registry is down keeps the object (and its finalizer).
		patch := client.MergeFrom(got.DeepCopy())
		got.Spec.ForceDelete = true
		if err := e.C.Patch(ctx, got, patch); err != nil {
			t.Fatal(err)
		}
		if err := e.C.Delete(ctx, got); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Reconcile(ctx, req); !errors.Is(err, regclient.ErrUnavailable) {
			t.Fatalf("delete with the registry down: %v", err)
		}
		if got := e.Get(t, "kept"); got.DeletionTimestamp.IsZero() || !slices.Contains(got.Finalizers, ecrv1alpha1.Finalizer) {
			t.Fatalf("repository after a delete with the registry down: %+v", got.ObjectMeta)
		}
		if imgs := e.Images(t, "kept"); len(imgs) != 1 || imgs[0].Digest != img.String() {
			t.Fatalf("images after a delete with the registry down: %+v", imgs)
		}
	})

	_ = startRepositoryManager(t, e, 2*time.Second, "0")
	t.Run("ForceDeleteAfterRegistryReturns", func(t *testing.T) {
		kubetest.Eventually(t, 30*time.Second, func() error { return e.Gone(t, "kept") })
	})
	t.Run("PushShowsInStatusByResync", func(t *testing.T) {
		e.Repository(t, "resync", nil)
		waitStatus(t, e, "resync", func(st ecrv1alpha1.RepositoryStatus) error { return wantCount(st, 0) })
		d := e.Push(t, "resync", "v1")
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

func testRepositoryPushStatus(t *testing.T, e *registrytest.Env) {
	t.Helper()
	r := e.Repository(t, "app", nil)
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
	d := e.PushImage(t, "app", "v1", img)
	start := time.Now()
	m, _ := img.Manifest()
	size := m.Config.Size
	for _, l := range m.Layers {
		size += l.Size
	}
	raw, _ := img.RawManifest()
	stored := size + int64(len(raw)) // the config, the layers and the manifest, once each
	waitStatus(t, e, "app", func(st ecrv1alpha1.RepositoryStatus) error {
		if err := wantCount(st, 1); err != nil {
			return err
		}
		got := st.Images[0]
		if got.Digest != d.String() || !slices.Equal(got.Tags, []string{"v1"}) || got.SizeBytes != size || st.SizeBytes != size ||
			got.PushedAt == nil || got.PushedAt.Time.Before(before.Truncate(time.Second)) || st.LastPushedAt == nil || st.StorageBytes != stored {
			return fmt.Errorf("status %+v, want digest %s, tag v1, size %d, storage %d", st, d, size, stored)
		}
		return nil
	})
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("status showed the push after %s, want seconds", took)
	}

	// A pull is recorded by the registry and listed as the image's last pull.
	if imgs := e.Images(t, "app"); len(imgs) != 1 || !imgs[0].LastPulledAt.IsZero() {
		t.Fatalf("images before any pull: %+v", imgs)
	}
	pulledAfter := time.Now().Add(-time.Second)
	ref, err := name.ParseReference(e.RegAddr+"/"+e.PusherNS+"/app:v1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := remote.Get(ref, remote.WithAuth(authn.FromConfig(authn.AuthConfig{Username: "berth", Password: e.PushTok}))); err != nil {
		t.Fatal(err)
	}
	kubetest.Eventually(t, 10*time.Second, func() error {
		imgs := e.Images(t, "app")
		if len(imgs) != 1 || imgs[0].LastPulledAt.Before(pulledAfter) {
			return fmt.Errorf("images after a pull: %+v", imgs)
		}
		return nil
	})

	// Two images sharing both layers, in a repository of their own: sizeBytes counts the
	// layers per image, storageBytes once.
	e.Repository(t, "shared", nil)
	second, err := mutate.Config(img, v1.Config{Labels: map[string]string{"second": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	e.PushImage(t, "shared", "a", img)
	e.PushImage(t, "shared", "b", second)
	sm, _ := second.Manifest()
	sraw, _ := second.RawManifest()
	waitStatus(t, e, "shared", func(st ecrv1alpha1.RepositoryStatus) error {
		if err := wantCount(st, 2); err != nil {
			return err
		}
		wantStorage, wantSize := stored+sm.Config.Size+int64(len(sraw)), 2*size-m.Config.Size+sm.Config.Size
		if st.StorageBytes != wantStorage || st.SizeBytes != wantSize {
			return fmt.Errorf("storageBytes %d, sizeBytes %d; want %d and %d", st.StorageBytes, st.SizeBytes, wantStorage, wantSize)
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

func testRepositoryLifecycle(t *testing.T, e *registrytest.Env) {
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
			e.Repository(t, repo, nil)
			var digests []string
			for _, tag := range tc.pushes {
				digests = append(digests, e.Push(t, repo, tag).String())
				time.Sleep(20 * time.Millisecond) // distinct push times
			}
			waitStatus(t, e, repo, func(st ecrv1alpha1.RepositoryStatus) error { return wantCount(st, len(tc.pushes)) })

			policy := &ecrv1alpha1.LifecyclePolicy{Rules: tc.rules}
			var want []string
			for _, k := range tc.expire {
				want = append(want, digests[k])
			}
			var previewed []string
			for _, p := range lifecycle.Preview(policy, lifecycleImages(e.Images(t, repo)), time.Now()) {
				previewed = append(previewed, p.Digest)
			}
			if !sameDigests(previewed, want) {
				t.Fatalf("preview %v, want %v", previewed, want)
			}

			r := e.Get(t, repo)
			patch := client.MergeFrom(r.DeepCopy())
			r.Spec.LifecyclePolicy = policy
			if err := e.C.Patch(context.Background(), r, patch); err != nil {
				t.Fatal(err)
			}
			waitStatus(t, e, repo, func(st ecrv1alpha1.RepositoryStatus) error {
				if st.Lifecycle == nil || st.Lifecycle.ExpiredImages != int64(len(want)) || st.Lifecycle.LastEvaluatedAt == nil || len(st.Lifecycle.Preview) != 0 {
					return fmt.Errorf("lifecycle status %+v", st.Lifecycle)
				}
				return wantCount(st, len(tc.pushes)-len(want))
			})
			var left []string
			for _, img := range e.Images(t, repo) {
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

func testRepositoryDeletion(t *testing.T, e *registrytest.Env) {
	t.Helper()
	ctx := context.Background()
	t.Run("empty", func(t *testing.T) {
		r := e.Repository(t, "empty", nil)
		waitStatus(t, e, "empty", func(st ecrv1alpha1.RepositoryStatus) error { return wantCount(st, 0) })
		if err := e.C.Delete(ctx, r); err != nil {
			t.Fatal(err)
		}
		kubetest.Eventually(t, 10*time.Second, func() error { return e.Gone(t, "empty") })
	})
	t.Run("not empty", func(t *testing.T) {
		r := e.Repository(t, "full", nil)
		e.Push(t, "full", "v1")
		e.Push(t, "full", "")
		waitStatus(t, e, "full", func(st ecrv1alpha1.RepositoryStatus) error { return wantCount(st, 2) })
		if err := e.C.Delete(ctx, r); err != nil {
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
			if n := len(e.Images(t, "full")); n != 2 {
				return fmt.Errorf("%d images left, want 2", n)
			}
			return nil
		})
		r = e.Get(t, "full")
		patch := client.MergeFrom(r.DeepCopy())
		r.Spec.ForceDelete = true
		if err := e.C.Patch(ctx, r, patch); err != nil {
			t.Fatal(err)
		}
		kubetest.Eventually(t, 10*time.Second, func() error { return e.Gone(t, "full") })
	})
}

// --- environment ---

// startRepositoryManager runs a manager with the Repository controller only, resyncing
// every resync and receiving notifications on eventsAddr ("0": none); stop ends it.
func startRepositoryManager(t *testing.T, e *registrytest.Env, resync time.Duration, eventsAddr string) (stop func()) {
	t.Helper()
	return e.Env.StartManager(t, cache.Options{}, func(_ context.Context, mgr ctrl.Manager) error {
		reg, err := regclient.NewForServiceAccount(mgr.GetClient(), regclient.Config{
			URL:            "http://" + e.RegAddr,
			ServiceAccount: "berth-system/berth-controller",
			Audience:       options.DefaultAudience,
			TokenLifetime:  time.Hour,
		})
		if err != nil {
			return err
		}
		return (&RepositoryReconciler{
			Client:         mgr.GetClient(),
			Recorder:       mgr.GetEventRecorder("berth-repository-controller"),
			Registry:       reg,
			RegistryHost:   "registry.test",
			ResyncInterval: resync,
			Concurrency:    2,
			EventsAddr:     eventsAddr,
		}).SetupWithManager(mgr)
	})
}

// testRepositoryReplicas pushes through three registry replicas on one store, each
// notifying the controller: every push changes the status once (its image, then its tag at
// most), however many replicas there are, and pulls through every replica leave the image's
// recorded last pull at the first one (one record an hour in all, not one per replica).
func testRepositoryReplicas(t *testing.T, e *registrytest.Env, notifyURL string) {
	t.Helper()
	addrs := []string{e.RegAddr, e.StartRegistry(t, notifyURL), e.StartRegistry(t, notifyURL)}
	e.Repository(t, "replicated", nil)
	waitStatus(t, e, "replicated", func(st ecrv1alpha1.RepositoryStatus) error { return wantCount(st, 0) })

	wc, err := client.NewWithWatch(e.Env.Config, client.Options{Scheme: e.C.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	w, err := wc.Watch(t.Context(), &ecrv1alpha1.RepositoryList{}, client.InNamespace(e.PusherNS),
		client.MatchingFields{"metadata.name": "replicated"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	var (
		mu     sync.Mutex
		writes int
	)
	go func() {
		var last *ecrv1alpha1.RepositoryStatus
		for ev := range w.ResultChan() {
			r, ok := ev.Object.(*ecrv1alpha1.Repository)
			if !ok {
				continue
			}
			if last != nil && !equality.Semantic.DeepEqual(*last, r.Status) {
				mu.Lock()
				writes++
				mu.Unlock()
			}
			last = r.Status.DeepCopy()
		}
	}()
	const pushes = 6
	var digests []v1.Hash
	for i := range pushes {
		img, err := random.Image(1024, 1)
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, e.PushImageTo(t, addrs[i%len(addrs)], "replicated", fmt.Sprintf("v%d", i), img))
		waitStatus(t, e, "replicated", func(st ecrv1alpha1.RepositoryStatus) error { return wantCount(st, i+1) })
	}
	time.Sleep(3 * tagSettleDelay) // the settle pass of the last push, and any late notification
	mu.Lock()
	got := writes
	mu.Unlock()
	t.Logf("%d pushes through %d replicas changed the Repository's status %d times", pushes, len(addrs), got)
	if got < pushes || got > 2*pushes {
		t.Errorf("%d pushes through %d replicas changed the status %d times, want one or two per push", pushes, len(addrs), got)
	}

	// Pulls through every replica: the first records the pull, the others find the record.
	auth := remote.WithAuth(authn.FromConfig(authn.AuthConfig{Username: "berth", Password: e.PushTok}))
	pullFrom := func(addr string) {
		t.Helper()
		ref, err := name.ParseReference(addr+"/"+e.PusherNS+"/replicated@"+digests[0].String(), name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := remote.Get(ref, auth); err != nil {
			t.Fatal(err)
		}
	}
	lastPulled := func() time.Time {
		for _, img := range e.Images(t, "replicated") {
			if img.Digest == digests[0].String() {
				return img.LastPulledAt
			}
		}
		t.Fatalf("image %s is not listed", digests[0])
		return time.Time{}
	}
	pullFrom(addrs[0])
	var first time.Time
	kubetest.Eventually(t, 10*time.Second, func() error {
		if first = lastPulled(); first.IsZero() {
			return errors.New("the pull through the first replica is not recorded yet")
		}
		return nil
	})
	pullFrom(addrs[1])
	pullFrom(addrs[2])
	time.Sleep(time.Second) // the records are written in the background
	if again := lastPulled(); !again.Equal(first) {
		t.Errorf("pulls through the other replicas moved the recorded last pull from %s to %s: each replica records its own", first, again)
	}
}

// --- helpers ---

func waitStatus(t *testing.T, e *registrytest.Env, name string, check func(ecrv1alpha1.RepositoryStatus) error) {
	t.Helper()
	kubetest.Eventually(t, 15*time.Second, func() error { return check(e.Get(t, name).Status) })
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

// TestRegistryRateLimiterIsBounded: after any number of failed passes (a registry that has been
// down for a long time) the next one comes within registryRetryMax, not after
// controller-runtime's default of up to 1,000 s; the first retries stay quick.
func TestRegistryRateLimiterIsBounded(t *testing.T) {
	rl := registryRateLimiter()
	req := reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "team", Name: "app"}}
	if d := rl.When(req); d > 10*time.Millisecond {
		t.Errorf("first retry after %s, want a few milliseconds", d)
	}
	var last time.Duration
	for range 40 {
		last = rl.When(req)
	}
	if last != registryRetryMax {
		t.Errorf("retry after 40 failures: %s, want %s", last, registryRetryMax)
	}
	rl.Forget(req)
	if d := rl.When(req); d > 10*time.Millisecond {
		t.Errorf("after a successful pass the next retry came after %s", d)
	}
}
