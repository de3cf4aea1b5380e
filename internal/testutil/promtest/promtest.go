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

// Package promtest runs a real Prometheus server for tests (the one hack/build-prometheus.sh
// builds from its module) scraping targets the test controls, so deployment alarms are
// tested against Prometheus's own HTTP API rather than an imitation of it.
package promtest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/berth-dev/berth/internal/testutil/envtest"
)

// Server is a running Prometheus server.
type Server struct {
	// URL is its HTTP API's base URL (http://127.0.0.1:<port>).
	URL string
}

// Binary builds (or finds in the cache) the Prometheus server and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	cmd := exec.CommandContext(context.Background(), filepath.Join(envtest.RepoRoot(), "hack", "build-prometheus.sh")) //nolint:gosec // the repository's own script
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("building prometheus: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// Start runs Prometheus scraping the targets (host:port, path /metrics) every second, and
// stops it when the test ends. It returns once the server is ready.
func Start(t testing.TB, targets ...string) *Server {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir()
	quoted := make([]string, len(targets))
	for i, target := range targets {
		quoted[i] = fmt.Sprintf("%q", target)
	}
	cfg := fmt.Sprintf("global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n  evaluation_interval: 1s\nscrape_configs:\n- job_name: test\n  static_configs:\n  - targets: [%s]\n",
		strings.Join(quoted, ", "))
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := envtest.FreeLoopbackAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	args := []string{"--config.file=" + filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=" + addr, "--log.level=warn"}
	cmd := exec.CommandContext(ctx, bin, args...)                //nolint:gosec // the binary the script built, in our temp dir
	logf, err := os.Create(filepath.Join(dir, "prometheus.log")) //nolint:gosec // our temp dir
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting prometheus: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		_ = logf.Close()
		if t.Failed() {
			if b, err := os.ReadFile(logf.Name()); err == nil {
				t.Logf("prometheus log:\n%s", b)
			}
		}
	})
	s := &Server{URL: "http://" + addr}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/-/ready") //nolint:noctx // a readiness poll
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus at %s not ready after 60s: %v", s.URL, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// WaitScraped waits until the query has a sample (the target was scraped at least once).
func (s *Server) WaitScraped(t testing.TB, query string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/api/v1/query?" + url.Values{"query": {query}}.Encode()) //nolint:noctx // a test poll
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if strings.Contains(string(body), `"value"`) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus never scraped %s", query)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Gauge is a metric the test sets, served at /metrics of its own HTTP server.
type Gauge struct {
	// Target is the server's host:port, for Start.
	Target string
	g      prometheus.Gauge
}

// NewGauge serves a gauge named name (starting at 0) until the test ends.
func NewGauge(t testing.TB, name string) *Gauge {
	t.Helper()
	reg := prometheus.NewRegistry()
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: "A value the test sets."})
	reg.MustRegister(g)
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return &Gauge{Target: ln.Addr().String(), g: g}
}

// Set sets the gauge.
func (g *Gauge) Set(v float64) { g.g.Set(v) }
