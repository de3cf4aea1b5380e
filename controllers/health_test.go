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

// The health of live objects written by the real reconcilers, read two ways: by kstatus (what
// Flux, kubectl wait --for=jsonpath and cli-utils based tools use) and by the Argo CD health
// scripts in docs/argocd, run in gopher-lua the way Argo CD runs them.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/testutil/ecstest"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

// argoDir holds the Argo CD health scripts, one per group_Kind as argocd-cm names them.
const argoDir = "../docs/argocd"

var (
	serviceGVK        = ecsv1alpha1.GroupVersion.WithKind("Service")
	taskDefinitionGVK = ecsv1alpha1.GroupVersion.WithKind("TaskDefinition")
	repositoryGVK     = ecrv1alpha1.GroupVersion.WithKind("Repository")
	policyGVK         = ecrv1alpha1.GroupVersion.WithKind("RepositoryPolicy")
	taskGVK           = ecsv1alpha1.GroupVersion.WithKind("Task")
	scheduledTaskGVK  = ecsv1alpha1.GroupVersion.WithKind("ScheduledTask")
	// everyKind is every kind with a health script in docs/argocd.
	everyKind = []schema.GroupVersionKind{serviceGVK, taskDefinitionGVK, repositoryGVK, policyGVK, taskGVK, scheduledTaskGVK}
)

// health is what both readers say about one object.
type health struct {
	kstatus    status.Status
	kstatusMsg string
	argo       string
	argoMsg    string
}

func (h health) String() string {
	return fmt.Sprintf("kstatus %s (%q), Argo CD %s (%q)", h.kstatus, h.kstatusMsg, h.argo, h.argoMsg)
}

// liveObject reads an object as unstructured JSON from the API server, as Argo CD and kstatus
// see it (apiVersion and kind included).
func liveObject(t *testing.T, gvk schema.GroupVersionKind, ns, name string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, u); err != nil {
		t.Fatal(err)
	}
	return u
}

// healthOf computes both verdicts for an object.
func healthOf(t *testing.T, u *unstructured.Unstructured) health {
	t.Helper()
	res, err := status.Compute(u)
	if err != nil {
		t.Fatalf("kstatus: %v", err)
	}
	script := argoScript(t, u.GroupVersionKind())
	st, msg, err := runArgoHealth(script, u)
	if err != nil {
		t.Fatalf("Argo CD health script for %s: %v", u.GroupVersionKind().Kind, err)
	}
	return health{kstatus: res.Status, kstatusMsg: res.Message, argo: st, argoMsg: msg}
}

// waitHealth polls the live object until both verdicts are the wanted ones and the Argo CD
// message contains msg.
func waitHealth(t *testing.T, gvk schema.GroupVersionKind, ns, name string, kst status.Status, argo, msg string) health {
	t.Helper()
	var h health
	kubetest.Eventually(t, waitFor, func() error {
		h = healthOf(t, liveObject(t, gvk, ns, name))
		if h.kstatus != kst || h.argo != argo || !strings.Contains(h.argoMsg, msg) {
			return fmt.Errorf("%s %s/%s: %s; want kstatus %s, Argo CD %s with %q", gvk.Kind, ns, name, h, kst, argo, msg)
		}
		return nil
	})
	return h
}

