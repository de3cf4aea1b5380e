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
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

// stagedService is a Service of the "web" family with desired tasks behind one load balancer
// and an alternate (test) Service, deploying with strategy.
func stagedService(ns string, desired int32, dc ecsv1alpha1.DeploymentConfiguration, route string) *ecsv1alpha1.Service {
	svc := newService(ns, "web", desired)
	svc.Spec.DeploymentConfiguration = dc
	svc.Spec.LoadBalancers = []ecsv1alpha1.LoadBalancer{{ContainerName: "web", ContainerPort: 8080, Port: ptr.To[int32](80),
		AdvancedConfiguration: &ecsv1alpha1.AdvancedConfiguration{AlternateServiceName: "web-test", HTTPRouteName: route}}}
	return svc
}

// selectorOf reads a core Service's selector ("" when the Service does not exist).
func selectorOf(t *testing.T, ns, name string) map[string]string {
	t.Helper()
	cs := &corev1.Service{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, cs); err != nil {
		return nil
	}
	return cs.Spec.Selector
}

// waitProduction waits until the production Service "web" selects deployment dep only.
func waitProduction(t *testing.T, ns, dep string) {
	t.Helper()
	kubetest.Eventually(t, waitFor, func() error {
		if sel := selectorOf(t, ns, "web")[ecsv1alpha1.DeploymentLabel]; sel != dep {
			return fmt.Errorf("production selects %q, want %s", sel, dep)
		}
		return nil
	})
}

// deploymentPods counts the live task Pods of a deployment.
func deploymentPods(t *testing.T, ns, dep string) int {
	t.Helper()
	n := 0
	for _, p := range livePods(t, ns, "web") {
		if p.Labels[ecsv1alpha1.DeploymentLabel] == dep {
			n++
		}
	}
	return n
}

// waitHistory waits until the newest service deployment satisfies ok.
func waitHistory(t *testing.T, ns string, ok func(ecsv1alpha1.ServiceDeployment) error) *ecsv1alpha1.Service {
	t.Helper()
	var svc *ecsv1alpha1.Service
	kubetest.Eventually(t, waitFor, func() error {
		svc = getService(t, ns, "web")
		if len(svc.Status.ServiceDeployments) == 0 {
			return fmt.Errorf("no service deployment yet")
		}
		return ok(svc.Status.ServiceDeployments[0])
	})
	return svc
}

func inStage(stage ecsv1alpha1.LifecycleStage) func(ecsv1alpha1.ServiceDeployment) error {
	return func(d ecsv1alpha1.ServiceDeployment) error {
		if d.TargetTaskDefinition != "web:2" || d.Status != ecsv1alpha1.ServiceDeploymentInProgress || d.LifecycleStage != stage {
			return fmt.Errorf("newest deployment %s %s %s, want web:2 IN_PROGRESS in %s", d.TargetTaskDefinition, d.Status, d.LifecycleStage, stage)
		}
		return nil
	}
}

func withStatus(status ecsv1alpha1.ServiceDeploymentState) func(ecsv1alpha1.ServiceDeployment) error {
	return func(d ecsv1alpha1.ServiceDeployment) error {
		if d.TargetTaskDefinition != "web:2" || d.Status != status {
			return fmt.Errorf("newest deployment %s %s (%s), want web:2 %s", d.TargetTaskDefinition, d.Status, d.LifecycleStage, status)
		}
		return nil
	}
}

// sampleSelectors records every distinct selector a core Service has until the test ends.
func sampleSelectors(t *testing.T, ns, name string) func() []string {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
			cs := &corev1.Service{}
			if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, cs); err != nil {
				continue
			}
			sel := cs.Spec.Selector[ecsv1alpha1.DeploymentLabel]
			if sel == "" {
				sel = "<all tasks>"
			}
			mu.Lock()
			if len(seen) == 0 || seen[len(seen)-1] != sel {
				seen = append(seen, sel)
			}
			mu.Unlock()
		}
	}()
	stop := sync.OnceFunc(func() { close(done); <-stopped })
	t.Cleanup(stop)
	return func() []string {
		stop()
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(seen)
	}
}

