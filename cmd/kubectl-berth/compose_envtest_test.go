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

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/controllers"
	"github.com/berth-dev/berth/internal/testutil/ecstest"
	"github.com/berth-dev/berth/internal/testutil/envtest"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

// k8s is the envtest control plane's client; every Berth controller runs against it. The
// CLI under test uses a client of the same control plane (testClient).
var k8s client.Client

func TestMain(m *testing.M) {
	os.Exit(mainWithControlPlane(m))
}

func mainWithControlPlane(m *testing.M) int {
	cacheOpts, err := controllers.CacheOptions()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return envtest.Main(m, cacheOpts, func(ctx context.Context, mgr ctrl.Manager) error {
		return controllers.Setup(ctx, mgr, controllers.Options{RegistryHost: "registry.berth.test", PullSecretName: "berth-registry-pull"})
	}, func(env *envtest.Env) {
		k8s = env.Client
		testClient = func() (client.WithWatch, error) {
			return client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
		}
	})
}

const threeServices = `name: shop
services:
  web:
    image: nginx:1.27
    ports: ["8080:80"]
    deploy:
      replicas: 2
  api:
    image: registry.berth.example/shop/api:1
    expose: ["8000"]
    secrets: [token]
    healthcheck:
      test: ["CMD", "true"]
      interval: 5s
  worker:
    image: registry.berth.example/shop/worker:1
    deploy:
      replicas: 3
secrets:
  token:
    file: ./token.txt
`

// projectState lists what carries the project's label, as "kind/name".
func projectState(t *testing.T, ns, project string) []string {
	t.Helper()
	objs, err := projectObjects(context.Background(), k8s, ns, project, true)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(objs))
	for _, o := range objs {
		out = append(out, kindOf(o)+"/"+o.GetName())
	}
	slices.Sort(out)
	return out
}