// argoScript reads the health script Argo CD is configured with for a kind.
func argoScript(t *testing.T, gvk schema.GroupVersionKind) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(argoDir, gvk.Group+"_"+gvk.Kind+".lua"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// argoHealthStatuses are the health codes Argo CD accepts from a script; anything else it
// reports as Unknown.
var argoHealthStatuses = map[string]bool{
	"Healthy": true, "Progressing": true, "Degraded": true, "Suspended": true, "Missing": true, "Unknown": true,
}

// runArgoHealth runs a health script as Argo CD's Lua VM does: only the package, base and
// table libraries are open (no string library; Argo CD adds a safe os subset the scripts do
// not use), the live object is the global obj, the run is bounded to a second, and the
// script returns a table with status and message, which must be a health code Argo CD knows.
func runArgoHealth(script string, u *unstructured.Unstructured) (st, msg string, err error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for name, open := range map[string]lua.LGFunction{
		lua.LoadLibName: lua.OpenPackage, lua.BaseLibName: lua.OpenBase, lua.TabLibName: lua.OpenTable,
	} {
		l.Push(l.NewFunction(open))
		l.Push(lua.LString(name))
		l.Call(1, 0)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", toLua(l, u.Object))
	if err := l.DoString(script); err != nil {
		return "", "", fmt.Errorf("running the script: %w", err)
	}
	ret, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		return "", "", fmt.Errorf("the script returned %s, not a table", l.Get(-1).Type())
	}
	stv, ok := ret.RawGetString("status").(lua.LString)
	if !ok || !argoHealthStatuses[string(stv)] {
		return "", "", fmt.Errorf("the script returned status %v, which Argo CD does not know", ret.RawGetString("status"))
	}
	switch m := ret.RawGetString("message").(type) {
	case lua.LString:
		msg = string(m)
	case *lua.LNilType:
	default:
		return "", "", fmt.Errorf("the script returned a %s message, not a string", m.Type())
	}
	return string(stv), msg, nil
}

// toLua converts decoded JSON to Lua values as Argo CD does: objects and arrays become
// tables (arrays 1-based), numbers become Lua numbers, null becomes nil.
func toLua(l *lua.LState, v any) lua.LValue {
	switch x := v.(type) {
	case map[string]any:
		tbl := l.CreateTable(0, len(x))
		for k, item := range x {
			tbl.RawSetString(k, toLua(l, item))
		}
		return tbl
	case []any:
		tbl := l.CreateTable(len(x), 0)
		for _, item := range x {
			tbl.Append(toLua(l, item))
		}
		return tbl
	case string:
		return lua.LString(x)
	case bool:
		return lua.LBool(x)
	case int64:
		return lua.LNumber(x)
	case int:
		return lua.LNumber(x)
	case float64:
		return lua.LNumber(x)
	default:
		return lua.LNil
	}
}

func TestHealthServiceRollout(t *testing.T) {
	ns := ecstest.ServiceNamespace(t, k8s)
	ctx := context.Background()
	ecstest.CreateTaskDefinition(t, k8s, ns)
	// Tasks stay without container status (PENDING) until released.
	var release atomic.Bool
	kubetest.StartKubelet(t, k8s, ns, ecstest.RoundRobin(ecstest.ThreeZones(t, k8s, ns)...), func(*corev1.Pod) kubetest.Fate {
		if release.Load() {
			return kubetest.RunReady
		}
		return kubetest.Leave
	})
	// Created as unstructured, so the API server's answer is exactly what Argo CD sees
	// before the controller's first status write.
	obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(ecstest.NewService(ns, "web", 2))
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{Object: obj}
	u.SetGroupVersionKind(serviceGVK)
	if err := k8s.Create(ctx, u); err != nil {
		t.Fatal(err)
	}
	// Argo CD waits; kstatus assumes Current for a custom resource without observedGeneration
	// or conditions (its documented fallback for unknown kinds).
	if h := healthOf(t, u); h.argo != "Progressing" || h.kstatus != status.CurrentStatus {
		t.Errorf("Service as created: %s; want Argo CD Progressing, kstatus Current", h)
	}

	// Tasks pending: the first deployment is IN_PROGRESS.
	ecstest.WaitPods(t, k8s, ns, "web", 2)
	h := waitHealth(t, serviceGVK, ns, "web", status.InProgressStatus, "Progressing", "0 of 2 tasks RUNNING")
	t.Logf("tasks pending: %s", h)

	release.Store(true)
	ecstest.WaitSteady(t, k8s, ns, "web", 2)
	h = waitHealth(t, serviceGVK, ns, "web", status.CurrentStatus, "Healthy", "steady state")
	t.Logf("steady: %s", h)

	// A new revision rolls out; its tasks stay pending until released.
	release.Store(false)
	ecstest.SetImage(t, k8s, ns, "web", "nginx:1.27")
	ecstest.WaitRevision(t, k8s, ns, "web", 2)
	kubetest.Eventually(t, waitFor, func() error {
		p := ecstest.Primary(ecstest.GetService(t, k8s, ns, "web"))
		if p == nil || p.TaskDefinition != "web:2" {
			return fmt.Errorf("PRIMARY %+v, want web:2", p)
		}
		return nil
	})
	h = waitHealth(t, serviceGVK, ns, "web", status.InProgressStatus, "Progressing", "web:2")
	t.Logf("rolling out: %s", h)

	release.Store(true)
	kubetest.Eventually(t, waitFor, func() error {
		cur := ecstest.GetService(t, k8s, ns, "web")
		if p := ecstest.Primary(cur); p == nil || p.TaskDefinition != "web:2" || p.RolloutState != ecsv1alpha1.RolloutCompleted {
			return fmt.Errorf("PRIMARY %+v, want web:2 COMPLETED", p)
		}
		return nil
	})
	waitHealth(t, serviceGVK, ns, "web", status.CurrentStatus, "Healthy", "web:2")

	// A spec change not yet observed is never Healthy, whatever the old conditions say.
	cur := liveObject(t, serviceGVK, ns, "web")
	cur.SetGeneration(cur.GetGeneration() + 1)
	if h := healthOf(t, cur); h.argo != "Progressing" || h.kstatus != status.InProgressStatus {
		t.Errorf("Service with an unobserved generation: %s; want Progressing / InProgress", h)
	}
}

func TestHealthServiceStalled(t *testing.T) {
	ns := ecstest.ServiceNamespace(t, k8s)
	ctx := context.Background()
	svc := ecstest.NewService(ns, "orphan", 1)
	svc.Spec.TaskDefinition = "missing"
	if err := k8s.Create(ctx, svc); err != nil {
		t.Fatal(err)
	}
	h := waitHealth(t, serviceGVK, ns, "orphan", status.FailedStatus, "Degraded", ecsv1alpha1.TaskDefinitionNotFoundReason)
	t.Logf("missing task definition: %s", h)
	if !strings.Contains(h.argoMsg, "missing") {
		t.Errorf("Argo CD message %q should name the missing family", h.argoMsg)
	}

	// The family appears: the Service recovers without a spec change (no Degraded leftover).
	if err := k8s.Create(ctx, ecstest.NewTaskDefinition(ns, "missing", "nginx:1.26")); err != nil {
		t.Fatal(err)
	}
	waitHealth(t, serviceGVK, ns, "orphan", status.InProgressStatus, "Progressing", "0 of 1 tasks RUNNING")
}

func TestHealthServiceCircuitBreaker(t *testing.T) {
	ns := ecstest.ServiceNamespace(t, k8s)
	ctx := context.Background()
	ecstest.CreateTaskDefinition(t, k8s, ns)
	kubetest.StartKubelet(t, k8s, ns, ecstest.RoundRobin(ecstest.ThreeZones(t, k8s, ns)...), ecstest.Always(kubetest.ExitAtStart))
	svc := ecstest.NewService(ns, "crash", 1)
	svc.Spec.DeploymentConfiguration = ecsv1alpha1.DeploymentConfiguration{
		DeploymentCircuitBreaker: &ecsv1alpha1.DeploymentCircuitBreaker{Enable: true, Rollback: true},
	}
	if err := k8s.Create(ctx, svc); err != nil {
		t.Fatal(err)
	}
	// No COMPLETED deployment to roll back to: the first deployment is FAILED.
	h := waitHealth(t, serviceGVK, ns, "crash", status.FailedStatus, "Degraded", ecsv1alpha1.DeploymentFailedReason)
	t.Logf("circuit breaker: %s", h)
	if p := ecstest.Primary(ecstest.GetService(t, k8s, ns, "crash")); p == nil || p.RolloutState != ecsv1alpha1.RolloutFailed {
		t.Errorf("PRIMARY %+v, want FAILED", p)
	}
}

// TestHealthServiceBlueGreen: a BLUE_GREEN deployment in its bake time is Progressing
// (kstatus InProgress); rolled back on request it is Degraded (kstatus Failed) with reason
// RolledBack, and stays so while the source runs steady, until the next good deployment.
func TestHealthServiceBlueGreen(t *testing.T) {
	ns := ecstest.ServiceNamespace(t, k8s)
	ctx := context.Background()
	ecstest.CreateTaskDefinition(t, k8s, ns)
	kubetest.StartKubelet(t, k8s, ns, ecstest.RoundRobin(ecstest.ThreeZones(t, k8s, ns)...), ecstest.Always(kubetest.RunReady))
	svc := ecstest.NewService(ns, "web", 2)
	svc.Spec.DeploymentConfiguration = ecsv1alpha1.DeploymentConfiguration{Strategy: ecsv1alpha1.DeploymentStrategyBlueGreen, BakeTimeInMinutes: ptr.To[int32](30)}
	svc.Spec.LoadBalancers = []ecsv1alpha1.LoadBalancer{{ContainerName: "web", ContainerPort: 8080}}
	if err := k8s.Create(ctx, svc); err != nil {
		t.Fatal(err)
	}
	waitHealth(t, serviceGVK, ns, "web", status.CurrentStatus, "Healthy", "steady state")

	ecstest.SetImage(t, k8s, ns, "web", "nginx:1.27")
	ecstest.WaitRevision(t, k8s, ns, "web", 2)
	var green string
	kubetest.Eventually(t, waitFor, func() error {
		cur := ecstest.GetService(t, k8s, ns, "web")
		if h := cur.Status.ServiceDeployments; len(h) == 0 || h[0].LifecycleStage != ecsv1alpha1.StageBakeTime {
			return fmt.Errorf("deployments %+v, want web:2 in BAKE_TIME", h)
		}
		green = cur.Status.ServiceDeployments[0].ID
		return nil
	})
	h := waitHealth(t, serviceGVK, ns, "web", status.InProgressStatus, "Progressing", "web:2")
	t.Logf("baking: %s", h)

	update := func(change func(*ecsv1alpha1.Service)) {
		kubetest.Eventually(t, waitFor, func() error {
			cur := ecstest.GetService(t, k8s, ns, "web")
			change(cur)
			return k8s.Update(ctx, cur)
		})
	}
	update(func(s *ecsv1alpha1.Service) { s.Annotations = map[string]string{ecsv1alpha1.RollbackAnnotation: green} })
	h = waitHealth(t, serviceGVK, ns, "web", status.FailedStatus, "Degraded", ecsv1alpha1.RolledBackReason)
	t.Logf("rolled back: %s", h)
	ecstest.WaitSteady(t, k8s, ns, "web", 2)
	if h := healthOf(t, liveObject(t, serviceGVK, ns, "web")); h.argo != "Degraded" {
		t.Errorf("rolled back and steady: %s; want Degraded until the next good deployment", h)
	}

	// The next deployment, with no bake, succeeds: Healthy again.
	update(func(s *ecsv1alpha1.Service) { s.Spec.DeploymentConfiguration.BakeTimeInMinutes = ptr.To[int32](0) })
	ecstest.SetImage(t, k8s, ns, "web", "nginx:1.28")
	ecstest.WaitRevision(t, k8s, ns, "web", 3)
	waitHealth(t, serviceGVK, ns, "web", status.CurrentStatus, "Healthy", "web:3")
}

func TestHealthTaskDefinition(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	td := ecstest.NewTaskDefinition(ns, "app", "app:1")
	td.Spec.ContainerDefinitions = append(td.Spec.ContainerDefinitions, ecsv1alpha1.ContainerDefinition{Name: "proxy", Image: "proxy:1"})
	if err := k8s.Create(ctx, td); err != nil {
		t.Fatal(err)
	}
	h := waitHealth(t, taskDefinitionGVK, ns, "app", status.CurrentStatus, "Healthy", "revision 1 is registered")
	t.Logf("registered: %s", h)

	// A dependency cycle passes the schema but cannot become a Pod: Ready=False,
	// InvalidTaskDefinition, and Stalled (only a spec change helps), which kstatus reads as Failed.
	cur := ecstest.GetTaskDefinition(t, k8s, ns, "app")
	patch := client.MergeFrom(cur.DeepCopy())
	cur.Spec.ContainerDefinitions[0].DependsOn = []ecsv1alpha1.ContainerDependency{{ContainerName: "proxy", Condition: ecsv1alpha1.DependencyStart}}
	cur.Spec.ContainerDefinitions[1].DependsOn = []ecsv1alpha1.ContainerDependency{{ContainerName: "web", Condition: ecsv1alpha1.DependencyStart}}
	if err := k8s.Patch(ctx, cur, patch); err != nil {
		t.Fatal(err)
	}
	h = waitHealth(t, taskDefinitionGVK, ns, "app", status.FailedStatus, "Degraded", ecsv1alpha1.InvalidTaskDefinitionReason)
	t.Logf("invalid: %s", h)
	if !strings.Contains(h.argoMsg, "revision 1 stays in use") {
		t.Errorf("Argo CD message %q should say which revision stays in use", h.argoMsg)
	}

	// Fixed: revision 2 registers and it is Healthy again.
	cur = ecstest.GetTaskDefinition(t, k8s, ns, "app")
	patch = client.MergeFrom(cur.DeepCopy())
	cur.Spec.ContainerDefinitions[1].DependsOn = nil
	if err := k8s.Patch(ctx, cur, patch); err != nil {
		t.Fatal(err)
	}
	waitHealth(t, taskDefinitionGVK, ns, "app", status.CurrentStatus, "Healthy", "revision 2 is registered")
}

func TestHealthRepositoryPolicy(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	stmt := []ecrv1alpha1.Statement{{
		Effect:     ecrv1alpha1.EffectAllow,
		Principals: []ecrv1alpha1.Principal{{Kind: ecrv1alpha1.PrincipalGroup, Name: "system:serviceaccounts:team-b"}},
		Actions:    []ecrv1alpha1.Action{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"},
	}}
	all := &ecrv1alpha1.RepositoryPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "all"},
		Spec:       ecrv1alpha1.RepositoryPolicySpec{RepositoryName: "*", Statements: stmt},
	}
	one := &ecrv1alpha1.RepositoryPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "one"},
		Spec:       ecrv1alpha1.RepositoryPolicySpec{RepositoryName: "web-app", Statements: stmt},
	}
	for _, p := range []*ecrv1alpha1.RepositoryPolicy{all, one} {
		if err := k8s.Create(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	h := waitHealth(t, policyGVK, ns, "all", status.CurrentStatus, "Healthy", "in force for every repository")
	t.Logf("namespace-wide: %s", h)
	h = waitHealth(t, policyGVK, ns, "one", status.InProgressStatus, "Degraded", ecrv1alpha1.RepositoryNotFoundReason)
	t.Logf("repository missing: %s", h)

	repo := &ecrv1alpha1.Repository{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web-app"}}
	if err := k8s.Create(ctx, repo); err != nil {
		t.Fatal(err)
	}
	waitHealth(t, policyGVK, ns, "one", status.CurrentStatus, "Healthy", "repository "+ns+"/web-app")
}

// TestHealthRepository checks the Repository script on statuses written through the status
// subresource with the Repository controller's condition reasons: the suite runs no
// Repository controller (it needs a registry; controllers/repository_controller_test.go
// covers it with one).
func TestHealthRepository(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	repo := &ecrv1alpha1.Repository{ObjectMeta: metav1.ObjectMeta{
		Namespace: ns, Name: "web-app", Finalizers: []string{ecrv1alpha1.Finalizer},
	}}
	if err := k8s.Create(ctx, repo); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cur := &ecrv1alpha1.Repository{}
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(repo), cur); err != nil {
			return
		}
		cur.Finalizers = nil
		_ = k8s.Update(context.Background(), cur)
	})
	if h := healthOf(t, liveObject(t, repositoryGVK, ns, "web-app")); h.argo != "Progressing" {
		t.Errorf("Repository without status: %s; want Argo CD Progressing", h)
	}

	setRepoReady := func(st metav1.ConditionStatus, reason, message string, observed bool) {
		t.Helper()
		kubetest.Eventually(t, waitFor, func() error {
			cur := &ecrv1alpha1.Repository{}
			if err := k8s.Get(ctx, client.ObjectKeyFromObject(repo), cur); err != nil {
				return err
			}
			cond := metav1.Condition{Type: ecrv1alpha1.ReadyCondition, Status: st, Reason: reason, Message: message,
				ObservedGeneration: cur.Generation, LastTransitionTime: metav1.Now()}
			cur.Status.Conditions = []metav1.Condition{cond}
			if observed {
				cur.Status.ObservedGeneration = cur.Generation
			}
			cur.Status.RepositoryURI = testRegistryHost + "/" + ns + "/web-app"
			return k8s.Status().Update(ctx, cur)
		})
	}

	// First pass with the registry down: the controller writes Ready=False and no
	// observedGeneration.
	setRepoReady(metav1.ConditionFalse, ecrv1alpha1.RegistryUnavailableReason, "cannot read or change the repository in the registry, retrying: connection refused", false)
	h := healthOf(t, liveObject(t, repositoryGVK, ns, "web-app"))
	if h.argo != "Degraded" || !strings.Contains(h.argoMsg, "connection refused") || h.kstatus != status.InProgressStatus {
		t.Errorf("registry unavailable: %s; want Degraded with the error / InProgress", h)
	}

	setRepoReady(metav1.ConditionTrue, ecrv1alpha1.ReconciledReason, "0 images; push to "+testRegistryHost+"/"+ns+"/web-app", true)
	h = healthOf(t, liveObject(t, repositoryGVK, ns, "web-app"))
	if h.argo != "Healthy" || h.kstatus != status.CurrentStatus {
		t.Errorf("reconciled: %s; want Healthy / Current", h)
	}

	// A spec change: the old Ready=True belongs to the previous generation.
	kubetest.Eventually(t, waitFor, func() error {
		cur := &ecrv1alpha1.Repository{}
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(repo), cur); err != nil {
			return err
		}
		cur.Spec.ImageTagMutability = ecrv1alpha1.Immutable
		return k8s.Update(ctx, cur)
	})
	h = healthOf(t, liveObject(t, repositoryGVK, ns, "web-app"))
	if h.argo != "Progressing" || h.kstatus != status.InProgressStatus {
		t.Errorf("spec changed, not observed: %s; want Progressing / InProgress", h)
	}

	// Deleting a non-empty repository without forceDelete waits with RepositoryNotEmpty.
	if err := k8s.Delete(ctx, repo); err != nil {
		t.Fatal(err)
	}
	setRepoReady(metav1.ConditionFalse, ecrv1alpha1.RepositoryNotEmptyReason,
		"deletion is waiting: the repository holds 3 images; set spec.forceDelete: true to delete them with the Repository, or delete the images first", false)
	h = healthOf(t, liveObject(t, repositoryGVK, ns, "web-app"))
	if h.argo != "Degraded" || !strings.Contains(h.argoMsg, "forceDelete") || h.kstatus != status.TerminatingStatus {
		t.Errorf("deletion blocked: %s; want Degraded naming forceDelete / Terminating", h)
	}
	setRepoReady(metav1.ConditionFalse, "Deleting", "the repository is empty and is being deleted", false)
	h = healthOf(t, liveObject(t, repositoryGVK, ns, "web-app"))
	if h.argo != "Progressing" || !strings.Contains(h.argoMsg, "Being deleted") {
		t.Errorf("deleting: %s; want Progressing, being deleted", h)
	}
}