// TestServiceBlueGreen deploys a new revision BLUE_GREEN: green starts at full count beside
// blue, the test Service selects green first, the production Service switches from blue to
// green in one write (never selecting both), and blue stops after the bake.
func TestServiceBlueGreen(t *testing.T) {
	ns := serviceNamespace(t)
	createTaskDefinition(t, ns)
	svc := stagedService(ns, 2, ecsv1alpha1.DeploymentConfiguration{Strategy: ecsv1alpha1.DeploymentStrategyBlueGreen, BakeTimeInMinutes: ptr.To[int32](0)}, "")
	if err := k8s.Create(context.Background(), svc); err != nil {
		t.Fatal(err)
	}
	startKubelet(t, ns, roundRobin(threeZones(t, ns)...), always(runReady))
	first := waitHistory(t, ns, func(d ecsv1alpha1.ServiceDeployment) error {
		if d.TargetTaskDefinition != "web:1" || d.Status != ecsv1alpha1.ServiceDeploymentSuccessful {
			return fmt.Errorf("first deployment %s %s, want web:1 SUCCESSFUL", d.TargetTaskDefinition, d.Status)
		}
		return nil
	})
	blue := primary(waitSteady(t, ns, "web", 2)).ID
	if sel := selectorOf(t, ns, "web")[ecsv1alpha1.DeploymentLabel]; sel != blue {
		t.Fatalf("production selects deployment %q, want blue %s", sel, blue)
	}
	if len(first.Status.ServiceDeployments[0].Images) != 1 || first.Status.ServiceDeployments[0].Images[0].Image != "nginx:1.26" {
		t.Errorf("history images = %+v", first.Status.ServiceDeployments[0].Images)
	}

	production := sampleSelectors(t, ns, "web")
	test := sampleSelectors(t, ns, "web-test")
	setImage(t, ns, "web", "nginx:1.27")
	waitRevision(t, ns, "web", 2)
	cur := waitHistory(t, ns, withStatus(ecsv1alpha1.ServiceDeploymentSuccessful))
	green := cur.Status.ServiceDeployments[0].ID
	waitSteady(t, ns, "web", 2)

	if got := production(); !slices.Equal(got, []string{blue, green}) {
		t.Errorf("production Service selected %v, want blue then green, one switch", got)
	}
	if got := test(); len(got) < 2 || got[0] != blue || !slices.Contains(got, green) {
		t.Errorf("test Service selected %v, want blue, then green", got)
	}
	e := cur.Status.ServiceDeployments[0]
	if e.Strategy != ecsv1alpha1.DeploymentStrategyBlueGreen || e.SourceDeployment != blue || e.SourceTaskDefinition != "web:1" ||
		e.TrafficControl != ecsv1alpha1.TrafficServiceSelector || e.TargetWeight != 1000 || e.FinishedAt == nil {
		t.Errorf("history entry = %+v", e)
	}
	if deploymentPods(t, ns, blue) != 0 {
		t.Errorf("blue tasks left after CLEAN_UP")
	}
	for _, text := range []string{"has entered the SCALE_UP lifecycle stage", "has entered the TEST_TRAFFIC_SHIFT lifecycle stage",
		"shifted 100% of production traffic to the target revision", "has entered the BAKE_TIME lifecycle stage",
		"has entered the CLEAN_UP lifecycle stage", "(deployment " + green + ") deployment completed."} {
		if !hasEvent(cur, text) {
			t.Errorf("no event %q in %v", text, eventMessages(cur))
		}
	}
}

