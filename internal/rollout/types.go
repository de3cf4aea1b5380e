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

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// TaskState is the ECS lastStatus of a task, which the controller derives from its Pod (no
// node → PROVISIONING, scheduled but not all essential containers started → PENDING, all
// started and healthy where checked → RUNNING, deletion requested → STOPPING, terminal →
// STOPPED).
type TaskState string

// ECS task states the planner distinguishes.
const (
	// TaskProvisioning means the Pod has no node yet.
	TaskProvisioning TaskState = "PROVISIONING"
	// TaskPending means the Pod is on a node but its essential containers are not all started.
	TaskPending TaskState = "PENDING"
	// TaskRunning means every essential container runs (see Task.Healthy for health checks).
	TaskRunning TaskState = "RUNNING"
	// TaskStopping means the Pod's deletion was requested; it is gone as far as counting goes.
	TaskStopping TaskState = "STOPPING"
	// TaskStopped means the Pod is terminal but not yet deleted; the planner counts its
	// failure (once) and asks for its removal.
	TaskStopped TaskState = "STOPPED"
)

// Task is one observed task (Pod) of the service, reduced to what the planner needs.
type Task struct {
	// Name is the Pod name; it identifies the task in stop actions and events.
	Name string
	// Deployment is the ID of the deployment that started the task (the Pod's
	// ecs.berth.dev/deployment label).
	Deployment string
	// TaskDefinition is the task's "family:revision"; it names the record made for tasks of
	// a deployment the status does not know.
	TaskDefinition string
	// Zone and Node are where the task runs (empty while PROVISIONING); the victim chooser
	// balances on them.
	Zone, Node string
	// State is the ECS task state.
	State TaskState
	// Healthy is true when the task is RUNNING and passes its health checks (or has none):
	// only such tasks count toward minimumHealthyPercent.
	Healthy bool
	// FailedToStart is true for a STOPPED task that never reached RUNNING and healthy; it
	// counts toward the deployment's failedTasks and the circuit breaker. The controller
	// leaves it false for tasks stopped by anyone else (evictions, node loss, deletions).
	FailedToStart bool
	// CreatedAt is when the Pod was created; the default victim chooser stops newer tasks
	// first.
	CreatedAt time.Time
}

// Deployment mirrors ecsv1alpha1.Deployment with plain types, so the planner's input and
// output need no API machinery; FromAPI and ToAPI convert.
type Deployment struct {
	// ID is "ecs-svc-<hash of revision and pod-affecting configuration>".
	ID string
	// Status is PRIMARY, ACTIVE or INACTIVE.
	Status ecsv1alpha1.DeploymentStatus
	// TaskDefinition is the "family:revision" the deployment runs.
	TaskDefinition string
	// DesiredCount is how many tasks the deployment should have now: D for the PRIMARY, the
	// tasks still to drain for an ACTIVE one, 0 for an INACTIVE one.
	DesiredCount int32
	// RunningCount and PendingCount are the observed RUNNING and PROVISIONING+PENDING tasks.
	RunningCount, PendingCount int32
	// FailedTasks counts tasks that stopped before reaching RUNNING and healthy.
	FailedTasks int32
	// RolloutState is IN_PROGRESS, COMPLETED or FAILED (empty for records of unknown
	// deployments).
	RolloutState ecsv1alpha1.RolloutState
	// RolloutStateReason explains RolloutState in ECS's words.
	RolloutStateReason string
	// CreatedAt is when the deployment became PRIMARY (again, for a rollback).
	CreatedAt time.Time
	// UpdatedAt is when any field above last changed.
	UpdatedAt time.Time
}

// Config is the part of the Service spec the planner obeys, with defaults applied (see
// ConfigFrom).
type Config struct {
	// DesiredCount is D: spec.desiredCount for REPLICA, the eligible nodes for DAEMON.
	DesiredCount int32
	// MinimumHealthyPercent sets L = ceil(D × min / 100).
	MinimumHealthyPercent int32
	// MaximumPercent sets U = floor(D × max / 100).
	MaximumPercent int32
	// CircuitBreakerEnable fails an IN_PROGRESS PRIMARY after FailureThreshold(D) failed
	// tasks.
	CircuitBreakerEnable bool
	// CircuitBreakerRollback then makes the last COMPLETED deployment PRIMARY again.
	CircuitBreakerRollback bool
	// CircuitBreakerResetOnHealthy resets the PRIMARY's failure count when one of its tasks
	// reaches a healthy RUNNING state (ECS resetOnHealthyTask).
	CircuitBreakerResetOnHealthy bool
	// AlarmRollback makes the last COMPLETED deployment PRIMARY again when an alarm fails the
	// PRIMARY (Input.AlarmFailure); without it the PRIMARY only fails.
	AlarmRollback bool
	// AlarmBake holds a PRIMARY that reached its steady state IN_PROGRESS this long, so its
	// alarms are still watched after the old tasks are gone (ROLLING with alarms and
	// bakeTimeInMinutes); zero completes it at once.
	AlarmBake time.Duration
}

// Target names the deployment the spec asks for now: the controller hashes the resolved
// task definition revision and the pod-affecting configuration into ID.
type Target struct {
	// ID is the deployment ID; a new one starts a deployment.
	ID string
	// TaskDefinition is the resolved "family:revision".
	TaskDefinition string
}

