//go:build soak

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
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	"github.com/berth-dev/berth/bench/internal/report"
	"github.com/berth-dev/berth/internal/testutil/gcsoak"
)

// r7Duration is how long R7's pushers push (BERTH_R7_DURATION overrides it).
const r7Duration = 5 * time.Minute

// TestR7OnlineGC is R7 (docs/budgets.md): berth-registry as a process on a filesystem store,
// collecting garbage every 2 s with a 10 s grace period, while 10 pushers push for five
// minutes — plain ones, ones mounting layers from other repositories, ones pausing inside
// uploads and before manifests (up to 4 s each) — images expire (the newest 3 kept per
// repository, deleted through the API as lifecycle expiry does) and repositories are created,
// filled, emptied and deleted. At the end (after the grace period and one more collection)
// every push must have succeeded and pull back byte for byte, and the store, read on disk,
// must hold no blob no manifest references and no layer link of a removed image. The
// registry's own tests run the same soak for 15 s (registry/gcsoak_test.go), and once with a
// zero grace period, which fails.
func TestR7OnlineGC(t *testing.T) {
	s := needSuite(t)
	d := r7Duration
	if v := os.Getenv("BERTH_R7_DURATION"); v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			t.Fatalf("BERTH_R7_DURATION: %v", err)
		}
	}
	const (
		ns       = "r7"
		grace    = 10 * time.Second
		interval = 2 * time.Second
		maxPause = 4 * time.Second
	)
	s.namespace(t, ns)
	token := s.serviceAccount(t, ns, "admin", "berth-registry-admin")
	repos := []string{"app", "base", "tools"}
	for _, r := range repos {
		s.repository(t, ns, r)
	}
	storage := filepath.Join(t.TempDir(), "berth")
	proc := s.startBerth(t, berthOptions{storage: storage, extra: []string{
		"--gc-interval=" + interval.String(), "--gc-grace-period=" + grace.String(), "--gc-trigger-delay=500ms"}})
	metricsURL := "http://" + proc.MetricsAddr + "/metrics"
	ctx := context.Background()

	create := func(ctx context.Context, name string) error {
		r := &ecrv1alpha1.Repository{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: ecrv1alpha1.RepositorySpec{ImageTagMutability: ecrv1alpha1.Mutable}}
		if err := s.c.Create(ctx, r); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
		// The registry knows it once an upload may start there.
		for range 400 {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+proc.Addr+"/v2/"+ns+"/"+name+"/blobs/uploads/", nil)
			req.SetBasicAuth("berth", token)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				_ = resp.Body.Close()
				if resp.StatusCode == http.StatusAccepted {
					return nil
				}
			}
			time.Sleep(25 * time.Millisecond)
		}
		return fmt.Errorf("berth-registry never saw Repository %s/%s", ns, name)
	}
	start := time.Now()
	res, err := gcsoak.Run(ctx, gcsoak.Config{
		Addr: proc.Addr, Token: token, Namespace: ns, Repositories: repos,
		Duration: d, Pushers: 10, MaxPause: maxPause, Grace: grace, KeepPerRepository: 3, StorageRoot: storage,
		CreateRepository: create,
		DeleteRepository: func(ctx context.Context, name string) error {
			return s.c.Delete(ctx, &ecrv1alpha1.Repository{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}})
		},
		// The process collects every interval: wait for a run that started after now.
		CollectGarbage: func(ctx context.Context) error {
			before, err := gcRuns(ctx, metricsURL)
			if err != nil {
				return err
			}
			deadline := time.Now().Add(time.Minute)
			for time.Now().Before(deadline) {
				time.Sleep(interval / 2)
				n, err := gcRuns(ctx, metricsURL)
				if err != nil {
					return err
				}
				if n >= before+2 {
					return nil
				}
			}
			return fmt.Errorf("berth-registry ran no garbage collection for a minute:\n%s", proc.LogTail(20))
		},
		Logf: t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := scrape(ctx, metricsURL)
	if err != nil {
		t.Fatal(err)
	}
	problems := res.Problems()
	for _, p := range problems {
		t.Error(p)
	}
	pass := len(problems) == 0 && !t.Failed()
	report.Print(nil, report.Line{
		ID: "R7", Value: float64(res.Verified), Unit: "images", Budget: "0-lost,0-unreferenced", Pass: pass,
		Detail: fmt.Sprintf("%s of 10 pushers, collection every %s, grace %s, pauses up to %s, in %s: %s; collector: %.0f runs (%.0f successful), %.0f blobs and %.0f layer links removed, %.0f MiB freed, mean run %s",
			d, interval, grace, maxPause, time.Since(start).Round(time.Second), res, m["berth_registry_gc_runs_total"], m[`berth_registry_gc_runs_total{result="success"}`],
			m["berth_registry_gc_blobs_removed_total"], m["berth_registry_gc_layer_links_removed_total"], m["berth_registry_gc_freed_bytes_total"]/(1<<20),
			(time.Duration(m["berth_registry_gc_duration_seconds_sum"] / max(1, m["berth_registry_gc_duration_seconds_count"]) * float64(time.Second))).Round(time.Millisecond)),
	})
}

// gcRuns is berth_registry_gc_runs_total{result="success"} on the metrics endpoint.
func gcRuns(ctx context.Context, url string) (float64, error) {
	m, err := scrape(ctx, url)
	return m[`berth_registry_gc_runs_total{result="success"}`], err
}
