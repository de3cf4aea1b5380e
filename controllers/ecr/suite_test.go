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

package ecr_test

import (
	"context"
	"os"
	"testing"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/berth-dev/berth/controllers/ecr"
	"github.com/berth-dev/berth/controllers/ecs"
	"github.com/berth-dev/berth/internal/testutil/envtest"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

// k8s is the client of the control plane the tests of this package share; a manager with the
// RepositoryPolicy and PullThroughCacheRule reconcilers runs against it, as in a cluster. (The Repository reconciler
// needs the registry: TestRepository runs it on a control plane of its own.)
var k8s client.Client

// waitFor is how long a test waits for the controller to act.
const waitFor = kubetest.WaitFor

func TestMain(m *testing.M) {
	// The manager's own cache options: what it caches of Secrets (the pull credentials it
	// keeps, no other) decides what a reconciler can read through its client.
	cacheOpts, err := ecs.CacheOptions()
	if err != nil {
		panic(err)
	}
	os.Exit(envtest.Main(m, cacheOpts, func(ctx context.Context, mgr ctrl.Manager) error {
		if err := ecr.SetupIndexes(ctx, mgr); err != nil {
			return err
		}
		if err := (&ecr.PullThroughCacheRuleReconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Recorder: mgr.GetEventRecorder("berth-pullthroughcacherule-controller")}).SetupWithManager(mgr); err != nil {
			return err
		}
		return (&ecr.RepositoryPolicyReconciler{Client: mgr.GetClient(), Recorder: mgr.GetEventRecorder("berth-repositorypolicy-controller")}).SetupWithManager(mgr)
	}, func(env *envtest.Env) { k8s = env.Client }))
}

// newNamespace creates a namespace of its own for one test.
func newNamespace(t *testing.T) string {
	t.Helper()
	return kubetest.NewNamespace(t, k8s, "test-")
}