// TestServiceBlueGreenRollbackDuringBake asks for a rollback (the annotation) while a
// BLUE_GREEN deployment bakes: production goes back to blue in one write, green stops, the
// history says ROLLBACK_SUCCESSFUL and the Service is Stalled (RolledBack) until the next
// deployment. Blue kept its full count throughout.
func TestServiceBlueGreenRollbackDuringBake(t *testing.T) {
	ns := serviceNamespace(t)
	createTaskDefinition(t, ns)
	svc := stagedService(ns, 2, ecsv1alpha1.DeploymentConfiguration{Strategy: ecsv1alpha1.DeploymentStrategyBlueGreen, BakeTimeInMinutes: ptr.To[int32](30)}, "")
	if err := k8s.Create(context.Background(), svc); err != nil {
		t.Fatal(err)
	}
	startKubelet(t, ns, roundRobin(threeZones(t, ns)...), always(runReady))
	blue := primary(waitSteady(t, ns, "web", 2)).ID
	setImage(t, ns, "web", "nginx:1.27")
	waitRevision(t, ns, "web", 2)
	cur := waitHistory(t, ns, inStage(ecsv1alpha1.StageBakeTime))
	green := cur.Status.ServiceDeployments[0].ID
	waitProduction(t, ns, green)
	if n := deploymentPods(t, ns, blue); n != 2 {
		t.Errorf("blue has %d tasks during the bake, want 2", n)
	}
	if c := conditionOf(cur, ecsv1alpha1.ReconcilingCondition); c == nil || c.Status != metav1.ConditionTrue {
		t.Errorf("Reconciling = %+v during the bake, want True", c)
	}

	production := sampleSelectors(t, ns, "web")
	asked := time.Now()
	updateServiceAnnotation(t, ns, ecsv1alpha1.RollbackAnnotation, green)
	waitProduction(t, ns, blue)
	t.Logf("rollback request to production selecting blue only: %v (envtest; includes the annotation write and the polling interval)", time.Since(asked).Round(time.Millisecond))
	cur = waitHistory(t, ns, withStatus(ecsv1alpha1.ServiceDeploymentRollbackSuccessful))
	if got := production(); !slices.Equal(got, []string{green, blue}) {
		t.Errorf("production Service selected %v during the rollback, want green then blue", got)
	}
	kubetest.Eventually(t, waitFor, func() error {
		if n := deploymentPods(t, ns, green); n != 0 {
			return fmt.Errorf("%d green tasks left", n)
		}
		return nil
	})
	if n := deploymentPods(t, ns, blue); n != 2 {
		t.Errorf("blue has %d tasks after the rollback, want 2", n)
	}
	kubetest.Eventually(t, waitFor, func() error {
		cur = getService(t, ns, "web")
		if c := conditionOf(cur, ecsv1alpha1.StalledCondition); c == nil || c.Reason != ecsv1alpha1.RolledBackReason {
			return fmt.Errorf("Stalled = %+v, want RolledBack", c)
		}
		if p := primary(cur); p == nil || p.ID != blue {
			return fmt.Errorf("PRIMARY %+v, want blue", p)
		}
		return nil
	})
	if !hasEvent(cur, "rolling back in the BAKE_TIME lifecycle stage: a rollback was requested.") {
		t.Errorf("no rollback event in %v", eventMessages(cur))
	}
	// The rollback stands: the spec still names web:2, and nothing starts it again.
	kubetest.Consistently(t, 2*time.Second, func() error {
		if n := deploymentPods(t, ns, green); n != 0 {
			return fmt.Errorf("green restarted after the rollback: %d tasks", n)
		}
		return nil
	})
}

// updateServiceAnnotation sets an annotation on the "web" Service (as kubectl annotate does).
func updateServiceAnnotation(t *testing.T, ns, key, value string) {
	t.Helper()
	updateService(t, ns, "web", func(s *ecsv1alpha1.Service) {
		if s.Annotations == nil {
			s.Annotations = map[string]string{}
		}
		s.Annotations[key] = value
	})
}

// newRoute is an HTTPRoute with one rule whose two backendRefs are the production and the
// alternate Service.
func newRoute(ns string) *gatewayv1.HTTPRoute {
	ref := func(name string, w int32) gatewayv1.HTTPBackendRef {
		return gatewayv1.HTTPBackendRef{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{
			Name: gatewayv1.ObjectName(name), Port: ptr.To[gatewayv1.PortNumber](80)}, Weight: ptr.To(w)}}
	}
	return &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"},
		Spec: gatewayv1.HTTPRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{Name: "gateway"}}},
			Rules:           []gatewayv1.HTTPRouteRule{{BackendRefs: []gatewayv1.HTTPBackendRef{ref("web", 1), ref("web-test", 0)}}}}}
}

