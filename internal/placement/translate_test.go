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
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/testutil/golden"
)

var webLabels = map[string]string{ecsv1alpha1.ServiceLabel: "web"}

func spread(field string) ecsv1alpha1.PlacementStrategy {
	return ecsv1alpha1.PlacementStrategy{Type: ecsv1alpha1.PlacementStrategySpread, Field: field}
}

func binpack(field string) ecsv1alpha1.PlacementStrategy {
	return ecsv1alpha1.PlacementStrategy{Type: ecsv1alpha1.PlacementStrategyBinpack, Field: field}
}

var random = ecsv1alpha1.PlacementStrategy{Type: ecsv1alpha1.PlacementStrategyRandom}

var distinct = ecsv1alpha1.PlacementConstraint{Type: ecsv1alpha1.PlacementConstraintDistinctInstance}

func memberOf(expr string) ecsv1alpha1.PlacementConstraint {
	return ecsv1alpha1.PlacementConstraint{Type: ecsv1alpha1.PlacementConstraintMemberOf, Expression: expr}
}

func tdMemberOf(expr string) ecsv1alpha1.TaskDefinitionPlacementConstraint {
	return ecsv1alpha1.TaskDefinitionPlacementConstraint{Type: "memberOf", Expression: expr}
}

// tsc is the spread constraint Translate makes for the "web" service by default.
func tsc(key string) corev1.TopologySpreadConstraint {
	return corev1.TopologySpreadConstraint{
		MaxSkew:           1,
		TopologyKey:       key,
		WhenUnsatisfiable: corev1.ScheduleAnyway,
		LabelSelector:     &metav1.LabelSelector{MatchLabels: map[string]string{ecsv1alpha1.ServiceLabel: "web"}},
		MatchLabelKeys:    []string{ecsv1alpha1.DeploymentLabel},
	}
}

func tscs(cs ...corev1.TopologySpreadConstraint) []corev1.TopologySpreadConstraint { return cs }

func nodeAffinity(ts ...corev1.NodeSelectorTerm) *corev1.Affinity {
	return &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: ts},
	}}
}

var antiAffinity = &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
	LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{ecsv1alpha1.ServiceLabel: "web"}},
	TopologyKey:   hostKey,
}}}

const orderNote = "placementStrategy: kube-scheduler weighs the strategies' scores together instead of applying them strictly in order"

