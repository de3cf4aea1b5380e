//go:build bench

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
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/berth-dev/berth/bench/internal/report"
)

const p7Clients = 32

// p7Duration is 60 s (docs/budgets.md); BERTH_P7_DURATION shortens it for trying the test out.
func p7Duration(t *testing.T) time.Duration {
	t.Helper()
	if v := os.Getenv("BERTH_P7_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("BERTH_P7_DURATION: %v", err)
		}
		return d
	}
	return time.Minute
}

// TestP7ConcurrentPulls runs p7Clients clients that pull a small image from berth-registry
// over and over for a minute, as kubelets do: manifest HEAD, manifest GET, then the config and
// every layer, each blob checked against its digest, all authenticated with a reader's token
// (RBAC). Budget: no error at all; the p50 and p99 of the manifest HEAD are reported.
func TestP7ConcurrentPulls(t *testing.T) {
	s := needSuite(t)
	const ns = "p7"
	s.namespace(t, ns)
	builder := s.serviceAccount(t, ns, "builder", "berth-registry-poweruser")
	reader := s.serviceAccount(t, ns, "reader", "berth-registry-reader")
	s.repository(t, ns, "app")
	berth := s.startBerth(t, berthOptions{storage: filepath.Join(t.TempDir(), "berth")})

	ctx := context.Background()
	img, err := randomImage(7, 3, 256<<10)
	if err != nil {
		t.Fatal(err)
	}
	pusher := newClient(builder)
	defer pusher.close()
	if err := pusher.push(ctx, berth.Addr+"/"+ns+"/app:v1", img); err != nil {
		t.Fatal(err)
	}
	manifest, err := img.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	var m v1.Manifest
	if err := json.Unmarshal(manifest, &m); err != nil {
		t.Fatal(err)
	}
	blobs := []v1.Hash{m.Config.Digest}
	for _, l := range m.Layers {
		blobs = append(blobs, l.Digest)
	}
	wantManifest := sha256Digest(manifest)

	base := "http://" + berth.Addr + "/v2/" + ns + "/app"
	accept := string(m.MediaType)
	tr := newClient("").transport
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	var (
		mu       sync.Mutex
		heads    []time.Duration
		requests atomic.Int64
		pulls    atomic.Int64
		errs     atomic.Int64
		firstErr atomic.Value
	)
	fail := func(format string, args ...any) {
		if errs.Add(1) == 1 {
			firstErr.Store(fmt.Sprintf(format, args...))
		}
	}
	// pullOnce pulls the image once; it returns false after an error.
	pullOnce := func(own *[]time.Duration) bool {
		start := time.Now()
		code, _, err := rawRequest(ctx, hc, http.MethodHead, base+"/manifests/v1", reader, accept)
		*own = append(*own, time.Since(start))
		requests.Add(1)
		if err != nil || code != http.StatusOK {
			fail("HEAD manifest: %d %v", code, err)
			return false
		}
		code, body, err := rawRequest(ctx, hc, http.MethodGet, base+"/manifests/v1", reader, accept)
		requests.Add(1)
		if err != nil || code != http.StatusOK || sha256Digest(body) != wantManifest {
			fail("GET manifest: %d %v (digest %s, want %s)", code, err, sha256Digest(body), wantManifest)
			return false
		}
		for _, b := range blobs {
			code, body, err := rawRequest(ctx, hc, http.MethodGet, base+"/blobs/"+b.String(), reader)
			requests.Add(1)
			if err != nil || code != http.StatusOK || sha256Digest(body) != b.String() {
				fail("GET blob %s: %d %v (%d bytes, digest %s)", b, code, err, len(body), sha256Digest(body))
				return false
			}
		}
		pulls.Add(1)
		return true
	}

	duration := p7Duration(t)
	deadline := time.Now().Add(duration)
	var wg sync.WaitGroup
	for range p7Clients {
		wg.Go(func() {
			own := make([]time.Duration, 0, 4096)
			for time.Now().Before(deadline) {
				pullOnce(&own)
			}
			mu.Lock()
			heads = append(heads, own...)
			mu.Unlock()
		})
	}
	wg.Wait()

	p50, p99 := report.Percentile(heads, 50), report.Percentile(heads, 99)
	detail := fmt.Sprintf("%d clients for %s: %d pulls (%d requests, %d manifest HEADs), %d errors; HEAD p50 %.3f ms, p99 %.3f ms, max %.3f ms; image of %d layers of 256 KiB plus its config, reader token via RBAC",
		p7Clients, duration, pulls.Load(), requests.Load(), len(heads), errs.Load(), ms(p50), ms(p99), ms(report.Percentile(heads, 100)), len(m.Layers))
	if e := firstErr.Load(); e != nil {
		detail += fmt.Sprintf("; first error: %s", e)
	}
	pass := errs.Load() == 0 && pulls.Load() > 0
	report.Print(nil, report.Line{ID: "P7", Value: ms(p99), Unit: "ms", Budget: "0-errors", Pass: pass, Detail: "p99 manifest HEAD; " + detail})
	if !pass {
		t.Errorf("P7: %s", detail)
	}
}
