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

package placement

import (
	"errors"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// addConstraints translates the binding constraints: distinctInstance → required pod
// anti-affinity per node, every memberOf of the service and of the task definition → one
// required node affinity that is their AND.
func (s *Scheduling) addConstraints(constraints []ecsv1alpha1.PlacementConstraint,
	taskDefConstraints []ecsv1alpha1.TaskDefinitionPlacementConstraint, sel map[string]string) error {
	const path = "spec.placementConstraints[%d]"
	var (
		all      dnf
		distinct bool
	)
	and := func(field string, i int, expr string) error {
		d, perr := parseMemberOf(expr)
		if perr != nil {
			return fieldErr(field, i, perr)
		}
		if all == nil {
			all = d
			return nil
		}
		merged, ok := andDNF(all, d)
		if !ok {
			return fieldErr(field, i, fmt.Errorf("together with the constraints before it, %s", errTooManyTerms))
		}
		all = merged
		return nil
	}
	for i, c := range constraints {
		switch c.Type {
		case ecsv1alpha1.PlacementConstraintDistinctInstance:
			if c.Expression != "" {
				return fieldErr(path+".expression", i, errors.New("a distinctInstance constraint takes no expression"))
			}
			distinct = true
		case ecsv1alpha1.PlacementConstraintMemberOf:
			if err := and(path+".expression", i, c.Expression); err != nil {
				return err
			}
		default:
			return fieldErr(path+".type", i, fmt.Errorf("unknown placement constraint type %q; use distinctInstance or memberOf", c.Type))
		}
	}
	const tdPath = "task definition spec.placementConstraints[%d]"
	for i, c := range taskDefConstraints {
		if c.Type != ecsv1alpha1.TaskDefinitionPlacementConstraintMemberOf {
			return fieldErr(tdPath+".type", i, fmt.Errorf("a task definition placement constraint must be memberOf, not %q", c.Type))
		}
		if err := and(tdPath+".expression", i, c.Expression); err != nil {
			return err
		}
	}
	if all == nil && !distinct {
		return nil
	}
	s.Affinity = &corev1.Affinity{}
	if all != nil {
		s.Affinity.NodeAffinity = &corev1.NodeAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: all.nodeSelectorTerms()},
		}
	}
	if distinct {
		// Across all deployments of the service, as in ECS: a rollout onto exactly
		// desiredCount nodes then needs minimumHealthyPercent below 100.
		s.Affinity.PodAntiAffinity = &corev1.PodAntiAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
				LabelSelector: &metav1.LabelSelector{MatchLabels: maps.Clone(sel)},
				TopologyKey:   corev1.LabelHostname,
			}},
		}
	}
	return nil
}
