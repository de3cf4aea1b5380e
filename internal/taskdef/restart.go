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
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// ECS restart policy defaults and Kubernetes' limit on exit codes in a rule.
const (
	defaultRestartAttemptPeriod = 300
	maxRuleExitCodes            = 255
)

// restartEnabled reports whether the container asks ECS to restart it in place.
func restartEnabled(d *ecsv1alpha1.ContainerDefinition) bool {
	return d.RestartPolicy != nil && d.RestartPolicy.Enabled
}

// containerRestart maps an enabled ECS restart policy onto the container when the cluster
// has container restart rules: restart on every exit (Always), or on every exit code but the
// ignored ones (Never plus a Restart rule on the other codes). The Pod's own restartPolicy
// stays Never, so other containers keep ECS's behaviour.
func (t *translator) containerRestart(i int, c *corev1.Container) error {
	d := &t.spec.ContainerDefinitions[i]
	if !restartEnabled(d) {
		return nil
	}
	rp := d.RestartPolicy
	f := cfield(d.Name, "restartPolicy")
	period := int32(defaultRestartAttemptPeriod)
	if rp.RestartAttemptPeriod != nil {
		if *rp.RestartAttemptPeriod <= 0 {
			return invalid(d.Name, f+".restartAttemptPeriod", "%d seconds must be positive", *rp.RestartAttemptPeriod)
		}
		period = *rp.RestartAttemptPeriod
	}
	ignored := slices.Clone(rp.IgnoredExitCodes)
	slices.Sort(ignored)
	ignored = slices.Compact(ignored)
	if len(ignored) > maxRuleExitCodes {
		return invalid(d.Name, f+".ignoredExitCodes", "%d exit codes, at most %d are allowed", len(ignored), maxRuleExitCodes)
	}

	switch kind := t.plan.kinds[i]; {
	case kind == kindInit:
		t.approximate(f, "not applied: "+d.Name+" runs as an init container (others wait for it to finish), which is not "+
			"restarted in place; if it fails, the task fails")
		return nil
	case kind == kindSidecar:
		if len(ignored) > 0 {
			t.approximate(f+".ignoredExitCodes", "not applied: "+d.Name+" runs as a native sidecar, which Kubernetes restarts "+
				"whatever its exit code")
		}
	case t.opts.ContainerRestartRules:
		if len(ignored) == 0 {
			c.RestartPolicy = ptr.To(corev1.ContainerRestartPolicyAlways)
		} else {
			c.RestartPolicy = ptr.To(corev1.ContainerRestartPolicyNever)
			c.RestartPolicyRules = []corev1.ContainerRestartRule{{
				Action:    corev1.ContainerRestartRuleActionRestart,
				ExitCodes: &corev1.ContainerRestartRuleOnExitCodes{Operator: corev1.ContainerRestartRuleOnExitCodesOpNotIn, Values: ignored},
			}}
		}
	default:
		// Pod-level restartPolicy, set by podRestart.
	}
	t.approximate(f+".restartAttemptPeriod", fmt.Sprintf("not applied (%d s): Kubernetes restarts with an exponential back-off "+
		"(10 s doubling to 5 min) and also restarts a container that exits sooner than that after starting", period))
	return nil
}

// podRestart sets the Pod's restartPolicy: Never, as docs/scheduling.md says of task Pods,
// unless a container asks for in-place restarts and the cluster has no container restart
// rules. Then the whole Pod restarts its containers: OnFailure when every such container
// ignores exit code 0, Always otherwise.
func (t *translator) podRestart(pod *corev1.PodSpec, _ []corev1.Container) error {
	if t.opts.ContainerRestartRules {
		return nil
	}
	var enabled []string
	onFailure := true
	for i := range t.spec.ContainerDefinitions {
		d := &t.spec.ContainerDefinitions[i]
		if !restartEnabled(d) || t.plan.kinds[i] != kindContainer {
			continue
		}
		enabled = append(enabled, d.Name)
		if !slices.Contains(d.RestartPolicy.IgnoredExitCodes, 0) {
			onFailure = false
		}
	}
	if len(enabled) == 0 {
		return nil
	}
	pod.RestartPolicy = corev1.RestartPolicyAlways
	if onFailure {
		pod.RestartPolicy = corev1.RestartPolicyOnFailure
	}
	when := "exits"
	if onFailure {
		when = "fails"
	}
	for _, name := range enabled {
		d := &t.spec.ContainerDefinitions[t.index[name]]
		detail := fmt.Sprintf("the cluster has no container restart rules: the Pod's restartPolicy is %s, so every "+
			"container of the task is restarted in place when it %s, not only %s", pod.RestartPolicy, when, name)
		var codes []string
		for _, c := range d.RestartPolicy.IgnoredExitCodes {
			if c != 0 {
				codes = append(codes, fmt.Sprint(c))
			}
		}
		if len(codes) > 0 {
			detail += "; ignoredExitCodes are not applied (" + strings.Join(codes, ", ") + ")"
		}
		t.approximate(cfield(name, "restartPolicy"), detail)
	}
	return nil
}

// podTermination sets terminationGracePeriodSeconds to the largest stopTimeout, counting
// ECS's default of 30 s for a container that sets none.
func (t *translator) podTermination(pod *corev1.PodSpec, _ []corev1.Container) error {
	timeouts := make([]int64, len(t.spec.ContainerDefinitions))
	var grace int64
	for i, d := range t.spec.ContainerDefinitions {
		timeouts[i] = defaultStopTimeout
		if d.StopTimeout != nil {
			if *d.StopTimeout < 0 {
				return invalid(d.Name, cfield(d.Name, "stopTimeout"), "%d seconds must not be negative", *d.StopTimeout)
			}
			timeouts[i] = int64(*d.StopTimeout)
		}
		grace = max(grace, timeouts[i])
	}
	pod.TerminationGracePeriodSeconds = ptr.To(grace)
	for i, d := range t.spec.ContainerDefinitions {
		// A container left at the default gets more time than ECS's agent default: only a
		// stopTimeout the user chose is worth reporting.
		if d.StopTimeout != nil && timeouts[i] < grace {
			t.approximate(cfield(d.Name, "stopTimeout"), fmt.Sprintf("%s gets the task's grace period of %d s (the largest "+
				"stopTimeout), not its own %d s: Kubernetes has one per Pod", d.Name, grace, timeouts[i]))
		}
	}
	return nil
}
