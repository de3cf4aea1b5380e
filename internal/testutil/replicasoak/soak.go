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

// Package replicasoak is the R8 soak of the registry's replicas (docs/budgets.md): clients
// push and pull through one address in front of several berth-registry replicas on one
// bucket while a replica is killed (SIGKILL) and restarted again and again. A push the
// registry reported done must pull back byte for byte; a push or pull the kill interrupted
// must succeed when the client tries again, on another replica. The registry's tests run it
// for seconds, bench/registry for a minute.
package replicasoak

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Config is one soak.
type Config struct {
	// Addr is the front's host:port (plain HTTP); Repository is <namespace>/<name>.
	Addr, Repository string
	// Token is the password of a caller allowed to push and pull in Repository.
	Token string
	// Duration is how long clients push and pull while replicas are killed.
	Duration time.Duration
	// Pushers and Pullers are the concurrent clients of each kind.
	Pushers, Pullers int
	// Layers and LayerSize shape each pushed image; every fourth image has layers four
	// times larger, so that kills land in the middle of uploads.
	Layers    int
	LayerSize int64
	// Attempts is how often a client tries one push or pull before it counts as failed.
	Attempts int
	// Disrupt is called every DisruptEvery (the first time after one period) with the
	// disruption's number; it kills a replica and starts it again (not waiting for it to be ready).
	Disrupt      func(ctx context.Context, n int) error
	DisruptEvery time.Duration
	// Logf logs progress.
	Logf func(format string, args ...any)
}

// Result is what the soak did and found.
type Result struct {
	// Pushes were reported done (after PushRetries failed attempts in all); PushFailures
	// failed every attempt.
	Pushes, PushRetries, PushFailures int
	// Pulls read a whole image during the disruptions (after PullRetries failed attempts);
	// PullFailures failed every attempt.
	Pulls, PullRetries, PullFailures int
	// Disruptions is how many times a replica was killed.
	Disruptions int
	// Verified pushes pulled back byte for byte at the end; Lost did not pull back at all,
	// Corrupt pulled back different content (during the soak or at the end).
	Verified int
	Lost     []string
	Corrupt  []string
	// Errors are the first errors of failed attempts, for the report.
	Errors []string
}

// Problems are the soak's failures; none means it passed.
func (r Result) Problems() []string {
	var p []string
	if r.PushFailures > 0 || r.PullFailures > 0 {
		p = append(p, fmt.Sprintf("%d pushes and %d pulls failed %s (first errors: %s)", r.PushFailures, r.PullFailures,
			"every attempt", strings.Join(r.Errors, "; ")))
	}
	if len(r.Lost) > 0 {
		p = append(p, fmt.Sprintf("%d pushes reported done are lost (first: %s)", len(r.Lost), strings.Join(r.Lost[:min(3, len(r.Lost))], "; ")))
	}
	if len(r.Corrupt) > 0 {
		p = append(p, fmt.Sprintf("%d pulls read other content than was pushed (first: %s)", len(r.Corrupt), strings.Join(r.Corrupt[:min(3, len(r.Corrupt))], "; ")))
	}
	if r.Pushes == 0 || r.Pulls == 0 || r.Disruptions == 0 {
		p = append(p, fmt.Sprintf("the soak did too little: %d pushes, %d pulls, %d replicas killed", r.Pushes, r.Pulls, r.Disruptions))
	}
	if r.Verified != r.Pushes {
		p = append(p, fmt.Sprintf("%d of the %d pushes reported done were pulled back and compared", r.Verified, r.Pushes))
	}
	return p
}

// String is the soak's summary line.
func (r Result) String() string {
	return fmt.Sprintf("%d replicas killed; %d pushes done (%d attempts retried, %d failed every attempt), %d pulls (%d retried, %d failed); %d pushes pulled back byte for byte at the end, %d lost, %d corrupt",
		r.Disruptions, r.Pushes, r.PushRetries, r.PushFailures, r.Pulls, r.PullRetries, r.PullFailures, r.Verified, len(r.Lost), len(r.Corrupt))
}

// pushed is an image a push reported done: its tag, manifest digest and blob digests.
type pushed struct {
	tag    string
	digest v1.Hash
	blobs  map[v1.Hash]bool
}

type soak struct {
	cfg    Config
	mu     sync.Mutex
	res    Result
	images []pushed
}

