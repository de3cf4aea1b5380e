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

package ecs_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/berth-dev/berth/controllers/ecs"
	"github.com/berth-dev/berth/internal/testutil/envtest"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

// k8s is the client of the control plane every test of this package shares; a manager with
// the four ECS reconcilers runs against it, as in a cluster.
var k8s client.Client

// k8sConfig is that control plane's client configuration, for clients of a test's own.
var k8sConfig *rest.Config

// waitFor is how long a test waits for the controllers to act.
const waitFor = kubetest.WaitFor

// The bundled registry the suite's manager is configured with: task images under it are
// pulled with the execution pull Secret.
const (
	testRegistryHost = "registry.berth.test"
	testPullSecret   = "berth-registry-pull"
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	cacheOpts, err := ecs.CacheOptions()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return envtest.Main(m, cacheOpts, setupECS, func(env *envtest.Env) { k8s, k8sConfig = env.Client, env.Config })
}

// setupECS registers the ECS reconcilers as the manager runs them, with the suite's registry.
func setupECS(ctx context.Context, mgr ctrl.Manager) error {
	if err := ecs.SetupIndexes(ctx, mgr); err != nil {
		return err
	}
	if err := (&ecs.TaskDefinitionReconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Scheme:    mgr.GetScheme(),
		Recorder:  mgr.GetEventRecorder("berth-taskdefinition-controller"),
	}).SetupWithManager(mgr); err != nil {
		return err
	}
	if err := (&ecs.ServiceReconciler{
		Client:         mgr.GetClient(),
		APIReader:      mgr.GetAPIReader(),
		Scheme:         mgr.GetScheme(),
		Recorder:       mgr.GetEventRecorder("berth-service-controller"),
		RegistryHost:   testRegistryHost,
		PullSecretName: testPullSecret,
	}).SetupWithManager(mgr); err != nil {
		return err
	}
	if err := (&ecs.TaskReconciler{
		Client:         mgr.GetClient(),
		APIReader:      mgr.GetAPIReader(),
		Scheme:         mgr.GetScheme(),
		Recorder:       mgr.GetEventRecorder("berth-task-controller"),
		RegistryHost:   testRegistryHost,
		PullSecretName: testPullSecret,
	}).SetupWithManager(mgr); err != nil {
		return err
	}
	return (&ecs.PullCredentialsReconciler{
		Client:       mgr.GetClient(),
		APIReader:    mgr.GetAPIReader(),
		RegistryHost: testRegistryHost,
		SecretName:   testPullSecret,
		Recorder:     mgr.GetEventRecorder("berth-pullcredentials-controller"),
	}).SetupWithManager(mgr)
}

// newNamespace creates a namespace of its own for one test.
func newNamespace(t *testing.T) string {
	t.Helper()
	return kubetest.NewNamespace(t, k8s, "test-")
}
