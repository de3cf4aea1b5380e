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
	"strconv"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/placement"
	"github.com/berth-dev/berth/internal/taskdef"
)

func translated(t *testing.T, spec *ecsv1alpha1.TaskDefinitionSpec) *taskdef.Result {
	t.Helper()
	res, err := taskdef.Translate(spec, taskdef.Options{Family: "web", Revision: 3})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func webSpec() *ecsv1alpha1.TaskDefinitionSpec {
	return &ecsv1alpha1.TaskDefinitionSpec{
		ContainerDefinitions: []ecsv1alpha1.ContainerDefinition{{
			Name: "web", Image: "nginx:1.27",
			PortMappings: []ecsv1alpha1.PortMapping{{ContainerPort: ptr.To[int32](8080)}},
			HealthCheck:  &ecsv1alpha1.HealthCheck{Command: []string{"CMD", "true"}},
		}},
		Tags: []ecsv1alpha1.Tag{{Key: "team", Value: "payments"}},
	}
}

func TestBuildTemplate(t *testing.T) {
	res := translated(t, webSpec())
	sched, err := placement.Translate([]ecsv1alpha1.PlacementStrategy{{Type: ecsv1alpha1.PlacementStrategySpread, Field: "attribute:ecs.availability-zone"}},
		[]ecsv1alpha1.PlacementConstraint{{Type: ecsv1alpha1.PlacementConstraintMemberOf, Expression: "attribute:ecs.availability-zone != zone-c"}},
		nil, placement.Options{ServiceName: "web"})
	if err != nil {
		t.Fatal(err)
	}
	tmpl := BuildTemplate(TemplateInput{
		Service: "web", Namespace: "team-a", Translated: res, Scheduling: sched,
		Tags: []ecsv1alpha1.Tag{
			{Key: "team", Value: "payments"},
			{Key: "cost centre", Value: "42"},
			{Key: "example.com/owner", Value: "not a label value!"},
			{Key: "ecs.berth.dev/service", Value: "hijack"},
		},
		ManagedTags:                   true,
		HealthCheckGracePeriodSeconds: 60,
		RestartEnabled:                []string{"web"},
	})
	wantLabels := map[string]string{
		ecsv1alpha1.ServiceLabel:    "web",
		taskdef.LabelTaskDefinition: "web-3",
		"team":                      "payments",
		LabelManagedName:            "web",
		LabelManagedPartOf:          "team-a",
	}
	if d := gocmp.Diff(wantLabels, tmpl.Labels); d != "" {
		t.Errorf("labels (-want +got):\n%s", d)
	}
	if got := tmpl.Annotations["example.com/owner"]; got != "not a label value!" {
		t.Errorf("a tag whose value is not a label value should be an annotation, got %q", got)
	}
	if got := tmpl.Annotations[AnnotationTags]; got != `{"cost centre":"42"}` {
		t.Errorf("%s = %q", AnnotationTags, got)
	}
	if got := tmpl.Annotations[AnnotationRestartEnabled]; got != "web" {
		t.Errorf("%s = %q", AnnotationRestartEnabled, got)
	}
	if got := tmpl.Spec.Containers[0].LivenessProbe.InitialDelaySeconds; got != 60 {
		t.Errorf("liveness initialDelaySeconds = %d, want the grace period 60", got)
	}
	if got := tmpl.Spec.Containers[0].ReadinessProbe.InitialDelaySeconds; got != 0 {
		t.Errorf("readiness initialDelaySeconds = %d: readiness is not delayed", got)
	}
	if len(tmpl.Spec.TopologySpreadConstraints) != 1 || tmpl.Spec.Affinity == nil || tmpl.Spec.Affinity.NodeAffinity == nil {
		t.Errorf("placement not applied: %+v %+v", tmpl.Spec.TopologySpreadConstraints, tmpl.Spec.Affinity)
	}
	if tmpl.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("restartPolicy = %s", tmpl.Spec.RestartPolicy)
	}
	if res.Template.Labels[ecsv1alpha1.ServiceLabel] != "" {
		t.Error("BuildTemplate changed the translation's template")
	}
}