// Run runs the soak, then pulls back every image a push reported done.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Addr == "" || cfg.Repository == "" || cfg.Pushers <= 0 || cfg.Disrupt == nil || cfg.DisruptEvery <= 0 {
		return Result{}, errors.New("replicasoak: the address, a repository, pushers and Disrupt are needed")
	}
	cfg.Attempts = max(cfg.Attempts, 1)
	cfg.Layers = max(cfg.Layers, 1)
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	s := &soak{cfg: cfg}
	rctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var wg sync.WaitGroup
	for w := range cfg.Pushers {
		wg.Go(func() { s.pusher(rctx, w) })
	}
	for w := range cfg.Pullers {
		wg.Go(func() { s.puller(rctx, w) })
	}
	var disruptErr error
	wg.Go(func() { disruptErr = s.disrupt(rctx) })
	wg.Wait()
	if disruptErr != nil {
		return s.res, disruptErr
	}
	cfg.Logf("replicasoak: %d pushes done, verifying each through %s", s.res.Pushes, cfg.Addr)
	for _, img := range s.images {
		if err := s.pullBack(ctx, img); err != nil {
			s.res.Lost = append(s.res.Lost, fmt.Sprintf("%s (%s): %v", img.tag, img.digest, err))
			continue
		}
		s.res.Verified++
	}
	return s.res, nil
}

func (s *soak) disrupt(ctx context.Context) error {
	tick := time.NewTicker(s.cfg.DisruptEvery)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		if err := s.cfg.Disrupt(ctx, n); err != nil {
			return fmt.Errorf("disruption %d: %w", n, err)
		}
		s.mu.Lock()
		s.res.Disruptions++
		s.mu.Unlock()
	}
}

// options are one client's: basic authentication with the token, and the client's own
// connections (each client is its own docker or containerd). go-containerregistry's own
// retries are off, so that every interrupted attempt shows in the soak's counts.
func (s *soak) options(ctx context.Context, tr http.RoundTripper) []remote.Option {
	return []remote.Option{remote.WithContext(ctx), remote.WithTransport(tr),
		remote.WithRetryPredicate(func(error) bool { return false }),
		remote.WithAuth(authn.FromConfig(authn.AuthConfig{Username: "berth", Password: s.cfg.Token}))}
}

func (s *soak) pusher(ctx context.Context, w int) {
	tr := newTransport()
	defer tr.CloseIdleConnections()
	for i := 0; ctx.Err() == nil; i++ {
		size := s.cfg.LayerSize
		if i%4 == 3 {
			size *= 4
		}
		img, err := random.Image(size, int64(s.cfg.Layers))
		if err != nil {
			s.fail(true, err)
			return
		}
		tag := fmt.Sprintf("p%d-%d", w, i)
		ref, err := name.NewTag(s.cfg.Addr+"/"+s.cfg.Repository+":"+tag, name.Insecure)
		if err != nil {
			s.fail(true, err)
			return
		}
		var lastErr error
		done := false
		for attempt := 0; attempt < s.cfg.Attempts; attempt++ {
			if attempt > 0 {
				s.count(func(r *Result) { r.PushRetries++ })
				sleep(ctx, time.Duration(attempt)*200*time.Millisecond)
			}
			// A retry finishes the push even after the soak's end: an interrupted push
			// must succeed when tried again.
			if lastErr = remote.Write(ref, img, s.options(context.WithoutCancel(ctx), tr)...); lastErr == nil {
				done = true
				break
			}
		}
		if !done {
			s.fail(true, fmt.Errorf("push %s: %w", tag, lastErr))
			continue
		}
		d, _ := img.Digest()
		blobs := map[v1.Hash]bool{}
		if cfg, err := img.ConfigName(); err == nil {
			blobs[cfg] = true
		}
		layers, _ := img.Layers()
		for _, l := range layers {
			ld, _ := l.Digest()
			blobs[ld] = true
		}
		s.mu.Lock()
		s.res.Pushes++
		s.images = append(s.images, pushed{tag: tag, digest: d, blobs: blobs})
		s.mu.Unlock()
	}
}

