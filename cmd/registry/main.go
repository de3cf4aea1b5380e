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

// Command registry runs berth-registry: the bundled OCI registry, with Kubernetes tokens as
// credentials and RepositoryPolicies plus RBAC deciding access. It is its own process
// because distribution keeps process-global state.
//
// `registry node-proxy` runs the node-local address of the registry instead (the chart's
// DaemonSet): it forwards a node's localhost:<port> to the registry's Service.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/berth-dev/berth/registry"
	"github.com/berth-dev/berth/registry/nodeproxy"
	"github.com/berth-dev/berth/registry/options"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "berth-registry:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) > 0 && args[0] == "node-proxy" {
		return runNodeProxy(args[1:])
	}
	opts := options.DefaultOptions()
	fs := flag.NewFlagSet("registry", flag.ContinueOnError)
	options.BindFlags(fs, &opts)
	zo := &zap.Options{}
	zo.BindFlags(fs) // --zap-log-level, --zap-devel, --zap-encoder, ...
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := options.LoadConfigFile(fs, &opts); err != nil {
		return err
	}
	if err := opts.Validate(); err != nil {
		return fmt.Errorf("invalid options: %w", err)
	}
	log := zap.New(zap.UseFlagOptions(zo))
	ctrl.SetLogger(log)

	cfg, err := options.RESTConfig(opts)
	if err != nil {
		return err
	}
	srv, err := registry.New(opts, cfg)
	if err != nil {
		return err
	}
	return srv.Run(logr.NewContext(ctrl.SetupSignalHandler(), log))
}

// runNodeProxy runs registry node-proxy until SIGTERM, then drains.
func runNodeProxy(args []string) error {
	fs := flag.NewFlagSet("registry node-proxy", flag.ContinueOnError)
	listen := fs.String("listen-address", "127.0.0.1:5001", "Address to accept connections on: the node's loopback (the Pod uses the host network).")
	upstream := fs.String("upstream", "", "The registry's Service, host:port (e.g. berth-registry.berth-system.svc:5000), resolved for each connection.")
	drain := fs.Duration("drain-timeout", 25*time.Second, "How long open connections may go on after SIGTERM.")
	zo := &zap.Options{}
	zo.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *upstream == "" {
		return errors.New("node-proxy: --upstream is required")
	}
	log := zap.New(zap.UseFlagOptions(zo))
	ctx := logr.NewContext(ctrl.SetupSignalHandler(), log)
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", *listen)
	if err != nil {
		return fmt.Errorf("node-proxy: %w", err)
	}
	log.Info("forwarding the node's registry address", "address", l.Addr().String(), "upstream", *upstream)
	p := &nodeproxy.Proxy{Upstream: *upstream, DrainTimeout: *drain}
	return p.Serve(ctx, l)
}
