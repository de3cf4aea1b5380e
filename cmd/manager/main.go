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

// Command manager runs berth-controller: one controller-runtime manager, leader-elected,
// with one reconciler per Berth kind.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/berth-dev/berth/controllers"
	"github.com/berth-dev/berth/internal/scheme"
)

// The manager's default client limits (--kube-api-qps, --kube-api-burst): a 3,000-task
// Service starts in about 15 s at QPS 200, where 50 needed a minute; the API server's
// priority and fairness, not this limit, is what shares the server among clients (see
// docs/decisions.md, "Ten times the scale").
const (
	defaultQPS   = 200
	defaultBurst = 400
)

// options are the manager's flags.
type options struct {
	metricsAddr             string
	probeAddr               string
	pprofAddr               string
	leaderElect             bool
	leaderElectionNamespace string
	qps                     float64
	burst                   int
	controllers             controllers.Options
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "berth-controller:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (options, *zap.Options, error) {
	var o options
	fs := flag.NewFlagSet("manager", flag.ContinueOnError)
	fs.StringVar(&o.metricsAddr, "metrics-bind-address", ":8080", "Address the Prometheus metrics endpoint binds to; 0 disables it.")
	fs.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "Address the /healthz and /readyz endpoints bind to.")
	fs.StringVar(&o.pprofAddr, "pprof-bind-address", "", "Address net/http/pprof's /debug/pprof endpoints bind to (heap profiles); empty or 0 disables them.")
	fs.BoolVar(&o.leaderElect, "leader-elect", false, "Elect a leader so only one replica reconciles at a time.")
	fs.StringVar(&o.leaderElectionNamespace, "leader-election-namespace", "", "Namespace of the leader election Lease (default: the in-cluster namespace).")
	fs.Float64Var(&o.qps, "kube-api-qps", defaultQPS, "Queries per second the manager may send to the API server.")
	fs.IntVar(&o.burst, "kube-api-burst", defaultBurst, "Burst of queries the manager may send to the API server.")
	o.controllers.BindFlags(fs)
	zo := &zap.Options{}
	zo.BindFlags(fs) // --zap-log-level, --zap-devel, --zap-encoder, ...
	if err := fs.Parse(args); err != nil {
		return o, nil, err
	}
	if o.qps <= 0 || o.burst <= 0 {
		return o, nil, errors.New("--kube-api-qps and --kube-api-burst must be positive")
	}
	return o, zo, nil
}

func run(args []string) error {
	o, zo, err := parseFlags(args)
	if err != nil {
		return err
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(zo)))
	log := ctrl.Log.WithName("setup")

	cfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("loading kubeconfig: %w", err)
	}
	// The client's request latency and its wait at the --kube-api-qps limit, by verb and host
	// (kube-controller-manager exports both): the wait says whether the limit binds.
	metrics.RegisterRESTClientMetrics(metrics.MetricRequestLatency, metrics.MetricRateLimiterLatency)
	cfg = rest.CopyConfig(cfg)
	cfg.QPS = float32(o.qps)
	cfg.Burst = o.burst
	cfg.UserAgent = "berth-controller"

	s, err := scheme.New()
	if err != nil {
		return err
	}
	cacheOpts, err := controllers.CacheOptions()
	if err != nil {
		return err
	}
	ctx := ctrl.SetupSignalHandler()
	mgr, err := ctrl.NewManager(cfg, manager.Options{
		Scheme:                  s,
		Cache:                   cacheOpts,
		Metrics:                 metricsserver.Options{BindAddress: o.metricsAddr},
		HealthProbeBindAddress:  o.probeAddr,
		PprofBindAddress:        o.pprofAddr,
		LeaderElection:          o.leaderElect,
		LeaderElectionID:        "berth-controller.berth.dev",
		LeaderElectionNamespace: o.leaderElectionNamespace,
		// Stop leading right away on SIGTERM so a new replica takes over without waiting
		// for the lease to expire.
		LeaderElectionReleaseOnCancel: true,
	})
	if err != nil {
		return fmt.Errorf("creating manager: %w", err)
	}
	if err := controllers.Setup(ctx, mgr, o.controllers); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return fmt.Errorf("adding health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return fmt.Errorf("adding readiness check: %w", err)
	}
	log.Info("starting berth-controller", "metrics", o.metricsAddr, "probes", o.probeAddr, "leaderElection", o.leaderElect)
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("running manager: %w", err)
	}
	return nil
}
