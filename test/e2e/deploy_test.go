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

// Staged deployments (issue 15) on the sandbox: the real scheduler places the tasks, kwok
// makes them Running and Ready, and watches observe what the core Services select and the
// weights of a Gateway API HTTPRoute, event by event.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"

	"github.com/berth-dev/berth/internal/testutil/envtest"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
	"github.com/berth-dev/berth/internal/testutil/promtest"
)

// stagedDeploy creates a Service of desired tasks behind one load balancer ("web") with an
// alternate Service ("web-test") and, when route is set, an HTTPRoute of that name, waits
// until revision 1 is steady and returns the blue deployment's id.
func stagedDeploy(t *testing.T, ns string, desired int32, dc ecsv1alpha1.DeploymentConfiguration, route string) string {
	t.Helper()
	deploy(t, ns, desired, func(s *ecsv1alpha1.Service) {
		s.Spec.DeploymentConfiguration = dc
		s.Spec.LoadBalancers = []ecsv1alpha1.LoadBalancer{{ContainerName: "web", ContainerPort: 8080, Port: ptr.To[int32](80),
			AdvancedConfiguration: &ecsv1alpha1.AdvancedConfiguration{AlternateServiceName: "web-test", HTTPRouteName: route}}}
	})
	waitRunning(t, ns, desired)
	blue := ""
	for _, d := range getService(t, ns).Status.Deployments {
		if d.Status == ecsv1alpha1.DeploymentPrimary {
			blue = d.ID
		}
	}
	if blue == "" {
		t.Fatal("no PRIMARY deployment")
	}
	return blue
}

// newRevision makes revision 2 of the "web" task definition (a new image).
func newRevision(t *testing.T, ns string) {
	t.Helper()
	kubetest.Eventually(t, time.Minute, func() error {
		td := &ecsv1alpha1.TaskDefinition{}
		if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "web"}, td); err != nil {
			return err
		}
		td.Spec.ContainerDefinitions[0].Image = "nginx:1.28"
		return k8s.Update(context.Background(), td)
	})
}

// newestDeployment waits until status.serviceDeployments[0] is web:2 and satisfies ok.
func newestDeployment(t *testing.T, ns string, ok func(ecsv1alpha1.ServiceDeployment) error) ecsv1alpha1.ServiceDeployment {
	t.Helper()
	var d ecsv1alpha1.ServiceDeployment
	kubetest.Eventually(t, serviceWait, func() error {
		h := getService(t, ns).Status.ServiceDeployments
		if len(h) == 0 || h[0].TargetTaskDefinition != "web:2" {
			return fmt.Errorf("no deployment of web:2 yet")
		}
		d = h[0]
		return ok(d)
	})
	return d
}

func deploymentIs(status ecsv1alpha1.ServiceDeploymentState, stage ecsv1alpha1.LifecycleStage) func(ecsv1alpha1.ServiceDeployment) error {
	return func(d ecsv1alpha1.ServiceDeployment) error {
		if d.Status != status || stage != "" && d.LifecycleStage != stage {
			return fmt.Errorf("deployment %s %s in %s, want %s in %q", d.ID, d.Status, d.LifecycleStage, status, stage)
		}
		return nil
	}
}

// observation is one value seen by a watch, when it was seen, and the object's
// resourceVersion then.
type observation struct {
	at    time.Time
	value string
	rv    int64
}

// recorder collects what a watch sees until the test ends.
type recorder struct {
	mu   sync.Mutex
	seen []observation
}

func (r *recorder) add(v string, o client.Object) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.seen) == 0 || r.seen[len(r.seen)-1].value != v {
		r.seen = append(r.seen, observation{at: time.Now(), value: v, rv: revision(o)})
	}
}

// revision is an object's resourceVersion as a number: with one etcd behind the API server it
// is the etcd revision of the object's last write, which orders writes across kinds. Clients
// must not rely on that in general; this test knows its API server.
func revision(o client.Object) int64 {
	n, _ := strconv.ParseInt(o.GetResourceVersion(), 10, 64)
	return n
}

// values is the distinct values in the order they were seen.
func (r *recorder) values() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.seen))
	for _, o := range r.seen {
		out = append(out, o.value)
	}
	return out
}

// first is the first observation of value (zero if never).
func (r *recorder) first(value string) observation {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, o := range r.seen {
		if o.value == value {
			return o
		}
	}
	return observation{}
}

