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
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/berth-dev/berth/bench/internal/report"
	"github.com/berth-dev/berth/internal/testutil/regproc"
	"github.com/berth-dev/berth/internal/testutil/s3test"
)

// P6 image: 200 MiB in 20 incompressible layers.
const (
	p6Layers    = 20
	p6LayerSize = 10 << 20
	p6Reps      = 5
)

// p6Run is one push and pull of the P6 image.
type p6Run struct {
	push, pull time.Duration
	bytes      int64
}

// mibps is push+pull throughput: the bytes moved both ways over the time both took.
func (r p6Run) mibps() float64 {
	return 2 * float64(r.bytes) / (1 << 20) / (r.push + r.pull).Seconds()
}

// TestP6PushPullThroughput pushes then pulls a 200 MiB, 20-layer image through berth-registry
// (authentication and policy on: a ServiceAccount token, RBAC through SubjectAccessReview,
// RepositoryPolicies in the namespace, the Repository must exist) and through the stock
// distribution registry of the same version with the same storage driver and no
// authentication, with the same client, alternating the two over p6Reps repetitions. Every
// repetition pushes new content, so no blob is skipped as already present.
func TestP6PushPullThroughput(t *testing.T) {
	s := needSuite(t)
	stockBin := regproc.StockBinary(t)
	storage := t.TempDir()
	const ns = "p6"
	token := p6Repository(t, s, ns)
	berth := s.startBerth(t, berthOptions{storage: filepath.Join(storage, "berth")})
	stock := regproc.StartStock(t, regproc.Stock{Bin: stockBin, Storage: regproc.FilesystemStorage(filepath.Join(storage, "stock"))})
	p6Compare(t, "P6", ns, token, berth, stock, "filesystem storage")
}

// TestP6sPushPullThroughputS3 is P6 with both registries on one SeaweedFS bucket (each under
// its own key prefix): the s3 driver's multipart uploads and object reads, through SeaweedFS's
// S3 gateway, filer and volume server on the same machine.
func TestP6sPushPullThroughputS3(t *testing.T) {
	s := needSuite(t)
	stockBin := regproc.StockBinary(t)
	store := s3test.Start(t)
	const ns = "p6s"
	token := p6Repository(t, s, ns)
	berth := s.startBerth(t, berthOptions{storage: "/berth", s3: store})
	stock := regproc.StartStock(t, regproc.Stock{Bin: stockBin, Storage: regproc.S3Storage(store, "/stock")})
	p6Compare(t, "P6s", ns, token, berth, stock, "SeaweedFS storage (one bucket; master, volume, filer, S3 gateway on this machine)")
}

// p6Repository makes the benchmark's namespace, repository and pusher, with policies for
// other callers so statements are evaluated (and do not match) on every request.
func p6Repository(t *testing.T, s *suite, ns string) string {
	t.Helper()
	s.namespace(t, ns)
	token := s.serviceAccount(t, ns, "builder", "berth-registry-poweruser")
	s.repository(t, ns, "app")
	for i := range 5 {
		s.policy(t, ns, fmt.Sprintf("team-%d", i), "app", saPrincipal(fmt.Sprintf("other-%d", i), "ci"))
	}
	return token
}

