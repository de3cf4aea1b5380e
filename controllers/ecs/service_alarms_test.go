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

package ecs_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/testutil/kubetest"
	"github.com/berth-dev/berth/internal/testutil/promtest"
)

// errorsAlarm is an alarm on the gauge the test sets: it fires when the value is above 0 in
// `periods` evaluations in a row, evaluated every 5 seconds (the schema's minimum).
func errorsAlarm(prom string, rollback bool, periods int32) *ecsv1alpha1.DeploymentAlarms {
	return &ecsv1alpha1.DeploymentAlarms{Enable: true, Rollback: rollback, EvaluationIntervalSeconds: ptr.To[int32](5),
		Prometheus: &ecsv1alpha1.PrometheusEndpoint{URL: prom},
		Queries:    []ecsv1alpha1.AlarmQuery{{Name: "errors", Query: "berth_test_errors", Threshold: "0", EvaluationPeriods: ptr.To(periods)}}}
}

// alarmsOf is the newest history entry's alarm state.
func alarmsOf(d ecsv1alpha1.ServiceDeployment) ecsv1alpha1.ServiceDeploymentAlarms {
	if d.Alarms == nil {
		return ecsv1alpha1.ServiceDeploymentAlarms{}
	}
	return *d.Alarms
}

// TestServiceBlueGreenAlarmDuringBake: a real Prometheus scrapes a gauge the test sets. A
// BLUE_GREEN deployment bakes with production on green, the alarm evaluated OK; the gauge
// goes up, the alarm fires at its next evaluation, production goes back to blue in one
// write, green stops, and the history says TRIGGERED with the alarm's name.
func TestServiceBlueGreenAlarmDuringBake(t *testing.T) {
	gauge := promtest.NewGauge(t, "berth_test_errors")
	prom := promtest.Start(t, gauge.Target)
	prom.WaitScraped(t, "berth_test_errors")

	ns := serviceNamespace(t)
	createTaskDefinition(t, ns)
	svc := stagedService(ns, 2, ecsv1alpha1.DeploymentConfiguration{Strategy: ecsv1alpha1.DeploymentStrategyBlueGreen,
		BakeTimeInMinutes: ptr.To[int32](30), Alarms: errorsAlarm(prom.URL, true, 1)}, "")
	if err := k8s.Create(context.Background(), svc); err != nil {
		t.Fatal(err)
	}
	startKubelet(t, ns, roundRobin(threeZones(t, ns)...), always(runReady))
	blue := primary(waitSteady(t, ns, "web", 2)).ID
	setImage(t, ns, "web", "nginx:1.27")
	waitRevision(t, ns, "web", 2)
	cur := waitHistory(t, ns, func(d ecsv1alpha1.ServiceDeployment) error {
		if err := inStage(ecsv1alpha1.StageBakeTime)(d); err != nil {
			return err
		}
		if a := alarmsOf(d); a.Status != ecsv1alpha1.AlarmsMonitoring || a.LastEvaluatedAt == nil || a.Message != "OK" {
			return fmt.Errorf("alarms %+v, want MONITORING, evaluated OK", a)
		}
		return nil
	})
	green := cur.Status.ServiceDeployments[0].ID
	waitProduction(t, ns, green)
	if a := alarmsOf(cur.Status.ServiceDeployments[0]); !slices.Equal(a.AlarmNames, []string{"errors"}) {
		t.Errorf("alarmNames %v", a.AlarmNames)
	}

	production := sampleSelectors(t, ns, "web")
	gauge.Set(3)
	raised := time.Now()
	waitProduction(t, ns, blue)
	t.Logf("gauge raised to production on blue: %v (scrape every 1s, evaluation every 5s)", time.Since(raised).Round(time.Millisecond))
	cur = waitHistory(t, ns, withStatus(ecsv1alpha1.ServiceDeploymentRollbackSuccessful))
	if got := production(); !slices.Equal(got, []string{green, blue}) {
		t.Errorf("production Service selected %v, want green then blue", got)
	}
	e := cur.Status.ServiceDeployments[0]
	if a := alarmsOf(e); a.Status != ecsv1alpha1.AlarmsTriggered || !slices.Equal(a.TriggeredAlarmNames, []string{"errors"}) {
		t.Errorf("alarms %+v, want TRIGGERED by errors", a)
	}
	if n := deploymentPods(t, ns, blue); n != 2 {
		t.Errorf("blue has %d tasks after the rollback, want 2", n)
	}
	for _, text := range []string{"(deployment " + green + ") alarm errors is in ALARM: alarm errors breached (1 of 1): berth_test_errors{",
		"rolling back in the BAKE_TIME lifecycle stage: alarm errors is in ALARM"} {
		if !hasEvent(cur, text) {
			t.Errorf("no event %q in %v", text, eventMessages(cur))
		}
	}
	if reasons := kubeEventReasons(t, ns, "web"); !slices.Contains(reasons, "DeploymentAlarmFired") {
		t.Errorf("Kubernetes Events %v, want DeploymentAlarmFired", reasons)
	}
}

