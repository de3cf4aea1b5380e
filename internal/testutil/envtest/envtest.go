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

// Package envtest starts a real kube-apiserver and etcd for tests, with Berth's CRDs
// installed, and runs controller managers against them: one shared by a package's tests
// (Main, in a TestMain) or one per test (StartManager). Tests that prove API or controller
// behaviour use it instead of a fake client, because validation, CEL, status subresources and
// generation bumps are server behaviour.
package envtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crenvtest "sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/berth-dev/berth/internal/scheme"
)

// Env is a running control plane with the CRDs installed.
type Env struct {
	Config *rest.Config
	Client client.Client
	Scheme *runtime.Scheme

	env  *crenvtest.Environment
	sa   *serviceAccountSigner
	opts *options
}

// RepoRoot returns the repository's top folder, found from this file's location so tests
// in any package can reach config/crd/bases.
func RepoRoot() string {
	_, file, _, _ := goruntime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", ".."))
}

// GatewayAPICRD is the file of a Gateway API standard-channel CRD (such as "httproutes") as
// the sigs.k8s.io/gateway-api module in go.mod ships it, so envtest installs exactly the CRD
// of the version the controller is built against.
func GatewayAPICRD(resource string) (string, error) {
	cmd := exec.CommandContext(context.Background(), "go", "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/gateway-api")
	cmd.Dir = RepoRoot()
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("locating the sigs.k8s.io/gateway-api module: %w", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "config", "crd", "standard", "gateway.networking.k8s.io_"+resource+".yaml"), nil
}

// ErrNoAssets is returned when KUBEBUILDER_ASSETS does not point at kube-apiserver and etcd.
var ErrNoAssets = errors.New("KUBEBUILDER_ASSETS must name a folder holding kube-apiserver and etcd: run the tests with `make test` (it runs hack/setup-tools.sh)")

// Start runs kube-apiserver and etcd from KUBEBUILDER_ASSETS with the CRDs of
// config/crd/bases. etcd keeps its data on tmpfs when /dev/shm exists, which makes the
// suite several times faster on slow disks. Options add to that setup.
func Start(opts ...Option) (*Env, error) {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		return nil, ErrNoAssets
	}
	if _, err := os.Stat(filepath.Join(assets, "kube-apiserver")); err != nil { //nolint:gosec // the test runner names its own binaries

		return nil, fmt.Errorf("%w: %w", ErrNoAssets, err)
	}
	s, err := scheme.New()
	if err != nil {
		return nil, err
	}
	httpRoutes, err := GatewayAPICRD("httproutes")
	if err != nil {
		return nil, err
	}
	env := &crenvtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(RepoRoot(), "config", "crd", "bases"), httpRoutes},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
		Scheme:                s,
	}
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		dir, err := os.MkdirTemp("/dev/shm", "berth-etcd-")
		if err == nil {
			env.ControlPlane.Etcd = &crenvtest.Etcd{DataDir: dir}
		}
	}
	o, err := applyOptions(env, opts)
	if err != nil {
		return nil, err
	}
	cfg, err := env.Start()
	if err != nil {
		// Start can fail after the processes are up (installing CRDs, say): stop them.
		_ = env.Stop()
		o.cleanup()
		return nil, fmt.Errorf("starting kube-apiserver and etcd: %w", err)
	}
	c, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		_ = env.Stop()
		o.cleanup()
		return nil, fmt.Errorf("creating client: %w", err)
	}
	return &Env{Config: cfg, Client: c, Scheme: s, env: env, sa: o.sa, opts: o}, nil
}

// Stop ends the control plane and removes etcd's data.
func (e *Env) Stop() error {
	var dataDir string
	if e.env.ControlPlane.Etcd != nil {
		dataDir = e.env.ControlPlane.Etcd.DataDir
	}
	err := e.env.Stop()
	if dataDir != "" {
		_ = os.RemoveAll(dataDir)
	}
	e.opts.cleanup()
	return err
}
