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
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	stdlog "log"
	"net"
	"net/http"
	"net/http/pprof"
	"sync/atomic"
	"time"

	"github.com/distribution/distribution/v3/health"
	"github.com/go-logr/logr"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	crcache "sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/certwatcher"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/berth-dev/berth/internal/scheme"
	"github.com/berth-dev/berth/registry/auth"
	"github.com/berth-dev/berth/registry/gc"
	"github.com/berth-dev/berth/registry/handlers"
	"github.com/berth-dev/berth/registry/imageapi"
	"github.com/berth-dev/berth/registry/metrics"
	"github.com/berth-dev/berth/registry/middleware"
	"github.com/berth-dev/berth/registry/options"
	"github.com/berth-dev/berth/registry/pullthrough"
	"github.com/berth-dev/berth/registry/store"
)

// cacheSyncTimeout bounds the wait for the informer cache at start.
const cacheSyncTimeout = 2 * time.Minute

// Server is berth-registry: distribution's App behind Berth's gate, served by our own
// http.Server with /healthz, /readyz and (on its own address) Prometheus metrics.
type Server struct {
	opts       options.Options
	httpSecret string
	cache      crcache.Cache
	store      store.Store
	// rules are the pull through cache's rules and creation templates (from cache).
	rules   store.CacheRules
	authn   *auth.TokenAuthenticator
	authz   *auth.Authorizer
	metrics *metrics.Metrics
	ready   atomic.Bool
	started atomic.Bool
	// leases lock protected tags across replicas; nil without a lease namespace.
	leases *middleware.TagLeases
	// kube is the API client (events).
	kube kubernetes.Interface
	// gc runs online garbage collection; nil when it is disabled.
	gc *gc.Scheduler
	// tokens is the authorization token API; nil when it is off.
	tokens *tokenAPI
	// writer creates the Repositories (and RepositoryPolicies) of the pull through cache.
	writer client.Client
	// upstream talks to the pull through cache's upstream registries.
	upstream *pullthrough.Upstream
	// afterTagCheck, when set by a test before Serve, runs between a tag's check and write
	// (middleware.Deps.AfterTagCheck).
	afterTagCheck func()
}

// New prepares a server: it validates the options, builds the API clients and the informer
// cache, and registers Berth's extensions with distribution. Nothing runs until Run or Serve.
// restConfig is the API server connection (see options.RESTConfig); the server applies the
// options' rate limits to a copy.
func New(opts options.Options, restConfig *rest.Config) (*Server, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("invalid registry options: %w", err)
	}
	secret, err := opts.ResolveHTTPSecret()
	if err != nil {
		return nil, err
	}
	if err := registerExtensions(); err != nil {
		return nil, fmt.Errorf("registering with distribution: %w", err)
	}
	cfg := opts.WithLimits(restConfig)
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating the API client: %w", err)
	}
	s, err := scheme.New()
	if err != nil {
		return nil, err
	}
	c, err := store.NewInformerCache(cfg, s)
	if err != nil {
		return nil, err
	}
	m := metrics.New()
	st := store.CacheStore{Reader: c}
	authn := auth.NewTokenAuthenticator(kube.AuthenticationV1().TokenReviews(), opts.Auth.Audiences, opts.Auth.TokenCacheTTL.Duration, time.Now)
	authn.Observe = m.TokenReview
	authz := auth.NewAuthorizer(st, kube.AuthorizationV1().SubjectAccessReviews(), opts.Auth.AccessCacheTTL.Duration, time.Now)
	authz.Observe = m.AccessReview
	writer, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		return nil, fmt.Errorf("creating the API client: %w", err)
	}
	srv := &Server{opts: opts, httpSecret: secret, cache: c, store: st, rules: store.CacheStore{Reader: c}, authn: authn, authz: authz, metrics: m, kube: kube,
		writer: writer, upstream: pullthrough.NewUpstream(kube.CoreV1())}
	if opts.Auth.Tokens.APIAddr != "" {
		dyn, err := dynamic.NewForConfig(cfg)
		if err != nil {
			return nil, fmt.Errorf("creating the API client: %w", err)
		}
		srv.tokens = newTokenAPI(opts.Auth.Tokens, kube, dyn)
		authn.Local = srv.tokens.ring
	}
	if opts.LeaseNamespace != "" {
		srv.leases = middleware.NewTagLeases(kube.CoordinationV1().Leases(opts.LeaseNamespace), opts.ID())
	}
	if !opts.GC.Disabled {
		collector := &gc.Collector{Grace: opts.GC.GracePeriod.Duration, DryRun: opts.GC.DryRun}
		if opts.LeaseNamespace != "" {
			collector.Lease = gc.NewLease(kube.CoordinationV1().Leases(opts.LeaseNamespace), opts.ID())
		}
		srv.gc = &gc.Scheduler{Collector: collector, Interval: opts.GC.Interval.Duration, TriggerDelay: opts.GC.TriggerDelay.Duration,
			OnReport: srv.garbageCollected}
	}
	return srv, nil
}

