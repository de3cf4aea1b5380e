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

// Package metrics holds berth-registry's own Prometheus metrics: authorization decisions and
// their latency, the reviews sent to the API server, garbage collection and storage.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Decision labels of berth_registry_requests_total.
const (
	DecisionAllow           = "allow"
	DecisionDeny            = "deny"
	DecisionUnauthenticated = "unauthenticated"
	DecisionError           = "error"
	// ActionNone labels requests that need no ECR action (the /v2/ ping).
	ActionNone = "none"
)

// Metrics are the registry's own Prometheus metrics, on a registry of their own: distribution
// registers metrics on the global default registry in init functions, and several servers may
// live in one process (tests), so nothing here is global.
type Metrics struct {
	registry *prometheus.Registry
	// requests counts authorization decisions by ECR action and decision.
	requests *prometheus.CounterVec
	// authorization observes how long a decision took, authentication included.
	authorization prometheus.Histogram
	// reviews counts TokenReviews and SubjectAccessReviews sent to the API server by result
	// (cache misses only).
	reviews *prometheus.CounterVec

	// Garbage collection (registry/gc).
	gcRuns        *prometheus.CounterVec
	gcDuration    prometheus.Histogram
	gcFreed       prometheus.Counter
	gcBlobs       prometheus.Counter
	gcLinks       prometheus.Counter
	gcCollectable *prometheus.GaugeVec
	gcLastSuccess prometheus.Gauge
	storeBytes    prometheus.Gauge
	repoBytes     *prometheus.GaugeVec

	// Pull through cache (registry/pullthrough).
	cacheRequests *prometheus.CounterVec
	cacheErrors   *prometheus.CounterVec
}

// Pull through cache results (berth_registry_pull_through_cache_requests_total).
const (
	// CacheHit: served from storage without asking the upstream.
	CacheHit = "hit"
	// CacheMiss: fetched from the upstream (and stored).
	CacheMiss = "miss"
	// CacheRevalidated: a tag due for refresh that the upstream confirmed unchanged (a HEAD).
	CacheRevalidated = "revalidated"
	// CacheStale: a tag due for refresh served from storage because the upstream failed or the
	// caller may not import.
	CacheStale = "stale"
)

// GC run results (berth_registry_gc_runs_total).
const (
	GCSuccess = "success"
	GCError   = "error"
	// GCSkipped: another replica held the collector's Lease.
	GCSkipped = "skipped"
)

