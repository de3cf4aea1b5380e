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

package cliview

import (
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

func TestZoneBars(t *testing.T) {
	got := ZoneBars(map[string]int{"zone-b": 2, "zone-a": 4, "": 1}, 8)
	want := []string{
		"<no zone>  ██       1",
		"zone-a     ████████ 4",
		"zone-b     ████     2",
	}
	if !slices.Equal(got, want) {
		t.Errorf("ZoneBars:\n%q\nwant\n%q", got, want)
	}
	if got := ZoneSummary(map[string]int{"zone-b": 1, "zone-a": 2}); got != "zone-a:2 zone-b:1" {
		t.Errorf("ZoneSummary = %q", got)
	}
	if got := ZoneSummary(nil); got != "-" {
		t.Errorf("ZoneSummary(nil) = %q", got)
	}
}

func TestServicePhase(t *testing.T) {
	cond := func(typ, status, reason string) metav1.Condition {
		return metav1.Condition{Type: typ, Status: metav1.ConditionStatus(status), Reason: reason, Message: "m"}
	}
	svc := func(gen, observed int64, conds []metav1.Condition, deps ...ecsv1alpha1.Deployment) *ecsv1alpha1.Service {
		return &ecsv1alpha1.Service{
			ObjectMeta: metav1.ObjectMeta{Generation: gen},
			Status:     ecsv1alpha1.ServiceStatus{ObservedGeneration: observed, Conditions: conds, Deployments: deps},
		}
	}
	for _, tc := range []struct {
		name string
		svc  *ecsv1alpha1.Service
		want Phase
	}{
		{"not observed yet", svc(2, 1, []metav1.Condition{cond("Ready", "True", "SteadyState")}), PhaseProgressing},
		{"steady", svc(2, 2, []metav1.Condition{cond("Ready", "True", "SteadyState")}), PhaseSteady},
		{"starting", svc(1, 1, []metav1.Condition{cond("Ready", "False", "Progressing")}), PhaseProgressing},
		{"stalled", svc(1, 1, []metav1.Condition{cond("Ready", "False", "InvalidPlacement"), cond("Stalled", "True", "InvalidPlacement")}), PhaseFailed},
		{"task definition registering", svc(1, 1, []metav1.Condition{cond("Stalled", "True", "TaskDefinitionNotFound")}), PhaseProgressing},
		{"circuit breaker", svc(1, 1, []metav1.Condition{cond("Ready", "False", "Progressing")},
			ecsv1alpha1.Deployment{Status: ecsv1alpha1.DeploymentPrimary, RolloutState: ecsv1alpha1.RolloutFailed}), PhaseFailed},
		{"rolled back", svc(1, 1, []metav1.Condition{cond("Ready", "False", "RolledBack")}), PhaseFailed},
		{"no status", svc(0, 0, nil), PhaseProgressing},
	} {
		if got, _ := ServicePhase(tc.svc); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestServiceTaskRows(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	running := corev1.ContainerStatus{Name: "web", Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}
	pod := func(name, node string, ready bool, probe bool) corev1.Pod {
		c := corev1.Container{Name: "web", Ports: []corev1.ContainerPort{{ContainerPort: 80}}}
		if probe {
			c.ReadinessProbe = &corev1.Probe{}
		}
		st := running
		st.Ready = ready
		p := corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(now.Add(-90 * time.Second)),
				Labels: map[string]string{ecsv1alpha1.ServiceLabel: "web", ecsv1alpha1.TaskDefinitionLabel: "web-3"}},
			Spec:   corev1.PodSpec{NodeName: node, Containers: []corev1.Container{c}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{st}},
		}
		if node == "" {
			p.Status = corev1.PodStatus{Phase: corev1.PodPending}
		}
		return p
	}
	nodes := map[string]*corev1.Node{"n1": {ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{corev1.LabelTopologyZone: "zone-a"}}}}
	rows := ServiceTaskRows([]corev1.Pod{pod("b", "n1", false, true), pod("a", "n1", true, true), pod("c", "", false, false), pod("d", "n1", true, false)}, nodes, now)
	got := make([]string, 0, len(rows))
	for _, r := range rows {
		got = append(got, r.Name+" "+r.Owner+" "+r.Revision+" "+r.LastStatus+" "+r.Health+" "+r.Zone+" "+r.Ports+" "+r.Age)
	}
	want := []string{
		"a service/web web-3 RUNNING HEALTHY zone-a web:80/tcp 90s",
		"b service/web web-3 RUNNING UNHEALTHY zone-a web:80/tcp 90s",
		"c service/web web-3 PROVISIONING UNKNOWN  web:80/tcp 90s",
		"d service/web web-3 RUNNING UNKNOWN zone-a web:80/tcp 90s",
	}
	if !slices.Equal(got, want) {
		t.Errorf("rows:\n%q\nwant\n%q", got, want)
	}
	if z := ZoneCounts(rows); z["zone-a"] != 3 || len(z) != 1 {
		t.Errorf("ZoneCounts = %v", z)
	}
}