// Run listens on the options' address (with TLS when configured) and serves until ctx ends.
func (s *Server) Run(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", s.opts.Addr, err)
	}
	if s.opts.TLS.CertFile != "" {
		cw, err := certwatcher.New(s.opts.TLS.CertFile, s.opts.TLS.KeyFile)
		if err != nil {
			_ = ln.Close()
			return fmt.Errorf("loading the TLS certificate: %w", err)
		}
		go func() {
			if err := cw.Start(ctx); err != nil {
				logr.FromContextOrDiscard(ctx).Error(err, "watching the TLS certificate")
			}
		}()
		ln = tls.NewListener(ln, &tls.Config{
			MinVersion:     tls.VersionTLS12,
			GetCertificate: cw.GetCertificate,
			NextProtos:     []string{"h2", "http/1.1"},
		})
	}
	return s.Serve(ctx, ln)
}

// Serve starts the informers, waits for them, and serves the registry on ln until ctx ends;
// then it stops being ready, drains requests in flight (up to the drain timeout) and shuts
// distribution down. A Server serves once. The logger comes from ctx (logr.FromContext).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.started.Swap(true) {
		_ = ln.Close()
		return errors.New("a registry server serves only once")
	}
	log := logr.FromContextOrDiscard(ctx).WithName("registry")
	useDistributionLogger(log)

	cacheCtx, stopCache := context.WithCancel(context.WithoutCancel(ctx))
	defer stopCache()
	cacheDone, err := s.startCache(ctx, cacheCtx, log)
	if err != nil {
		_ = ln.Close()
		return err
	}
	defer func() { <-cacheDone }()
	defer stopCache()

	if s.leases == nil {
		log.Info("no lease namespace: IMMUTABLE tags are checked under a lock of this process only; run one replica, or set --lease-namespace")
	}
	mux, app, err := s.handler(ctx, log)
	if err != nil {
		_ = ln.Close()
		return err
	}
	if s.gc != nil {
		stopGC, err := s.startGC(ctx, log)
		if err != nil {
			_ = ln.Close()
			return errors.Join(err, s.shutdown(log, nil, app))
		}
		defer stopGC()
	}
	srv := &http.Server{
		Handler: mux,
		// No read or write timeout: pushes and pulls of large layers take long.
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ErrorLog:          stdlog.New(logWriter{log: log.WithName("http")}, "", 0),
	}

	servers := []*http.Server{srv}
	errc := make(chan error, 4) // registry, tokens, metrics, pprof
	if s.tokens != nil {
		tsrv, tln, err := s.tokens.start(ctx, log.WithName("tokens"), s.opts.Host)
		if err != nil {
			_ = ln.Close()
			return errors.Join(err, s.shutdown(log, nil, app))
		}
		if tsrv != nil {
			servers = append(servers, tsrv)
			go func() { errc <- serve(tsrv, tln) }()
		}
	}
	go func() { errc <- serve(srv, ln) }()
	// Beside the registry port, which is usually public: metrics and, when asked for, pprof.
	for _, aside := range []struct {
		what, addr string
		handler    http.Handler
	}{
		{"metrics", s.opts.MetricsAddr, s.metrics.Handler()},
		{"pprof", s.opts.PprofAddr, pprofHandler()},
	} {
		if aside.addr == "" || aside.addr == "0" {
			continue
		}
		var lc net.ListenConfig
		aln, err := lc.Listen(ctx, "tcp", aside.addr)
		if err != nil {
			err = fmt.Errorf("listening for %s on %s: %w", aside.what, aside.addr, err)
			return errors.Join(err, s.shutdown(log, servers, app))
		}
		asrv := &http.Server{Handler: aside.handler, ReadHeaderTimeout: 10 * time.Second}
		servers = append(servers, asrv)
		go func() { errc <- serve(asrv, aln) }()
	}
	s.ready.Store(true)
	log.Info("serving the registry", "address", ln.Addr().String(), "storage", s.opts.Storage.Driver, "metrics", s.opts.MetricsAddr,
		"pprof", s.opts.PprofAddr)

	select {
	case <-ctx.Done():
		return s.shutdown(log, servers, app)
	case err := <-errc:
		return errors.Join(fmt.Errorf("serving: %w", err), s.shutdown(log, servers, app))
	}
}