// routeWeights reads the weights of the route's backendRefs by Service name.
func routeWeights(t *testing.T, ns string) map[string]int32 {
	t.Helper()
	r := &gatewayv1.HTTPRoute{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "web"}, r); err != nil {
		t.Fatal(err)
	}
	out := map[string]int32{}
	for _, ref := range r.Spec.Rules[0].BackendRefs {
		out[string(ref.Name)] = ptr.Deref(ref.Weight, -1)
	}
	return out
}

// TestServiceCanaryHTTPRoute deploys CANARY through a Gateway API HTTPRoute: green gets its
// full count, then 20% of the weight; while the canary bakes, a rollback request puts the
// weights back on production in one write.
func TestServiceCanaryHTTPRoute(t *testing.T) {
	ns := serviceNamespace(t)
	createTaskDefinition(t, ns)
	if err := k8s.Create(context.Background(), newRoute(ns)); err != nil {
		t.Fatal(err)
	}
	svc := stagedService(ns, 2, ecsv1alpha1.DeploymentConfiguration{Strategy: ecsv1alpha1.DeploymentStrategyCanary,
		CanaryConfiguration: &ecsv1alpha1.CanaryConfiguration{CanaryPercent: ptr.To(20.0), CanaryBakeTimeInMinutes: ptr.To[int32](30)}}, "web")
	if err := k8s.Create(context.Background(), svc); err != nil {
		t.Fatal(err)
	}
	startKubelet(t, ns, roundRobin(threeZones(t, ns)...), always(runReady))
	blue := primary(waitSteady(t, ns, "web", 2)).ID
	kubetest.Eventually(t, waitFor, func() error {
		if w := routeWeights(t, ns); !maps.Equal(w, map[string]int32{"web": 1000, "web-test": 0}) {
			return fmt.Errorf("weights %v at steady state, want all on web", w)
		}
		return nil
	})

	setImage(t, ns, "web", "nginx:1.27")
	waitRevision(t, ns, "web", 2)
	cur := waitHistory(t, ns, inStage(ecsv1alpha1.StageProductionTrafficShift))
	green := cur.Status.ServiceDeployments[0].ID
	if e := cur.Status.ServiceDeployments[0]; e.TargetWeight != 200 || e.TrafficControl != ecsv1alpha1.TrafficHTTPRoute {
		t.Errorf("history entry = %+v, want weight 200 by HTTPRoute", e)
	}
	kubetest.Eventually(t, waitFor, func() error {
		if w := routeWeights(t, ns); !maps.Equal(w, map[string]int32{"web": 800, "web-test": 200}) {
			return fmt.Errorf("weights %v, want 800/200", w)
		}
		if sel := selectorOf(t, ns, "web")[ecsv1alpha1.DeploymentLabel]; sel != blue {
			return fmt.Errorf("production Service selects %q, want blue", sel)
		}
		if sel := selectorOf(t, ns, "web-test")[ecsv1alpha1.DeploymentLabel]; sel != green {
			return fmt.Errorf("alternate Service selects %q, want green", sel)
		}
		return nil
	})
	if n, m := deploymentPods(t, ns, blue), deploymentPods(t, ns, green); n != 2 || m != 2 {
		t.Errorf("blue %d green %d tasks during the canary, want 2 and 2", n, m)
	}

	updateServiceAnnotation(t, ns, ecsv1alpha1.RollbackAnnotation, green)
	waitHistory(t, ns, withStatus(ecsv1alpha1.ServiceDeploymentRollbackSuccessful))
	if w := routeWeights(t, ns); !maps.Equal(w, map[string]int32{"web": 1000, "web-test": 0}) {
		t.Errorf("weights %v after the rollback, want all on web", w)
	}
}

