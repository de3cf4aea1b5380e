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
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

// TestCanaryResumesAfterRestart restarts the controller while a CANARY deployment bakes at
// 20%: the new controller resumes in the same stage from the status, does not write the
// route again nor announce the shift again, and its timers count from the stage's start. The
// controller's clock is moved forward to end the bakes.
func TestCanaryResumesAfterRestart(t *testing.T) {
	var offset atomic.Int64
	env, start := restartableServiceController(t, func() time.Time { return time.Now().Add(time.Duration(offset.Load())) })
	c := env.Client
	ctx := context.Background()

	const ns = "canary"
	ref := func(name string, w int32) gatewayv1.HTTPBackendRef {
		return gatewayv1.HTTPBackendRef{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{
			Name: gatewayv1.ObjectName(name), Port: ptr.To[gatewayv1.PortNumber](80)}, Weight: ptr.To(w)}}
	}
	for _, obj := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "default"}},
		&ecsv1alpha1.TaskDefinition{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"}, Spec: ecsv1alpha1.TaskDefinitionSpec{
			ContainerDefinitions: []ecsv1alpha1.ContainerDefinition{{Name: "web", Image: "nginx:1.26"}}}},
		&gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"}, Spec: gatewayv1.HTTPRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{Name: "gateway"}}},
			Rules:           []gatewayv1.HTTPRouteRule{{BackendRefs: []gatewayv1.HTTPBackendRef{ref("web", 1), ref("web-green", 0)}}}}},
		&ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"}, Spec: ecsv1alpha1.ServiceSpec{
			TaskDefinition: "web", DesiredCount: ptr.To[int32](2),
			DeploymentConfiguration: ecsv1alpha1.DeploymentConfiguration{Strategy: ecsv1alpha1.DeploymentStrategyCanary, BakeTimeInMinutes: ptr.To[int32](10),
				CanaryConfiguration: &ecsv1alpha1.CanaryConfiguration{CanaryPercent: ptr.To(20.0), CanaryBakeTimeInMinutes: ptr.To[int32](10)}},
			LoadBalancers: []ecsv1alpha1.LoadBalancer{{ContainerName: "web", ContainerPort: 8080,
				AdvancedConfiguration: &ecsv1alpha1.AdvancedConfiguration{AlternateServiceName: "web-green", HTTPRouteName: "web"}}}}},
	} {
		if err := c.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	kubetest.CreateNodes(t, c, map[string]string{"node-a": "zone-a"}, nil)
	kubetest.StartKubelet(t, c, ns, func(*corev1.Pod) string { return "node-a" }, func(*corev1.Pod) kubetest.Fate { return kubetest.RunReady })

	service := func() *ecsv1alpha1.Service {
		svc := &ecsv1alpha1.Service{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, svc); err != nil {
			t.Fatal(err)
		}
		return svc
	}
	route := func() *gatewayv1.HTTPRoute {
		r := &gatewayv1.HTTPRoute{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	weights := func() string {
		var parts []string
		for _, b := range route().Spec.Rules[0].BackendRefs {
			parts = append(parts, fmt.Sprintf("%s=%d", b.Name, ptr.Deref(b.Weight, -1)))
		}
		return strings.Join(parts, " ")
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
	newest := func() ecsv1alpha1.ServiceDeployment {
		if h := service().Status.ServiceDeployments; len(h) > 0 {
			return h[0]
		}
		return ecsv1alpha1.ServiceDeployment{}
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		kubetest.Eventually(t, time.Minute, func() error {
			if !ok() {
				return fmt.Errorf("waiting for %s: newest deployment %+v, weights %s", what, newest(), weights())
			}
			return nil
		})
	}
	nudge := func(v string) { // an annotation change brings a pass, as any watch event would
		kubetest.Eventually(t, time.Minute, func() error {
			svc := service()
			svc.Annotations = map[string]string{"test.berth.dev/nudge": v}
			return c.Update(ctx, svc)
		})
	}

	stop := start()
	waitFor("web:1 SUCCESSFUL", func() bool {
		e := newest()
		return e.TargetTaskDefinition == "web:1" && e.Status == ecsv1alpha1.ServiceDeploymentSuccessful
	})
	waitFor("a steady web:1", func() bool {
		return weights() == "web=1000 web-green=0" && len(service().Status.Deployments) == 1 && service().Status.RunningCount == 2
	})
	td := &ecsv1alpha1.TaskDefinition{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, td); err != nil {
		t.Fatal(err)
	}
	td.Spec.ContainerDefinitions[0].Image = "nginx:1.27"
	if err := c.Update(ctx, td); err != nil {
		t.Fatal(err)
	}
	waitFor("the canary at 20%", func() bool {
		e := newest()
		return e.TargetTaskDefinition == "web:2" && e.LifecycleStage == ecsv1alpha1.StageProductionTrafficShift && weights() == "web=800 web-green=200"
	})
	before := newest()
	routeVersion := route().ResourceVersion

	// Restart in the middle of the canary's bake.
	stop()
	stop = start()
	nudge("1")
	kubetest.Consistently(t, 3*time.Second, func() error {
		e := newest()
		switch {
		case e.LifecycleStage != before.LifecycleStage || e.TargetWeight != 200 || !e.StageStartedAt.Equal(before.StageStartedAt):
			return fmt.Errorf("after the restart the deployment is %+v, want it as before %+v", e, before)
		case route().ResourceVersion != routeVersion:
			return fmt.Errorf("the route was written again after the restart: %s", weights())
		case count("shifted 20% of production traffic") != 1:
			return fmt.Errorf("the 20%% shift was announced %d times", count("shifted 20% of production traffic"))
		}
		return nil
	})

	// The canary bake ends: all traffic to green, then BAKE_TIME.
	offset.Store(int64(11 * time.Minute))
	nudge("2")
	waitFor("BAKE_TIME with all traffic on green", func() bool {
		return newest().LifecycleStage == ecsv1alpha1.StageBakeTime && weights() == "web=0 web-green=1000"
	})
	// Restart during BAKE_TIME, then let it end.
	stop()
	stop = start()
	defer stop()
	offset.Store(int64(22 * time.Minute))
	nudge("3")
	waitFor("SUCCESSFUL, green alone behind the production Service", func() bool {
		e := newest()
		prod := &corev1.Service{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, prod); err != nil {
			return false
		}
		return e.Status == ecsv1alpha1.ServiceDeploymentSuccessful && weights() == "web=1000 web-green=0" &&
			prod.Spec.Selector[ecsv1alpha1.DeploymentLabel] == e.ID
	})
	for text, want := range map[string]int{"shifted 20% of production traffic": 1, "shifted 100% of production traffic": 1, "has entered the BAKE_TIME lifecycle stage": 1} {
		if n := count(text); n != want {
			t.Errorf("%q announced %d times, want %d", text, n, want)
		}
	}
}
