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
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	"github.com/berth-dev/berth/registry/options"
)

// TestRestartDuringConcurrentPushes restarts the registry (graceful shutdown, then a new
// server on the same storage folder and port, as a rolling Pod replacement does) while 10
// clients push, and checks that every push that reported success pulls back, blob for blob,
// with the digest it was pushed with.
func TestRestartDuringConcurrentPushes(t *testing.T) {
	s := needSuite(t)
	s.namespaces(t, "rst-a")
	builder := s.serviceAccount(t, "rst-a", "builder", "berth-registry-poweruser")
	s.repository(t, "rst-a", "app", ecrv1alpha1.Mutable)

	opts := testOptions()
	opts.Storage.Driver = options.DriverFilesystem
	opts.Storage.RootDirectory = t.TempDir()
	log := testr.NewWithOptions(t, testr.Options{Verbosity: 0})

	first, err := New(opts, s.registryConfig)
	if err != nil {
		t.Fatal(err)
	}
	addr, stopFirst, err := serveOn(first, opts.Addr, log)
	if err != nil {
		t.Fatal(err)
	}

	const workers, perWorker = 10, 3
	type result struct {
		tag    string
		digest v1.Hash
		err    error
		start  time.Time
		end    time.Time
	}
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		results   []result
		completed atomic.Int32
	)
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				tag := fmt.Sprintf("w%d-%d", w, i)
				img, err := random.Image(256<<10, 3)
				if err != nil {
					t.Error(err)
					return
				}
				d, _ := img.Digest()
				start := time.Now()
				// Clients retry, as docker does, so pushes carry on across the restart:
				// their uploads continue on the new server.
				err = push(refAt(addr, "rst-a/app", tag), img, builder.token,
					remote.WithRetryBackoff(remote.Backoff{Duration: 200 * time.Millisecond, Factor: 2, Steps: 5}),
					remote.WithRetryPredicate(retryable))
				completed.Add(1)
				mu.Lock()
				results = append(results, result{tag: tag, digest: d, err: err, start: start, end: time.Now()})
				mu.Unlock()
			}
		})
	}

	// Restart once some pushes are done and others are under way.
	eventually(t, time.Minute, func() error {
		if completed.Load() < 3 {
			return fmt.Errorf("%d pushes completed", completed.Load())
		}
		return nil
	})
	shutdownAt := time.Now()
	stopFirst()
	if code := readyz(addr); code != 0 {
		t.Errorf("the stopped server still answers /readyz with %d", code)
	}
	second, err := New(opts, s.registryConfig)
	if err != nil {
		t.Fatal(err)
	}
	_, stopSecond, err := serveOn(second, addr, log)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		closeClientConnections()
		stopSecond()
	}()
	restartedAt := time.Now()
	wg.Wait()

	var ok, failed, inFlight, across int
	for _, r := range results {
		if r.err != nil {
			failed++
			t.Logf("push %s failed (allowed: it reported failure): %v", r.tag, r.err)
			continue
		}
		ok++
		if r.start.Before(shutdownAt) && r.end.After(shutdownAt) {
			inFlight++
		}
		t.Logf("push %s: %s .. %s relative to the shutdown", r.tag, r.start.Sub(shutdownAt), r.end.Sub(shutdownAt))
		if r.start.Before(shutdownAt) && r.end.After(restartedAt) {
			across++
		}
		got, err := pull(refAt(addr, "rst-a/app", r.tag), builder.token)
		if err != nil {
			t.Errorf("push %s reported success but the image is lost: %v", r.tag, err)
			continue
		}
		if got != r.digest {
			t.Errorf("push %s reported success with %s, but pulls as %s", r.tag, r.digest, got)
		}
	}
	t.Logf("%d pushes succeeded (%d of them in flight at the shutdown, %d until after the restart), %d failed; restart took %s",
		ok, inFlight, across, failed, restartedAt.Sub(shutdownAt))
	if inFlight == 0 {
		t.Error("no successful push was in flight at the shutdown, so the test proved little")
	}
	if readyz(addr) != http.StatusOK {
		t.Error("the restarted server is not ready")
	}
}

// retryable is what a client retries: the server being away for a moment included.
func retryable(err error) bool {
	var temporary interface{ Temporary() bool }
	if errors.As(err, &temporary) && temporary.Temporary() {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}
