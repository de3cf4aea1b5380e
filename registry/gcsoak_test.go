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
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	"github.com/berth-dev/berth/internal/testutil/gcsoak"
	"github.com/berth-dev/berth/registry/gc"
	"github.com/berth-dev/berth/registry/options"
)

// startGCServer serves a registry on a filesystem store of its own with garbage collection
// every interval (0: none), the given grace period and trigger delay, as the registry's ServiceAccount (its RBAC: the
// collector's Lease in berth-system, Events); configure changes more options.
func startGCServer(t *testing.T, s *testSuite, id string, interval, grace, triggerDelay time.Duration, configure ...func(*options.Options)) (*Server, string, string) {
	t.Helper()
	dir := t.TempDir()
	o := testOptions()
	o.Storage.Driver, o.Storage.RootDirectory = options.DriverFilesystem, dir
	o.InstanceID = id
	o.GC.Interval = metav1.Duration{Duration: interval}
	o.GC.GracePeriod = metav1.Duration{Duration: grace}
	o.GC.TriggerDelay = metav1.Duration{Duration: triggerDelay}
	for _, c := range configure {
		c(&o)
	}
	srv, err := New(o, s.registryConfig)
	if err != nil {
		t.Fatal(err)
	}
	addr, stop, err := serveOn(srv, "127.0.0.1:0", stderrLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return srv, addr, dir
}

// collectNow runs a collection on srv, waiting while another registry of the suite holds the
// collector's Lease.
func collectNow(ctx context.Context, srv *Server) (gc.Report, error) {
	for {
		rep, err := srv.CollectGarbage(ctx)
		if !errors.Is(err, gc.ErrLeaseHeld) {
			return rep, err
		}
		select {
		case <-ctx.Done():
			return rep, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// soakConfig is the R7 soak against srv in namespace ns, with Repositories created and
// deleted through the API server.
func soakConfig(t *testing.T, s *testSuite, srv *Server, addr, dir, ns string, d, maxPause, grace time.Duration) gcsoak.Config {
	t.Helper()
	s.namespaces(t, ns)
	admin := s.serviceAccount(t, ns, "admin", "berth-registry-admin")
	repos := []string{"app", "base", "tools"}
	create := func(ctx context.Context, name string) error {
		r := &ecrv1alpha1.Repository{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		if err := s.c.Create(ctx, r); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
		for range 200 {
			if r, err := srv.store.Repository(ctx, ns, name); err == nil && r != nil {
				return nil
			}
			time.Sleep(25 * time.Millisecond)
		}
		return fmt.Errorf("the registry never saw Repository %s/%s", ns, name)
	}
	for _, r := range repos {
		if err := create(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	return gcsoak.Config{
		Addr: addr, Token: admin.token, Namespace: ns, Repositories: repos,
		Duration: d, Pushers: 10, MaxPause: maxPause, Grace: grace, KeepPerRepository: 3, StorageRoot: dir,
		CreateRepository: create,
		DeleteRepository: func(ctx context.Context, name string) error {
			r := &ecrv1alpha1.Repository{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
			return s.c.Delete(ctx, r)
		},
		CollectGarbage: func(ctx context.Context) error {
			_, err := collectNow(ctx, srv)
			return err
		},
		Logf: t.Logf,
	}
}

// TestGCSoak is the short R7 soak (bench/registry runs it for minutes): 10 pushers — plain,
// mounting across repositories, pausing inside uploads and before manifests — while images
// expire and repositories are deleted, with a collection every second and a 4 s grace period
// (a paused push takes at most 3 s from its first layer to its manifest).
// Every push succeeds and pulls back byte for byte; the store keeps no unreferenced blob and
// no layer link of a removed image.
func TestGCSoak(t *testing.T) {
	s := needSuite(t)
	const grace = 4 * time.Second
	srv, addr, dir := startGCServer(t, s, "gc-soak", time.Second, grace, 500*time.Millisecond)
	cfg := soakConfig(t, s, srv, addr, dir, "gc-soak", 15*time.Second, 1500*time.Millisecond, grace)
	res, err := gcsoak.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("R7 (short): %s", res)
	for _, p := range res.Problems() {
		t.Error(p)
	}
	if res.Mounted == 0 || res.Paused == 0 || res.Expired == 0 || res.RepositoriesDeleted == 0 {
		t.Errorf("the soak did not exercise everything: %s", res)
	}
	assertGCMetrics(t, srv)
}

// TestGCSoakFailsWithoutGracePeriod runs the same soak with no grace period, which the soak
// must catch: the collector then removes the layers of pushes paused before their manifest
// (those pushes fail with MANIFEST_BLOB_UNKNOWN), and even a push in flight as a mark starts
// may lose its manifest after it succeeded (its write-log entry predates the mark, and only
// the grace period covers the milliseconds between the entry and the write).
func TestGCSoakFailsWithoutGracePeriod(t *testing.T) {
	s := needSuite(t)
	srv, addr, dir := startGCServer(t, s, "gc-soak-no-grace", 500*time.Millisecond, 0, 500*time.Millisecond)
	cfg := soakConfig(t, s, srv, addr, dir, "gc-soak-no-grace", 8*time.Second, 1500*time.Millisecond, 0)
	res, err := gcsoak.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("R7 with a zero grace period: %s", res)
	for _, p := range res.Problems() {
		t.Logf("caught: %s", p)
	}
	if res.Failed == 0 && len(res.Corrupt) == 0 {
		t.Fatalf("the soak passed with a zero grace period: it cannot tell a safe collector from an unsafe one")
	}
}

// assertGCMetrics checks the collector's metrics after a soak.
func assertGCMetrics(t *testing.T, srv *Server) {
	t.Helper()
	mfs, err := srv.metrics.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			switch {
			case m.GetCounter() != nil:
				got[mf.GetName()] += m.GetCounter().GetValue()
			case m.GetHistogram() != nil:
				got[mf.GetName()] += float64(m.GetHistogram().GetSampleCount())
			case m.GetGauge() != nil:
				got[mf.GetName()] += m.GetGauge().GetValue()
			}
		}
	}
	for _, name := range []string{"berth_registry_gc_runs_total", "berth_registry_gc_freed_bytes_total", "berth_registry_gc_blobs_removed_total",
		"berth_registry_gc_layer_links_removed_total", "berth_registry_gc_duration_seconds", "berth_registry_storage_bytes", "berth_registry_repository_storage_bytes"} {
		if got[name] <= 0 {
			t.Errorf("metric %s = %v after the soak, want > 0", name, got[name])
		}
	}
	t.Logf("metrics: %d runs, %.0f bytes freed, %.0f blobs and %.0f layer links removed, %.0f bytes stored", int(got["berth_registry_gc_runs_total"]),
		got["berth_registry_gc_freed_bytes_total"], got["berth_registry_gc_blobs_removed_total"], got["berth_registry_gc_layer_links_removed_total"], got["berth_registry_storage_bytes"])
}
