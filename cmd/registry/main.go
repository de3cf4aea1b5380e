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
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/berth-dev/berth/registry"
	"github.com/berth-dev/berth/registry/options"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "berth-registry:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
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
