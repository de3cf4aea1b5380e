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
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/berth-dev/berth/bench/internal/report"
	"github.com/berth-dev/berth/internal/testutil/envtest"
	"github.com/berth-dev/berth/internal/testutil/regproc"
	"github.com/berth-dev/berth/internal/testutil/s3test"
)

const (
	r3Workers   = 10
	r3Layers    = 4
	r3LayerSize = 1 << 20
)

// r3Push is one push of the soak.
type r3Push struct {
	tag        string
	img        v1.Image
	digest     v1.Hash
	start, end time.Time
	err        error
}

// TestR3RestartDuringPushes restarts berth-registry (a process on loopback, filesystem
// storage kept across restarts, as a Pod with a PersistentVolume) while r3Workers clients
// push distinct images without retrying, in rounds that alternate SIGTERM (graceful drain)
// and SIGKILL. After each round, with the registry back: every push that reported success
// pulls back, blob for blob, with its digest; every push that failed is checked for
// half-written data (its tag answers 404 or the complete image with the right digest, each of
// its blobs 404 or its exact content) and then retried, and must succeed and pull back. At
// the end every successful push of every round is pulled again.
func TestR3RestartDuringPushes(t *testing.T) {
	s := needSuite(t)
	r3Soak(t, s, "R3", "r3", berthOptions{storage: filepath.Join(t.TempDir(), "berth")}, "filesystem storage")
}

// TestR3sRestartDuringPushesS3 is R3 with the registry on a SeaweedFS bucket: what a
// restart interrupts there is a multipart upload in the object store.
func TestR3sRestartDuringPushesS3(t *testing.T) {
	s := needSuite(t)
	r3Soak(t, s, "R3s", "r3s", berthOptions{storage: "/berth", s3: s3test.Start(t)}, "SeaweedFS storage")
}

// r3Soak is R3 on the storage opts name, reported as id.
func r3Soak(t *testing.T, s *suite, id, ns string, opts berthOptions, storage string) {
	t.Helper()
	s.namespace(t, ns)
	token := s.serviceAccount(t, ns, "builder", "berth-registry-poweruser")
	s.repository(t, ns, "app")
	addr := envtest.FreeLoopbackAddr(t)
	opts.addr, opts.drainTimeout = addr, 5*time.Second
	proc := s.startBerth(t, opts)
	ctx := context.Background()
	verifier := newClient(token)
	defer verifier.close()
	retrier := newClient(token)
	retrier.backoff = remote.Backoff{Duration: 200 * time.Millisecond, Factor: 2, Steps: 5}
	defer retrier.close()

	rounds := []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL, syscall.SIGTERM, syscall.SIGKILL}
	var (
		allOK                                []r3Push
		verified, interrupted, retried, lost int
		halfWritten                          int
		failedPerRound                       []int
		inFlightPerRound                     []int
	)
	deadline := time.Now().Add(4 * time.Minute)
	for round, sig := range rounds {
		if time.Now().After(deadline) {
			t.Errorf("round %d not started: the soak is over its time bound", round)
			break
		}
		pushes, signalAt, took := r3Round(t, s, ns, round, sig, token, &proc, opts)
		var failed, inFlight int
		for _, p := range pushes {
			if p.start.Before(signalAt) && p.end.After(signalAt) {
				inFlight++
			}
			if p.err != nil {
				failed++
				continue
			}
			d, _, err := verifier.pull(ctx, addr+"/"+ns+"/app:"+p.tag)
			switch {
			case err != nil:
				lost++
				t.Errorf("round %d: push %s reported success but does not pull back: %v", round, p.tag, err)
			case d != p.digest:
				lost++
				t.Errorf("round %d: push %s reported success as %s but pulls as %s", round, p.tag, p.digest, d)
			default:
				verified++
				allOK = append(allOK, p)
			}
		}
		for _, p := range pushes {
			if p.err == nil {
				continue
			}
			interrupted++
			if bad := checkNothingHalfWritten(t, verifier, addr, ns+"/app", p); bad > 0 {
				halfWritten += bad
			}
			if err := retrier.push(ctx, addr+"/"+ns+"/app:"+p.tag, p.img); err != nil {
				lost++
				t.Errorf("round %d: interrupted push %s failed again after the restart: %v", round, p.tag, err)
				continue
			}
			d, _, err := verifier.pull(ctx, addr+"/"+ns+"/app:"+p.tag)
			if err != nil || d != p.digest {
				lost++
				t.Errorf("round %d: retried push %s pulls back as %s, %v (want %s)", round, p.tag, d, err, p.digest)
				continue
			}
			retried++
			verified++
			p.err = nil
			allOK = append(allOK, p)
		}
		failedPerRound = append(failedPerRound, failed)
		inFlightPerRound = append(inFlightPerRound, inFlight)
		t.Logf("round %d (%s): %d pushes, %d in flight at the signal, %d failed and were retried; the registry was away %s",
			round, sig, len(pushes), inFlight, failed, took.Round(time.Millisecond))
		if inFlight == 0 {
			t.Errorf("round %d: no push was in flight at the %s, so the round proved nothing", round, sig)
		}
	}

	// Nothing acknowledged in an earlier round was lost by a later restart.
	for _, p := range allOK {
		d, _, err := verifier.pull(ctx, addr+"/"+ns+"/app:"+p.tag)
		if err != nil || d != p.digest {
			lost++
			t.Errorf("after all rounds: push %s pulls back as %s, %v (want %s)", p.tag, d, err, p.digest)
		}
	}
	pass := lost == 0 && halfWritten == 0 && !t.Failed()
	report.Print(nil, report.Line{
		ID: id, Value: float64(verified), Unit: "pushes", Budget: "0-lost", Pass: pass,
		Detail: fmt.Sprintf("%s, %d rounds (SIGTERM, SIGKILL alternating) of %d concurrent pushers (%d×%d MiB layers, no client retries): %d pushes verified (%d interrupted, %d of them retried after the restart and verified), %d lost, %d half-written blobs or manifests served; failures per round %v, in flight at the signal %v; all %d re-verified at the end",
			storage, len(failedPerRound), r3Workers, r3Layers, r3LayerSize>>20, verified, interrupted, retried, lost, halfWritten, failedPerRound, inFlightPerRound, len(allOK)),
	})
}