// TestHealthArgoConfigMap checks that the argocd-cm patch in docs/argocd carries exactly the
// scripts tested here, so the documented configuration cannot drift from them.
func TestHealthArgoConfigMap(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(argoDir, "argocd-cm.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict(b, &cm); err != nil {
		t.Fatal(err)
	}
	if cm.Name != "argocd-cm" {
		t.Errorf("ConfigMap name %q, want argocd-cm", cm.Name)
	}
	for _, gvk := range everyKind {
		key := "resource.customizations.health." + gvk.Group + "_" + gvk.Kind
		got, ok := cm.Data[key]
		if !ok {
			t.Errorf("argocd-cm has no %s", key)
			continue
		}
		if want := argoScript(t, gvk); got != want {
			t.Errorf("argocd-cm %s differs from %s_%s.lua", key, gvk.Group, gvk.Kind)
		}
	}
	if len(cm.Data) != len(everyKind) {
		t.Errorf("argocd-cm has %d keys, want the %d health checks", len(cm.Data), len(everyKind))
	}
}

// TestHealthScriptsRejectNothingArgoLacks runs every script on an object without status and
// on one with every field Berth writes, so a script using a library Argo CD does not open
// (string, os) fails here rather than in Argo CD.
func TestHealthScriptsRejectNothingArgoLacks(t *testing.T) {
	for _, gvk := range everyKind {
		bare := &unstructured.Unstructured{}
		bare.SetGroupVersionKind(gvk)
		bare.SetName("x")
		bare.SetGeneration(1)
		if st, _, err := runArgoHealth(argoScript(t, gvk), bare); err != nil || st != "Progressing" {
			t.Errorf("%s without status: %s, %v; want Progressing", gvk.Kind, st, err)
		}
		full := bare.DeepCopy()
		full.Object["status"] = map[string]any{
			"observedGeneration": int64(1),
			"conditions": []any{
				map[string]any{"type": "Ready", "status": "Unknown", "reason": "Whatever", "observedGeneration": int64(1)},
				map[string]any{"type": "Reconciling", "status": "True", "reason": "Progressing"},
			},
		}
		if st, msg, err := runArgoHealth(argoScript(t, gvk), full); err != nil || st != "Progressing" || msg != "Whatever" {
			t.Errorf("%s with Ready=Unknown: %s %q, %v; want Progressing", gvk.Kind, st, msg, err)
		}
	}
	// A string-library call fails in Argo CD's VM; the harness must fail it too.
	if _, _, err := runArgoHealth(`return {status = string.upper("healthy")}`, &unstructured.Unstructured{Object: map[string]any{}}); err == nil {
		t.Error("the string library is open in the harness; Argo CD does not open it")
	}
}

