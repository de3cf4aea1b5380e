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

package ecs

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/tasks"
	"github.com/berth-dev/berth/internal/testutil/envtest"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

// TestRebalancingSurvivesRestarts moves a service's tasks back over three zones while its
// controller is restarted twice: in the middle of a move, and while it backs off after a task
// could not be placed. A restarted controller must neither announce the rebalancing again nor
// forget the back-off; it finishes the job. Its own control plane, so the controller can be
// stopped and started without touching the suite's.
func TestRebalancingSurvivesRestarts(t *testing.T) {
	env, start := restartableServiceController(t, nil)
	c := env.Client
	ctx := context.Background()

	const ns = "restart"
	for _, obj := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "default"}},
		&ecsv1alpha1.TaskDefinition{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"}, Spec: ecsv1alpha1.TaskDefinitionSpec{
			ContainerDefinitions: []ecsv1alpha1.ContainerDefinition{{Name: "web", Image: "nginx:1.26"}}}},
		&ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"}, Spec: ecsv1alpha1.ServiceSpec{
			TaskDefinition: "web", DesiredCount: ptr.To[int32](3),
			PlacementStrategy: []ecsv1alpha1.PlacementStrategy{{Type: ecsv1alpha1.PlacementStrategySpread, Field: "attribute:ecs.availability-zone"}}}},
	} {
		if err := c.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	kubetest.CreateNodes(t, c, map[string]string{"node-a": "zone-a", "node-b": "zone-b", "node-c": "zone-c"}, nil)
	// The simulated scheduler puts every task in zone-a unless it is pinned: a task pinned to
	// zone-b waits while holdB, one pinned to zone-c is unschedulable until zoneC.
	var holdB, zoneC atomic.Bool
	holdB.Store(true)
	kubetest.StartKubelet(t, c, ns, func(p *corev1.Pod) string {
		switch p.Annotations[tasks.AnnotationRebalanceZone] {
		case "zone-b":
			if holdB.Load() {
				return kubetest.Hold
			}
			return "node-b"
		case "zone-c":
			if !zoneC.Load() {
				return ""
			}
			return "node-c"
		default:
			return "node-a"
		}
	}, func(*corev1.Pod) kubetest.Fate { return kubetest.RunReady })

	service := func() *ecsv1alpha1.Service {
		svc := &ecsv1alpha1.Service{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, svc); err != nil {
			t.Fatal(err)
		}
		return svc
	}
	count := func(text string) int {
		n := 0
		for _, ev := range service().Status.Events {
			if strings.Contains(ev.Message, text) {
				n++
			}
		}
		return n
	}
	waitEvent := func(text string) {
		kubetest.Eventually(t, time.Minute, func() error {
			if count(text) == 0 {
				return fmt.Errorf("no service event %q yet", text)
			}
			return nil
		})
	}
	pinned := func(zone string) int {
		list := &corev1.PodList{}
		if err := c.List(ctx, list, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, p := range list.Items {
			if p.DeletionTimestamp == nil && p.Annotations[tasks.AnnotationRebalanceZone] == zone {
				n++
			}
		}
		return n
	}

	// 1. The first move starts: a task pinned to zone-b, held by the scheduler.
	stop := start()
	waitEvent("Starting AZ rebalancing")
	kubetest.Eventually(t, time.Minute, func() error {
		if pinned("zone-b") != 1 {
			return fmt.Errorf("%d tasks pinned to zone-b, want the move's one", pinned("zone-b"))
		}
		return nil
	})

	// 2. Restart mid-move; the move completes, the next one (zone-c) cannot be placed.
	stop()
	stop = start()
	holdB.Store(false)
	waitEvent("was unable to place a task in zone-c")
	if r := service().Status.Rebalancing; r == nil || r.RetryAfter == nil {
		t.Fatalf("status.rebalancing = %+v, want the back-off", r)
	}

	// 3. Restart while backing off; zone-c could take a task now, but nothing the wait
	// waits for changed: no task goes there.
	kubetest.Eventually(t, time.Minute, func() error {
		if n := pinned("zone-c"); n != 0 {
			return fmt.Errorf("%d tasks pinned to zone-c, want the refused one stopped", n)
		}
		return nil
	})
	stop()
	stop = start()
	defer stop()
	zoneC.Store(true)
	kubetest.Consistently(t, 3*time.Second, func() error {
		if n := pinned("zone-c"); n != 0 {
			return fmt.Errorf("a task was pinned to zone-c during the back-off, after a restart")
		}
		return nil
	})

	// 4. A node joins zone-c: the wait ends and the service is balanced.
	kubetest.CreateNodes(t, c, map[string]string{"node-c2": "zone-c"}, nil)
	waitEvent("is AZ balanced with 1 task in zone-a, 1 task in zone-b and 1 task in zone-c")
	if n := count("Starting AZ rebalancing"); n != 1 {
		t.Errorf("rebalancing was announced %d times, want once: a restart must not announce it again", n)
	}
	if r := service().Status.Rebalancing; r != nil {
		t.Errorf("status.rebalancing = %+v once balanced, want none", r)
	}
}

// restartableServiceController starts a control plane of the test's own and returns it with
// start, which runs the Service controller (beside the TaskDefinition controller) until the
// stop it returns is called: a test can kill and restart the controller without touching the
// suite's. now, when set, is the controller's clock. It skips without envtest.
func restartableServiceController(t *testing.T, now func() time.Time) (env *envtest.Env, start func() (stop func())) {
	t.Helper()
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Skip("KUBEBUILDER_ASSETS is unset")
	}
	env, err := envtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	return env, func() (stop func()) {
		return startTaskDefinitionManager(t, env, func(_ context.Context, mgr ctrl.Manager) error {
			return (&ServiceReconciler{
				Client:    mgr.GetClient(),
				APIReader: mgr.GetAPIReader(),
				Scheme:    mgr.GetScheme(),
				Recorder:  mgr.GetEventRecorder("berth-service-controller"),
				Now:       now,
			}).SetupWithManager(mgr)
		})
	}
}
