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

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// Options carries what Translate needs besides the spec: which Pods are the service's tasks
// and how the cluster offers bin packing.
type Options struct {
	// ServiceName is the ECS service; when Selector is empty the task labels default to
	// ecs.berth.dev/service=<ServiceName>.
	ServiceName string
	// Selector holds labels every task Pod of the service carries, whatever its deployment.
	// Spread and distinctInstance count the Pods it selects.
	Selector map[string]string
	// BinpackSchedulerName is the scheduler profile that scores nodes MostAllocated, used for
	// binpack strategies, e.g. "berth-binpack". Empty: the cluster has none, binpack is noted
	// as approximated and the default scheduler places the tasks.
	BinpackSchedulerName string
	// SpreadAcrossDeployments makes spread count every task of the service. By default a
	// spread counts only the tasks of the Pod's own deployment (matchLabelKeys on
	// ecs.berth.dev/deployment, the role pod-template-hash plays for Deployments), so each
	// deployment comes out balanced by itself and the one left after a rollout is balanced
	// whatever order the old tasks stopped in. matchLabelKeys names only the key: the
	// deployment id, a hash of the pod-affecting configuration, never has to appear in the
	// template it is computed from.
	SpreadAcrossDeployments bool
}

// selector returns a copy of the task labels, defaulting to the service label.
func (o Options) selector() (map[string]string, error) {
	if len(o.Selector) > 0 {
		return maps.Clone(o.Selector), nil
	}
	if o.ServiceName == "" {
		return nil, errors.New("placement: Options needs Selector or ServiceName to select the service's tasks")
	}
	return map[string]string{ecsv1alpha1.ServiceLabel: o.ServiceName}, nil
}

// Scheduling is what placement adds to a task Pod's spec.
type Scheduling struct {
	// TopologySpreadConstraints come from spread strategies, in strategy order.
	TopologySpreadConstraints []corev1.TopologySpreadConstraint
	// Affinity holds required node affinity (memberOf) and required pod anti-affinity
	// (distinctInstance); nil when there are neither.
	Affinity *corev1.Affinity
	// SchedulerName is the binpack scheduler profile, or empty for the default scheduler.
	SchedulerName string
	// Notes name each place where Kubernetes only approximates the ECS behaviour, for the
	// Service's events or conditions; nil when the translation is exact.
	Notes []string
}

// Translate maps a Service's placement strategies and constraints, plus its task
// definition's constraints, to Pod scheduling fields. Strategies are best-effort in ECS and
// become preferences (ScheduleAnyway spread, a MostAllocated profile); constraints bind and
// become required affinity. Every memberOf expression of the service and the task
// definition must hold, so their node selector terms are ANDed.
//
// Errors caused by the spec match ErrInvalidPlacement and are *FieldError values naming the
// field; the controller reports them as Stalled with reason InvalidPlacement.
func Translate(strategies []ecsv1alpha1.PlacementStrategy, constraints []ecsv1alpha1.PlacementConstraint,
	taskDefConstraints []ecsv1alpha1.TaskDefinitionPlacementConstraint, opts Options) (Scheduling, error) {
	var s Scheduling
	needsSelector := slices.ContainsFunc(strategies, func(st ecsv1alpha1.PlacementStrategy) bool {
		return st.Type == ecsv1alpha1.PlacementStrategySpread
	}) || slices.ContainsFunc(constraints, func(c ecsv1alpha1.PlacementConstraint) bool {
		return c.Type == ecsv1alpha1.PlacementConstraintDistinctInstance
	})
	var sel map[string]string
	if needsSelector {
		var err error
		if sel, err = opts.selector(); err != nil {
			return Scheduling{}, err
		}
	}
	if err := s.addStrategies(strategies, sel, opts); err != nil {
		return Scheduling{}, err
	}
	if err := s.addConstraints(constraints, taskDefConstraints, sel); err != nil {
		return Scheduling{}, err
	}
	return s, nil
}

// ApplyTo adds the scheduling fields to spec: spread constraints are appended, pod
// anti-affinity terms appended, node affinity ANDed with what spec already requires, and the
// scheduler name set when placement chose one.
func (s Scheduling) ApplyTo(spec *corev1.PodSpec) {
	s = s.deepCopy()
	spec.TopologySpreadConstraints = append(spec.TopologySpreadConstraints, s.TopologySpreadConstraints...)
	if s.SchedulerName != "" {
		spec.SchedulerName = s.SchedulerName
	}
	if s.Affinity == nil {
		return
	}
	if spec.Affinity == nil {
		spec.Affinity = &corev1.Affinity{}
	}
	if na := s.Affinity.NodeAffinity; na != nil && na.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		if spec.Affinity.NodeAffinity == nil {
			spec.Affinity.NodeAffinity = &corev1.NodeAffinity{}
		}
		ours := na.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
		if cur := spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution; cur != nil && len(cur.NodeSelectorTerms) > 0 {
			ours = andTerms(cur.NodeSelectorTerms, ours)
		}
		spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution = &corev1.NodeSelector{NodeSelectorTerms: ours}
	}
	if pa := s.Affinity.PodAntiAffinity; pa != nil {
		if spec.Affinity.PodAntiAffinity == nil {
			spec.Affinity.PodAntiAffinity = &corev1.PodAntiAffinity{}
		}
		cur := spec.Affinity.PodAntiAffinity
		cur.RequiredDuringSchedulingIgnoredDuringExecution = append(cur.RequiredDuringSchedulingIgnoredDuringExecution, pa.RequiredDuringSchedulingIgnoredDuringExecution...)
	}
}

// deepCopy returns s sharing no pointers or slices with the original, so a Pod spec built
// from it can be changed freely.
func (s Scheduling) deepCopy() Scheduling {
	out := Scheduling{SchedulerName: s.SchedulerName, Notes: slices.Clone(s.Notes), Affinity: s.Affinity.DeepCopy()}
	for _, c := range s.TopologySpreadConstraints {
		out.TopologySpreadConstraints = append(out.TopologySpreadConstraints, *c.DeepCopy())
	}
	return out
}

// andTerms ANDs two lists of node selector terms (each an OR) by distributing one over the
// other, keeping fields and expressions of each term.
func andTerms(a, b []corev1.NodeSelectorTerm) []corev1.NodeSelectorTerm {
	out := make([]corev1.NodeSelectorTerm, 0, len(a)*len(b))
	for _, ta := range a {
		for _, tb := range b {
			t := corev1.NodeSelectorTerm{
				MatchExpressions: append(slices.Clone(ta.MatchExpressions), tb.MatchExpressions...),
				MatchFields:      append(slices.Clone(ta.MatchFields), tb.MatchFields...),
			}
			out = append(out, *t.DeepCopy()) // terms share no value slices
		}
	}
	return out
}

// fieldErr wraps a spec problem with the path of the field holding it.
func fieldErr(format string, index int, err error) error {
	return &FieldError{Field: fmt.Sprintf(format, index), Err: err}
}
