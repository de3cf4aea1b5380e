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
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// addStrategies translates the ordered placement strategies: spread → topology spread
// constraints, binpack → the binpack scheduler profile, random → nothing (it is what the
// default scheduler does when nothing else differs).
func (s *Scheduling) addStrategies(strategies []ecsv1alpha1.PlacementStrategy, sel map[string]string, opts Options) error {
	const path = "spec.placementStrategy[%d]"
	effective := 0
	for i, st := range strategies {
		switch st.Type {
		case ecsv1alpha1.PlacementStrategySpread:
			key, err := spreadTopologyKey(st.Field)
			if err != nil {
				return fieldErr(path+".field", i, err)
			}
			if slices.ContainsFunc(s.TopologySpreadConstraints, func(c corev1.TopologySpreadConstraint) bool { return c.TopologyKey == key }) {
				s.Notes = append(s.Notes, fmt.Sprintf("placementStrategy[%d]: spread on %s spreads over %s again; kept once", i, st.Field, key))
				continue
			}
			s.TopologySpreadConstraints = append(s.TopologySpreadConstraints, spreadConstraint(key, sel, opts))
			effective++
		case ecsv1alpha1.PlacementStrategyBinpack:
			if st.Field != "cpu" && st.Field != "memory" {
				return fieldErr(path+".field", i, fmt.Errorf("a binpack strategy packs by cpu or memory, not %q", st.Field))
			}
			switch {
			case opts.BinpackSchedulerName == "":
				s.Notes = append(s.Notes, fmt.Sprintf("placementStrategy[%d]: binpack on %s is not applied: no binpack scheduler profile is configured, so the default scheduler spreads load instead", i, st.Field))
			case s.SchedulerName == "":
				s.SchedulerName = opts.BinpackSchedulerName
				effective++
				s.Notes = append(s.Notes, fmt.Sprintf("placementStrategy[%d]: binpack on %s uses scheduler profile %s, which packs by the resources it is configured with (MostAllocated), not by %s alone", i, st.Field, opts.BinpackSchedulerName, st.Field))
			default:
				s.Notes = append(s.Notes, fmt.Sprintf("placementStrategy[%d]: binpack on %s is covered by scheduler profile %s already", i, st.Field, s.SchedulerName))
			}
		case ecsv1alpha1.PlacementStrategyRandom:
			if st.Field != "" {
				return fieldErr(path+".field", i, errors.New("a random strategy takes no field"))
			}
		default:
			return fieldErr(path+".type", i, fmt.Errorf("unknown placement strategy type %q; use spread, binpack or random", st.Type))
		}
	}
	if effective > 1 {
		s.Notes = append(s.Notes, "placementStrategy: kube-scheduler weighs the strategies' scores together instead of applying them strictly in order")
	}
	return nil
}

// spreadConstraint is the topology spread constraint for one spread strategy: skew 1, as even
// as ECS spreads, but ScheduleAnyway because spread is a strategy, not a constraint, in ECS.
func spreadConstraint(key string, sel map[string]string, opts Options) corev1.TopologySpreadConstraint {
	c := corev1.TopologySpreadConstraint{
		MaxSkew:           1,
		TopologyKey:       key,
		WhenUnsatisfiable: corev1.ScheduleAnyway,
		LabelSelector:     &metav1.LabelSelector{MatchLabels: maps.Clone(sel)},
	}
	// The API forbids a key in both labelSelector and matchLabelKeys; a selector that
	// names the deployment already counts one deployment.
	if _, scoped := sel[ecsv1alpha1.DeploymentLabel]; !opts.SpreadAcrossDeployments && !scoped {
		c.MatchLabelKeys = []string{ecsv1alpha1.DeploymentLabel}
	}
	return c
}
