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

package handlers

import (
	"context"
	"net/http"
	"sync"
	"time"

	storagedriver "github.com/distribution/distribution/v3/registry/storage/driver"
	"github.com/go-logr/logr"
	"github.com/opencontainers/go-digest"

	"github.com/berth-dev/berth/internal/policy"
	"github.com/berth-dev/berth/registry/middleware"
)

// pullRecordInterval is how often at most a pull of one manifest is written down. ECR records
// the last pull "at least once every 24 hours"; an hour keeps sinceImagePulled (counted in
// days) exact while a hot image costs one small write an hour, not one per pull.
const pullRecordInterval = time.Hour

// PullRecorder writes down when manifests were last pulled, in the registry's own storage next
// to the repository (so every replica and a restarted registry see it, and deleting the
// repository deletes it), for the images API's lastPulledAt and so for ECR's
// sinceImagePulled lifecycle rules.
type PullRecorder struct {
	deps *middleware.Deps
	now  func() time.Time
	log  logr.Logger

	mu   sync.Mutex
	last map[string]time.Time // repo@digest → last write
	// slots bounds the writes in flight; a pull never waits for one.
	slots chan struct{}
}

// NewPullRecorder records pulls in the storage deps give, logging failures to log.
func NewPullRecorder(deps *middleware.Deps, log logr.Logger) *PullRecorder {
	return &PullRecorder{deps: deps, now: time.Now, log: log, last: map[string]time.Time{}, slots: make(chan struct{}, 8)}
}

// pullRecordPath is where the last pull of manifest d of repo is kept: under the repository's
// folder of distribution's layout, in a folder distribution neither reads nor walks.
func pullRecordPath(repo string, d digest.Digest) string {
	return middleware.RepositoryRoot(repo) + "/_berth/pulls/" + d.Algorithm().String() + "/" + d.Encoded()
}

// record notes a pull of manifest d of repo, unless one was written within pullRecordInterval.
// The write happens in the background.
func (p *PullRecorder) record(repo string, d digest.Digest) {
	sa := p.deps.Storage()
	if sa == nil || d.Validate() != nil {
		return
	}
	now := p.now()
	key := repo + "@" + d.String()
	p.mu.Lock()
	if t, ok := p.last[key]; ok && now.Sub(t) < pullRecordInterval {
		p.mu.Unlock()
		return
	}
	p.last[key] = now
	if len(p.last) > 100_000 { // forget the oldest half rather than grow without bound
		for k, t := range p.last {
			if now.Sub(t) >= pullRecordInterval/2 {
				delete(p.last, k)
			}
		}
	}
	p.mu.Unlock()
	select {
	case p.slots <- struct{}{}:
	default:
		p.forget(key) // busy: a later pull writes it
		return
	}
	go func() {
		defer func() { <-p.slots }()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// Another replica (or this one before a restart) may have written it lately: one
		// read per manifest and replica an hour keeps it one write an hour in all, and so
		// one change of the Repository's status, however many replicas serve the pulls.
		if t, err := lastPulled(ctx, sa.Driver, repo, d); err == nil && !t.IsZero() && now.Sub(t).Abs() < pullRecordInterval {
			p.mu.Lock()
			p.last[key] = t
			p.mu.Unlock()
			return
		}
		if err := sa.Driver.PutContent(ctx, pullRecordPath(repo, d), []byte(now.UTC().Format(time.RFC3339Nano))); err != nil {
			p.forget(key)
			p.log.V(1).Info("could not record a pull", "repository", repo, "digest", d.String(), "error", err.Error())
		}
	}()
}

func (p *PullRecorder) forget(key string) {
	p.mu.Lock()
	delete(p.last, key)
	p.mu.Unlock()
}

// lastPulled reads the recorded last pull of manifest d of repo; zero when never pulled.
func lastPulled(ctx context.Context, driver storagedriver.StorageDriver, repo string, d digest.Digest) (time.Time, error) {
	b, err := driver.GetContent(ctx, pullRecordPath(repo, d))
	if err != nil {
		if middleware.IsPathNotFound(err) {
			return time.Time{}, nil
		}
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return time.Time{}, nil //nolint:nilerr // an unreadable record counts as never pulled
	}
	return t, nil
}

// statusRecorder remembers the status and headers a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (flushes of large blobs).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// servePull serves a manifest GET and records the pull when it succeeded.
func (p *PullRecorder) servePull(next http.Handler, w http.ResponseWriter, r *http.Request, ep policy.Endpoint) {
	rec := &statusRecorder{ResponseWriter: w}
	next.ServeHTTP(rec, r)
	if rec.status == http.StatusOK {
		if d, err := digest.Parse(w.Header().Get("Docker-Content-Digest")); err == nil {
			p.record(ep.Name, d)
		}
	}
}