// firstAt is when value was first seen (zero if never).
func (r *recorder) firstAt(value string) time.Time {
	return r.first(value).at
}

// watchObjects runs a watch of list in ns until the test ends and hands every object it
// sees to on; the watch restarts if the server closes it.
func watchObjects(t *testing.T, ns string, list client.ObjectList, on func(watch.EventType, client.Object), opts ...client.ListOption) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		once := sync.OnceFunc(func() { close(started) })
		for ctx.Err() == nil {
			w, err := k8s.Watch(ctx, list, append([]client.ListOption{client.InNamespace(ns)}, opts...)...)
			if err != nil {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			once()
			for ev := range w.ResultChan() {
				if o, ok := ev.Object.(client.Object); ok && ev.Type != watch.Error && ev.Type != watch.Bookmark {
					on(ev.Type, o)
				}
			}
			w.Stop()
		}
	}()
	<-started
	t.Cleanup(func() { cancel(); <-done })
}

// watchSelector records the deployment a core Service selects ("<all tasks>" without one).
func watchSelector(t *testing.T, ns, name string) *recorder {
	t.Helper()
	r := &recorder{}
	watchObjects(t, ns, &corev1.ServiceList{}, func(typ watch.EventType, o client.Object) {
		if typ == watch.Deleted {
			return
		}
		sel := o.(*corev1.Service).Spec.Selector[ecsv1alpha1.DeploymentLabel]
		if sel == "" {
			sel = "<all tasks>"
		}
		r.add(sel, o)
	}, client.MatchingFields{"metadata.name": name})
	return r
}

// watchAllReady records, per deployment, when n of its task Pods were first Ready at once:
// the time the watch saw it, and the resourceVersion of the Pod write that made it so. Only
// the resourceVersion orders it against writes seen by another watch: two watches deliver
// their events independently, microseconds either way.
func watchAllReady(t *testing.T, ns string, n int) func(dep string) observation {
	t.Helper()
	var mu sync.Mutex
	pods := map[types.UID]*corev1.Pod{}
	at := map[string]observation{}
	watchObjects(t, ns, &corev1.PodList{}, func(typ watch.EventType, o client.Object) {
		mu.Lock()
		defer mu.Unlock()
		p := o.(*corev1.Pod)
		if typ == watch.Deleted {
			delete(pods, p.UID)
			return
		}
		pods[p.UID] = p
		dep := p.Labels[ecsv1alpha1.DeploymentLabel]
		if _, ok := at[dep]; ok {
			return
		}
		var of []corev1.Pod
		for _, q := range pods {
			if q.Labels[ecsv1alpha1.DeploymentLabel] == dep {
				of = append(of, *q)
			}
		}
		_, ready := kubetest.LiveAndReady(of)
		if ready >= n {
			at[dep] = observation{at: time.Now(), value: dep, rv: revision(p)}
		}
	}, client.MatchingLabels{ecsv1alpha1.ServiceLabel: "web"})
	return func(dep string) observation {
		mu.Lock()
		defer mu.Unlock()
		return at[dep]
	}
}

// watchFirstStop records, per deployment, the resourceVersion of the first write that
// stops one of its task Pods (a deletionTimestamp set, or the Pod deleted).
func watchFirstStop(t *testing.T, ns string) func(dep string) int64 {
	t.Helper()
	var mu sync.Mutex
	first := map[string]int64{}
	watchObjects(t, ns, &corev1.PodList{}, func(typ watch.EventType, o client.Object) {
		if typ != watch.Deleted && o.GetDeletionTimestamp() == nil {
			return
		}
		dep, rv := o.GetLabels()[ecsv1alpha1.DeploymentLabel], revision(o)
		mu.Lock()
		defer mu.Unlock()
		if f, ok := first[dep]; !ok || rv < f {
			first[dep] = rv
		}
	}, client.MatchingLabels{ecsv1alpha1.ServiceLabel: "web"})
	return func(dep string) int64 {
		mu.Lock()
		defer mu.Unlock()
		return first[dep]
	}
}

