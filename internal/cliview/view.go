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

// Package cliview computes what kubectl-berth shows from API objects, without talking to
// the API server: the ecs-cli-style task rows of `ps`, a Service's progress toward steady
// state for `compose up` and `wait`, and the per-zone bar chart of `describe service`.
package cliview

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/util/duration"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/tasks"
)

// TaskRow is one line of `ps`: a task of a Service (a Pod) or a standalone Task.
type TaskRow struct {
	// Name is the Pod's name for a service task, the Task's name for a standalone one.
	Name string
	// Owner is "service/<name>" or "task" for a standalone Task.
	Owner string
	// Revision is the task definition revision, "<family>-<revision>".
	Revision string
	// LastStatus is the ECS task state.
	LastStatus string
	// Health is HEALTHY, UNHEALTHY or UNKNOWN.
	Health string
	Zone   string
	Node   string
	// Ports lists the container ports, "web:80/tcp".
	Ports string
	// IP is the task's Pod IP (wide output).
	IP string
	// Age is since the task was created.
	Age string
	// StopReason says why a STOPPED task stopped (wide output).
	StopReason string
}

// ServiceTaskRows lists the tasks of Services from their Pods. nodes gives the zones.
func ServiceTaskRows(pods []corev1.Pod, nodes map[string]*corev1.Node, now time.Time) []TaskRow {
	rows := make([]TaskRow, 0, len(pods))
	for i := range pods {
		p := &pods[i]
		o := tasks.Observe(p)
		health := string(ecsv1alpha1.HealthUnknown)
		// As in ECS, a task without a health check has the health UNKNOWN.
		if o.State == "RUNNING" && hasReadiness(p) {
			health = string(ecsv1alpha1.HealthUnhealthy)
			if o.Healthy {
				health = string(ecsv1alpha1.HealthHealthy)
			}
		}
		rows = append(rows, TaskRow{
			Name:       p.Name,
			Owner:      "service/" + p.Labels[ecsv1alpha1.ServiceLabel],
			Revision:   p.Labels[ecsv1alpha1.TaskDefinitionLabel],
			LastStatus: string(o.State),
			Health:     health,
			Zone:       tasks.Zone(nodes[p.Spec.NodeName]),
			Node:       p.Spec.NodeName,
			Ports:      ports(p.Spec.Containers),
			IP:         p.Status.PodIP,
			Age:        age(p.CreationTimestamp.Time, now),
			StopReason: o.StopReason,
		})
	}
	sortRows(rows)
	return rows
}

// hasReadiness reports whether some container has a health check (a readiness probe): only
// then is a not-ready task UNHEALTHY rather than UNKNOWN.
func hasReadiness(p *corev1.Pod) bool {
	return slices.ContainsFunc(p.Spec.Containers, func(c corev1.Container) bool { return c.ReadinessProbe != nil })
}

// StandaloneTaskRows lists Tasks (kind Task) from their status.
func StandaloneTaskRows(ts []ecsv1alpha1.Task, pods map[string]*corev1.Pod, now time.Time) []TaskRow {
	rows := make([]TaskRow, 0, len(ts))
	for i := range ts {
		t := &ts[i]
		health := string(t.Status.HealthStatus)
		if health == "" {
			health = string(ecsv1alpha1.HealthUnknown)
		}
		status := string(t.Status.LastStatus)
		if status == "" {
			status = string(ecsv1alpha1.TaskProvisioning)
		}
		row := TaskRow{
			Name:       t.Name,
			Owner:      "task",
			Revision:   t.Status.TaskDefinition,
			LastStatus: status,
			Health:     health,
			Zone:       t.Status.AvailabilityZone,
			Node:       t.Status.NodeName,
			Age:        age(t.CreationTimestamp.Time, now),
			StopReason: t.Status.StoppedReason,
		}
		if p := pods[t.Status.PodName]; p != nil {
			row.Ports, row.IP = ports(p.Spec.Containers), p.Status.PodIP
		}
		rows = append(rows, row)
	}
	sortRows(rows)
	return rows
}

func sortRows(rows []TaskRow) {
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Owner != rows[j].Owner {
			return rows[i].Owner < rows[j].Owner
		}
		return rows[i].Name < rows[j].Name
	})
}