// r3Round runs the pushers, restarts the registry with sig once some pushes have completed,
// lets the pushers go on against the new process for a moment, then stops them. It returns
// every push, when the signal was sent, and how long the registry was away.
func r3Round(t *testing.T, s *suite, ns string, round int, sig syscall.Signal, token string, proc **regproc.Process, opts berthOptions) ([]r3Push, time.Time, time.Duration) {
	t.Helper()
	ctx := context.Background()
	var (
		stop      atomic.Bool
		completed atomic.Int32
		mu        sync.Mutex
		pushes    []r3Push
		wg        sync.WaitGroup
	)
	for w := range r3Workers {
		wg.Go(func() {
			c := newClient(token) // no retries: an interrupted push reports failure
			defer c.close()
			for i := 0; !stop.Load(); i++ {
				seed := uint64(round)<<32 | uint64(w)<<16 | uint64(i)
				img, err := randomImage(seed, r3Layers, r3LayerSize)
				if err != nil {
					t.Error(err)
					return
				}
				d, err := img.Digest()
				if err != nil {
					t.Error(err)
					return
				}
				p := r3Push{tag: fmt.Sprintf("r%d-w%d-%d", round, w, i), img: img, digest: d, start: time.Now()}
				p.err = c.push(ctx, opts.addr+"/"+ns+"/app:"+p.tag, img)
				p.end = time.Now()
				completed.Add(1)
				mu.Lock()
				pushes = append(pushes, p)
				mu.Unlock()
				// After a failure the registry is away: wait until it is back, as a CI job
				// would, instead of piling up pushes that never reached it.
				for p.err != nil && !stop.Load() && regproc.HTTPStatus("http://"+opts.addr+"/readyz") != http.StatusOK {
					time.Sleep(100 * time.Millisecond)
				}
			}
		})
	}
	// Signal at a random moment once at least r3Workers pushes have completed.
	for completed.Load() < r3Workers {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(time.Duration(rand.N(500)) * time.Millisecond) //nolint:gosec // a random moment, not a secret
	signalAt := time.Now()
	(*proc).Stop(sig, 30*time.Second)
	*proc = s.startBerth(t, opts)
	away := time.Since(signalAt)
	// Pushes carry on against the new process, then stop.
	time.Sleep(time.Second)
	stop.Store(true)
	wg.Wait()
	return pushes, signalAt, away
}

// checkNothingHalfWritten checks what the registry serves for a push that failed: its tag
// answers 404 or the complete image with the right digest, and each of its blobs 404 or
// exactly its content. It returns the number of half-written things served.
func checkNothingHalfWritten(t *testing.T, c *regClient, addr, repo string, p r3Push) int {
	t.Helper()
	ctx := context.Background()
	bad := 0
	hc := &http.Client{Transport: c.transport, Timeout: time.Minute}
	base := "http://" + addr + "/v2/" + repo
	manifest, err := p.img.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	mt, err := p.img.MediaType()
	if err != nil {
		t.Fatal(err)
	}
	code, body, err := rawRequest(ctx, hc, http.MethodGet, base+"/manifests/"+p.tag, c.token, string(mt))
	switch {
	case err != nil:
		t.Errorf("failed push %s: reading its tag: %v", p.tag, err)
		bad++
	case code == http.StatusNotFound:
	case code == http.StatusOK && string(body) == string(manifest):
		// The manifest was stored before the push failed: the whole image must then pull.
		d, _, err := c.pull(ctx, addr+"/"+repo+":"+p.tag)
		if err != nil || d != p.digest {
			t.Errorf("failed push %s: its tag is served but the image pulls as %s, %v", p.tag, d, err)
			bad++
		}
	default:
		t.Errorf("failed push %s: its tag answers %d with %d bytes (want 404 or the pushed manifest)", p.tag, code, len(body))
		bad++
	}
	layers, err := p.img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		d, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		code, body, err := rawRequest(ctx, hc, http.MethodGet, base+"/blobs/"+d.String(), c.token)
		switch {
		case err != nil:
			t.Errorf("failed push %s: reading blob %s: %v", p.tag, d, err)
			bad++
		case code == http.StatusNotFound:
		case code == http.StatusOK && sha256Digest(body) == d.String():
		default:
			t.Errorf("failed push %s: blob %s answers %d with %d bytes of digest %s", p.tag, d, code, len(body), sha256Digest(body))
			bad++
		}
	}
	return bad
}