// TestServiceStagedDeployments: BLUE_GREEN with two core Services, CANARY through an
// HTTPRoute, and a rollback requested during the bake, each in a namespace of its own, at
// the same time.
func TestServiceStagedDeployments(t *testing.T) {
	// (a) production selects blue only until every green task is Ready, then green only, in
	// one write; the test Service selects green from SCALE_UP; blue stops after the bake.
	t.Run("blue-green", func(t *testing.T) {
		t.Parallel()
		ns := newNamespace(t)
		const tasks = 6
		blue := stagedDeploy(t, ns, tasks, ecsv1alpha1.DeploymentConfiguration{
			Strategy: ecsv1alpha1.DeploymentStrategyBlueGreen, BakeTimeInMinutes: ptr.To[int32](0)}, "")
		production, test := watchSelector(t, ns, "web"), watchSelector(t, ns, "web-test")
		allReady := watchAllReady(t, ns, tasks)
		newRevision(t, ns)
		d := newestDeployment(t, ns, deploymentIs(ecsv1alpha1.ServiceDeploymentSuccessful, ""))
		green := d.ID
		waitRunning(t, ns, tasks)

		if got := production.values(); !slices.Equal(got, []string{blue, green}) {
			t.Errorf("production Service selected %v, want %s then %s, one switch", got, blue, green)
		}
		if got := test.values(); len(got) < 2 || got[0] != blue || got[1] != green {
			t.Errorf("test Service selected %v, want blue, then green", got)
		}
		// The switch must be a later write than the Pod status that made green all Ready.
		ready, switched := allReady(green), production.first(green)
		if ready.rv == 0 || switched.rv <= ready.rv {
			t.Errorf("production switched to green at resourceVersion %d, not after green was all Ready (%d)", switched.rv, ready.rv)
		}
		t.Logf("green all Ready to production selecting green: %s (watch to watch)", switched.at.Sub(ready.at).Round(time.Millisecond))
		if d.Strategy != ecsv1alpha1.DeploymentStrategyBlueGreen || d.SourceDeployment != blue || d.TrafficControl != ecsv1alpha1.TrafficServiceSelector {
			t.Errorf("history entry %+v", d)
		}
		if n := podsOf(t, ns, blue); n != 0 {
			t.Errorf("%d blue tasks left after CLEAN_UP", n)
		}
	})

	// (b) CANARY through an HTTPRoute: lifecycle hooks at PRODUCTION_TRAFFIC_SHIFT and
	// POST_PRODUCTION_TRAFFIC_SHIFT hold each step (IN_PROGRESS) until the test has read the
	// route; the weights add up to 1000 at every write the watch sees.
	t.Run("canary-httproute", func(t *testing.T) {
		t.Parallel()
		installGatewayCRD(t, "httproutes")
		ns := newNamespace(t)
		createRoute(t, ns)
		var hold sync.Map // stage → released
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var body struct {
				LifecycleStage string `json:"lifecycleStage"`
			}
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			status := "IN_PROGRESS"
			if _, released := hold.Load(body.LifecycleStage); released {
				status = "SUCCEEDED"
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"hookStatus": status, "callBackDelaySeconds": 1})
		}))
		t.Cleanup(hook.Close)
		blue := stagedDeploy(t, ns, 4, ecsv1alpha1.DeploymentConfiguration{
			Strategy: ecsv1alpha1.DeploymentStrategyCanary, BakeTimeInMinutes: ptr.To[int32](0),
			CanaryConfiguration: &ecsv1alpha1.CanaryConfiguration{CanaryPercent: ptr.To(20.0), CanaryBakeTimeInMinutes: ptr.To[int32](0)},
			LifecycleHooks: []ecsv1alpha1.DeploymentLifecycleHook{{URL: hook.URL,
				LifecycleStages: []ecsv1alpha1.LifecycleHookStage{"PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT"}}},
		}, "web")
		weightsAre := func(prod, alt int32) error {
			if w := routeWeights(t, ns); w["web"] != prod || w["web-test"] != alt {
				return fmt.Errorf("weights %v, want web %d, web-test %d", w, prod, alt)
			}
			return nil
		}
		kubetest.Eventually(t, time.Minute, func() error { return weightsAre(1000, 0) })
		weights := watchRouteWeights(t, ns)
		production := watchSelector(t, ns, "web")
		newRevision(t, ns)

		d := newestDeployment(t, ns, deploymentIs(ecsv1alpha1.ServiceDeploymentInProgress, ecsv1alpha1.StageProductionTrafficShift))
		green := d.ID
		kubetest.Eventually(t, time.Minute, func() error { return weightsAre(800, 200) })
		if sel := selectorOf(t, ns, "web"); sel != blue {
			t.Errorf("production Service selects %s at 20%%, want blue", sel)
		}
		if sel := selectorOf(t, ns, "web-test"); sel != green {
			t.Errorf("alternate Service selects %s at 20%%, want green", sel)
		}
		if b, g := podsOf(t, ns, blue), podsOf(t, ns, green); b != 4 || g != 4 {
			t.Errorf("blue %d, green %d tasks during the canary, want 4 and 4", b, g)
		}
		hold.Store("PRODUCTION_TRAFFIC_SHIFT", true)

		newestDeployment(t, ns, deploymentIs(ecsv1alpha1.ServiceDeploymentInProgress, ecsv1alpha1.StagePostProductionTrafficShift))
		kubetest.Eventually(t, time.Minute, func() error { return weightsAre(0, 1000) })
		if sel := selectorOf(t, ns, "web"); sel != blue {
			t.Errorf("production Service selects %s with all the weight on the alternate, want blue still", sel)
		}
		hold.Store("POST_PRODUCTION_TRAFFIC_SHIFT", true)

		newestDeployment(t, ns, deploymentIs(ecsv1alpha1.ServiceDeploymentSuccessful, ""))
		kubetest.Eventually(t, time.Minute, func() error { return weightsAre(1000, 0) })
		waitRunning(t, ns, 4)
		if got, want := weights(), []string{"1000/0", "800/200", "0/1000", "1000/0"}; !slices.Equal(got, want) {
			t.Errorf("route weights (web/web-test) written %v, want %v", got, want)
		}
		if got := production.values(); !slices.Equal(got, []string{blue, green}) {
			t.Errorf("production Service selected %v, want blue then green", got)
		}
		if n := podsOf(t, ns, blue); n != 0 {
			t.Errorf("%d blue tasks left after CLEAN_UP", n)
		}
	})

	// (c) a rollback requested (the annotation) while green bakes: production goes back to
	// blue in one write, green stops, blue kept its tasks. The bake (1 minute, the API's
	// least above 0) never runs out: the rollback comes first.
	t.Run("rollback-during-bake", func(t *testing.T) {
		t.Parallel()
		ns := newNamespace(t)
		const tasks = 3
		blue := stagedDeploy(t, ns, tasks, ecsv1alpha1.DeploymentConfiguration{
			Strategy: ecsv1alpha1.DeploymentStrategyBlueGreen, BakeTimeInMinutes: ptr.To[int32](1)}, "")
		newRevision(t, ns)
		d := newestDeployment(t, ns, deploymentIs(ecsv1alpha1.ServiceDeploymentInProgress, ecsv1alpha1.StageBakeTime))
		green := d.ID
		kubetest.Eventually(t, time.Minute, func() error {
			if sel := selectorOf(t, ns, "web"); sel != green {
				return fmt.Errorf("production selects %s in BAKE_TIME, want green", sel)
			}
			return nil
		})
		if n := podsOf(t, ns, blue); n != tasks {
			t.Errorf("blue has %d tasks in BAKE_TIME, want %d", n, tasks)
		}
		production := watchSelector(t, ns, "web")
		stops := watchFirstStop(t, ns)
		asked := time.Now()
		kubetest.Eventually(t, time.Minute, func() error {
			svc := getService(t, ns)
			if svc.Annotations == nil {
				svc.Annotations = map[string]string{}
			}
			svc.Annotations[ecsv1alpha1.RollbackAnnotation] = green
			return k8s.Update(context.Background(), svc)
		})
		d = newestDeployment(t, ns, deploymentIs(ecsv1alpha1.ServiceDeploymentRollbackSuccessful, ""))
		if d.LifecycleStage != ecsv1alpha1.StageBakeTime {
			t.Errorf("rolled back in %s, want BAKE_TIME", d.LifecycleStage)
		}
		if got := production.values(); !slices.Equal(got, []string{green, blue}) {
			t.Errorf("production Service selected %v, want green then blue, one switch", got)
		}
		t.Logf("rollback request to production selecting blue: %s", production.firstAt(blue).Sub(asked).Round(time.Millisecond))
		// Traffic moves first: the selector's write precedes the first green task's stop.
		if switched, stopped := production.first(blue).rv, stops(green); stopped == 0 || switched >= stopped {
			t.Errorf("production switched back to blue at resourceVersion %d, the first green task stopped at %d: traffic must leave green before its tasks stop", switched, stopped)
		}
		if time.Since(asked) > 45*time.Second {
			t.Logf("the rollback took %s: the bake may have ended first", time.Since(asked))
		}
		waitRunning(t, ns, tasks)
		if g, b := podsOf(t, ns, green), podsOf(t, ns, blue); g != 0 || b != tasks {
			t.Errorf("green %d, blue %d tasks after the rollback, want 0 and %d", g, b, tasks)
		}
		svc := getService(t, ns)
		if c := conditionOf(svc, ecsv1alpha1.StalledCondition); c == nil || c.Status != metav1.ConditionTrue || c.Reason != ecsv1alpha1.RolledBackReason {
			t.Errorf("Stalled = %+v, want True (RolledBack)", c)
		}
	})
}