// VictimChooser picks n of candidates to stop, given all live tasks of the service (minus
// those already chosen in this pass). The controller passes the zone-balanced chooser of
// internal/placement; answers that are not n distinct candidates are completed by the
// planner's own choice.
type VictimChooser func(candidates, all []Task, n int) []Task

// Input is everything one planning pass looks at.
type Input struct {
	// ServiceName prefixes the events: "(service web) …".
	ServiceName string
	// Config is the deployment configuration and desired count.
	Config Config
	// Target is the deployment the spec asks for (see Target).
	Target Target
	// Deployments are the deployments from the service status (any order).
	Deployments []Deployment
	// Tasks are the observed tasks of the service, STOPPING and STOPPED ones included.
	Tasks []Task
	// Steady is whether the previous pass reported SteadyState (the controller keeps it as
	// Ready=True); the steady-state event is only emitted on the change.
	Steady bool
	// Now stamps createdAt and updatedAt.
	Now time.Time
	// ChooseVictims picks tasks to stop among equals; nil uses the planner's zone-balanced
	// default.
	ChooseVictims VictimChooser
	// RollbackRequested is the deployment a rollback was asked for (ECS StopServiceDeployment
	// with ROLLBACK): while it is the IN_PROGRESS PRIMARY, it fails and the last COMPLETED
	// deployment becomes PRIMARY again, whether or not the circuit breaker rolls back.
	RollbackRequested string
	// AlarmFailure is set when a deployment alarm fired for the IN_PROGRESS PRIMARY (the
	// message names it): the PRIMARY fails and, with Config.AlarmRollback, the last
	// COMPLETED deployment becomes PRIMARY again.
	AlarmFailure string
	// BakeStartedAt is when the PRIMARY's alarm bake began (kept in status); zero when it has
	// not begun.
	BakeStartedAt time.Time
}

// StopAction asks the controller to stop (delete) a live task.
type StopAction struct {
	// Task is the task's name.
	Task string
	// Deployment is the deployment the task belongs to.
	Deployment string
	// Reason is the ECS stoppedReason, "Scaling activity initiated by (deployment …)".
	Reason string
}

// Rollback reports that the circuit breaker tripped and the service went back to an older
// deployment. The planner already made To the PRIMARY in Plan.Deployments; the controller
// starts its tasks from the pod template it stored for To.
type Rollback struct {
	// From is the FAILED deployment.
	From string
	// To is the last COMPLETED deployment, now PRIMARY again.
	To string
	// TaskDefinition is To's "family:revision".
	TaskDefinition string
}

// EventType is the Kubernetes event type of a service event.
type EventType string

// Kubernetes event types (the values of corev1.EventTypeNormal and EventTypeWarning).
const (
	// EventNormal is for progress.
	EventNormal EventType = "Normal"
	// EventWarning is for what needs a person.
	EventWarning EventType = "Warning"
)

// Event is an ECS service event, shaped so the controller can both append it to
// status.events and emit it as a Kubernetes Event.
type Event struct {
	// Type is Normal or Warning.
	Type EventType
	// Reason is a CamelCase Kubernetes event reason, such as SteadyState.
	Reason string
	// Message is the ECS text, such as "(service web) has reached a steady state.".
	Message string
}

// Plan is the outcome of one pass: what to do now and the resulting status.
type Plan struct {
	// Start is deployment ID → number of tasks to start now (only the PRIMARY ever appears;
	// nil when nothing starts).
	Start map[string]int32
	// Stop are the live tasks to stop now, sorted by task name.
	Stop []StopAction
	// Remove are STOPPED tasks whose Pods should be deleted, sorted. Their failures are
	// counted in this plan's Deployments, so each must be reported STOPPED in one pass only:
	// once its deletion is requested the controller reports it STOPPING.
	Remove []string
	// Deployments are the new deployment records: PRIMARY first, then ACTIVE and INACTIVE
	// ones newest first, with at most MaxInactiveDeployments INACTIVE ones besides the
	// Target's own record (kept so that a FAILED Target is remembered and not retried).
	Deployments []Deployment
	// Rollback is set when the circuit breaker rolled the service back in this pass.
	Rollback *Rollback
	// Events are the service events of this pass, in the order they happened.
	Events []Event
	// SteadyState is true when the PRIMARY has D healthy RUNNING tasks and no other
	// deployment has live tasks.
	SteadyState bool
	// Lower and Upper are the bounds L and U this pass used.
	Lower, Upper int32
	// BakeStartedAt is when the PRIMARY's alarm bake began, while it bakes (Config.AlarmBake).
	BakeStartedAt time.Time
	// Wait is when the bake ends (zero when nothing waits on time).
	Wait time.Time
}

// StartCount is the number of tasks Plan starts, whatever the deployment.
func (p Plan) StartCount() int32 {
	var n int32
	for _, c := range p.Start {
		n += c
	}
	return n
}

// Primary returns the PRIMARY deployment of the plan, and false when there is none (no
// Target and no PRIMARY in the input).
func (p Plan) Primary() (Deployment, bool) {
	if len(p.Deployments) > 0 && p.Deployments[0].Status == ecsv1alpha1.DeploymentPrimary {
		return p.Deployments[0], true
	}
	return Deployment{}, false
}
