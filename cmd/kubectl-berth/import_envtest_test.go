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
	"fmt"
	"path/filepath"
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

// TestImportApply imports an exported Fargate task definition with --apply: the
// TaskDefinition registers a revision with the controllers running (its task role became a
// ServiceAccount, its ECR image the bundled registry's), and the report names what to do.
func TestImportApply(t *testing.T) {
	ns := kubetest.NewNamespace(t, k8s, "import-")
	in := filepath.Join(envtest.RepoRoot(), "internal", "ecsimport", "testdata", "td-web-fargate.json")
	code, out, errOut := runCLI(t, "import", "-f", in, "-n", ns, "--registry", "registry.berth.test", "--apply")
	if code != exitOK {
		t.Fatalf("import --apply: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "item(s) need attention") || !strings.Contains(errOut, "crane copy") {
		t.Errorf("import printed no report:\n%s", errOut)
	}
	var sa corev1.ServiceAccount
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "web-task-role"}, &sa); err != nil {
		t.Errorf("ServiceAccount for the task role: %v", err)
	}
	kubetest.Eventually(t, time.Minute, func() error {
		var td ecsv1alpha1.TaskDefinition
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "web"}, &td); err != nil {
			return err
		}
		if !apimeta.IsStatusConditionTrue(td.Status.Conditions, ecsv1alpha1.ReadyCondition) || td.Status.Revision != 1 {
			return fmt.Errorf("web not registered: revision %d, %+v", td.Status.Revision, td.Status.Conditions)
		}
		if td.Spec.TaskRoleServiceAccountName != "web-task-role" || !strings.HasPrefix(td.Spec.ContainerDefinitions[0].Image, "registry.berth.test/"+ns+"/web-app:") {
			return fmt.Errorf("web spec: %+v", td.Spec)
		}
		return nil
	})
	// wait agrees, and a second import --apply changes nothing (server-side apply).
	if code, out, errOut := runCLI(t, "wait", "taskdefinition", "web", "-n", ns, "--timeout", "30s"); code != exitOK {
		t.Errorf("wait taskdefinition: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, "import", "-f", in, "-n", ns, "--registry", "registry.berth.test", "--apply"); code != exitOK {
		t.Errorf("second import --apply: exit %d\n%s%s", code, out, errOut)
	}
}

// TestComposeScale sets a Service's desiredCount; a malformed argument is a usage error.
func TestComposeScale(t *testing.T) {
	ns := kubetest.NewNamespace(t, k8s, "scale-")
	svc := &ecsv1alpha1.Service{}
	svc.Namespace, svc.Name, svc.Spec.TaskDefinition = ns, "web", "web"
	svc.Labels = map[string]string{"compose.berth.dev/project": "shop"}
	if err := k8s.Create(context.Background(), svc); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCLI(t, "compose", "scale", "web=4", "-n", ns, "-p", "shop"); code != exitOK || !strings.Contains(out, "scaled to 4") {
		t.Fatalf("compose scale: exit %d\n%s%s", code, out, errOut)
	}
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(svc), svc); err != nil || *svc.Spec.DesiredCount != 4 {
		t.Errorf("desiredCount after scale: %v (%v)", svc.Spec.DesiredCount, err)
	}
	if code, _, _ := runCLI(t, "compose", "scale", "web=many", "-n", ns); code != exitUsage {
		t.Errorf("compose scale web=many: exit %d, want %d", code, exitUsage)
	}
	if code, _, _ := runCLI(t, "compose", "scale", "web=2", "-n", ns, "-p", "other"); code != exitError {
		t.Errorf("compose scale of another project's service: exit %d, want %d", code, exitError)
	}
}