// TestServiceAlarmRollback: a real Prometheus scrapes a gauge this test serves; a
// BLUE_GREEN deployment bakes with production on green while its alarm evaluates OK, the gauge
// goes up, and the alarm rolls the deployment back: production selects blue again in one
// write, green stops, the history says TRIGGERED.
func TestServiceAlarmRollback(t *testing.T) {
	t.Parallel()
	gauge := promtest.NewGauge(t, "berth_e2e_errors")
	prom := promtest.Start(t, gauge.Target)
	prom.WaitScraped(t, "berth_e2e_errors")
	ns := newNamespace(t)
	const tasks = 3
	blue := stagedDeploy(t, ns, tasks, ecsv1alpha1.DeploymentConfiguration{
		Strategy: ecsv1alpha1.DeploymentStrategyBlueGreen, BakeTimeInMinutes: ptr.To[int32](10),
		Alarms: &ecsv1alpha1.DeploymentAlarms{Enable: true, Rollback: true, EvaluationIntervalSeconds: ptr.To[int32](5),
			Prometheus: &ecsv1alpha1.PrometheusEndpoint{URL: prom.URL},
			Queries:    []ecsv1alpha1.AlarmQuery{{Name: "errors", Query: "sum(berth_e2e_errors)", Threshold: "0"}}}}, "")
	newRevision(t, ns)
	d := newestDeployment(t, ns, func(d ecsv1alpha1.ServiceDeployment) error {
		if err := deploymentIs(ecsv1alpha1.ServiceDeploymentInProgress, ecsv1alpha1.StageBakeTime)(d); err != nil {
			return err
		}
		if d.Alarms == nil || d.Alarms.Status != ecsv1alpha1.AlarmsMonitoring || d.Alarms.Message != "OK" {
			return fmt.Errorf("alarms %+v, want MONITORING and evaluated OK", d.Alarms)
		}
		return nil
	})
	green := d.ID
	kubetest.Eventually(t, time.Minute, func() error {
		if sel := selectorOf(t, ns, "web"); sel != green {
			return fmt.Errorf("production selects %s in BAKE_TIME, want green", sel)
		}
		return nil
	})
	production := watchSelector(t, ns, "web")
	gauge.Set(1)
	raised := time.Now()
	d = newestDeployment(t, ns, deploymentIs(ecsv1alpha1.ServiceDeploymentRollbackSuccessful, ""))
	if got := production.values(); !slices.Equal(got, []string{green, blue}) {
		t.Errorf("production Service selected %v, want green then blue, one switch", got)
	}
	t.Logf("gauge raised to production selecting blue: %s (scrape 1 s, evaluation every 5 s)", production.firstAt(blue).Sub(raised).Round(time.Millisecond))
	if d.Alarms == nil || d.Alarms.Status != ecsv1alpha1.AlarmsTriggered || !slices.Equal(d.Alarms.TriggeredAlarmNames, []string{"errors"}) {
		t.Errorf("alarms %+v, want TRIGGERED by errors", d.Alarms)
	}
	waitRunning(t, ns, tasks)
	if g, b := podsOf(t, ns, green), podsOf(t, ns, blue); g != 0 || b != tasks {
		t.Errorf("green %d, blue %d tasks after the rollback, want 0 and %d", g, b, tasks)
	}
}