func TestTranslate(t *testing.T) {
	web := Options{ServiceName: "web"}
	withProfile := Options{ServiceName: "web", BinpackSchedulerName: "berth-binpack"}
	tests := []struct {
		name        string
		strategies  []ecsv1alpha1.PlacementStrategy
		constraints []ecsv1alpha1.PlacementConstraint
		taskDef     []ecsv1alpha1.TaskDefinitionPlacementConstraint
		opts        Options
		want        Scheduling
	}{
		{name: "nothing", opts: web},
		{name: "nothing needs no selector", constraints: []ecsv1alpha1.PlacementConstraint{memberOf("attribute:a exists")},
			want: Scheduling{Affinity: nodeAffinity(term(req("a", exist)))}},
		{name: "spread zone", strategies: []ecsv1alpha1.PlacementStrategy{spread("attribute:ecs.availability-zone")}, opts: web,
			want: Scheduling{TopologySpreadConstraints: tscs(tsc(zoneKey))}},
		{name: "spread instanceId", strategies: []ecsv1alpha1.PlacementStrategy{spread("instanceId")}, opts: web,
			want: Scheduling{TopologySpreadConstraints: tscs(tsc(hostKey))}},
		{name: "spread host", strategies: []ecsv1alpha1.PlacementStrategy{spread("host")}, opts: web,
			want: Scheduling{TopologySpreadConstraints: tscs(tsc(hostKey))}},
		{name: "spread instance type", strategies: []ecsv1alpha1.PlacementStrategy{spread("attribute:ecs.instance-type")}, opts: web,
			want: Scheduling{TopologySpreadConstraints: tscs(tsc(corev1.LabelInstanceTypeStable))}},
		{name: "spread os type", strategies: []ecsv1alpha1.PlacementStrategy{spread("attribute:ecs.os-type")}, opts: web,
			want: Scheduling{TopologySpreadConstraints: tscs(tsc(corev1.LabelOSStable))}},
		{name: "spread cpu architecture", strategies: []ecsv1alpha1.PlacementStrategy{spread("attribute:ecs.cpu-architecture")}, opts: web,
			want: Scheduling{TopologySpreadConstraints: tscs(tsc(corev1.LabelArchStable))}},
		{name: "spread any node label", strategies: []ecsv1alpha1.PlacementStrategy{spread("attribute:example.com/rack")}, opts: web,
			want: Scheduling{TopologySpreadConstraints: tscs(tsc("example.com/rack"))}},
		{name: "spread zone label spelled out", strategies: []ecsv1alpha1.PlacementStrategy{spread("attribute:topology.kubernetes.io/zone")}, opts: web,
			want: Scheduling{TopologySpreadConstraints: tscs(tsc(zoneKey))}},
		{name: "spread zone then instanceId",
			strategies: []ecsv1alpha1.PlacementStrategy{spread("attribute:ecs.availability-zone"), spread("instanceId")}, opts: web,
			want: Scheduling{TopologySpreadConstraints: tscs(tsc(zoneKey), tsc(hostKey)), Notes: []string{orderNote}}},
		{name: "spread instanceId and host are one key",
			strategies: []ecsv1alpha1.PlacementStrategy{spread("instanceId"), spread("host")}, opts: web,
			want: Scheduling{TopologySpreadConstraints: tscs(tsc(hostKey)),
				Notes: []string{"placementStrategy[1]: spread on host spreads over kubernetes.io/hostname again; kept once"}}},
		{name: "spread zone then binpack memory",
			strategies: []ecsv1alpha1.PlacementStrategy{spread("attribute:ecs.availability-zone"), binpack("memory")}, opts: withProfile,
			want: Scheduling{TopologySpreadConstraints: tscs(tsc(zoneKey)), SchedulerName: "berth-binpack", Notes: []string{
				"placementStrategy[1]: binpack on memory uses scheduler profile berth-binpack, which packs by the resources it is configured with (MostAllocated), not by memory alone",
				orderNote,
			}}},
		{name: "binpack without a profile", strategies: []ecsv1alpha1.PlacementStrategy{binpack("cpu")}, opts: web,
			want: Scheduling{Notes: []string{
				"placementStrategy[0]: binpack on cpu is not applied: no binpack scheduler profile is configured, so the default scheduler spreads load instead",
			}}},
		{name: "binpack cpu then memory", strategies: []ecsv1alpha1.PlacementStrategy{binpack("cpu"), binpack("memory")}, opts: withProfile,
			want: Scheduling{SchedulerName: "berth-binpack", Notes: []string{
				"placementStrategy[0]: binpack on cpu uses scheduler profile berth-binpack, which packs by the resources it is configured with (MostAllocated), not by cpu alone",
				"placementStrategy[1]: binpack on memory is covered by scheduler profile berth-binpack already",
			}}},
		{name: "random", strategies: []ecsv1alpha1.PlacementStrategy{random}, opts: web},
		{name: "spread then random", strategies: []ecsv1alpha1.PlacementStrategy{spread("instanceId"), random}, opts: web,
			want: Scheduling{TopologySpreadConstraints: tscs(tsc(hostKey))}},
		{name: "distinctInstance", constraints: []ecsv1alpha1.PlacementConstraint{distinct}, opts: web,
			want: Scheduling{Affinity: &corev1.Affinity{PodAntiAffinity: antiAffinity}}},
		{name: "distinctInstance twice", constraints: []ecsv1alpha1.PlacementConstraint{distinct, distinct}, opts: web,
			want: Scheduling{Affinity: &corev1.Affinity{PodAntiAffinity: antiAffinity}}},
		{name: "memberOf", constraints: []ecsv1alpha1.PlacementConstraint{memberOf("attribute:ecs.availability-zone != zone-c")}, opts: web,
			want: Scheduling{Affinity: nodeAffinity(term(req(zoneKey, notIn, "zone-c")))}},
		{name: "task definition memberOf", taskDef: []ecsv1alpha1.TaskDefinitionPlacementConstraint{tdMemberOf("attribute:ecs.availability-zone in [zone-a, zone-b]")}, opts: web,
			want: Scheduling{Affinity: nodeAffinity(term(req(zoneKey, in, "zone-a", "zone-b")))}},
		{name: "service and task definition memberOf are ANDed",
			constraints: []ecsv1alpha1.PlacementConstraint{memberOf("attribute:ecs.availability-zone in [zone-a, zone-b]")},
			taskDef:     []ecsv1alpha1.TaskDefinitionPlacementConstraint{tdMemberOf("attribute:ecs.instance-type == m5.large or attribute:ecs.instance-type == m5.xlarge")},
			opts:        web,
			want: Scheduling{Affinity: nodeAffinity(
				term(req(zoneKey, in, "zone-a", "zone-b"), req(corev1.LabelInstanceTypeStable, in, "m5.large")),
				term(req(zoneKey, in, "zone-a", "zone-b"), req(corev1.LabelInstanceTypeStable, in, "m5.xlarge")),
			)}},
		{name: "several memberOf distribute",
			constraints: []ecsv1alpha1.PlacementConstraint{memberOf("attribute:a == 1 or attribute:b == 2"), memberOf("attribute:c == 3 or attribute:d == 4")},
			taskDef:     []ecsv1alpha1.TaskDefinitionPlacementConstraint{tdMemberOf("attribute:e exists")},
			opts:        web,
			want: Scheduling{Affinity: nodeAffinity(
				term(req("a", in, "1"), req("c", in, "3"), req("e", exist)),
				term(req("a", in, "1"), req("d", in, "4"), req("e", exist)),
				term(req("b", in, "2"), req("c", in, "3"), req("e", exist)),
				term(req("b", in, "2"), req("d", in, "4"), req("e", exist)),
			)}},
		{name: "the same memberOf twice collapses",
			constraints: []ecsv1alpha1.PlacementConstraint{memberOf("attribute:a == 1")},
			taskDef:     []ecsv1alpha1.TaskDefinitionPlacementConstraint{tdMemberOf("attribute:a == 1")},
			opts:        web,
			want:        Scheduling{Affinity: nodeAffinity(term(req("a", in, "1")))}},
		{name: "everything",
			strategies:  []ecsv1alpha1.PlacementStrategy{spread("attribute:ecs.availability-zone"), spread("instanceId"), random},
			constraints: []ecsv1alpha1.PlacementConstraint{distinct, memberOf("attribute:ecs.availability-zone != zone-c")},
			taskDef:     []ecsv1alpha1.TaskDefinitionPlacementConstraint{tdMemberOf("attribute:ecs.os-type == linux")},
			opts:        web,
			want: Scheduling{
				TopologySpreadConstraints: tscs(tsc(zoneKey), tsc(hostKey)),
				Affinity: &corev1.Affinity{
					NodeAffinity:    nodeAffinity(term(req(zoneKey, notIn, "zone-c"), req(corev1.LabelOSStable, in, "linux"))).NodeAffinity,
					PodAntiAffinity: antiAffinity,
				},
				Notes: []string{orderNote},
			}},
		{name: "explicit selector", strategies: []ecsv1alpha1.PlacementStrategy{spread("instanceId")}, constraints: []ecsv1alpha1.PlacementConstraint{distinct},
			opts: Options{ServiceName: "ignored", Selector: map[string]string{"app": "web", "tier": "front"}},
			want: Scheduling{
				TopologySpreadConstraints: tscs(corev1.TopologySpreadConstraint{
					MaxSkew: 1, TopologyKey: hostKey, WhenUnsatisfiable: corev1.ScheduleAnyway,
					LabelSelector:  &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web", "tier": "front"}},
					MatchLabelKeys: []string{ecsv1alpha1.DeploymentLabel},
				}),
				Affinity: &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
					LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web", "tier": "front"}},
					TopologyKey:   hostKey,
				}}}},
			}},
		{name: "selector naming the deployment needs no matchLabelKeys", strategies: []ecsv1alpha1.PlacementStrategy{spread("instanceId")},
			opts: Options{Selector: map[string]string{ecsv1alpha1.ServiceLabel: "web", ecsv1alpha1.DeploymentLabel: "ecs-svc-1"}},
			want: Scheduling{TopologySpreadConstraints: tscs(corev1.TopologySpreadConstraint{
				MaxSkew: 1, TopologyKey: hostKey, WhenUnsatisfiable: corev1.ScheduleAnyway,
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{ecsv1alpha1.ServiceLabel: "web", ecsv1alpha1.DeploymentLabel: "ecs-svc-1"}},
			})}},
		{name: "spread across deployments", strategies: []ecsv1alpha1.PlacementStrategy{spread("instanceId")},
			opts: Options{ServiceName: "web", SpreadAcrossDeployments: true},
			want: Scheduling{TopologySpreadConstraints: tscs(corev1.TopologySpreadConstraint{
				MaxSkew: 1, TopologyKey: hostKey, WhenUnsatisfiable: corev1.ScheduleAnyway,
				LabelSelector: &metav1.LabelSelector{MatchLabels: webLabels},
			})}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Translate(tc.strategies, tc.constraints, tc.taskDef, tc.opts)
			if err != nil {
				t.Fatalf("Translate: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Scheduling (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTranslateErrors(t *testing.T) {
	web := Options{ServiceName: "web"}
	tests := []struct {
		name        string
		strategies  []ecsv1alpha1.PlacementStrategy
		constraints []ecsv1alpha1.PlacementConstraint
		taskDef     []ecsv1alpha1.TaskDefinitionPlacementConstraint
		field       string   // FieldError.Field
		column      int      // ExpressionError.Column, 0 when the cause is not an expression
		want        []string // substrings of the message
	}{
		{name: "spread on cpu", strategies: []ecsv1alpha1.PlacementStrategy{spread("cpu")},
			field: "spec.placementStrategy[0].field", want: []string{`"cpu" is a binpack field`}},
		{name: "spread without field", strategies: []ecsv1alpha1.PlacementStrategy{random, spread("")},
			field: "spec.placementStrategy[1].field", want: []string{"a spread strategy needs a field"}},
		{name: "spread on unknown field", strategies: []ecsv1alpha1.PlacementStrategy{spread("zone")},
			field: "spec.placementStrategy[0].field", want: []string{`unknown spread field "zone"`, "attribute:<node label>"}},
		{name: "spread on bad label", strategies: []ecsv1alpha1.PlacementStrategy{spread("attribute:-x")},
			field: "spec.placementStrategy[0].field", want: []string{`"-x" is not a valid node label key`}},
		{name: "binpack on disk", strategies: []ecsv1alpha1.PlacementStrategy{binpack("disk")},
			field: "spec.placementStrategy[0].field", want: []string{`packs by cpu or memory, not "disk"`}},
		{name: "random with field", strategies: []ecsv1alpha1.PlacementStrategy{{Type: "random", Field: "cpu"}},
			field: "spec.placementStrategy[0].field", want: []string{"a random strategy takes no field"}},
		{name: "unknown strategy", strategies: []ecsv1alpha1.PlacementStrategy{{Type: "pack"}},
			field: "spec.placementStrategy[0].type", want: []string{`unknown placement strategy type "pack"`}},
		{name: "pattern operator", constraints: []ecsv1alpha1.PlacementConstraint{distinct, memberOf("attribute:ecs.instance-type =~ t2.*")},
			field: "spec.placementConstraints[1].expression", column: 29,
			want: []string{`spec.placementConstraints[1].expression: memberOf expression "attribute:ecs.instance-type =~ t2.*": column 29, "=~"`, "list the values with in [...]"}},
		{name: "empty memberOf", constraints: []ecsv1alpha1.PlacementConstraint{memberOf("")},
			field: "spec.placementConstraints[0].expression", column: 1, want: []string{"the expression is empty"}},
		{name: "distinctInstance with expression", constraints: []ecsv1alpha1.PlacementConstraint{{Type: "distinctInstance", Expression: "x"}},
			field: "spec.placementConstraints[0].expression", want: []string{"takes no expression"}},
		{name: "unknown constraint", constraints: []ecsv1alpha1.PlacementConstraint{{Type: "sameZone"}},
			field: "spec.placementConstraints[0].type", want: []string{`unknown placement constraint type "sameZone"`}},
		{name: "task definition distinctInstance", taskDef: []ecsv1alpha1.TaskDefinitionPlacementConstraint{{Type: "distinctInstance"}},
			field: "task definition spec.placementConstraints[0].type", want: []string{"must be memberOf"}},
		{name: "task definition expression", constraints: []ecsv1alpha1.PlacementConstraint{memberOf("attribute:a exists")},
			taskDef: []ecsv1alpha1.TaskDefinitionPlacementConstraint{tdMemberOf("attribute:a exists"), tdMemberOf("runningTasksCount == 0")},
			field:   "task definition spec.placementConstraints[1].expression", column: 1, want: []string{"runningTasksCount"}},
		{name: "too many terms together", constraints: []ecsv1alpha1.PlacementConstraint{memberOf(manyAlternatives(4))},
			taskDef: []ecsv1alpha1.TaskDefinitionPlacementConstraint{tdMemberOf(manyAlternatives(3))},
			field:   "task definition spec.placementConstraints[0].expression", want: []string{"together with the constraints before it", "more than 64 terms"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Translate(tc.strategies, tc.constraints, tc.taskDef, web)
			if err == nil {
				t.Fatalf("Translate accepted it: %+v", got)
			}
			if !errors.Is(err, ErrInvalidPlacement) {
				t.Errorf("error does not match ErrInvalidPlacement: %v", err)
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field {
				t.Errorf("error %v: want a *FieldError for %s", err, tc.field)
			}
			var ee *ExpressionError
			if isExpr := errors.As(err, &ee); isExpr != (tc.column > 0) || (isExpr && ee.Column != tc.column) {
				t.Errorf("error %v: want expression column %d", err, tc.column)
			}
			for _, s := range tc.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("message %q lacks %q", err.Error(), s)
				}
			}
		})
	}
}

// A missing selector is the caller's bug, not the user's: it must not read as InvalidPlacement.
func TestTranslateNeedsSelector(t *testing.T) {
	for _, c := range [][]ecsv1alpha1.PlacementConstraint{nil, {distinct}} {
		var strategies []ecsv1alpha1.PlacementStrategy
		if c == nil {
			strategies = []ecsv1alpha1.PlacementStrategy{spread("instanceId")}
		}
		_, err := Translate(strategies, c, nil, Options{})
		if err == nil || errors.Is(err, ErrInvalidPlacement) {
			t.Errorf("Translate without selector: error %v, want a non-placement error", err)
		}
	}
}

// Translate must not alias the caller's selector map.
func TestTranslateCopiesSelector(t *testing.T) {
	sel := map[string]string{"app": "web"}
	got, err := Translate([]ecsv1alpha1.PlacementStrategy{spread("instanceId")}, []ecsv1alpha1.PlacementConstraint{distinct}, nil, Options{Selector: sel})
	if err != nil {
		t.Fatal(err)
	}
	sel["app"] = "changed"
	if got.TopologySpreadConstraints[0].LabelSelector.MatchLabels["app"] != "web" ||
		got.Affinity.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution[0].LabelSelector.MatchLabels["app"] != "web" {
		t.Errorf("the result follows later edits of Options.Selector")
	}
}

func TestApplyTo(t *testing.T) {
	s, err := Translate(
		[]ecsv1alpha1.PlacementStrategy{spread("attribute:ecs.availability-zone"), binpack("memory")},
		[]ecsv1alpha1.PlacementConstraint{distinct, memberOf("attribute:ecs.availability-zone in [zone-a, zone-b] or attribute:spare exists")},
		nil, Options{ServiceName: "web", BinpackSchedulerName: "berth-binpack"})
	if err != nil {
		t.Fatal(err)
	}
	// What internal/taskdef could have set already.
	spec := corev1.PodSpec{
		NodeSelector: map[string]string{corev1.LabelOSStable: "linux"},
		Affinity: &corev1.Affinity{
			NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
				NodeSelectorTerms: terms(term(req("gpu", exist))),
			}},
		},
	}
	s.ApplyTo(&spec)
	want := corev1.PodSpec{
		NodeSelector:              map[string]string{corev1.LabelOSStable: "linux"},
		SchedulerName:             "berth-binpack",
		TopologySpreadConstraints: tscs(tsc(zoneKey)),
		Affinity: &corev1.Affinity{
			NodeAffinity: nodeAffinity(
				term(req("gpu", exist), req(zoneKey, in, "zone-a", "zone-b")),
				term(req("gpu", exist), req("spare", exist)),
			).NodeAffinity,
			PodAntiAffinity: antiAffinity,
		},
	}
	if diff := cmp.Diff(want, spec); diff != "" {
		t.Errorf("PodSpec (-want +got):\n%s", diff)
	}
	spec.TopologySpreadConstraints[0].LabelSelector.MatchLabels["x"] = "y"
	spec.Affinity.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution[0].TopologyKey = "changed"
	if _, ok := s.TopologySpreadConstraints[0].LabelSelector.MatchLabels["x"]; ok ||
		s.Affinity.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution[0].TopologyKey != hostKey {
		t.Errorf("the Pod spec shares memory with the Scheduling it came from")
	}

	var empty corev1.PodSpec
	Scheduling{}.ApplyTo(&empty)
	if diff := cmp.Diff(corev1.PodSpec{}, empty); diff != "" {
		t.Errorf("an empty Scheduling changed the spec:\n%s", diff)
	}
}

// TestTranslateGolden pins the full scheduling fields of a Service with zone spread, binpack,
// distinctInstance and a memberOf constraint, on a task definition with a memberOf constraint
// of its own, as the controller would put them on a task Pod.
func TestTranslateGolden(t *testing.T) {
	s, err := Translate(
		[]ecsv1alpha1.PlacementStrategy{spread("attribute:ecs.availability-zone"), binpack("memory")},
		[]ecsv1alpha1.PlacementConstraint{distinct, memberOf("attribute:ecs.availability-zone != zone-c")},
		[]ecsv1alpha1.TaskDefinitionPlacementConstraint{tdMemberOf("attribute:ecs.availability-zone in [zone-a, zone-b]")},
		Options{ServiceName: "web", BinpackSchedulerName: "berth-binpack"})
	if err != nil {
		t.Fatal(err)
	}
	var spec corev1.PodSpec
	s.ApplyTo(&spec)
	out, err := yaml.Marshal(map[string]any{
		"affinity":                  spec.Affinity,
		"schedulerName":             spec.SchedulerName,
		"topologySpreadConstraints": spec.TopologySpreadConstraints,
		"notes":                     s.Notes,
	})
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "testdata/translate_sample.yaml", out)
}