// New creates the metrics on a Prometheus registry of their own.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "berth_registry_requests_total",
			Help: "Registry API requests by the ECR action they need and the authorization decision (allow, deny, unauthenticated, error).",
		}, []string{"action", "decision"}),
		authorization: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "berth_registry_authorization_duration_seconds",
			Help: "Time to authenticate and authorize one registry request, API round trips on cache misses included.",
			// From cache hits (tens of microseconds) to slow API servers (seconds).
			Buckets: []float64{25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 500e-3, 1, 2.5},
		}),
		reviews: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "berth_registry_api_reviews_total",
			Help: "TokenReviews and SubjectAccessReviews the registry sent to the API server, by kind and result.",
		}, []string{"kind", "result"}),
	}
	m.gcRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "berth_registry_gc_runs_total",
		Help: "Garbage collection runs by result: success, error, skipped (another replica held the Lease).",
	}, []string{"result"})
	m.gcDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "berth_registry_gc_duration_seconds",
		Help:    "Duration of garbage collection runs (mark and sweep) that held the Lease.",
		Buckets: prometheus.ExponentialBuckets(0.01, 4, 10),
	})
	m.gcFreed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "berth_registry_gc_freed_bytes_total",
		Help: "Bytes of blobs removed by garbage collection.",
	})
	m.gcBlobs = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "berth_registry_gc_blobs_removed_total",
		Help: "Blobs removed by garbage collection.",
	})
	m.gcLinks = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "berth_registry_gc_layer_links_removed_total",
		Help: "Repositories' layer links removed by garbage collection (layers of deleted images).",
	})
	m.gcCollectable = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "berth_registry_gc_last_run",
		Help: "What the last garbage collection run found (dry_run=\"true\": what it would remove): blobs and bytes removed, blobs kept only by the grace period.",
	}, []string{"dry_run", "what"})
	m.gcLastSuccess = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "berth_registry_gc_last_success_timestamp_seconds",
		Help: "When the last successful garbage collection run of this replica ended (Unix time).",
	})
	m.storeBytes = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "berth_registry_storage_bytes",
		Help: "Bytes of all blobs in the store, after the last garbage collection run.",
	})
	m.repoBytes = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "berth_registry_repository_storage_bytes",
		Help: "Bytes of the distinct blobs each repository's manifests reference (shared blobs count in each), after the last garbage collection run.",
	}, []string{"repository"})
	m.cacheRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "berth_registry_pull_through_cache_requests_total",
		Help: "Manifest and blob pulls through a PullThroughCacheRule by kind (manifest, blob) and result: hit (served from storage), miss (fetched from the upstream), revalidated (tag confirmed unchanged upstream), stale (served from storage, the upstream failing or the caller not allowed to import).",
	}, []string{"kind", "result"})
	m.cacheErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "berth_registry_pull_through_cache_upstream_errors_total",
		Help: "Failed requests to pull through cache upstreams by failure: not_found, auth (credentials refused), credentials (Secret missing or malformed), throttled (429), unavailable.",
	}, []string{"failure"})
	m.registry.MustRegister(
		m.cacheRequests, m.cacheErrors,
		m.gcRuns, m.gcDuration, m.gcFreed, m.gcBlobs, m.gcLinks, m.gcCollectable, m.gcLastSuccess, m.storeBytes, m.repoBytes,
		m.requests, m.authorization, m.reviews,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// Gatherer gathers the metrics, as Handler serves them.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.registry }

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// TokenReview counts one TokenReview by result.
func (m *Metrics) TokenReview(result string) {
	m.reviews.WithLabelValues("tokenreview", result).Inc()
}

// AccessReview counts one SubjectAccessReview by result.
func (m *Metrics) AccessReview(result string) {
	m.reviews.WithLabelValues("subjectaccessreview", result).Inc()
}

// Decided counts one authorization decision of the gate and how long it took; an empty
// action (a request the gate does not count) is only timed.
func (m *Metrics) Decided(action, decision string, took time.Duration) {
	m.authorization.Observe(took.Seconds())
	if action != "" {
		m.requests.WithLabelValues(action, decision).Inc()
	}
}

// GCRun is one garbage collection run's outcome, as registry/gc reports it.
type GCRun struct {
	Result                 string
	DryRun                 bool
	Duration               time.Duration
	BlobsRemoved           int
	BytesFreed             int64
	LinksRemoved           int
	KeptRecent             int
	StoreBytes             int64
	RepositoryStorageBytes map[string]int64
}

// GarbageCollected records one run: counters only for what was really removed; the gauges of
// the last run for dry runs too; storage bytes after a complete run.
func (m *Metrics) GarbageCollected(r GCRun) {
	m.gcRuns.WithLabelValues(r.Result).Inc()
	if r.Result == GCSkipped {
		return
	}
	m.gcDuration.Observe(r.Duration.Seconds())
	dry := "false"
	if r.DryRun {
		dry = "true"
	} else {
		m.gcFreed.Add(float64(r.BytesFreed))
		m.gcBlobs.Add(float64(r.BlobsRemoved))
		m.gcLinks.Add(float64(r.LinksRemoved))
	}
	m.gcCollectable.WithLabelValues(dry, "blobs_removed").Set(float64(r.BlobsRemoved))
	m.gcCollectable.WithLabelValues(dry, "bytes_freed").Set(float64(r.BytesFreed))
	m.gcCollectable.WithLabelValues(dry, "layer_links_removed").Set(float64(r.LinksRemoved))
	m.gcCollectable.WithLabelValues(dry, "blobs_kept_recent").Set(float64(r.KeptRecent))
	if r.Result != GCSuccess {
		return
	}
	m.gcLastSuccess.SetToCurrentTime()
	m.storeBytes.Set(float64(r.StoreBytes))
	m.repoBytes.Reset()
	for repo, n := range r.RepositoryStorageBytes {
		m.repoBytes.WithLabelValues(repo).Set(float64(n))
	}
}

// CacheResult counts one pull through the cache of kind (manifest, blob) with result.
func (m *Metrics) CacheResult(kind, result string) {
	m.cacheRequests.WithLabelValues(kind, result).Inc()
}

// CacheUpstreamError counts one failed request to a cache's upstream.
func (m *Metrics) CacheUpstreamError(failure string) {
	m.cacheErrors.WithLabelValues(failure).Inc()
}