// TestComposeUpPsDown runs compose up of a three-service file against the control plane
// with the Berth controllers (a simulated kubelet makes the Pods run), checks it reaches
// steady state, that ps shows the tasks spread over the zones, and that down removes exactly
// the objects up applied.
func TestComposeUpPsDown(t *testing.T) {
	ns := ecstest.ServiceNamespace(t, k8s)
	nodes := map[string]string{ns + "-a": "zone-a", ns + "-b": "zone-b", ns + "-c": "zone-c"}
	kubetest.CreateNodes(t, k8s, nodes, nil)
	kubetest.StartKubelet(t, k8s, ns, ecstest.RoundRobin(ns+"-a", ns+"-b", ns+"-c"), ecstest.Always(kubetest.RunReady))
	dir := t.TempDir()
	file := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(file, []byte(threeServices), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "token.txt"), []byte("s3cr3t"), 0o600); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := runCLI(t, "compose", "up", "-f", file, "-n", ns, "--timeout", "2m")
	if code != exitOK || !strings.Contains(out, "all services reached a steady state") {
		t.Fatalf("compose up: exit %d\n%s%s", code, out, errOut)
	}
	want := []string{
		"secret/shop-secrets",
		"service.ecs.berth.dev/api", "service.ecs.berth.dev/web", "service.ecs.berth.dev/worker",
		"taskdefinition.ecs.berth.dev/api", "taskdefinition.ecs.berth.dev/web", "taskdefinition.ecs.berth.dev/worker",
	}
	slices.Sort(want)
	if got := projectState(t, ns, "shop"); !slices.Equal(got, want) {
		t.Errorf("after up the project holds %v, want %v", got, want)
	}
	var svc ecsv1alpha1.Service
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "web"}, &svc); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(svc.ManagedFields, func(m metav1.ManagedFieldsEntry) bool { return m.Manager == fieldManager && m.Operation == "Apply" }) {
		t.Errorf("web is not applied by field manager %s: %+v", fieldManager, svc.ManagedFields)
	}
	var published corev1.Service
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "web-published"}, &published); err != nil {
		t.Errorf("core Service for the published port: %v", err)
	} else if published.Spec.Type != corev1.ServiceTypeLoadBalancer || published.Spec.Ports[0].Port != 8080 {
		t.Errorf("web-published: %+v", published.Spec)
	}

	// Running up again changes nothing and is steady at once.
	if code, out, errOut := runCLI(t, "compose", "up", "-f", file, "-n", ns, "--timeout", "1m"); code != exitOK {
		t.Fatalf("second compose up: exit %d\n%s%s", code, out, errOut)
	}

	code, out, errOut = runCLI(t, "compose", "ps", "-f", file, "-n", ns)
	if code != exitOK {
		t.Fatalf("compose ps: exit %d\n%s%s", code, out, errOut)
	}
	if n := strings.Count(out, "RUNNING"); n != 6 {
		t.Errorf("compose ps shows %d RUNNING tasks, want 6:\n%s", n, out)
	}
	for _, s := range []string{"service/web", "service/api", "service/worker", "zone-a", "HEALTHY", "web:80/tcp", "api-1"} {
		if !strings.Contains(out, s) {
			t.Errorf("compose ps lacks %q:\n%s", s, out)
		}
	}
	t.Logf("compose ps:\n%s", out)

	// A standalone Task (run-task) shows in the namespace's ps beside the service tasks.
	task := &ecsv1alpha1.Task{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "one-off"}, Spec: ecsv1alpha1.TaskSpec{TaskDefinition: "worker"}}
	if err := k8s.Create(context.Background(), task); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCLI(t, "wait", "task", "one-off", "-n", ns, "--timeout", "1m"); code != exitOK {
		t.Fatalf("wait task: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "ps", "-n", ns, "-o", "wide")
	if code != exitOK || strings.Count(out, "RUNNING") != 7 || !strings.Contains(out, "one-off") || !strings.Contains(out, "STOP REASON") {
		t.Errorf("ps -o wide: exit %d, want 7 RUNNING tasks with one-off:\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "ps", "web", "-n", ns, "-o", "json")
	var list struct {
		Kind  string `json:"kind"`
		Items []struct {
			Kind string `json:"kind"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &list); code != exitOK || err != nil || list.Kind != "List" || len(list.Items) != 2 || list.Items[0].Kind != "Pod" {
		t.Errorf("ps web -o json: exit %d, %v: %+v\n%s", code, err, list, errOut)
	}
	if err := k8s.Delete(context.Background(), task); err != nil {
		t.Fatal(err)
	}

	// The zones describe must chart are those of the nodes the test's kubelet bound the
	// worker's tasks to: it places the namespace's Pods round robin as it lists them, so which
	// zones one service gets depends on how its Pods' creation interleaved with the others'.
	var workerPods corev1.PodList
	if err := k8s.List(context.Background(), &workerPods, client.InNamespace(ns), client.MatchingLabels{ecsv1alpha1.ServiceLabel: "worker"}); err != nil {
		t.Fatal(err)
	}
	if len(workerPods.Items) != 3 {
		t.Fatalf("worker has %d task Pods, want 3", len(workerPods.Items))
	}
	described := []string{"Desired:", "PRIMARY", "COMPLETED", "█", "has reached a steady state"}
	for _, p := range workerPods.Items {
		if zone := nodes[p.Spec.NodeName]; zone != "" && !slices.Contains(described, zone+"  ") {
			described = append(described, zone+"  ")
		}
	}
	code, out, errOut = runCLI(t, "describe", "service", "worker", "-n", ns)
	for _, s := range described {
		if code != exitOK || !strings.Contains(out, s) {
			t.Errorf("describe service worker: exit %d, output lacks %q:\n%s%s", code, s, out, errOut)
		}
	}
	t.Logf("describe service worker:\n%s", out)
	code, out, errOut = runCLI(t, "events", "-n", ns)
	if code != exitOK || !strings.Contains(out, "(service api) has reached a steady state.") || !strings.Contains(out, "(service web) has started 2 tasks") {
		t.Errorf("events: exit %d:\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, "wait", "service", "web", "api", "-n", ns, "--timeout", "30s"); code != exitOK {
		t.Errorf("wait service: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, "wait", "service", "nosuch", "-n", ns, "--timeout", "2s"); code == exitOK {
		t.Errorf("wait for a missing service: exit 0\n%s%s", out, errOut)
	}

	code, out, errOut = runCLI(t, "compose", "down", "-f", file, "-n", ns, "--volumes")
	if code != exitOK {
		t.Fatalf("compose down: exit %d\n%s%s", code, out, errOut)
	}
	for _, w := range want {
		if !strings.Contains(out, w+" deleted") {
			t.Errorf("compose down did not report %s deleted:\n%s", w, out)
		}
	}
	if got := projectState(t, ns, "shop"); len(got) != 0 {
		t.Errorf("after down the project still holds %v", got)
	}
}

// TestComposeUpFails: a service whose container exits at start trips the circuit breaker;
// up exits 3 and prints the service's events.
func TestComposeUpFails(t *testing.T) {
	ns := ecstest.ServiceNamespace(t, k8s)
	kubetest.CreateNodes(t, k8s, map[string]string{ns + "-a": "zone-a"}, nil)
	kubetest.StartKubelet(t, k8s, ns, ecstest.RoundRobin(ns+"-a"), ecstest.Always(kubetest.ExitAtStart))
	file := filepath.Join(t.TempDir(), "compose.yaml")
	if err := os.WriteFile(file, []byte(`name: broken
services:
  web:
    image: nginx:1.27
    deploy:
      replicas: 2
      update_config:
        failure_action: rollback
`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "compose", "up", "-f", file, "-n", ns, "--timeout", "2m")
	if code != exitFailed {
		t.Fatalf("compose up of a crashing service: exit %d, want %d\n%s%s", code, exitFailed, out, errOut)
	}
	if !strings.Contains(errOut, "service web:") || !strings.Contains(errOut, "(service web)") {
		t.Errorf("compose up printed no service events:\n%s", errOut)
	}
	t.Logf("compose up of a crashing service:\n%s%s", out, errOut)

}
