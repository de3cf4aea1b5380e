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

package taskdef

import (
	"math"
	"slices"

	corev1 "k8s.io/api/core/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// ECS health check defaults (seconds, and attempts for retries).
const (
	defaultHealthInterval = 30
	defaultHealthTimeout  = 5
	defaultHealthRetries  = 3
)

// shell is what Docker runs CMD-SHELL health checks with.
var shell = []string{"/bin/sh", "-c"}

// healthTimings are a health check's timings with ECS defaults applied.
type healthTimings struct {
	interval, timeout, retries, startPeriod int32
}

// healthCheck parses an ECS health check into an exec handler and its timings; the handler
// is nil when there is none or it is NONE.
func healthCheck(d *ecsv1alpha1.ContainerDefinition) (*corev1.ExecAction, healthTimings, error) {
	tm := healthTimings{interval: defaultHealthInterval, timeout: defaultHealthTimeout, retries: defaultHealthRetries}
	hc := d.HealthCheck
	if hc == nil {
		return nil, tm, nil
	}
	f := cfield(d.Name, "healthCheck")
	if len(hc.Command) == 0 {
		return nil, tm, invalid(d.Name, f+".command", "is empty: it must start with CMD, CMD-SHELL or NONE")
	}
	var exec *corev1.ExecAction
	switch hc.Command[0] {
	case "NONE":
		return nil, tm, nil
	case "CMD":
		if len(hc.Command) < 2 {
			return nil, tm, invalid(d.Name, f+".command", "CMD needs the command to run after it")
		}
		exec = &corev1.ExecAction{Command: slices.Clone(hc.Command[1:])}
	case "CMD-SHELL":
		if len(hc.Command) < 2 {
			return nil, tm, invalid(d.Name, f+".command", "CMD-SHELL needs the shell command to run after it")
		}
		exec = &corev1.ExecAction{Command: append(slices.Clone(shell), hc.Command[1:]...)}
	default:
		return nil, tm, invalid(d.Name, f+".command", "must start with CMD, CMD-SHELL or NONE, not %q", hc.Command[0])
	}
	for _, v := range []struct {
		name string
		in   *int32
		out  *int32
		min  int32
	}{
		{"interval", hc.Interval, &tm.interval, 1},
		{"timeout", hc.Timeout, &tm.timeout, 1},
		{"retries", hc.Retries, &tm.retries, 1},
		{"startPeriod", hc.StartPeriod, &tm.startPeriod, 0},
	} {
		if v.in == nil {
			continue
		}
		if *v.in < v.min {
			return nil, tm, invalid(d.Name, f+"."+v.name, "%d must be at least %d", *v.in, v.min)
		}
		*v.out = *v.in
	}
	return exec, tm, nil
}

// probes turns the health check into probes. The liveness probe ends the container when
// ECS would mark it unhealthy; for an essential container the same check is the readiness
// probe, the task's health signal. A startup probe covers startPeriod (failures during it
// do not count, and a success ends it early, as in ECS) and is what makes a HEALTHY
// dependency hold back the containers after it.
func (t *translator) probes(i int, c *corev1.Container) error {
	d := &t.spec.ContainerDefinitions[i]
	exec, tm, err := healthCheck(d)
	if err != nil || exec == nil {
		return err
	}
	f := cfield(d.Name, "healthCheck")
	kind := t.plan.kinds[i]
	if kind == kindInit {
		t.approximate(f, "not applied: "+d.Name+" runs as an init container (others wait for it to finish), "+
			"and Kubernetes does not probe init containers")
		return nil
	}
	probe := func(failures int32) *corev1.Probe {
		return &corev1.Probe{
			ProbeHandler:     corev1.ProbeHandler{Exec: exec.DeepCopy()},
			PeriodSeconds:    tm.interval,
			TimeoutSeconds:   tm.timeout,
			SuccessThreshold: 1,
			FailureThreshold: failures,
		}
	}
	c.LivenessProbe = probe(tm.retries)
	if isEssential(d) {
		c.ReadinessProbe = probe(tm.retries)
	} else {
		stops := "stops the container"
		if kind == kindSidecar {
			stops = "restarts the container"
		}
		t.approximate(f, "a liveness probe only: "+d.Name+" is not essential, so, as in ECS, its health does not count "+
			"towards the task's (no readiness probe); but a failing check "+stops+", where ECS only reports it")
	}

	// budget is the startup probe's failureThreshold; 0 means no startup probe.
	var budget int64
	switch {
	case t.plan.healthy[i] && d.StartTimeout != nil && *d.StartTimeout > 0:
		// ECS gives up on the dependants when the dependency is not HEALTHY within its
		// startTimeout; the startup probe gives up after as many attempts.
		budget = max(ceilDiv(int64(*d.StartTimeout), int64(tm.interval)), 1)
	case tm.startPeriod > 0 && kind == kindSidecar && !t.plan.healthy[i]:
		// A startup probe would hold back START dependants until the sidecar is healthy;
		// delaying the liveness probe gives the same grace without that.
		c.LivenessProbe.InitialDelaySeconds = tm.startPeriod
	case t.plan.healthy[i] || tm.startPeriod > 0:
		budget = ceilDiv(int64(tm.startPeriod), int64(tm.interval)) + int64(tm.retries)
	}
	if budget > 0 {
		failures, ok := toInt32(budget)
		if !ok {
			return invalid(d.Name, f+".startPeriod", "startPeriod and retries are too large")
		}
		c.StartupProbe = probe(failures)
	}
	return nil
}

// toInt32 converts v when it fits.
func toInt32(v int64) (int32, bool) {
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, false
	}
	return int32(v), true
}

// ceilDiv is a/b rounded up, for a >= 0 and b > 0.
func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }
