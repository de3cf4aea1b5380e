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
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"

	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

// podAdmission is a validating admission webhook for the task Pods of one namespace, served by
// the test: it counts the Pod creations the API server sends it (every create request that
// gets that far) and refuses them while deny is set, as a broken admission webhook would.
type podAdmission struct {
	mu    sync.Mutex
	count int
	// dryRuns counts the dry-run creates that show the webhook is in force.
	dryRuns int
	deny    bool
}

func (a *podAdmission) creates() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.count
}

func (a *podAdmission) setDeny(deny bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.deny = deny
}

func (a *podAdmission) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	review := &admissionv1.AdmissionReview{}
	if err := json.NewDecoder(r.Body).Decode(review); err != nil || review.Request == nil {
		http.Error(w, "bad review", http.StatusBadRequest)
		return
	}
	a.mu.Lock()
	if review.Request.DryRun != nil && *review.Request.DryRun {
		a.dryRuns++
	} else {
		a.count++
	}
	allowed := !a.deny
	a.mu.Unlock()
	review.Response = &admissionv1.AdmissionResponse{UID: review.Request.UID, Allowed: allowed}
	if !allowed {
		review.Response.Result = &metav1.Status{Code: http.StatusForbidden, Message: "the policy service is down"}
	}
	review.Request = nil
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(review)
}

// startPodAdmission serves a podAdmission over TLS and registers it for the task Pods created
// in ns; it returns once the API server calls it.
func startPodAdmission(t *testing.T, ns string, deny bool) *podAdmission {
	t.Helper()
	ctx := context.Background()
	a := &podAdmission{deny: deny}
	srv := httptest.NewTLSServer(a)
	t.Cleanup(srv.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	cfg := &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "count-creates-" + ns},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:                    "count-creates.berth.test",
			ClientConfig:            admissionregistrationv1.WebhookClientConfig{URL: ptr.To(srv.URL), CABundle: ca},
			Rules:                   []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create}, Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}}}},
			NamespaceSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{corev1.LabelMetadataName: ns}},
			ObjectSelector:          &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: ecsv1alpha1.ServiceLabel, Operator: metav1.LabelSelectorOpExists}}},
			SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
			AdmissionReviewVersions: []string{"v1"},
			// Ignore: the other tests of the package never depend on this server.
			FailurePolicy:  ptr.To(admissionregistrationv1.Ignore),
			TimeoutSeconds: ptr.To[int32](5),
		}},
	}
	if err := k8s.Create(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), cfg) })
	// The API server picks the configuration up in the background: a dry-run create reaches
	// the webhook (not counted) once it is in force.
	probe := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "probe", Labels: map[string]string{ecsv1alpha1.ServiceLabel: "probe"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
	}
	kubetest.Eventually(t, waitFor, func() error {
		_ = k8s.Create(ctx, probe.DeepCopy(), client.DryRunAll)
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.dryRuns == 0 {
			return errors.New("the webhook is not called yet")
		}
		return nil
	})
	return a
}

// TestServiceSlowStartWhenCreatesFail proves the slow start of task creations against a real
// API server: while an admission webhook refuses every task Pod, a Service of 50 tasks sends
// one create per pass (1, then the next pass after the workqueue's back-off), not 50; with a
// ResourceQuota of 5 Pods it sends the batches 1, 2, 4 and stops; both recover once creates
// succeed again. Without the slow start the first pass alone sends 50 creates.
func TestServiceSlowStartWhenCreatesFail(t *testing.T) {
	ctx := context.Background()
	const desired = 50
	// A pass retried with the workqueue's back-off (5 ms, doubling) makes about ten passes in
	// the 5 s watched; the bound leaves room for more passes on a loaded machine, and is less
	// than one pass without the slow start.
	const watched, maxCreates = 5 * time.Second, 30

	t.Run("admission refuses every task", func(t *testing.T) {
		ns := serviceNamespace(t)
		createTaskDefinition(t, ns)
		adm := startPodAdmission(t, ns, true)
		if err := k8s.Create(ctx, newService(ns, "web", desired)); err != nil {
			t.Fatal(err)
		}
		kubetest.Eventually(t, waitFor, func() error {
			c := conditionOf(getService(t, ns, "web"), ecsv1alpha1.ReconcilingCondition)
			if c == nil || !strings.Contains(c.Message, "not attempted") || !strings.Contains(c.Message, "the policy service is down") {
				return fmt.Errorf("Reconciling = %+v, want the refusal and the tasks not attempted", c)
			}
			return nil
		})
		time.Sleep(watched)
		n := adm.creates()
		t.Logf("%d task Pod creations reached admission in %s while it refused them", n, watched)
		if n < 1 || n > maxCreates {
			t.Errorf("%d create requests while every one is refused, want 1..%d (one per pass)", n, maxCreates)
		}
		if pods := livePods(t, ns, "web"); len(pods) != 0 {
			t.Errorf("%d task Pods exist", len(pods))
		}
		adm.setDeny(false)
		waitPods(t, ns, "web", desired)
	})

	t.Run("quota for 5 Pods", func(t *testing.T) {
		ns := serviceNamespace(t)
		createTaskDefinition(t, ns)
		adm := startPodAdmission(t, ns, false)
		quota := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "pods"},
			Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("5")}}}
		if err := k8s.Create(ctx, quota); err != nil {
			t.Fatal(err)
		}
		// Quota admission refuses every Pod while the quota has no status, which the quota
		// controller (not in envtest) writes first; from then on admission counts the usage.
		quota.Status = corev1.ResourceQuotaStatus{Hard: quota.Spec.Hard, Used: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("0")}}
		if err := k8s.Status().Update(ctx, quota); err != nil {
			t.Fatal(err)
		}
		if err := k8s.Create(ctx, newService(ns, "web", desired)); err != nil {
			t.Fatal(err)
		}
		kubetest.Eventually(t, waitFor, func() error {
			if n := len(livePods(t, ns, "web")); n != 5 {
				return fmt.Errorf("%d task Pods, want the quota's 5", n)
			}
			return nil
		})
		time.Sleep(watched)
		n := adm.creates()
		t.Logf("%d task Pod creations reached admission (5 admitted by the quota) in about %s", n, watched)
		if n < 5 || n > maxCreates {
			t.Errorf("%d create requests for a quota of 5, want 5..%d", n, maxCreates)
		}
		if pods := livePods(t, ns, "web"); len(pods) != 5 {
			t.Errorf("%d task Pods, want 5", len(pods))
		}
		if err := k8s.Delete(ctx, quota); err != nil {
			t.Fatal(err)
		}
		waitPods(t, ns, "web", desired)
	})
}