// TestHealthTask follows a standalone Task as Argo CD and kstatus read it: Degraded/Failed
// while its task definition is missing, Progressing/InProgress while it starts and runs,
// Healthy/Current once its essential container exited 0 (what a hook Task waits for).
func TestHealthTask(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	task := &ecsv1alpha1.Task{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "once"}, Spec: ecsv1alpha1.TaskSpec{TaskDefinition: "app"}}
	if err := k8s.Create(ctx, task); err != nil {
		t.Fatal(err)
	}
	h := waitHealth(t, taskGVK, ns, "once", status.FailedStatus, "Degraded", ecsv1alpha1.TaskDefinitionNotFoundReason)
	t.Logf("no task definition: %s", h)

	if err := k8s.Create(ctx, ecstest.NewTaskDefinition(ns, "app", "app:1")); err != nil {
		t.Fatal(err)
	}
	h = waitHealth(t, taskGVK, ns, "once", status.InProgressStatus, "Progressing", ecsv1alpha1.TaskStartingReason)
	t.Logf("starting: %s", h)

	// The kubelet's part: bind the Pod, run it, and end it with exit 0.
	pod := &corev1.Pod{}
	kubetest.Eventually(t, waitFor, func() error {
		return k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "once"}, pod)
	})
	if err := k8s.SubResource("binding").Create(ctx, pod, &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: pod.Name},
		Target:     corev1.ObjectReference{Kind: "Node", Name: "node-a"},
	}); err != nil {
		t.Fatal(err)
	}
	kubetest.Eventually(t, waitFor, func() error {
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(pod), pod); err != nil {
			return err
		}
		start := metav1.NewTime(time.Now().Add(-time.Second).Truncate(time.Second))
		pod.Status.Phase = corev1.PodSucceeded
		pod.Status.ContainerStatuses = nil
		for _, c := range pod.Spec.Containers {
			pod.Status.ContainerStatuses = append(pod.Status.ContainerStatuses, corev1.ContainerStatus{Name: c.Name, Image: c.Image,
				State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed", StartedAt: start, FinishedAt: start}}})
		}
		return k8s.Status().Update(ctx, pod)
	})
	h = waitHealth(t, taskGVK, ns, "once", status.CurrentStatus, "Healthy", "")
	t.Logf("exited 0: %s", h)
}

