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
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	"github.com/berth-dev/berth/bench/internal/report"
	"github.com/berth-dev/berth/internal/testutil/regproc"
)

// P6p's image: 100 MiB in 10 incompressible layers, new content every repetition.
const (
	p6pLayers, p6pLayerSize = 10, 10 << 20
	p6pReps                 = 3
	// p6pJobs layers are downloaded at once, containerd's default (max_concurrent_downloads).
	p6pJobs              = 3
	p6pUser, p6pPassword = "cache-user", "cache-password"
	// p6pLink is the upstream link of the budget's run: 1 Gbit/s, a fast link to a remote
	// registry (Docker Hub, another cluster's registry): what a pull-through cache stands in
	// front of.
	p6pLink = 125_000_000
)

// TestP6pPullThroughCache is P6p (docs/budgets.md): the first pull of a 100 MiB image
// through berth-registry's pull-through cache (the manifest fetched and stored, each blob
// streamed to the client while it is stored) against pulling the same image straight from
// the upstream — the stock distribution registry with htpasswd, behind a request-logging
// proxy that both pulls go through — in the same run, the order alternating; then a second
// pull through the cache, which must not touch the upstream (the proxy's log). It runs twice:
// with the upstream behind a 1 Gbit/s link (P6p, the budget), and on bare loopback (P6pl,
// reported), where both pulls are bound by this machine's CPU rather than by the upstream.
func TestP6pPullThroughCache(t *testing.T) {
	s := needSuite(t)
	const ns = "p6p"
	s.namespace(t, ns)
	token := s.serviceAccount(t, ns, "puller", "berth-registry-reader") // pull and import
	upstream := regproc.StartStock(t, regproc.Stock{Bin: regproc.StockBinary(t), Storage: regproc.FilesystemStorage(t.TempDir()),
		User: p6pUser, Password: p6pPassword})
	if err := s.c.Create(context.Background(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "pull-through-cache-hub"},
		Type:       corev1.SecretTypeBasicAuth,
		StringData: map[string]string{corev1.BasicAuthUsernameKey: p6pUser, corev1.BasicAuthPasswordKey: p6pPassword},
	}); err != nil {
		t.Fatal(err)
	}
	berth := s.startBerth(t, berthOptions{storage: filepath.Join(t.TempDir(), "berth")})
	shaped := regproc.StartShapedRequestLog(t, upstream.Addr, p6pLink)
	bare := regproc.StartRequestLog(t, upstream.Addr)
	p6pRun(t, s, "P6p", "wan", ns, token, berth, upstream, shaped, "the upstream behind a 1 Gbit/s link", true)
	p6pRun(t, s, "P6pl", "lo", ns, token, berth, upstream, bare, "the upstream on bare loopback: CPU-bound on this machine", false)
}

// p6pRun measures P6p through the rule prefix (its upstream link upLog) and reports it as id;
// budget says whether the ratio is held to 1.3×.
func p6pRun(t *testing.T, s *suite, id, prefix, ns, token string, berth, upstream *regproc.Process, upLog *regproc.RequestLog, link string, budget bool) {
	t.Helper()
	ctx := context.Background()
	if err := s.c.Create(ctx, &ecrv1alpha1.PullThroughCacheRule{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: prefix},
		Spec: ecrv1alpha1.PullThroughCacheRuleSpec{EcrRepositoryPrefix: prefix, UpstreamRegistryURL: "http://" + upLog.Addr,
			CredentialSecretRef: &ecrv1alpha1.SecretReference{Name: "pull-through-cache-hub"}},
	}); err != nil {
		t.Fatal(err)
	}
	pusher := newClient(p6pPassword)
	pusher.user = p6pUser
	defer pusher.close()
	direct := newClient(p6pPassword)
	direct.user = p6pUser
	defer direct.close()
	cached := newClient(token)
	defer cached.close()

	// A small image first, until the registry's informer has the rule: it also opens the
	// connections both ways.
	warm, err := randomImage(6500, 1, 1<<10)
	if err != nil {
		t.Fatal(err)
	}
	if err := pusher.push(ctx, upstream.Addr+"/library/warm:v1", warm); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, func() error {
		_, _, err := cached.pull(ctx, berth.Addr+"/"+ns+"/"+prefix+"/library/warm:v1")
		return err
	})
	if _, _, err := direct.pull(ctx, upLog.Addr+"/library/warm:v1"); err != nil {
		t.Fatal(err)
	}

	var firstRatios, directs, firsts, seconds []float64
	secondRequests := 0
	for rep := range p6pReps {
		img, err := randomImage(uint64(6600+rep)+uint64(len(prefix))<<8, p6pLayers, p6pLayerSize)
		if err != nil {
			t.Fatal(err)
		}
		repo := fmt.Sprintf("library/%s%d", prefix, rep)
		if err := pusher.push(ctx, upstream.Addr+"/"+repo+":v1", img); err != nil {
			t.Fatal(err)
		}
		want, _ := img.Digest()
		timed := func(c *regClient, ref string) float64 {
			t.Helper()
			start := time.Now()
			d, _, err := c.pullLayers(ctx, ref, p6pJobs)
			took := time.Since(start).Seconds()
			if err != nil || d != want {
				t.Fatalf("pulling %s: %s, %v (want %s)", ref, d, err, want)
			}
			return took
		}
		cacheRef := berth.Addr + "/" + ns + "/" + prefix + "/" + repo + ":v1"
		var d, f float64
		if rep%2 == 0 {
			d = timed(direct, upLog.Addr+"/"+repo+":v1")
			f = timed(cached, cacheRef)
		} else {
			f = timed(cached, cacheRef)
			d = timed(direct, upLog.Addr+"/"+repo+":v1")
		}
		_ = upLog.Take()
		sec := timed(cached, cacheRef)
		fetched := regproc.Content(upLog.Take())
		secondRequests += len(fetched)
		if len(fetched) > 0 {
			t.Errorf("%s rep %d: the second pull through the cache fetched from the upstream: %s", id, rep, strings.Join(fetched, ", "))
		}
		directs, firsts, seconds = append(directs, d), append(firsts, f), append(seconds, sec)
		firstRatios = append(firstRatios, f/d)
		t.Logf("%s rep %d: straight from the upstream %.2f s, first pull through the cache %.2f s (%.2f×), second %.2f s", id, rep, d, f, f/d, sec)
	}
	ratio := report.Median(firsts) / report.Median(directs)
	pass := secondRequests == 0 && !t.Failed()
	verdict := "<=1.3x,0-upstream"
	if budget {
		pass = pass && ratio <= 1.3
	} else {
		verdict = "0-upstream"
	}
	report.Print(nil, report.Line{ID: id, Value: report.Median(firsts), Unit: "s", Reference: report.Median(directs), HasReference: true,
		Ratio: ratio, HasRatio: true, Budget: verdict, Pass: pass,
		Detail: fmt.Sprintf("first pull of %d MiB in %d layers through the cache vs straight from the upstream (stock registry, htpasswd, filesystem; %s; both through the same logging proxy; %d layers at a time, as containerd), %d reps alternating, ratios %s; second pull through the cache median %.2f s with %d upstream requests for manifests or blobs",
			p6pLayers*p6pLayerSize>>20, p6pLayers, link, p6pJobs, p6pReps, report.Spread(firstRatios, "×"), report.Median(seconds), secondRequests),
	})
	if budget && ratio > 1.3 {
		t.Errorf("%s: the first pull through the cache took %.2f× the direct pull, want ≤ 1.3×", id, ratio)
	}
}