// pprofHandler serves net/http/pprof's endpoints (/debug/pprof/: heap, goroutine, CPU
// profile, trace) for --pprof-bind-address.
func pprofHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// handler builds the request chain and distribution's App. The chain, outermost first:
//
//	gate (handlers.Gate: authentication, ECR actions, policy + RBAC, the verdict)
//	→ distribution's App (routing; its access controller auth.AccessController checks the
//	  verdict covers what it routed)
//	→ registry middleware (middleware.NewNamespace: NAME_UNKNOWN, catalog filter)
//	→ repository middleware (middleware.NewImmutableRepository: tag mutability, referrers)
//	→ storage.
//
// Beside it: the image listing, the token endpoint, /healthz and /readyz.
func (s *Server) handler(ctx context.Context, log logr.Logger) (*http.ServeMux, *distributionApp, error) {
	cfg, err := BuildConfiguration(s.opts, s.httpSecret)
	if err != nil {
		return nil, nil, err
	}
	deps := &middleware.Deps{Store: s.store, Authz: s.authz, Leases: s.leases, AfterTagCheck: s.afterTagCheck}
	if s.gc != nil {
		deps.ManifestDeleted = s.gc.Trigger
	}
	withMiddlewareDeps(cfg, deps)
	// distribution reads the instance ID for notifications from this plain string key.
	appCtx := context.WithValue(context.WithoutCancel(ctx), "instance.id", s.opts.ID()) //nolint:staticcheck // distribution's own key
	app, err := newApp(appCtx, cfg)
	if err != nil {
		return nil, nil, err
	}
	if s.gc != nil {
		st := deps.Storage()
		if st == nil {
			return nil, nil, errors.New("distribution built no storage for the garbage collector")
		}
		s.gc.Collector.Driver = st.Driver
	}
	checks := health.NewRegistry() // not distribution's global one
	app.RegisterHealthChecks(checks)

	challenger := auth.Challenger{Service: s.opts.Auth.Realm, Host: s.opts.Host}
	gate := &handlers.Gate{Authn: s.authn, Authz: s.authz, Store: s.store, Challenger: challenger, Metrics: s.metrics, Next: app, Log: log,
		Pulls: handlers.NewPullRecorder(deps, log.WithName("pulls")), Referrers: &handlers.Referrers{Deps: deps, Log: log.WithName("referrers")},
		Digests: &handlers.Digests{Deps: deps, Log: log.WithName("digests")},
		PullThrough: &handlers.PullThrough{Metrics: s.metrics, Log: log.WithName("pullthrough"), Cache: &pullthrough.Cache{
			Upstream: s.upstream, Rules: s.rules, Store: s.store, Writer: s.writer, Deps: deps}}}
	mux := http.NewServeMux()
	mux.Handle("/v2/", gate)
	mux.Handle(imageapi.PathPrefix, &handlers.Images{Gate: gate, Deps: deps})
	mux.Handle(auth.TokenPath, &handlers.Token{Authn: s.authn, Challenger: challenger, Log: log.WithName("token")})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		if !s.ready.Load() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		if failing := checks.CheckStatus(r.Context()); len(failing) > 0 {
			http.Error(w, fmt.Sprintf("failing checks: %v", failing), http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	return mux, app, nil
}

// startCache starts the informer cache and waits until it has synced (or ctx ends).
func (s *Server) startCache(ctx, cacheCtx context.Context, log logr.Logger) (<-chan struct{}, error) {
	if err := store.StartInformers(cacheCtx, s.cache); err != nil {
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := s.cache.Start(cacheCtx); err != nil {
			log.Error(err, "informer cache stopped")
		}
	}()
	syncCtx, cancel := context.WithTimeout(ctx, cacheSyncTimeout)
	defer cancel()
	if !s.cache.WaitForCacheSync(syncCtx) {
		return done, errors.New("the Repository, RepositoryPolicy, PullThroughCacheRule and RepositoryCreationTemplate informers did not sync: check the registry's RBAC (get, list, watch on the four kinds) and that their CRDs are installed")
	}
	return done, nil
}

// shutdown stops being ready, drains the servers and shuts the App down.
func (s *Server) shutdown(log logr.Logger, servers []*http.Server, app interface{ Shutdown() error }) error {
	s.ready.Store(false)
	log.Info("shutting down the registry", "drainTimeout", s.opts.DrainTimeout.Duration)
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.DrainTimeout.Duration)
	defer cancel()
	var errs []error
	for _, srv := range servers {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("draining requests: %w", err))
			_ = srv.Close()
		}
	}
	if err := app.Shutdown(); err != nil {
		errs = append(errs, fmt.Errorf("shutting distribution down: %w", err))
	}
	return errors.Join(errs...)
}

// serve runs srv on ln and reports how it ended; a shutdown is no error.
func serve(srv *http.Server, ln net.Listener) error {
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