// selectorOf is the deployment a core Service selects ("<all tasks>" without one).
func selectorOf(t *testing.T, ns, name string) string {
	t.Helper()
	cs := &corev1.Service{}
	if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, cs); err != nil {
		t.Fatal(err)
	}
	if sel := cs.Spec.Selector[ecsv1alpha1.DeploymentLabel]; sel != "" {
		return sel
	}
	return "<all tasks>"
}

// podsOf counts the live task Pods of a deployment.
func podsOf(t *testing.T, ns, dep string) int {
	t.Helper()
	pods := &corev1.PodList{}
	if err := k8s.List(context.Background(), pods, client.InNamespace(ns),
		client.MatchingLabels{ecsv1alpha1.ServiceLabel: "web", ecsv1alpha1.DeploymentLabel: dep}); err != nil {
		t.Fatal(err)
	}
	live, _ := kubetest.LiveAndReady(pods.Items)
	return live
}

var gatewayCRDs sync.Map // resource → error of installing it

// installGatewayCRD installs a Gateway API standard-channel CRD from the
// sigs.k8s.io/gateway-api module of go.mod (the version the controller is built with), once
// per run, and waits until it is served.
func installGatewayCRD(t *testing.T, resource string) {
	t.Helper()
	v, _ := gatewayCRDs.LoadOrStore(resource, sync.OnceValue(func() error {
		file, err := envtest.GatewayAPICRD(resource)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(file) //nolint:gosec // the module cache
		if err != nil {
			return fmt.Errorf("reading %s: %w", file, err)
		}
		crd := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(b, &crd.Object); err != nil {
			return fmt.Errorf("decoding %s: %w", file, err)
		}
		if err := k8s.Create(context.Background(), crd); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating the %s CRD: %w", resource, err)
		}
		deadline := time.Now().Add(time.Minute)
		for {
			if err := k8s.List(context.Background(), &gatewayv1.HTTPRouteList{}); err == nil {
				return nil
			} else if time.Now().After(deadline) {
				return fmt.Errorf("the %s CRD is not served: %w", resource, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}))
	if err := v.(func() error)(); err != nil {
		t.Fatal(err)
	}
}

// createRoute is the user's HTTPRoute "web": one rule whose two backendRefs are the
// production Service and the alternate one (no Gateway exists: no data plane is needed to
// check what Berth writes).
func createRoute(t *testing.T, ns string) {
	t.Helper()
	ref := func(name string, w int32) gatewayv1.HTTPBackendRef {
		return gatewayv1.HTTPBackendRef{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{
			Name: gatewayv1.ObjectName(name), Port: ptr.To[gatewayv1.PortNumber](80)}, Weight: ptr.To(w)}}
	}
	route := &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"},
		Spec: gatewayv1.HTTPRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{Name: "gateway"}}},
			Rules:           []gatewayv1.HTTPRouteRule{{BackendRefs: []gatewayv1.HTTPBackendRef{ref("web", 1), ref("web-test", 0)}}}}}
	if err := k8s.Create(context.Background(), route); err != nil {
		t.Fatal(err)
	}
}

