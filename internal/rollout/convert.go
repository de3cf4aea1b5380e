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

package rollout

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
	"github.com/berth-dev/berth/internal/alarms"
)

// ECS defaults of deploymentConfiguration, which depend on the scheduling strategy. The CRD
// does not default these two fields (a schema default cannot depend on another field), so
// DeploymentPercents applies them, and the status reports the values in effect.
const (
	// DefaultMinimumHealthyPercent keeps every task of a REPLICA service healthy during a
	// rollout.
	DefaultMinimumHealthyPercent int32 = 100
	// DefaultMaximumPercent lets a REPLICA rollout start a full second set of tasks.
	DefaultMaximumPercent int32 = 200
	// DefaultDaemonMinimumHealthyPercent lets a DAEMON rollout stop a node's task before
	// starting its replacement.
	DefaultDaemonMinimumHealthyPercent int32 = 0
	// DefaultDaemonMaximumPercent forbids a DAEMON surge: one task per node, often on host
	// ports a second task could not bind.
	DefaultDaemonMaximumPercent int32 = 100
)

// DeploymentPercents is the one place the controller resolves the minimumHealthyPercent and
// maximumPercent in effect for a service: the spec's values, or ECS's defaults for its
// scheduling strategy (REPLICA 100 / 200, DAEMON 0 / 100).
func DeploymentPercents(spec *ecsv1alpha1.ServiceSpec) (minHealthy, maxPercent int32) {
	minHealthy, maxPercent = DefaultMinimumHealthyPercent, DefaultMaximumPercent
	if spec.SchedulingStrategy == ecsv1alpha1.SchedulingStrategyDaemon {
		minHealthy, maxPercent = DefaultDaemonMinimumHealthyPercent, DefaultDaemonMaximumPercent
	}
	if v := spec.DeploymentConfiguration.MinimumHealthyPercent; v != nil {
		minHealthy = *v
	}
	if v := spec.DeploymentConfiguration.MaximumPercent; v != nil {
		maxPercent = *v
	}
	return minHealthy, maxPercent
}

// ConfigFrom builds the planner Config from the service spec (deploymentConfiguration, with
// DeploymentPercents' defaults) and the desired count the controller settled on
// (spec.desiredCount, or eligible nodes for DAEMON).
func ConfigFrom(spec *ecsv1alpha1.ServiceSpec, desired int32) Config {
	c := Config{DesiredCount: desired}
	c.MinimumHealthyPercent, c.MaximumPercent = DeploymentPercents(spec)
	if cb := spec.DeploymentConfiguration.DeploymentCircuitBreaker; cb != nil {
		c.CircuitBreakerEnable = cb.Enable
		c.CircuitBreakerRollback = cb.Enable && cb.Rollback
		c.CircuitBreakerResetOnHealthy = cb.Enable && (cb.ResetOnHealthyTask == nil || *cb.ResetOnHealthyTask)
	}
	if dc := &spec.DeploymentConfiguration; alarms.Enabled(dc.Alarms) {
		c.AlarmRollback = dc.Alarms.Rollback
		if StrategyOf(spec) == ecsv1alpha1.DeploymentStrategyRolling && dc.BakeTimeInMinutes != nil {
			c.AlarmBake = time.Duration(*dc.BakeTimeInMinutes) * time.Minute
		}
	}
	return c
}

// StrategyOf is the deployment strategy in effect: ROLLING when unset, and always for DAEMON
// services.
func StrategyOf(spec *ecsv1alpha1.ServiceSpec) ecsv1alpha1.DeploymentStrategy {
	if spec.DeploymentConfiguration.Strategy == "" || spec.SchedulingStrategy == ecsv1alpha1.SchedulingStrategyDaemon {
		return ecsv1alpha1.DeploymentStrategyRolling
	}
	return spec.DeploymentConfiguration.Strategy
}

// FromAPI converts status deployments to planner input.
func FromAPI(in []ecsv1alpha1.Deployment) []Deployment {
	if in == nil {
		return nil
	}
	out := make([]Deployment, len(in))
	for i, d := range in {
		out[i] = Deployment{
			ID:                 d.ID,
			Status:             d.Status,
			TaskDefinition:     d.TaskDefinition,
			DesiredCount:       d.DesiredCount,
			RunningCount:       d.RunningCount,
			PendingCount:       d.PendingCount,
			FailedTasks:        d.FailedTasks,
			RolloutState:       d.RolloutState,
			RolloutStateReason: d.RolloutStateReason,
			CreatedAt:          d.CreatedAt.Time,
			UpdatedAt:          d.UpdatedAt.Time,
		}
	}
	return out
}

// ToAPI converts planned deployments to status deployments, keeping their order.
func ToAPI(in []Deployment) []ecsv1alpha1.Deployment {
	if in == nil {
		return nil
	}
	out := make([]ecsv1alpha1.Deployment, len(in))
	for i, d := range in {
		out[i] = ecsv1alpha1.Deployment{
			ID:                 d.ID,
			Status:             d.Status,
			TaskDefinition:     d.TaskDefinition,
			DesiredCount:       d.DesiredCount,
			RunningCount:       d.RunningCount,
			PendingCount:       d.PendingCount,
			FailedTasks:        d.FailedTasks,
			RolloutState:       d.RolloutState,
			RolloutStateReason: d.RolloutStateReason,
			CreatedAt:          metav1.NewTime(d.CreatedAt),
			UpdatedAt:          metav1.NewTime(d.UpdatedAt),
		}
	}
	return out
}