// TestServiceRollingAlarmBake: a ROLLING deployment with alarms and bakeTimeInMinutes
// replaces every task, then stays IN_PROGRESS in BAKE_TIME (not Ready) while the alarm is
// watched; the alarm needs two breaching evaluations in a row, and then the old revision
// is PRIMARY again and its tasks start while the new ones stop.
func TestServiceRollingAlarmBake(t *testing.T) {
	gauge := promtest.NewGauge(t, "berth_test_errors")
	prom := promtest.Start(t, gauge.Target)
	prom.WaitScraped(t, "berth_test_errors")

	ns := serviceNamespace(t)
	createTaskDefinition(t, ns)
	svc := newService(ns, "web", 2)
	svc.Spec.DeploymentConfiguration.Alarms = errorsAlarm(prom.URL, true, 2)
	if err := k8s.Create(context.Background(), svc); err != nil {
		t.Fatal(err)
	}
	startKubelet(t, ns, roundRobin(threeZones(t, ns)...), always(runReady))
	first := waitHistory(t, ns, func(d ecsv1alpha1.ServiceDeployment) error {
		if d.Status != ecsv1alpha1.ServiceDeploymentSuccessful || alarmsOf(d).Status != ecsv1alpha1.AlarmsMonitoringComplete {
			return fmt.Errorf("first deployment %s, alarms %s; want SUCCESSFUL, MONITORING_COMPLETE (no bake)", d.Status, alarmsOf(d).Status)
		}
		return nil
	})
	old := first.Status.ServiceDeployments[0].ID
	waitSteady(t, ns, "web", 2)

	updateService(t, ns, "web", func(s *ecsv1alpha1.Service) { s.Spec.DeploymentConfiguration.BakeTimeInMinutes = ptr.To[int32](30) })
	setImage(t, ns, "web", "nginx:1.27")
	waitRevision(t, ns, "web", 2)
	cur := waitHistory(t, ns, inStage(ecsv1alpha1.StageBakeTime))
	next := cur.Status.ServiceDeployments[0].ID
	kubetest.Eventually(t, waitFor, func() error {
		if n := deploymentPods(t, ns, old); n != 0 {
			return fmt.Errorf("%d old tasks left in the bake", n)
		}
		return nil
	})
	cur = getService(t, ns, "web")
	if c := conditionOf(cur, ecsv1alpha1.ReadyCondition); c == nil || c.Status == metav1.ConditionTrue {
		t.Errorf("Ready = %+v in the bake, want not True", c)
	}
	if c := conditionOf(cur, ecsv1alpha1.ReconcilingCondition); c == nil || c.Status != metav1.ConditionTrue {
		t.Errorf("Reconciling = %+v in the bake, want True (kstatus and Argo CD: Progressing)", c)
	}
	if p := primary(cur); p == nil || p.ID != next || p.RolloutState != ecsv1alpha1.RolloutInProgress {
		t.Errorf("PRIMARY %+v, want %s IN_PROGRESS", p, next)
	}
	if !hasEvent(cur, "(deployment "+next+") has entered the BAKE_TIME lifecycle stage: its alarms are watched for 30m0s more.") {
		t.Errorf("no bake event in %v", eventMessages(cur))
	}

	gauge.Set(1)
	// One breaching evaluation is not enough.
	waitHistory(t, ns, func(d ecsv1alpha1.ServiceDeployment) error {
		if a := alarmsOf(d); len(a.Breaches) != 1 || a.Breaches[0].Count != 1 || a.Status != ecsv1alpha1.AlarmsMonitoring {
			return fmt.Errorf("alarms %+v, want one breach counted, still MONITORING", a)
		}
		return nil
	})
	cur = waitHistory(t, ns, func(d ecsv1alpha1.ServiceDeployment) error {
		if d.ID != next || d.Status != ecsv1alpha1.ServiceDeploymentRollbackSuccessful {
			return fmt.Errorf("newest deployment %s %s, want %s ROLLBACK_SUCCESSFUL", d.ID, d.Status, next)
		}
		return nil
	})
	e := cur.Status.ServiceDeployments[0]
	if a := alarmsOf(e); a.Status != ecsv1alpha1.AlarmsTriggered || a.Breaches[0].Count != 2 {
		t.Errorf("alarms %+v, want TRIGGERED after two breaches", a)
	}
	// Rolled back, the Service runs the old revision and is Stalled (RolledBack) until the
	// next deployment, as after the circuit breaker.
	kubetest.Eventually(t, waitFor, func() error {
		cur = getService(t, ns, "web")
		if p := primary(cur); p == nil || p.ID != old || p.RunningCount != 2 {
			return fmt.Errorf("PRIMARY %+v, want the old deployment %s with 2 running", p, old)
		}
		if n := deploymentPods(t, ns, next); n != 0 {
			return fmt.Errorf("%d tasks of the failed deployment left", n)
		}
		if c := conditionOf(cur, ecsv1alpha1.StalledCondition); c == nil || c.Reason != ecsv1alpha1.RolledBackReason {
			return fmt.Errorf("Stalled = %+v, want RolledBack", c)
		}
		return nil
	})
	if !hasEvent(cur, "(deployment "+next+") deployment failed: alarm errors is in ALARM") || !hasEvent(cur, "rolling back to deployment "+old) {
		t.Errorf("events %v", eventMessages(cur))
	}
}