// TestServiceLinearApproximated deploys LINEAR without an HTTPRoute: the share follows the
// task counts behind the production Service, which selects every task meanwhile, and
// Progressing says Approximated.
func TestServiceLinearApproximated(t *testing.T) {
	ns := serviceNamespace(t)
	createTaskDefinition(t, ns)
	svc := stagedService(ns, 2, ecsv1alpha1.DeploymentConfiguration{Strategy: ecsv1alpha1.DeploymentStrategyLinear,
		LinearConfiguration: &ecsv1alpha1.LinearConfiguration{StepPercent: ptr.To(50.0), StepBakeTimeInMinutes: ptr.To[int32](30)}}, "")
	if err := k8s.Create(context.Background(), svc); err != nil {
		t.Fatal(err)
	}
	startKubelet(t, ns, roundRobin(threeZones(t, ns)...), always(runReady))
	blue := primary(waitSteady(t, ns, "web", 2)).ID
	setImage(t, ns, "web", "nginx:1.27")
	waitRevision(t, ns, "web", 2)
	cur := waitHistory(t, ns, inStage(ecsv1alpha1.StageProductionTrafficShift))
	green := cur.Status.ServiceDeployments[0].ID
	kubetest.Eventually(t, waitFor, func() error {
		cur = getService(t, ns, "web")
		if c := conditionOf(cur, ecsv1alpha1.ProgressingCondition); c == nil || c.Reason != ecsv1alpha1.ApproximatedReason {
			return fmt.Errorf("Progressing = %+v, want reason Approximated", c)
		}
		if sel := selectorOf(t, ns, "web"); sel == nil || sel[ecsv1alpha1.DeploymentLabel] != "" {
			return fmt.Errorf("production selects %v, want every task", sel)
		}
		if n, m := deploymentPods(t, ns, blue), deploymentPods(t, ns, green); n != 2 || m != 1 {
			return fmt.Errorf("blue %d green %d tasks at 50%%, want 2 and 1", n, m)
		}
		return nil
	})
}

// TestServiceHeadlessBlueGreen: a service without loadBalancers deploys BLUE_GREEN without
// traffic stages.
func TestServiceHeadlessBlueGreen(t *testing.T) {
	ns := serviceNamespace(t)
	createTaskDefinition(t, ns)
	svc := newService(ns, "web", 2)
	svc.Spec.DeploymentConfiguration = ecsv1alpha1.DeploymentConfiguration{Strategy: ecsv1alpha1.DeploymentStrategyBlueGreen, BakeTimeInMinutes: ptr.To[int32](0)}
	if err := k8s.Create(context.Background(), svc); err != nil {
		t.Fatal(err)
	}
	startKubelet(t, ns, roundRobin(threeZones(t, ns)...), always(runReady))
	waitSteady(t, ns, "web", 2)
	setImage(t, ns, "web", "nginx:1.27")
	waitRevision(t, ns, "web", 2)
	cur := waitHistory(t, ns, withStatus(ecsv1alpha1.ServiceDeploymentSuccessful))
	if e := cur.Status.ServiceDeployments[0]; e.TrafficControl != ecsv1alpha1.TrafficNone {
		t.Errorf("history entry = %+v, want trafficControl None", e)
	}
	if hasEvent(cur, "TRAFFIC_SHIFT") || hasEvent(cur, "of production traffic") {
		t.Errorf("traffic events for a headless service: %v", eventMessages(cur))
	}
}