func TestBuildTemplateNetworkIsolated(t *testing.T) {
	spec := webSpec()
	spec.NetworkMode = ecsv1alpha1.NetworkModeNone
	spec.ContainerDefinitions[0].PortMappings = nil
	tmpl := BuildTemplate(TemplateInput{Service: "web", Translated: translated(t, spec)})
	if tmpl.Labels[LabelNetworkIsolated] != "true" {
		t.Errorf("labels = %v, want %s", tmpl.Labels, LabelNetworkIsolated)
	}
}

func TestPropagatedTags(t *testing.T) {
	svc := &ecsv1alpha1.ServiceSpec{Tags: []ecsv1alpha1.Tag{{Key: "a", Value: "svc"}}}
	td := webSpec()
	for _, tc := range []struct {
		mode ecsv1alpha1.PropagateTags
		want string
	}{{ecsv1alpha1.PropagateTagsService, "a"}, {ecsv1alpha1.PropagateTagsTaskDefinition, "team"}, {ecsv1alpha1.PropagateTagsNone, ""}, {"", ""}} {
		svc.PropagateTags = tc.mode
		got := PropagatedTags(svc, td)
		if (tc.want == "") != (len(got) == 0) || (tc.want != "" && got[0].Key != tc.want) {
			t.Errorf("%q: got %v, want %q", tc.mode, got, tc.want)
		}
	}
}

func TestDeploymentID(t *testing.T) {
	tmpl := BuildTemplate(TemplateInput{Service: "web", Namespace: "ns", Translated: translated(t, webSpec())})
	id := func(ns, svc, force string, tm corev1.PodTemplateSpec) string {
		t.Helper()
		got, err := DeploymentID(ns, svc, force, &tm)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	base := id("ns", "web", "", tmpl)
	if !strings.HasPrefix(base, DeploymentIDPrefix) || len(DeploymentHash(base)) != hashLength {
		t.Fatalf("ID %q is not ecs-svc-<%d characters>", base, hashLength)
	}
	for _, c := range DeploymentHash(base) {
		if !strings.ContainsRune(hashAlphabet, c) {
			t.Fatalf("ID %q has %q outside the alphabet", base, c)
		}
	}
	if again := id("ns", "web", "", *tmpl.DeepCopy()); again != base {
		t.Errorf("the same input gave %q then %q", base, again)
	}
	changed := tmpl.DeepCopy()
	changed.Spec.Containers[0].Image = "nginx:1.28"
	for name, other := range map[string]string{
		"force":     id("ns", "web", "2026-01-01", tmpl),
		"namespace": id("other", "web", "", tmpl),
		"service":   id("ns", "api", "", tmpl),
		"template":  id("ns", "web", "", *changed),
	} {
		if other == base {
			t.Errorf("a different %s gave the same ID %s", name, base)
		}
	}
	labelled := WithDeployment(tmpl, base)
	if labelled.Labels[ecsv1alpha1.DeploymentLabel] != base || tmpl.Labels[ecsv1alpha1.DeploymentLabel] != "" {
		t.Error("WithDeployment must label a copy")
	}
}

func TestNewPod(t *testing.T) {
	tmpl := WithDeployment(BuildTemplate(TemplateInput{Service: "web", Namespace: "ns", Translated: translated(t, webSpec())}), "ecs-svc-abc")
	tmpl.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
		NodeSelectorTerms: []corev1.NodeSelectorTerm{expr("pool", corev1.NodeSelectorOpIn, "web")},
	}}}
	owner := metav1.OwnerReference{APIVersion: "ecs.berth.dev/v1alpha1", Kind: "Service", Name: "web", UID: "u1", Controller: ptr.To(true)}
	name := PodName("web", "ecs-svc-abc", "xyz12")
	if name != "web-abc-xyz12" {
		t.Errorf("PodName = %q", name)
	}

	plain := NewPod(&tmpl, name, "ns", owner, Pin{})
	if plain.Name != name || plain.Namespace != "ns" || len(plain.OwnerReferences) != 1 || plain.Labels[ecsv1alpha1.DeploymentLabel] != "ecs-svc-abc" {
		t.Errorf("pod meta = %+v", plain.ObjectMeta)
	}
	if d := gocmp.Diff(tmpl.Spec, plain.Spec); d != "" {
		t.Errorf("an unpinned task must have the template's spec:\n%s", d)
	}

	daemon := NewPod(&tmpl, name, "ns", owner, Pin{Node: "n1"})
	terms := daemon.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
	if len(terms) != 1 || len(terms[0].MatchExpressions) != 1 || len(terms[0].MatchFields) != 1 || terms[0].MatchFields[0].Values[0] != "n1" {
		t.Errorf("DAEMON pin not ANDed with the template's affinity: %+v", terms)
	}
	if pinnedTo := tmpl.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0].MatchFields; len(pinnedTo) != 0 {
		t.Error("NewPod changed the template")
	}

	moved := NewPod(&tmpl, name, "ns", owner, Pin{Zone: "zone-b"})
	terms = moved.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
	if len(terms) != 1 || len(terms[0].MatchExpressions) != 2 || moved.Annotations[AnnotationRebalanceZone] != "zone-b" {
		t.Errorf("zone pin: %+v %v", terms, moved.Annotations)
	}
	if tmpl.Annotations[AnnotationRebalanceZone] != "" {
		t.Error("NewPod changed the template's annotations")
	}
}