// TestServiceScaleUpWritesBounded scales a Service from 0 to 300 tasks while a simulated
// kubelet runs them one by one, and counts what the controller writes about it: status writes
// (the Service's watch events) stay near one a second (statuspace.DefaultInterval) plus the
// state changes, not one per Pod that turned Running; the start is one service event and one
// Kubernetes Event (not one per ten tasks); the status events list stays short.
func TestServiceScaleUpWritesBounded(t *testing.T) {
	ctx := context.Background()
	const desired = 300
	ns := serviceNamespace(t)
	createTaskDefinition(t, ns)
	if err := k8s.Create(ctx, newService(ns, "web", 0)); err != nil {
		t.Fatal(err)
	}
	waitSteady(t, ns, "web", 0)
	nodes := threeZones(t, ns)
	startKubelet(t, ns, roundRobin(nodes...), always(runReady))

	wc, err := client.NewWithWatch(k8sConfig, client.Options{Scheme: k8s.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	w, err := wc.Watch(ctx, &ecsv1alpha1.ServiceList{}, client.InNamespace(ns))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	start := time.Now()
	updateService(t, ns, "web", func(s *ecsv1alpha1.Service) { s.Spec.DesiredCount = ptr.To[int32](desired) })
	writes, seen := 0, ""
	deadline := time.After(2 * time.Minute)
	var steadyAt time.Duration
	for steadyAt == 0 {
		select {
		case ev := <-w.ResultChan():
			svc, ok := ev.Object.(*ecsv1alpha1.Service)
			if ev.Type != watch.Modified || !ok || svc.ResourceVersion == seen {
				continue
			}
			seen = svc.ResourceVersion
			if svc.Generation == svc.Status.ObservedGeneration || svc.Status.DesiredCount == desired {
				writes++ // a status write (the scale is the one spec write, seen before any)
			}
			if c := conditionOf(svc, ecsv1alpha1.ReadyCondition); c != nil && c.Status == metav1.ConditionTrue && svc.Status.RunningCount == desired {
				steadyAt = time.Since(start)
			}
		case <-deadline:
			t.Fatalf("not steady with %d tasks after 2 minutes; %d status writes seen", desired, writes)
		}
	}
	// A write a second while the counts move, plus the changes that are written at once (the
	// new desired count with the start event, Ready, the steady state event …).
	bound := int(steadyAt/time.Second) + 8
	t.Logf("0→%d tasks steady after %s with %d status writes (bound %d)", desired, steadyAt.Round(time.Millisecond), writes, bound)
	if writes > bound {
		t.Errorf("%d status writes in %s, want at most %d", writes, steadyAt.Round(time.Millisecond), bound)
	}

	svc := getService(t, ns, "web")
	started := 0
	for _, m := range eventMessages(svc) {
		if strings.Contains(m, "has started") {
			started++
		}
	}
	if started < 1 || started > 3 || len(svc.Status.Events) > 6 {
		t.Errorf("%d TasksStarted service events, %d in all, want 1–3 of at most 6: %v", started, len(svc.Status.Events), eventMessages(svc))
	}
	kubetest.Eventually(t, waitFor, func() error {
		n := 0
		for _, r := range kubeEventReasons(t, ns, "web") {
			if r == "TasksStarted" {
				n++
			}
		}
		if n < 1 || n > 3 {
			return fmt.Errorf("%d TasksStarted Kubernetes Events for %d tasks, want 1–3", n, desired)
		}
		return nil
	})
}