// TestServiceHistoryRolling: ROLLING deployments are in the history too; deploying a revision
// again (a revert) moves its entry to the front instead of repeating its id.
func TestServiceHistoryRolling(t *testing.T) {
	ns := serviceNamespace(t)
	createTaskDefinition(t, ns)
	if err := k8s.Create(context.Background(), newService(ns, "web", 2)); err != nil {
		t.Fatal(err)
	}
	startKubelet(t, ns, roundRobin(threeZones(t, ns)...), always(runReady))
	waitSteady(t, ns, "web", 2)
	setImage(t, ns, "web", "nginx:1.27")
	waitRevision(t, ns, "web", 2)
	waitHistory(t, ns, withStatus(ecsv1alpha1.ServiceDeploymentSuccessful))
	updateService(t, ns, "web", func(s *ecsv1alpha1.Service) { s.Spec.TaskDefinition = "web:1" })
	cur := waitHistory(t, ns, func(d ecsv1alpha1.ServiceDeployment) error {
		if d.TargetTaskDefinition != "web:1" || d.Status != ecsv1alpha1.ServiceDeploymentSuccessful {
			return fmt.Errorf("newest deployment %s %s, want web:1 SUCCESSFUL", d.TargetTaskDefinition, d.Status)
		}
		return nil
	})
	var got []string
	for _, d := range cur.Status.ServiceDeployments {
		got = append(got, d.TargetTaskDefinition+" "+string(d.Strategy)+" "+string(d.Status))
	}
	if want := []string{"web:1 ROLLING SUCCESSFUL", "web:2 ROLLING SUCCESSFUL"}; !slices.Equal(got, want) {
		t.Errorf("history %v, want %v", got, want)
	}
	if e := cur.Status.ServiceDeployments[1]; e.SourceTaskDefinition != "web:1" || len(e.Images) != 1 || e.Images[0].Image != "nginx:1.27" {
		t.Errorf("web:2 entry = %+v", e)
	}
}

// hookServer is a real HTTP server playing lifecycle hooks: answer decides each call's
// hookStatus by stage and the number of calls so far.
type hookServer struct {
	mu    sync.Mutex
	calls []map[string]any
}

func startHookServer(t *testing.T, answer func(stage string, n int) string) (*hookServer, string) {
	t.Helper()
	h := &hookServer{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.calls = append(h.calls, body)
		n := 0
		for _, c := range h.calls {
			if c["lifecycleStage"] == body["lifecycleStage"] {
				n++
			}
		}
		h.mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"hookStatus": answer(fmt.Sprint(body["lifecycleStage"]), n), "callBackDelaySeconds": 1})
	}))
	t.Cleanup(srv.Close)
	return h, srv.URL
}

func (h *hookServer) stages() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, c := range h.calls {
		out = append(out, fmt.Sprint(c["lifecycleStage"]))
	}
	return out
}

// TestServiceLifecycleHooks: a hook at POST_SCALE_UP answers IN_PROGRESS, then SUCCEEDED;
// the deployment waits, then goes on. A hook at POST_TEST_TRAFFIC_SHIFT answers FAILED: the
// deployment rolls back from that stage, and production traffic never reached green.
func TestServiceLifecycleHooks(t *testing.T) {
	ns := serviceNamespace(t)
	createTaskDefinition(t, ns)
	hooks, url := startHookServer(t, func(stage string, n int) string {
		switch {
		case stage == "POST_SCALE_UP" && n == 1:
			return "IN_PROGRESS"
		case stage == "POST_TEST_TRAFFIC_SHIFT":
			return "FAILED"
		}
		return "SUCCEEDED"
	})
	svc := stagedService(ns, 2, ecsv1alpha1.DeploymentConfiguration{Strategy: ecsv1alpha1.DeploymentStrategyBlueGreen, BakeTimeInMinutes: ptr.To[int32](0)}, "")
	if err := k8s.Create(context.Background(), svc); err != nil {
		t.Fatal(err)
	}
	startKubelet(t, ns, roundRobin(threeZones(t, ns)...), always(runReady))
	blue := primary(waitSteady(t, ns, "web", 2)).ID
	updateService(t, ns, "web", func(s *ecsv1alpha1.Service) {
		s.Spec.DeploymentConfiguration.LifecycleHooks = []ecsv1alpha1.DeploymentLifecycleHook{
			{URL: url + "/scale", LifecycleStages: []ecsv1alpha1.LifecycleHookStage{"POST_SCALE_UP"}},
			{URL: url + "/test", LifecycleStages: []ecsv1alpha1.LifecycleHookStage{"POST_TEST_TRAFFIC_SHIFT"},
				HookDetails: &runtime.RawExtension{Raw: []byte(`{"suite":"smoke"}`)}},
		}
	})
	production := sampleSelectors(t, ns, "web")
	setImage(t, ns, "web", "nginx:1.27")
	waitRevision(t, ns, "web", 2)
	cur := waitHistory(t, ns, withStatus(ecsv1alpha1.ServiceDeploymentRollbackSuccessful))
	if got := hooks.stages(); !slices.Equal(got, []string{"POST_SCALE_UP", "POST_SCALE_UP", "POST_TEST_TRAFFIC_SHIFT"}) {
		t.Errorf("hook calls by stage %v, want POST_SCALE_UP twice (IN_PROGRESS, SUCCEEDED), then POST_TEST_TRAFFIC_SHIFT", got)
	}
	hooks.mu.Lock()
	last := hooks.calls[len(hooks.calls)-1]
	hooks.mu.Unlock()
	if last["serviceName"] != "web" || last["sourceDeployment"] != blue || last["targetTaskDefinition"] != "web:2" ||
		fmt.Sprint(last["hookDetails"]) != "map[suite:smoke]" {
		t.Errorf("hook request %v", last)
	}
	if got := production(); !slices.Equal(got, []string{blue}) {
		t.Errorf("production Service selected %v, want blue only", got)
	}
	e := cur.Status.ServiceDeployments[0]
	if e.LifecycleStage != ecsv1alpha1.StagePostTestTrafficShift || len(e.Hooks) != 1 || e.Hooks[0].Status != ecsv1alpha1.HookFailed {
		t.Errorf("history entry = %+v, want rolled back in POST_TEST_TRAFFIC_SHIFT with the FAILED hook", e)
	}
	if !hasEvent(cur, "lifecycle hook 1 ("+url+"/test) answered FAILED in the POST_TEST_TRAFFIC_SHIFT stage") {
		t.Errorf("no hook event in %v", eventMessages(cur))
	}
}