func TestCoreServices(t *testing.T) {
	svc := &ecsv1alpha1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns"},
		Spec: ecsv1alpha1.ServiceSpec{
			LoadBalancers: []ecsv1alpha1.LoadBalancer{
				{ContainerName: "web", ContainerPort: 8080, Port: ptr.To[int32](80)},
				{ContainerName: "web", ContainerPort: 9090, Type: "NodePort"},
				{Name: "web", ContainerName: "web", ContainerPort: 8443, Port: ptr.To[int32](443)},
				{ContainerName: "dns", ContainerPort: 53},
			},
			ServiceRegistries: []ecsv1alpha1.ServiceRegistry{{ContainerName: "web", ContainerPort: ptr.To[int32](8080)}},
		},
	}
	tmpl := &corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{
		{Name: "web", Ports: []corev1.ContainerPort{{ContainerPort: 8080, Protocol: corev1.ProtocolTCP}}},
		{Name: "dns", Ports: []corev1.ContainerPort{{ContainerPort: 53, Protocol: corev1.ProtocolUDP}}},
	}}}
	got := CoreServices(svc, tmpl)
	sel := map[string]string{ecsv1alpha1.ServiceLabel: "web"}
	meta := func(name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: sel}
	}
	port := func(proto corev1.Protocol, p, target int32) corev1.ServicePort {
		return corev1.ServicePort{Name: strings.ToLower(string(proto)) + "-" + strconv.Itoa(int(p)), Port: p, TargetPort: intstr.FromInt32(target), Protocol: proto}
	}
	want := []corev1.Service{
		{ObjectMeta: meta("web"), Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Selector: sel, Ports: []corev1.ServicePort{
			port(corev1.ProtocolTCP, 80, 8080), port(corev1.ProtocolTCP, 443, 8443)}}},
		{ObjectMeta: meta("web-9090"), Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Selector: sel, Ports: []corev1.ServicePort{
			port(corev1.ProtocolTCP, 9090, 9090)}}},
		{ObjectMeta: meta("web-53"), Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Selector: sel, Ports: []corev1.ServicePort{
			port(corev1.ProtocolUDP, 53, 53)}}},
		{ObjectMeta: meta("web-discovery"), Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIP: corev1.ClusterIPNone, Selector: sel,
			Ports: []corev1.ServicePort{port(corev1.ProtocolTCP, 8080, 8080)}}},
	}
	if d := gocmp.Diff(want, got); d != "" {
		t.Errorf("CoreServices (-want +got):\n%s", d)
	}
}

func TestDenyAllNetworkPolicy(t *testing.T) {
	np := DenyAllNetworkPolicy(&ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns"}})
	if np.Name != "web-no-network" || len(np.Spec.Ingress) != 0 || len(np.Spec.Egress) != 0 || len(np.Spec.PolicyTypes) != 2 ||
		np.Spec.PodSelector.MatchLabels[LabelNetworkIsolated] != "true" {
		t.Errorf("policy = %+v", np)
	}
}
