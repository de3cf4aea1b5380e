//go:build e2e

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

// Package e2e runs Berth against the sandbox cluster of hack/sandbox.sh: a real
// kube-apiserver, kube-scheduler and kube-controller-manager (garbage collection) with kwok
// nodes in three zones, where kwok plays the kubelet. berth-controller runs in the test
// process. Run with `make test-e2e`.
package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/berth-dev/berth/controllers"
	"github.com/berth-dev/berth/internal/scheme"
	"github.com/berth-dev/berth/internal/testutil/envtest"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

// k8s is a client of the sandbox cluster (not cached), with watches.
var k8s client.WithWatch

// kubeconfig is the sandbox's kubeconfig file, for the binaries tests run (kubectl-berth).
var kubeconfig string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapcore.ErrorLevel)))
	root := envtest.RepoRoot()
	dir, err := os.MkdirTemp("", "berth-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	sandbox := func(verb string) error {
		// Bounded: creating the cluster takes seconds; a hang must not eat the CI budget.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, filepath.Join(root, "hack", "sandbox.sh"), verb) //nolint:gosec // our own script
		cmd.Env = append(os.Environ(), "BERTH_SANDBOX_NAME="+fmt.Sprintf("berth-e2e-%d", os.Getpid()), "BERTH_SANDBOX_DIR="+dir)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		return cmd.Run()
	}
	start := time.Now()
	if err := sandbox("cluster"); err != nil {
		fmt.Fprintln(os.Stderr, "creating the sandbox:", err)
		return 1
	}
	defer func() { _ = sandbox("down") }()
	fmt.Fprintf(os.Stderr, "sandbox up in %s\n", time.Since(start).Round(time.Second))

	kubeconfig = filepath.Join(dir, "kubeconfig")
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cfg.QPS, cfg.Burst = 200, 400
	s, err := scheme.New()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cacheOpts, err := controllers.CacheOptions()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	mgr, err := ctrl.NewManager(cfg, manager.Options{Scheme: s, Cache: cacheOpts, Metrics: metricsserver.Options{BindAddress: "0"}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := controllers.Setup(ctx, mgr, controllers.Options{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	// Tests read the cluster directly: the manager's cache only holds Berth's own objects.
	if k8s, err = client.NewWithWatch(cfg, client.Options{Scheme: s}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		fmt.Fprintln(os.Stderr, "caches did not sync")
		return 1
	}
	code := m.Run()
	cancel()
	if err := <-done; err != nil {
		fmt.Fprintln(os.Stderr, "manager:", err)
	}
	return code
}

// newNamespace creates a namespace of its own for one test.
func newNamespace(t *testing.T) string {
	t.Helper()
	return kubetest.NewNamespace(t, k8s, "e2e-")
}