// routeWeights reads the route's weights by backend Service.
func routeWeights(t *testing.T, ns string) map[string]int32 {
	t.Helper()
	r := &gatewayv1.HTTPRoute{}
	if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "web"}, r); err != nil {
		t.Fatal(err)
	}
	return weightsOf(r)
}

func weightsOf(r *gatewayv1.HTTPRoute) map[string]int32 {
	out := map[string]int32{}
	for _, ref := range r.Spec.Rules[0].BackendRefs {
		out[string(ref.Name)] = ptr.Deref(ref.Weight, 1)
	}
	return out
}

// watchRouteWeights records the route's weights ("web/web-test") as a watch sees them from
// now on, and fails the test if a write's weights do not add up to 1000.
func watchRouteWeights(t *testing.T, ns string) func() []string {
	t.Helper()
	r := &recorder{}
	var bad []string
	var mu sync.Mutex
	watchObjects(t, ns, &gatewayv1.HTTPRouteList{}, func(typ watch.EventType, o client.Object) {
		if typ == watch.Deleted {
			return
		}
		w := weightsOf(o.(*gatewayv1.HTTPRoute))
		v := fmt.Sprintf("%d/%d", w["web"], w["web-test"])
		if w["web"]+w["web-test"] != 1000 {
			mu.Lock()
			bad = append(bad, v)
			mu.Unlock()
		}
		r.add(v, o)
	}, client.MatchingFields{"metadata.name": "web"})
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		if len(bad) > 0 {
			t.Errorf("route weights not adding up to 1000: %s", strings.Join(bad, ", "))
		}
	})
	return r.values
}
