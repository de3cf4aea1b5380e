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

package e2e

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/testutil/envtest"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

const composeFile = `name: shop
services:
  web:
    image: nginx:1.27
    ports: ["8080:80"]
    deploy:
      replicas: 3
    depends_on: [api]
  api:
    image: registry.example/shop/api:1
    expose: ["8000"]
    environment:
      DATABASE_URL: postgres://db:5432/shop
    secrets: [token]
    depends_on:
      db:
        condition: service_healthy
  db:
    image: postgres:16
    expose: ["5432"]
    healthcheck:
      test: ["CMD", "pg_isready"]
      interval: 5s
secrets:
  token:
    file: ./token.txt
`

// namespaceState lists what a namespace holds of the kinds compose up can make, directly or
// through the controllers (tasks, core Services): "kind/name", sorted.
func namespaceState(t *testing.T, ns string) []string {
	t.Helper()
	var out []string
	for _, l := range []client.ObjectList{
		&ecsv1alpha1.ServiceList{}, &ecsv1alpha1.TaskDefinitionList{}, &corev1.SecretList{},
		&corev1.ConfigMapList{}, &corev1.PersistentVolumeClaimList{}, &corev1.ServiceList{}, &corev1.PodList{},
	} {
		if err := k8s.List(context.Background(), l, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		items, err := apimeta.ExtractList(l)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			o := it.(client.Object)
			if _, ok := o.(*corev1.ConfigMap); ok && o.GetName() == "kube-root-ca.crt" {
				// kube-controller-manager publishes it into every namespace, some time after
				// the namespace is made: it may appear between two looks.
				continue
			}
			out = append(out, kindOfList(l)+"/"+o.GetName())
		}
	}
	slices.Sort(out)
	return out
}

// kindOfList names the kind of a list's items.
func kindOfList(l client.ObjectList) string {
	switch l.(type) {
	case *ecsv1alpha1.ServiceList:
		return "service.ecs"
	case *ecsv1alpha1.TaskDefinitionList:
		return "taskdefinition"
	case *corev1.SecretList:
		return "secret"
	case *corev1.ConfigMapList:
		return "configmap"
	case *corev1.PersistentVolumeClaimList:
		return "pvc"
	case *corev1.ServiceList:
		return "service"
	}
	return "pod"
}

// TestKubectlBerthCompose builds kubectl-berth and runs `compose up` of a three-service file
// on the sandbox (real scheduler and garbage collector, kwok nodes in three zones): it exits 0
// once every Service is at steady state, with the tasks spread over the zones. `compose down`
// then leaves the namespace as it was before up: what up made, and what the controllers made
// for it, is gone, and nothing else.
func TestKubectlBerthCompose(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "kubectl-berth")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/kubectl-berth")
	build.Dir = envtest.RepoRoot()
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ns := newNamespace(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(composeFile), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "token.txt"), []byte("s3cr3t"), 0o600); err != nil {
		t.Fatal(err)
	}
	berth := func(args ...string) (string, int) {
		t.Helper()
		cmd := exec.CommandContext(ctx, bin, append([]string{"--kubeconfig", kubeconfig, "-n", ns}, args...)...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		switch {
		case err == nil:
			return string(out), 0
		case errors.As(err, &exit):
			return string(out), exit.ExitCode()
		}
		t.Fatalf("kubectl-berth %v: %v", args, err)
		return "", 0
	}
	before := namespaceState(t, ns)

	start := time.Now()
	out, code := berth("compose", "up", "--timeout", "3m")
	t.Logf("kubectl berth compose up (%s, exit %d):\n%s", time.Since(start).Round(time.Second), code, out)
	if code != 0 || !strings.Contains(out, "all services reached a steady state") {
		t.Fatalf("compose up: exit %d", code)
	}
	var web ecsv1alpha1.Service
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, &web); err != nil {
		t.Fatal(err)
	}
	if c := apimeta.FindStatusCondition(web.Status.Conditions, ecsv1alpha1.ReadyCondition); c == nil || c.Reason != ecsv1alpha1.SteadyStateReason || web.Status.RunningCount != 3 {
		t.Errorf("web after up: %+v, running %d", c, web.Status.RunningCount)
	}
	out, code = berth("compose", "ps")
	t.Logf("kubectl berth compose ps:\n%s", out)
	if code != 0 || strings.Count(out, "RUNNING") != 5 {
		t.Errorf("compose ps: exit %d, want 5 RUNNING tasks", code)
	}
	for _, zone := range []string{"zone-a", "zone-b", "zone-c"} {
		if !strings.Contains(out, zone) {
			t.Errorf("compose ps: no task in %s", zone)
		}
	}
	if during := namespaceState(t, ns); !slices.Contains(during, "service/web-published") || !slices.Contains(during, "secret/shop-secrets") {
		t.Errorf("after up the namespace holds %v", during)
	}

	out, code = berth("compose", "down")
	t.Logf("kubectl berth compose down (exit %d):\n%s", code, out)
	if code != 0 {
		t.Fatalf("compose down: exit %d", code)
	}
	// The garbage collector removes the tasks and core Services the Services owned.
	kubetest.Eventually(t, 2*time.Minute, func() error {
		if after := namespaceState(t, ns); !slices.Equal(after, before) {
			return errors.New("namespace after down: " + strings.Join(after, " ") + "; before up: " + strings.Join(before, " "))
		}
		return nil
	})
}
