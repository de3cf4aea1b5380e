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
	"fmt"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// countFailures adds the STOPPED tasks that never reached RUNNING and healthy to their
// deployments' failedTasks and returns the names of all STOPPED tasks, whose Pods can go.
// ECS shows failedTasks for every deployment; only the PRIMARY's feed the breaker.
func (l *ledger) countFailures(stopped []Task) []string {
	names := make([]string, 0, len(stopped))
	for _, t := range stopped {
		names = append(names, t.Name)
		if rec := l.get(t.Deployment); rec != nil && t.FailedToStart {
			rec.FailedTasks++
		}
	}
	return names
}

// breaker applies the deployment circuit breaker to an IN_PROGRESS PRIMARY whose failed
// tasks reached FailureThreshold(D): the rollout becomes FAILED and, with rollback, the last
// COMPLETED deployment becomes PRIMARY again (with a fresh rollout and CreatedAt, as ECS
// moves it from COMPLETED to IN_PROGRESS). Without a breaker, crossing the threshold only
// warns that tasks keep failing. failedBefore is the PRIMARY's count before this pass, so
// every event is emitted once. A rollback request and a fired alarm fail the PRIMARY first
// (rollbackOnRequest, rollbackOnAlarm).
func (l *ledger) breaker(cfg Config, desired, failedBefore int32, service, rollbackRequested, alarmFailure string) ([]Event, *Rollback) {
	p := l.get(l.primary)
	if p == nil || p.RolloutState != ecsv1alpha1.RolloutInProgress {
		return nil, nil
	}
	if rollbackRequested != "" && rollbackRequested == p.ID {
		return l.rollbackOnRequest(service)
	}
	if alarmFailure != "" {
		return l.rollbackOnAlarm(service, alarmFailure, cfg.AlarmRollback)
	}
	threshold := FailureThreshold(desired)
	if p.FailedTasks < threshold {
		return nil, nil
	}
	if !cfg.CircuitBreakerEnable {
		if failedBefore < threshold {
			return []Event{startImpairedEvent(service)}, nil
		}
		return nil, nil
	}
	p.RolloutState = ecsv1alpha1.RolloutFailed
	p.RolloutStateReason = reasonFailed
	events := make([]Event, 0, 2)
	events = append(events, deploymentFailedEvent(service, p.ID))
	if !cfg.CircuitBreakerRollback {
		return events, nil
	}
	to := l.lastCompleted()
	if to == nil {
		return events, nil // nothing ever completed: the FAILED PRIMARY stays, as without rollback
	}
	p.Status = ecsv1alpha1.DeploymentActive
	p.RolloutStateReason = reasonFailedRolledBack(to.ID)
	l.promote(to.ID)
	to.RolloutStateReason = reasonRollingBackFrom(p.ID)
	events = append(events, rollingBackEvent(service, to.ID))
	return events, &Rollback{From: p.ID, To: to.ID, TaskDefinition: to.TaskDefinition}
}

// resetAndCount resets the PRIMARY's failure count when it has more healthy RUNNING tasks
// than RUNNING ones at the last pass (a task reached a healthy state) and the configuration
// asks for it (resetOnHealthyTask), then counts this pass's failures (countFailures).
func (l *ledger) resetAndCount(cfg Config, live, stopped []Task) []string {
	if p := l.get(l.primary); p != nil && cfg.CircuitBreakerResetOnHealthy && p.FailedTasks > 0 {
		var n int32
		for _, t := range live {
			if t.Deployment == p.ID && healthy(t) {
				n++
			}
		}
		if n > p.RunningCount {
			p.FailedTasks = 0
		}
	}
	return l.countFailures(stopped)
}

// rollbackOnRequest fails the IN_PROGRESS PRIMARY on request (ECS StopServiceDeployment with
// ROLLBACK) and makes the last COMPLETED deployment PRIMARY again; with none, the PRIMARY
// stays, FAILED, as after a circuit breaker without rollback.
func (l *ledger) rollbackOnRequest(service string) ([]Event, *Rollback) {
	p := l.get(l.primary)
	p.RolloutState = ecsv1alpha1.RolloutFailed
	p.RolloutStateReason = reasonStoppedOnRequest
	events := make([]Event, 0, 2)
	events = append(events, Event{Type: EventWarning, Reason: ReasonDeploymentFailed,
		Message: fmt.Sprintf("(service %s) (deployment %s) deployment stopped: a rollback was requested.", service, p.ID)})
	to := l.lastCompleted()
	if to == nil {
		return events, nil
	}
	p.Status = ecsv1alpha1.DeploymentActive
	p.RolloutStateReason = reasonStoppedOnRequest + " Rolled back to deployment " + to.ID + "."
	l.promote(to.ID)
	to.RolloutStateReason = fmt.Sprintf("ECS deployment %s: rolling back from deployment %s on request.", to.ID, p.ID)
	events = append(events, rollingBackEvent(service, to.ID))
	return events, &Rollback{From: p.ID, To: to.ID, TaskDefinition: to.TaskDefinition}
}

// reasonStoppedOnRequest is the rolloutStateReason of a deployment stopped by a rollback
// request.
const reasonStoppedOnRequest = "ECS deployment stopped: a rollback was requested."

// rollbackOnAlarm fails the IN_PROGRESS PRIMARY because a deployment alarm fired and, with
// rollback, makes the last COMPLETED deployment PRIMARY again (ECS DeploymentAlarms).
func (l *ledger) rollbackOnAlarm(service, why string, rollback bool) ([]Event, *Rollback) {
	p := l.get(l.primary)
	p.RolloutState = ecsv1alpha1.RolloutFailed
	p.RolloutStateReason = "ECS deployment failed: " + why
	events := make([]Event, 0, 2)
	events = append(events, Event{Type: EventWarning, Reason: ReasonDeploymentFailed,
		Message: fmt.Sprintf("(service %s) (deployment %s) deployment failed: %s", service, p.ID, why)})
	to := l.lastCompleted()
	if !rollback || to == nil {
		return events, nil
	}
	p.Status = ecsv1alpha1.DeploymentActive
	p.RolloutStateReason += " Rolled back to deployment " + to.ID + "."
	l.promote(to.ID)
	to.RolloutStateReason = fmt.Sprintf("ECS deployment %s: rolling back from deployment %s: a deployment alarm fired.", to.ID, p.ID)
	events = append(events, rollingBackEvent(service, to.ID))
	return events, &Rollback{From: p.ID, To: to.ID, TaskDefinition: to.TaskDefinition}
}