// p6Compare pushes and pulls the same images through both registries, alternating which goes
// first, and reports the median throughput ratio as id.
func p6Compare(t *testing.T, id, ns, token string, berth, stock *regproc.Process, storage string) {
	t.Helper()
	// Authentication is really on: an anonymous manifest request is refused.
	if code := regproc.HTTPStatus("http://" + berth.Addr + "/v2/" + ns + "/app/tags/list"); code != http.StatusUnauthorized {
		t.Fatalf("anonymous tags/list on berth-registry answered %d, want 401", code)
	}

	ctx := context.Background()
	measure := func(addr, repo, tok string, rep int, img imageAndSize) p6Run {
		t.Helper()
		c := newClient(tok)
		defer c.close()
		ref := fmt.Sprintf("%s/%s:rep-%d", addr, repo, rep)
		start := time.Now()
		if err := c.push(ctx, ref, img.img); err != nil {
			t.Fatal(err)
		}
		pushed := time.Now()
		d, n, err := c.pull(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		r := p6Run{push: pushed.Sub(start), pull: time.Since(pushed), bytes: n}
		if d != img.digest {
			t.Fatalf("%s pulled as %s, pushed as %s", ref, d, img.digest)
		}
		if n < img.size {
			t.Fatalf("%s: pulled %d bytes, want %d", ref, n, img.size)
		}
		return r
	}

	// One unmeasured round through each registry first: the store's own first writes (the
	// object store grows its volumes on the first data) would otherwise fall on whichever
	// registry goes first.
	warm := p6Image(t, 599)
	_ = measure(berth.Addr, ns+"/app", token, -1, warm)
	_ = measure(stock.Addr, ns+"/app", "", -1, warm)

	var berthRuns, stockRuns []p6Run
	for rep := range p6Reps {
		img := p6Image(t, uint64(rep)+600)
		runBerth := func() { berthRuns = append(berthRuns, measure(berth.Addr, ns+"/app", token, rep, img)) }
		runStock := func() { stockRuns = append(stockRuns, measure(stock.Addr, ns+"/app", "", rep, img)) }
		// Alternate which goes first, so neither always meets a colder or warmer cache.
		if rep%2 == 0 {
			runBerth()
			runStock()
		} else {
			runStock()
			runBerth()
		}
		t.Logf("rep %d: berth push %s pull %s (%.1f MiB/s); stock push %s pull %s (%.1f MiB/s)", rep,
			berthRuns[rep].push, berthRuns[rep].pull, berthRuns[rep].mibps(),
			stockRuns[rep].push, stockRuns[rep].pull, stockRuns[rep].mibps())
	}

	bv, sv := throughputs(berthRuns), throughputs(stockRuns)
	value, ref := report.Median(bv), report.Median(sv)
	ratio := value / ref
	report.Print(nil, report.Line{
		ID: id, Value: value, Unit: "MiB/s", Reference: ref, HasReference: true,
		Ratio: ratio, HasRatio: true, Budget: ">=0.9x", Pass: ratio >= 0.9,
		Detail: fmt.Sprintf("push+pull of %d MiB in %d layers, berth %s, stock %s; push median berth %.1f / stock %.1f MiB/s, pull median berth %.1f / stock %.1f MiB/s; both as processes on loopback, %s, same crane client",
			p6Layers*p6LayerSize>>20, p6Layers, report.Spread(bv, "MiB/s"), report.Spread(sv, "MiB/s"),
			report.Median(phase(berthRuns, true)), report.Median(phase(stockRuns, true)),
			report.Median(phase(berthRuns, false)), report.Median(phase(stockRuns, false)), storage),
	})
}

// imageAndSize is an image with its digest and the bytes of its blobs.
type imageAndSize struct {
	img    v1.Image
	digest v1.Hash
	size   int64
}

// p6Image makes a distinct P6 image for seed.
func p6Image(t *testing.T, seed uint64) imageAndSize {
	t.Helper()
	img, err := randomImage(seed, p6Layers, p6LayerSize)
	if err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return imageAndSize{img: img, digest: d, size: p6Layers * p6LayerSize}
}

func throughputs(runs []p6Run) []float64 {
	out := make([]float64, len(runs))
	for i, r := range runs {
		out[i] = r.mibps()
	}
	return out
}

// phase is the push (or pull) throughput of each run.
func phase(runs []p6Run, push bool) []float64 {
	out := make([]float64, len(runs))
	for i, r := range runs {
		d := r.pull
		if push {
			d = r.push
		}
		out[i] = float64(r.bytes) / (1 << 20) / d.Seconds()
	}
	return out
}
