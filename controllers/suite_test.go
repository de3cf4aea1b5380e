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

package controllers_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/berth-dev/berth/controllers"
	"github.com/berth-dev/berth/internal/testutil/envtest"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

// k8s is the client of the control plane every test of this package shares; the manager with
// all reconcilers, as Setup registers them, runs against it, as in a cluster.
var k8s client.Client

// The bundled registry the suite's manager is configured with: task images under it are
// pulled with the execution pull Secret, which the pull credentials controller keeps.
const (
	testRegistryHost = "registry.berth.test"
	testPullSecret   = "berth-registry-pull"
)

// waitFor is how long a test waits for the controllers to act.
const waitFor = kubetest.WaitFor

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	cacheOpts, err := controllers.CacheOptions()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return envtest.Main(m, cacheOpts, func(ctx context.Context, mgr ctrl.Manager) error {
		return controllers.Setup(ctx, mgr, controllers.Options{RegistryHost: testRegistryHost, PullSecretName: testPullSecret})
	}, func(env *envtest.Env) { k8s = env.Client })
}

// newNamespace creates a namespace of its own for one test.
func newNamespace(t *testing.T) string {
	t.Helper()
	return kubetest.NewNamespace(t, k8s, "test-")
}