// TestHealthScheduledTask: Healthy while scheduled, Suspended when DISABLED (as Argo CD shows
// a suspended CronJob), Degraded with an unknown time zone.
func TestHealthScheduledTask(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	st := &ecsv1alpha1.ScheduledTask{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "nightly"},
		Spec: ecsv1alpha1.ScheduledTaskSpec{
			ScheduleExpression: "cron(0 3 * * ? *)",
			TaskTemplate:       ecsv1alpha1.ScheduledTaskTemplate{TaskDefinition: "app"},
		},
	}
	if err := k8s.Create(ctx, st); err != nil {
		t.Fatal(err)
	}
	h := waitHealth(t, scheduledTaskGVK, ns, "nightly", status.CurrentStatus, "Healthy", "the next run is scheduled")
	t.Logf("scheduled: %s", h)

	patch := func(change func(*ecsv1alpha1.ScheduledTask)) {
		t.Helper()
		cur := &ecsv1alpha1.ScheduledTask{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "nightly"}, cur); err != nil {
			t.Fatal(err)
		}
		p := client.MergeFrom(cur.DeepCopy())
		change(cur)
		if err := k8s.Patch(ctx, cur, p); err != nil {
			t.Fatal(err)
		}
	}
	patch(func(s *ecsv1alpha1.ScheduledTask) { s.Spec.State = ecsv1alpha1.ScheduleDisabled })
	h = waitHealth(t, scheduledTaskGVK, ns, "nightly", status.CurrentStatus, "Suspended", "DISABLED")
	t.Logf("disabled: %s", h)

	patch(func(s *ecsv1alpha1.ScheduledTask) {
		s.Spec.State = ecsv1alpha1.ScheduleEnabled
		s.Spec.ScheduleExpressionTimezone = "Mars/Olympus_Mons"
	})
	h = waitHealth(t, scheduledTaskGVK, ns, "nightly", status.FailedStatus, "Degraded", ecsv1alpha1.InvalidTimezoneReason)
	t.Logf("unknown time zone: %s", h)
}
