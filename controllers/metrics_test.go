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

package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/testutil/ecstest"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
)

// TestServiceMetrics reads the manager's metrics registry, as a scrape would: tasks by ECS
// state follow the Pods from PROVISIONING to RUNNING, and the deployment's rolloutState
// moves from IN_PROGRESS to COMPLETED.
func TestServiceMetrics(t *testing.T) {
	ns := ecstest.ServiceNamespace(t, k8s)
	ecstest.CreateTaskDefinition(t, k8s, ns)
	if err := k8s.Create(context.Background(), ecstest.NewService(ns, "web", 3)); err != nil {
		t.Fatal(err)
	}
	ecstest.WaitPods(t, k8s, ns, "web", 3)
	want := func(tasks map[string]float64, rollout string) func() error {
		return func() error {
			got := gatherService(t, ns, "web")
			for state, n := range tasks {
				if got["berth_service_tasks/"+state] != n {
					return fmt.Errorf("tasks %s = %v, want %v (all: %v)", state, got["berth_service_tasks/"+state], n, got)
				}
			}
			if got["berth_service_desired_tasks/"] != 3 || got["berth_service_deployments/PRIMARY/"+rollout] != 1 {
				return fmt.Errorf("want desired 3 and a PRIMARY %s deployment: %v", rollout, got)
			}
			return nil
		}
	}
	kubetest.Eventually(t, waitFor, want(map[string]float64{"PROVISIONING": 3, "RUNNING": 0}, "IN_PROGRESS"))
	kubetest.StartKubelet(t, k8s, ns, ecstest.RoundRobin(ecstest.ThreeZones(t, k8s, ns)...), ecstest.Always(kubetest.RunReady))
	ecstest.WaitSteady(t, k8s, ns, "web", 3)
	kubetest.Eventually(t, waitFor, want(map[string]float64{"PROVISIONING": 0, "PENDING": 0, "RUNNING": 3, "STOPPED": 0}, "COMPLETED"))
}

// gatherService returns the Berth series of one service as "name/label values…" → value.
func gatherService(t *testing.T, ns, service string) map[string]float64 {
	t.Helper()
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["namespace"] != ns || labels["service"] != service {
				continue
			}
			key := f.GetName() + "/" + labels["state"]
			if labels["status"] != "" {
				key = f.GetName() + "/" + labels["status"] + "/" + labels["rollout_state"]
			}
			out[key] += value(m)
		}
	}
	return out
}

func value(m *dto.Metric) float64 {
	if g := m.GetGauge(); g != nil {
		return g.GetValue()
	}
	return 0
}

// TestTaskAndScheduleMetrics: a ScheduledTask's first run shows as its last schedule time, on
// time (overdue 0), and the Task it started is counted by last status until it stops.
func TestTaskAndScheduleMetrics(t *testing.T) {
	ns := ecstest.ServiceNamespace(t, k8s)
	ecstest.CreateTaskDefinition(t, k8s, ns)
	st := &ecsv1alpha1.ScheduledTask{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "hourly"},
		Spec: ecsv1alpha1.ScheduledTaskSpec{
			ScheduleExpression: "rate(1 hour)",
			TaskTemplate:       ecsv1alpha1.ScheduledTaskTemplate{TaskDefinition: "web"},
		},
	}
	if err := k8s.Create(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	kubetest.Eventually(t, waitFor, func() error {
		got := gather(t, ns)
		if got["berth_scheduled_task_last_schedule_timestamp_seconds/hourly"] < float64(st.CreationTimestamp.Unix()-60) {
			return fmt.Errorf("no last schedule time for hourly yet: %v", got)
		}
		if v, ok := got["berth_scheduled_task_overdue_seconds/hourly"]; !ok || v != 0 {
			return fmt.Errorf("overdue %v (reported %v), want 0: %v", v, ok, got)
		}
		tasks := 0.0
		for k, v := range got {
			if strings.HasPrefix(k, "berth_tasks/") {
				tasks += v
			}
		}
		if tasks != 1 {
			return fmt.Errorf("%v Tasks counted, want the run's 1: %v", tasks, got)
		}
		return nil
	})
}

// gather returns the Berth series of namespace ns as "name/labels…" → value, with the
// scheduled task's name or the task's last status and stop code as labels.
func gather(t *testing.T, ns string) map[string]float64 {
	t.Helper()
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		if !strings.HasPrefix(f.GetName(), "berth_") {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["namespace"] != ns {
				continue
			}
			key := f.GetName() + "/" + labels["scheduled_task"]
			if f.GetName() == "berth_tasks" {
				key = f.GetName() + "/" + labels["last_status"] + "/" + labels["stop_code"]
			}
			out[key] += value(m)
		}
	}
	return out
}
