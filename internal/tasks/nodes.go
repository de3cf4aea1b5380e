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
	"slices"
	"strconv"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
)

// Eligible reports whether a task with this Pod spec may run on node, and if not, why: the
// node must be Ready and schedulable, carry no NoSchedule or NoExecute taint the spec does not
// tolerate, and match the spec's nodeSelector and required node affinity. DAEMON services run
// one task on every eligible node; zone rebalancing balances over the eligible nodes' zones.
func Eligible(node *corev1.Node, spec *corev1.PodSpec) (bool, string) {
	if node.DeletionTimestamp != nil {
		return false, "the node is being deleted"
	}
	if !NodeReady(node) {
		return false, "the node is not Ready"
	}
	if node.Spec.Unschedulable {
		return false, "the node is cordoned"
	}
	for i := range node.Spec.Taints {
		t := &node.Spec.Taints[i]
		if t.Effect != corev1.TaintEffectNoSchedule && t.Effect != corev1.TaintEffectNoExecute {
			continue
		}
		if !slices.ContainsFunc(spec.Tolerations, func(tol corev1.Toleration) bool {
			return tol.ToleratesTaint(logr.Discard(), t, false)
		}) {
			return false, "the node has the taint " + t.ToString()
		}
	}
	for k, v := range spec.NodeSelector {
		if got, ok := node.Labels[k]; !ok || got != v {
			return false, "the node does not have the label " + k + "=" + v
		}
	}
	if a := spec.Affinity; a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		if !MatchesNodeSelector(node, a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution) {
			return false, "the node does not match the placement constraints"
		}
	}
	return true, ""
}

// NodeReady reports whether the node's Ready condition is True.
func NodeReady(node *corev1.Node) bool {
	for _, c := range node.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// MatchesNodeSelector evaluates required node affinity as kube-scheduler does: the terms are
// ORed, a term's expressions and fields ANDed, and a term with neither matches nothing.
func MatchesNodeSelector(node *corev1.Node, sel *corev1.NodeSelector) bool {
	for _, term := range sel.NodeSelectorTerms {
		if len(term.MatchExpressions) == 0 && len(term.MatchFields) == 0 {
			continue
		}
		ok := true
		for _, r := range term.MatchExpressions {
			v, has := node.Labels[r.Key]
			if !matchRequirement(r, v, has) {
				ok = false
				break
			}
		}
		for _, r := range term.MatchFields {
			if !ok {
				break
			}
			if r.Key != "metadata.name" {
				ok = false
				break
			}
			ok = matchRequirement(r, node.Name, true)
		}
		if ok {
			return true
		}
	}
	return false
}

// matchRequirement evaluates one node selector requirement against a label value.
func matchRequirement(r corev1.NodeSelectorRequirement, value string, has bool) bool {
	switch r.Operator {
	case corev1.NodeSelectorOpIn:
		return has && slices.Contains(r.Values, value)
	case corev1.NodeSelectorOpNotIn:
		return !has || !slices.Contains(r.Values, value)
	case corev1.NodeSelectorOpExists:
		return has
	case corev1.NodeSelectorOpDoesNotExist:
		return !has
	case corev1.NodeSelectorOpGt, corev1.NodeSelectorOpLt:
		if !has || len(r.Values) != 1 {
			return false
		}
		got, err1 := strconv.ParseInt(value, 10, 64)
		want, err2 := strconv.ParseInt(r.Values[0], 10, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		if r.Operator == corev1.NodeSelectorOpGt {
			return got > want
		}
		return got < want
	default:
		return false
	}
}

// Zone is the node's topology.kubernetes.io/zone, empty when it has none.
func Zone(node *corev1.Node) string {
	if node == nil {
		return ""
	}
	return node.Labels[corev1.LabelTopologyZone]
}