func (s *soak) puller(ctx context.Context, w int) {
	tr := newTransport()
	defer tr.CloseIdleConnections()
	rnd := rand.New(rand.NewPCG(uint64(w), 8)) //nolint:gosec // which image to pull, not a secret
	for ctx.Err() == nil {
		s.mu.Lock()
		n := len(s.images)
		var img pushed
		if n > 0 {
			img = s.images[rnd.IntN(n)]
		}
		s.mu.Unlock()
		if n == 0 {
			sleep(ctx, 100*time.Millisecond)
			continue
		}
		var lastErr error
		done := false
		for attempt := 0; attempt < s.cfg.Attempts; attempt++ {
			if attempt > 0 {
				s.count(func(r *Result) { r.PullRetries++ })
				sleep(ctx, time.Duration(attempt)*200*time.Millisecond)
			}
			var corrupt bool
			corrupt, lastErr = s.pull(img, s.options(context.WithoutCancel(ctx), tr))
			if corrupt {
				s.count(func(r *Result) { r.Corrupt = append(r.Corrupt, fmt.Sprintf("%s: %v", img.tag, lastErr)) })
				break
			}
			if lastErr == nil {
				done = true
				break
			}
		}
		if done {
			s.count(func(r *Result) { r.Pulls++ })
		} else if lastErr != nil {
			s.fail(false, fmt.Errorf("pull %s: %w", img.tag, lastErr))
		}
	}
}

// pullBack is the final check of one image, with the same retries.
func (s *soak) pullBack(ctx context.Context, img pushed) error {
	tr := newTransport()
	defer tr.CloseIdleConnections()
	var err error
	for attempt := 0; attempt < s.cfg.Attempts; attempt++ {
		var corrupt bool
		if corrupt, err = s.pull(img, s.options(ctx, tr)); err == nil {
			return nil
		} else if corrupt {
			s.res.Corrupt = append(s.res.Corrupt, fmt.Sprintf("%s: %v", img.tag, err))
			return err
		}
		sleep(ctx, time.Duration(attempt+1)*200*time.Millisecond)
	}
	return err
}

// pull reads the image by its tag, as a client would, and every blob it references,
// hashing what it reads. corrupt is true when the registry served content other than was
// pushed (a wrong manifest for the tag, a blob whose bytes do not match its digest, a
// different set of blobs), as opposed to an error of the transport or the registry.
func (s *soak) pull(img pushed, opts []remote.Option) (corrupt bool, err error) {
	ref, err := name.NewTag(s.cfg.Addr+"/"+s.cfg.Repository+":"+img.tag, name.Insecure)
	if err != nil {
		return false, err
	}
	desc, err := remote.Get(ref, opts...)
	if err != nil {
		return false, err
	}
	if desc.Digest != img.digest {
		return true, fmt.Errorf("tag %s names %s, pushed %s", img.tag, desc.Digest, img.digest)
	}
	got, err := desc.Image()
	if err != nil {
		return false, err
	}
	m, err := got.Manifest()
	if err != nil {
		return false, err
	}
	want := len(img.blobs)
	seen := 0
	for _, d := range append([]v1.Descriptor{m.Config}, m.Layers...) {
		if !img.blobs[d.Digest] {
			return true, fmt.Errorf("the manifest references %s, which was not pushed with it", d.Digest)
		}
		seen++
		bref := ref.Context().Digest(d.Digest.String())
		l, err := remote.Layer(bref, opts...)
		if err != nil {
			return false, err
		}
		rc, err := l.Compressed()
		if err != nil {
			return false, err
		}
		h := sha256.New()
		n, err := io.Copy(h, rc)
		_ = rc.Close()
		if err != nil {
			// go-containerregistry checks the digest and size as it reads ("error verifying
			// sha256 checksum", "error verifying size"): a mismatch is corruption.
			if strings.Contains(err.Error(), "verifying") {
				return true, fmt.Errorf("blob %s: %w", d.Digest, err)
			}
			return false, fmt.Errorf("blob %s: %w", d.Digest, err)
		}
		if sum := "sha256:" + hex.EncodeToString(h.Sum(nil)); sum != d.Digest.String() || n != d.Size {
			return true, fmt.Errorf("blob %s read back as %s, %d bytes (want %d)", d.Digest, sum, n, d.Size)
		}
	}
	if seen != want {
		return true, fmt.Errorf("the manifest references %d blobs, %d were pushed", seen, want)
	}
	return false, nil
}

func (s *soak) count(f func(*Result)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.res)
}

func (s *soak) fail(push bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if push {
		s.res.PushFailures++
	} else {
		s.res.PullFailures++
	}
	if len(s.res.Errors) < 3 {
		s.res.Errors = append(s.res.Errors, err.Error())
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// newTransport is one client's connection pool.
func newTransport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 4
	return tr
}