// TestServiceLifecycleHookUnreachable: a hook nobody answers fails the deployment after 3
// calls, with an event naming it; green never started (PRE_SCALE_UP).
func TestServiceLifecycleHookUnreachable(t *testing.T) {
	ns := serviceNamespace(t)
	createTaskDefinition(t, ns)
	srv := httptest.NewServer(http.NotFoundHandler())
	dead := srv.URL + "/hook"
	srv.Close()
	svc := stagedService(ns, 1, ecsv1alpha1.DeploymentConfiguration{Strategy: ecsv1alpha1.DeploymentStrategyBlueGreen, BakeTimeInMinutes: ptr.To[int32](0)}, "")
	if err := k8s.Create(context.Background(), svc); err != nil {
		t.Fatal(err)
	}
	startKubelet(t, ns, roundRobin(threeZones(t, ns)...), always(runReady))
	waitSteady(t, ns, "web", 1)
	updateService(t, ns, "web", func(s *ecsv1alpha1.Service) {
		s.Spec.DeploymentConfiguration.LifecycleHooks = []ecsv1alpha1.DeploymentLifecycleHook{
			{URL: dead, LifecycleStages: []ecsv1alpha1.LifecycleHookStage{"PRE_SCALE_UP"}}}
	})
	setImage(t, ns, "web", "nginx:1.27")
	waitRevision(t, ns, "web", 2)
	var cur *ecsv1alpha1.Service
	kubetest.Eventually(t, time.Minute, func() error {
		cur = getService(t, ns, "web")
		if h := cur.Status.ServiceDeployments; len(h) == 0 || h[0].TargetTaskDefinition != "web:2" || h[0].Status != ecsv1alpha1.ServiceDeploymentRollbackSuccessful {
			return fmt.Errorf("deployments %+v, want web:2 ROLLBACK_SUCCESSFUL", h)
		}
		return nil
	})
	e := cur.Status.ServiceDeployments[0]
	if len(e.Hooks) != 1 || e.Hooks[0].FailedCalls != 3 {
		t.Errorf("hooks %+v, want 3 failed calls", e.Hooks)
	}
	if !hasEvent(cur, "lifecycle hook 0 ("+dead+") could not be reached 3 times in the PRE_SCALE_UP stage") {
		t.Errorf("no unreachable-hook event in %v", eventMessages(cur))
	}
	if n := deploymentPods(t, ns, e.ID); n != 0 {
		t.Errorf("%d green tasks; PRE_SCALE_UP runs before any starts", n)
	}
}
