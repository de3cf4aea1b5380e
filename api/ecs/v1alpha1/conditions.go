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

package v1alpha1

// Condition types. Ready is always present; Reconciling and Stalled follow kstatus's
// "abnormal-true" convention (present only while true) so Flux, Argo CD and kubectl wait read
// health without custom code.
const (
	// ReadyCondition summarises the object: True when it is fully usable (a TaskDefinition's
	// latest revision translated; a Service at steady state).
	ReadyCondition = "Ready"
	// ReconcilingCondition is True while the controller is still acting on the latest spec.
	ReconcilingCondition = "Reconciling"
	// StalledCondition is True when the controller cannot make progress without a spec change.
	StalledCondition = "Stalled"
	// TranslatedCondition tells whether a TaskDefinition maps to a Pod exactly or with
	// approximations, and lists the approximated fields.
	TranslatedCondition = "Translated"
	// ProgressingCondition is True while a Service deployment is rolling out.
	ProgressingCondition = "Progressing"
)

// Condition reasons (CamelCase, as metav1.Condition requires).
const (
	// ReconciledReason: the last pass finished and the object matches its spec.
	ReconciledReason = "Reconciled"
	// ProgressingReason: work is under way (tasks starting, a revision registering).
	ProgressingReason = "Progressing"
	// InvalidTaskDefinitionReason: the spec passed the schema but cannot be translated to a
	// Pod (a dependency cycle, conflicting DNS settings); the message names container and field.
	InvalidTaskDefinitionReason = "InvalidTaskDefinition"
	// ExactReason: every field of the task definition has an exact Pod equivalent.
	ExactReason = "Exact"
	// ApproximatedReason: some fields were approximated; the message lists each one.
	ApproximatedReason = "Approximated"
	// TaskDefinitionNotFoundReason: a Service names a family or revision that does not exist.
	TaskDefinitionNotFoundReason = "TaskDefinitionNotFound"
	// InvalidPlacementReason: a placement expression cannot be expressed as scheduling rules.
	InvalidPlacementReason = "InvalidPlacement"
	// SteadyStateReason: the PRIMARY deployment has desiredCount healthy RUNNING tasks and
	// no other deployment has tasks ("has reached a steady state").
	SteadyStateReason = "SteadyState"
	// DeploymentFailedReason: the circuit breaker tripped.
	DeploymentFailedReason = "DeploymentFailed"
	// RolledBackReason: the circuit breaker tripped and the last COMPLETED deployment is back.
	RolledBackReason = "RolledBack"
	// ReconcileErrorReason: the last pass failed talking to the API server; it is retried.
	ReconcileErrorReason = "ReconcileError"
	// DeletingReason: the object is being deleted (a TaskDefinition waits for the Services
	// that use its family).
	DeletingReason = "Deleting"
	// NameTakenReason: a core Service Berth would create exists and belongs to someone else;
	// Berth leaves it alone.
	NameTakenReason = "NameTaken"
	// TaskStartingReason: a Task has not reached RUNNING yet (PROVISIONING, PENDING,
	// ACTIVATING).
	TaskStartingReason = "TaskStarting"
	// TaskRunningReason: a Task is RUNNING.
	TaskRunningReason = "TaskRunning"
	// TaskStoppingReason: a Task must stop and has not stopped yet.
	TaskStoppingReason = "TaskStopping"
	// TaskCompletedReason: a Task stopped because its essential container exited with 0.
	TaskCompletedReason = "TaskCompleted"
	// TaskStoppedOnRequestReason: a Task stopped because desiredStatus was set to STOPPED.
	TaskStoppedOnRequestReason = "TaskStoppedOnRequest"
	// TaskFailedReason: a Task stopped because it failed: it did not start, an essential
	// container exited with a code other than 0, or the cluster stopped it.
	TaskFailedReason = "TaskFailed"
	// ScheduledReason: a ScheduledTask's schedule is valid and enabled; the message says
	// when it runs next.
	ScheduledReason = "Scheduled"
	// ScheduleDisabledReason: a ScheduledTask's state is DISABLED.
	ScheduleDisabledReason = "ScheduleDisabled"
	// ScheduleCompletedReason: a ScheduledTask's schedule has no further run (an at time
	// that passed, an endDate reached, a cron expression with no later match).
	ScheduleCompletedReason = "ScheduleCompleted"
	// InvalidScheduleExpressionReason: a ScheduledTask's scheduleExpression does not parse;
	// the message names the position and the problem.
	InvalidScheduleExpressionReason = "InvalidScheduleExpression"
	// InvalidTimezoneReason: a ScheduledTask's scheduleExpressionTimezone is not an IANA
	// time zone.
	InvalidTimezoneReason = "InvalidTimezone"
)

// Finalizer is set on kinds of this group whose cleanup owner references cannot express.
const Finalizer = "ecs.berth.dev/finalizer"

// Labels set on task Pods and on the objects Berth creates for a Service or a Task.
const (
	// ServiceLabel holds the ECS service name on its task Pods; the scale selector uses it.
	ServiceLabel = "ecs.berth.dev/service"
	// DeploymentLabel holds the deployment id (a stable hash) a task belongs to.
	DeploymentLabel = "ecs.berth.dev/deployment"
	// TaskDefinitionLabel holds "<family>-<revision>" of the revision a task runs.
	TaskDefinitionLabel = "ecs.berth.dev/task-definition"
	// TaskLabel holds the Task name on a standalone task's Pod and NetworkPolicy.
	TaskLabel = "ecs.berth.dev/task"
	// TaskGroupLabel holds a standalone task's group (a hash where the group is not a valid
	// label value); spread and distinctInstance count the Pods of one group.
	TaskGroupLabel = "ecs.berth.dev/task-group"
	// ScheduledTaskLabel holds the ScheduledTask name on the Tasks it started.
	ScheduledTaskLabel = "ecs.berth.dev/scheduled-task"
	// ScheduledTimeAnnotation holds, on a Task a ScheduledTask started, the time (RFC 3339,
	// UTC) of the run it belongs to.
	ScheduledTimeAnnotation = "ecs.berth.dev/scheduled-time"
)

// RollbackAnnotation on a Service asks for ECS StopServiceDeployment with stopType ROLLBACK:
// its value is the id of the deployment to stop (status.serviceDeployments[0].id). The
// controller moves traffic back to the source revision and stops the target's tasks; an
// annotation naming a deployment that is not in progress does nothing, so it may stay.
const RollbackAnnotation = "ecs.berth.dev/rollback-deployment"
