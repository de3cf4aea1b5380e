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
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestSetRouteWeights: only backendRefs to the two core Services of the route's namespace
// change; a route already right is not written.
func TestSetRouteWeights(t *testing.T) {
	ref := func(name string, w int32) gatewayv1.HTTPBackendRef {
		return gatewayv1.HTTPBackendRef{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{Name: gatewayv1.ObjectName(name)}, Weight: ptr.To(w)}}
	}
	other := ref("web", 7)
	other.Namespace = ptr.To[gatewayv1.Namespace]("elsewhere")
	foreign := ref("web-test", 7)
	foreign.Kind = ptr.To[gatewayv1.Kind]("Backend")
	foreign.Group = ptr.To[gatewayv1.Group]("example.com")
	route := &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a"}, Spec: gatewayv1.HTTPRouteSpec{Rules: []gatewayv1.HTTPRouteRule{
		{BackendRefs: []gatewayv1.HTTPBackendRef{ref("web", 1000), ref("web-test", 0), ref("static", 5)}},
		{BackendRefs: []gatewayv1.HTTPBackendRef{other, foreign}},
	}}}
	if !setRouteWeights(route, "web", "web-test", 950, 50) {
		t.Fatal("no change reported")
	}
	got := []int32{}
	for _, r := range route.Spec.Rules {
		for _, b := range r.BackendRefs {
			got = append(got, *b.Weight)
		}
	}
	if want := []int32{950, 50, 5, 7, 7}; len(got) != len(want) || got[0] != 950 || got[1] != 50 || got[2] != 5 || got[3] != 7 || got[4] != 7 {
		t.Errorf("weights %v, want %v", got, want)
	}
	if setRouteWeights(route, "web", "web-test", 950, 50) {
		t.Error("a route already right reported a change")
	}
}