func ports(cs []corev1.Container) string {
	var out []string
	for _, c := range cs {
		for _, p := range c.Ports {
			out = append(out, fmt.Sprintf("%s:%d/%s", c.Name, p.ContainerPort, strings.ToLower(string(orTCP(p.Protocol)))))
		}
	}
	if len(out) == 0 {
		return "-"
	}
	return strings.Join(out, ",")
}

func orTCP(p corev1.Protocol) corev1.Protocol {
	if p == "" {
		return corev1.ProtocolTCP
	}
	return p
}

func age(t, now time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(t))
}

// Phase is where a Service stands on its way to steady state.
type Phase string

// Phases of a Service.
const (
	// PhaseProgressing: not yet at steady state.
	PhaseProgressing Phase = "Progressing"
	// PhaseSteady: the PRIMARY deployment has desiredCount healthy RUNNING tasks and no
	// other deployment has tasks (Ready=True, reason SteadyState, for the current spec).
	PhaseSteady Phase = "Steady"
	// PhaseFailed: the deployment failed (circuit breaker) or the Service is stalled.
	PhaseFailed Phase = "Failed"
)

// ServicePhase reads a Service's conditions and deployments.
func ServicePhase(svc *ecsv1alpha1.Service) (Phase, string) {
	if svc.Status.ObservedGeneration < svc.Generation {
		return PhaseProgressing, "waiting for the controller to observe the latest spec"
	}
	if c := meta.FindStatusCondition(svc.Status.Conditions, ecsv1alpha1.StalledCondition); c != nil && c.Status == "True" {
		// A task definition applied together with its Service registers its first revision
		// a moment later: not found is a wait, not a failure (a timeout ends it).
		if c.Reason == ecsv1alpha1.TaskDefinitionNotFoundReason {
			return PhaseProgressing, c.Reason + ": " + c.Message
		}
		return PhaseFailed, c.Reason + ": " + c.Message
	}
	for _, d := range svc.Status.Deployments {
		if d.Status == ecsv1alpha1.DeploymentPrimary && d.RolloutState == ecsv1alpha1.RolloutFailed {
			return PhaseFailed, "deployment " + d.ID + " failed: " + d.RolloutStateReason
		}
	}
	ready := meta.FindStatusCondition(svc.Status.Conditions, ecsv1alpha1.ReadyCondition)
	if ready != nil && ready.Status == "True" {
		return PhaseSteady, ready.Message
	}
	if ready != nil && (ready.Reason == ecsv1alpha1.DeploymentFailedReason || ready.Reason == ecsv1alpha1.RolledBackReason) {
		return PhaseFailed, ready.Reason + ": " + ready.Message
	}
	if ready != nil {
		return PhaseProgressing, ready.Message
	}
	return PhaseProgressing, ""
}

// ZoneCounts counts RUNNING tasks per zone ("" for tasks on nodes without a zone label).
func ZoneCounts(rows []TaskRow) map[string]int {
	out := map[string]int{}
	for _, r := range rows {
		if r.LastStatus == "RUNNING" {
			out[r.Zone]++
		}
	}
	return out
}

// ZoneSummary is "zone-a:2 zone-b:1", zones sorted.
func ZoneSummary(counts map[string]int) string {
	parts := make([]string, 0, len(counts))
	for _, z := range slices.Sorted(maps.Keys(counts)) {
		name := z
		if name == "" {
			name = "<no zone>"
		}
		parts = append(parts, name+":"+strconv.Itoa(counts[z]))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}

// ZoneBars draws one bar per zone, scaled so the fullest zone is width cells:
//
//	zone-a  ████████████ 4
//	zone-b  █████████    3
func ZoneBars(counts map[string]int, width int) []string {
	zones := slices.Sorted(maps.Keys(counts))
	most, longest := 0, 0
	for _, z := range zones {
		most = max(most, counts[z])
		longest = max(longest, len(zoneName(z)))
	}
	out := make([]string, 0, len(zones))
	for _, z := range zones {
		n := 0
		if most > 0 {
			n = (counts[z]*width + most - 1) / most
		}
		out = append(out, fmt.Sprintf("%-*s  %s%s %d", longest, zoneName(z), strings.Repeat("█", n), strings.Repeat(" ", width-n), counts[z]))
	}
	return out
}

func zoneName(z string) string {
	if z == "" {
		return "<no zone>"
	}
	return z
}
