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
	"bufio"
	"context"
	"fmt"
	"math"
	"net/http"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	"github.com/berth-dev/berth/bench/internal/report"
)

const (
	p6bRequests = 10000
	p6bWarmup   = 300
	// authzHistogram is berth-registry's histogram of the time its gate takes to
	// authenticate and authorize one request (registry/metrics.go), observed in the server
	// around exactly that code, before distribution serves the request.
	authzHistogram = "berth_registry_authorization_duration_seconds"
)

// TestP6bAuthorizationLatency measures the authorization decision of the running
// berth-registry with warm caches, as BenchmarkAuthorize of registry/ does in-process: the
// same mix of callers (RBAC through SubjectAccessReview, a RepositoryPolicy for a caller of
// another namespace, anonymous access granted by a policy) in a namespace with 20
// RepositoryPolicies. The decision times come from the server's own histogram, before and
// after p6bRequests requests, so only the decision is timed, not HTTP or storage; the
// client-side round trips are reported beside it. Budget: p99 ≤ 1 ms, which holds exactly when
// at least 99 % of the decisions fall in the histogram's buckets up to 1 ms.
func TestP6bAuthorizationLatency(t *testing.T) {
	s := needSuite(t)
	const ns, other = "p6b", "p6b-other"
	s.namespace(t, ns)
	s.namespace(t, other)
	owner := s.serviceAccount(t, ns, "puller", "berth-registry-poweruser")
	outsider := s.serviceAccount(t, other, "deployer")
	s.repository(t, ns, "app")
	s.repository(t, ns, "public")
	for i := range 18 {
		s.policy(t, ns, fmt.Sprintf("team-%02d", i), "app", saPrincipal(fmt.Sprintf("other-%d", i), "ci"))
	}
	s.policy(t, ns, "deployer", "app", saPrincipal(other, "deployer"))
	s.policy(t, ns, "public", "public", ecrv1alpha1.Principal{Kind: ecrv1alpha1.PrincipalGroup, Name: "system:unauthenticated"})

	berth := s.startBerth(t, berthOptions{storage: filepath.Join(t.TempDir(), "berth")})
	ctx := context.Background()
	img, err := randomImage(6, 1, 4096)
	if err != nil {
		t.Fatal(err)
	}
	pusher := newClient(owner)
	defer pusher.close()
	for _, repo := range []string{"app", "public"} {
		if err := pusher.push(ctx, berth.Addr+"/"+ns+"/"+repo+":v1", img); err != nil {
			t.Fatal(err)
		}
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	blob, err := layers[0].Digest()
	if err != nil {
		t.Fatal(err)
	}

	base := "http://" + berth.Addr + "/v2/" + ns
	manifestAccept := "application/vnd.oci.image.manifest.v1+json"
	cases := []struct {
		name, url, token string
	}{
		{"rbac-pull-manifest", base + "/app/manifests/v1", owner},
		{"policy-pull-blob", base + "/app/blobs/" + blob.String(), outsider},
		{"anonymous-public-pull", base + "/public/manifests/v1", ""},
	}
	hc := &http.Client{Transport: newClient("").transport}
	one := func(i int) time.Duration {
		c := cases[i%len(cases)]
		start := time.Now()
		code, _, err := rawRequest(ctx, hc, http.MethodHead, c.url, c.token, manifestAccept)
		took := time.Since(start)
		if err != nil || code != http.StatusOK {
			t.Fatalf("%s: HEAD %s answered %d, %v (want 200: allowed)", c.name, c.url, code, err)
		}
		return took
	}
	// Warm up: informers, TokenReview and SubjectAccessReview caches, connections. Decisions
	// of the warm-up are taken out by reading the histogram after it.
	for i := range p6bWarmup {
		one(i)
	}
	before := scrapeHistogram(t, berth.MetricsAddr, authzHistogram)
	roundTrips := make([]time.Duration, 0, p6bRequests)
	start := time.Now()
	for i := range p6bRequests {
		roundTrips = append(roundTrips, one(i))
	}
	elapsed := time.Since(start)
	after := scrapeHistogram(t, berth.MetricsAddr, authzHistogram)
	h := after.minus(before)
	if h.count < p6bRequests {
		t.Fatalf("the histogram counted %d decisions for %d requests", h.count, p6bRequests)
	}
	p99 := h.quantile(0.99)
	within := h.countAtMost(1e-3)
	pass := float64(within) >= 0.99*float64(h.count)
	report.Print(nil, report.Line{
		ID: "P6b", Value: p99 * 1e3, Unit: "ms", Budget: "p99<=1ms", Pass: pass,
		Detail: fmt.Sprintf("%d warm decisions (RBAC pull, policy pull from another namespace, anonymous via policy; 20 policies in the namespace) from berth-registry's own histogram, p99 interpolated in bucket ≤%s s, %.2f%% ≤ 1 ms, p50 %.3f ms; client round trips HEAD p50 %.3f / p99 %.3f ms over %s; reference: distribution's htpasswd bcrypt ≈76 ms CPU per request (docs/budgets.md), not measured here: golang.org/x/crypto is not in go.sum",
			h.count, formatLe(h.bucketOf(0.99)), 100*float64(within)/float64(h.count), h.quantile(0.5)*1e3,
			ms(report.Percentile(roundTrips, 50)), ms(report.Percentile(roundTrips, 99)), elapsed.Round(time.Millisecond)),
	})
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func formatLe(le float64) string { return strconv.FormatFloat(le, 'g', -1, 64) }

// histogram is a Prometheus histogram: cumulative counts by upper bound.
type histogram struct {
	// buckets maps each finite upper bound to the cumulative count.
	bounds []float64
	cum    map[float64]uint64
	count  uint64
}

// scrapeHistogram reads the histogram metric from a Prometheus text endpoint.
func scrapeHistogram(t *testing.T, addr, metric string) histogram {
	t.Helper()
	code, body, err := rawRequest(context.Background(), http.DefaultClient, http.MethodGet, "http://"+addr+"/metrics", "")
	if err != nil || code != http.StatusOK {
		t.Fatalf("scraping metrics: %d, %v", code, err)
	}
	h := histogram{cum: map[float64]uint64{}}
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		v, err := strconv.ParseFloat(fields[1], 64)
		if err != nil {
			continue
		}
		switch {
		case strings.HasPrefix(line, metric+"_bucket{le=\""):
			le := strings.TrimSuffix(strings.TrimPrefix(fields[0], metric+"_bucket{le=\""), "\"}")
			if le == "+Inf" {
				continue
			}
			bound, err := strconv.ParseFloat(le, 64)
			if err != nil {
				t.Fatalf("bucket bound %q: %v", le, err)
			}
			h.bounds = append(h.bounds, bound)
			h.cum[bound] = uint64(v)
		case strings.HasPrefix(line, metric+"_count "):
			h.count = uint64(v)
		}
	}
	if len(h.bounds) == 0 {
		t.Fatalf("metric %s not found in berth-registry's metrics", metric)
	}
	sort.Float64s(h.bounds)
	return h
}

// minus is the histogram of the observations made between o and h.
func (h histogram) minus(o histogram) histogram {
	d := histogram{bounds: h.bounds, cum: map[float64]uint64{}, count: h.count - o.count}
	for _, b := range h.bounds {
		d.cum[b] = h.cum[b] - o.cum[b]
	}
	return d
}

// countAtMost is the number of observations ≤ bound (bound must be a bucket bound).
func (h histogram) countAtMost(bound float64) uint64 { return h.cum[bound] }

// bucketOf is the upper bound of the bucket holding quantile q (+Inf as MaxFloat64).
func (h histogram) bucketOf(q float64) float64 {
	rank := q * float64(h.count)
	for _, b := range h.bounds {
		if float64(h.cum[b]) >= rank {
			return b
		}
	}
	return math.MaxFloat64
}

// quantile estimates quantile q in seconds by linear interpolation inside its bucket, as
// Prometheus' histogram_quantile does; beyond the last finite bound it returns that bound.
func (h histogram) quantile(q float64) float64 {
	rank := q * float64(h.count)
	lower, below := 0.0, uint64(0)
	for _, b := range h.bounds {
		c := h.cum[b]
		if float64(c) >= rank {
			if c == below {
				return b
			}
			return lower + (b-lower)*(rank-float64(below))/float64(c-below)
		}
		lower, below = b, c
	}
	return lower
}
