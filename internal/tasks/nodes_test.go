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

package tasks

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func node(name string, opts ...func(*corev1.Node)) *corev1.Node {
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{corev1.LabelTopologyZone: "zone-a", "pool": "web", "cores": "8"}},
		Status:     corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}},
	}
	for _, o := range opts {
		o(n)
	}
	return n
}

func required(terms ...corev1.NodeSelectorTerm) *corev1.PodSpec {
	return &corev1.PodSpec{Affinity: &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: terms},
	}}}
}

func expr(key string, op corev1.NodeSelectorOperator, values ...string) corev1.NodeSelectorTerm {
	return corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: key, Operator: op, Values: values}}}
}

func TestEligible(t *testing.T) {
	cases := []struct {
		name string
		node *corev1.Node
		spec *corev1.PodSpec
		want bool
	}{
		{"ready node, no constraints", node("n1"), &corev1.PodSpec{}, true},
		{"not ready", node("n1", func(n *corev1.Node) { n.Status.Conditions[0].Status = corev1.ConditionUnknown }), &corev1.PodSpec{}, false},
		{"no conditions", node("n1", func(n *corev1.Node) { n.Status.Conditions = nil }), &corev1.PodSpec{}, false},
		{"cordoned", node("n1", func(n *corev1.Node) { n.Spec.Unschedulable = true }), &corev1.PodSpec{}, false},
		{"deleting", node("n1", func(n *corev1.Node) { n.DeletionTimestamp = &t0 }), &corev1.PodSpec{}, false},
		{"NoSchedule taint", node("n1", func(n *corev1.Node) {
			n.Spec.Taints = []corev1.Taint{{Key: "gpu", Value: "true", Effect: corev1.TaintEffectNoSchedule}}
		}), &corev1.PodSpec{}, false},
		{"tolerated taint", node("n1", func(n *corev1.Node) {
			n.Spec.Taints = []corev1.Taint{{Key: "gpu", Value: "true", Effect: corev1.TaintEffectNoSchedule}}
		}), &corev1.PodSpec{Tolerations: []corev1.Toleration{{Key: "gpu", Operator: corev1.TolerationOpExists}}}, true},
		{"PreferNoSchedule taint", node("n1", func(n *corev1.Node) {
			n.Spec.Taints = []corev1.Taint{{Key: "spot", Effect: corev1.TaintEffectPreferNoSchedule}}
		}), &corev1.PodSpec{}, true},
		{"nodeSelector matches", node("n1"), &corev1.PodSpec{NodeSelector: map[string]string{"pool": "web"}}, true},
		{"nodeSelector differs", node("n1"), &corev1.PodSpec{NodeSelector: map[string]string{"pool": "batch"}}, false},
		{"In", node("n1"), required(expr(corev1.LabelTopologyZone, corev1.NodeSelectorOpIn, "zone-a", "zone-b")), true},
		{"NotIn", node("n1"), required(expr(corev1.LabelTopologyZone, corev1.NodeSelectorOpNotIn, "zone-a")), false},
		{"NotIn on a missing label", node("n1"), required(expr("missing", corev1.NodeSelectorOpNotIn, "x")), true},
		{"Exists", node("n1"), required(expr("pool", corev1.NodeSelectorOpExists)), true},
		{"DoesNotExist", node("n1"), required(expr("pool", corev1.NodeSelectorOpDoesNotExist)), false},
		{"Gt", node("n1"), required(expr("cores", corev1.NodeSelectorOpGt, "4")), true},
		{"Lt", node("n1"), required(expr("cores", corev1.NodeSelectorOpLt, "4")), false},
		{"Gt on a non-number", node("n1"), required(expr("pool", corev1.NodeSelectorOpGt, "4")), false},
		{"terms are ORed", node("n1"), required(expr("pool", corev1.NodeSelectorOpIn, "batch"), expr("pool", corev1.NodeSelectorOpIn, "web")), true},
		{"expressions are ANDed", node("n1"), required(corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{
			{Key: "pool", Operator: corev1.NodeSelectorOpIn, Values: []string{"web"}},
			{Key: corev1.LabelTopologyZone, Operator: corev1.NodeSelectorOpIn, Values: []string{"zone-b"}},
		}}), false},
		{"metadata.name field", node("n1"), required(corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{
			{Key: "metadata.name", Operator: corev1.NodeSelectorOpIn, Values: []string{"n1"}},
		}}), true},
		{"other node's name", node("n2"), required(corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{
			{Key: "metadata.name", Operator: corev1.NodeSelectorOpIn, Values: []string{"n1"}},
		}}), false},
		{"an empty term matches nothing", node("n1"), required(corev1.NodeSelectorTerm{}), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, why := Eligible(tc.node, tc.spec)
			if got != tc.want {
				t.Errorf("Eligible() = %v (%s), want %v", got, why, tc.want)
			}
			if !got && why == "" {
				t.Error("an ineligible node needs a reason")
			}
		})
	}
}

func TestZone(t *testing.T) {
	if got := Zone(node("n1")); got != "zone-a" {
		t.Errorf("Zone = %q", got)
	}
	if got := Zone(nil); got != "" {
		t.Errorf("Zone(nil) = %q", got)
	}
}
