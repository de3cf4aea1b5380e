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

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TaskState is an ECS task (or container) lifecycle state, as DescribeTasks reports it in
// lastStatus and desiredStatus.
// +kubebuilder:validation:Enum=PROVISIONING;PENDING;ACTIVATING;RUNNING;DEACTIVATING;STOPPING;DEPROVISIONING;STOPPED
type TaskState string

// ECS task states, in lifecycle order.
const (
	// TaskProvisioning: the task's Pod is not created or not scheduled yet.
	TaskProvisioning TaskState = "PROVISIONING"
	// TaskPending: the Pod is on a node; images are pulled and containers created.
	TaskPending TaskState = "PENDING"
	// TaskActivating: every essential container runs, and one has not passed its startup
	// check yet.
	TaskActivating TaskState = "ACTIVATING"
	// TaskRunning: every essential container runs and has started.
	TaskRunning TaskState = "RUNNING"
	// TaskDeactivating: the task must stop (an essential container exited, StopTask, an image
	// that cannot be pulled); its exit state is recorded and its Pod is being deleted.
	TaskDeactivating TaskState = "DEACTIVATING"
	// TaskStopping: the Pod's deletion is under way; its containers are being stopped.
	TaskStopping TaskState = "STOPPING"
	// TaskDeprovisioning: every container stopped; the Pod is being removed from its node.
	TaskDeprovisioning TaskState = "DEPROVISIONING"
	// TaskStopped: the task ended. Its status no longer changes.
	TaskStopped TaskState = "STOPPED"
)

// TaskDesiredStatus is what a Task should be: RUNNING, or STOPPED (ECS StopTask).
// +kubebuilder:validation:Enum=RUNNING;STOPPED
type TaskDesiredStatus string

// Desired task statuses.
const (
	// DesiredRunning runs the task until it ends by itself.
	DesiredRunning TaskDesiredStatus = "RUNNING"
	// DesiredStopped stops the task (ECS StopTask): SIGTERM, then SIGKILL after the task
	// definition's stopTimeout.
	DesiredStopped TaskDesiredStatus = "STOPPED"
)

// TaskStopCode is ECS's stopCode: why a task stopped.
// +kubebuilder:validation:Enum=TaskFailedToStart;EssentialContainerExited;UserInitiated;TerminationNotice
type TaskStopCode string

// ECS stop codes.
const (
	// StopCodeTaskFailedToStart: the task never ran: an image could not be pulled, the node
	// refused the Pod, a dependency container failed, or the task definition could not run.
	StopCodeTaskFailedToStart TaskStopCode = "TaskFailedToStart"
	// StopCodeEssentialContainerExited: an essential container exited; the task's exit code
	// is that container's.
	StopCodeEssentialContainerExited TaskStopCode = "EssentialContainerExited"
	// StopCodeUserInitiated: desiredStatus was set to STOPPED, or someone deleted the Pod.
	StopCodeUserInitiated TaskStopCode = "UserInitiated"
	// StopCodeTerminationNotice: the cluster stopped the task (eviction, preemption, the node
	// was lost or shut down).
	StopCodeTerminationNotice TaskStopCode = "TerminationNotice"
)

// HealthStatus is the ECS health status of a task or container.
// +kubebuilder:validation:Enum=HEALTHY;UNHEALTHY;UNKNOWN
type HealthStatus string

// ECS health statuses.
const (
	// HealthHealthy: the health check passes.
	HealthHealthy HealthStatus = "HEALTHY"
	// HealthUnhealthy: the health check fails.
	HealthUnhealthy HealthStatus = "UNHEALTHY"
	// HealthUnknown: no health check, or it has not reported yet.
	HealthUnknown HealthStatus = "UNKNOWN"
)

// Task is an ECS standalone task (RunTask): one run of a task definition revision, as a Pod,
// with ECS's lifecycle states, essential-container semantics, stop codes and overrides. It is
// kept for ttlSecondsAfterStopped after it stopped (ECS shows stopped tasks for about an
// hour), then deleted with its Pod.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ecstask;ecstasks,categories={berth,ecs}
// +kubebuilder:printcolumn:name="TaskDef",type=string,JSONPath=`.status.taskDefinition`
// +kubebuilder:printcolumn:name="Last Status",type=string,JSONPath=`.status.lastStatus`
// +kubebuilder:printcolumn:name="Desired",type=string,JSONPath=`.spec.desiredStatus`,priority=1
// +kubebuilder:printcolumn:name="Stop Code",type=string,JSONPath=`.status.stopCode`
// +kubebuilder:printcolumn:name="Exit Code",type=integer,JSONPath=`.status.exitCode`
// +kubebuilder:printcolumn:name="Node",type=string,JSONPath=`.status.nodeName`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 63 && self.metadata.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",message="metadata.name must hold only lowercase letters, digits and '-', start and end with a letter or digit, and be at most 63 characters: it names the task's Pod and labels it"
type Task struct {
	metav1.TypeMeta `json:",inline"`
	// metadata.name is the task ID; the task's Pod has the same name.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitzero"`

	// spec is the task as ECS RunTask takes it. Only desiredStatus, stopReason and
	// ttlSecondsAfterStopped may change after creation.
	// +required
	Spec TaskSpec `json:"spec"`

	// status is the task as ECS DescribeTasks reports it.
	// +optional
	Status TaskStatus `json:"status,omitzero"`
}

// TaskSpec mirrors ECS RunTask for one task.
//
// +kubebuilder:validation:XValidation:rule="self.taskDefinition == oldSelf.taskDefinition && has(self.overrides) == has(oldSelf.overrides) && (!has(self.overrides) || self.overrides == oldSelf.overrides)",message="taskDefinition and overrides are immutable: the revision is resolved once, when the task starts; run a new Task instead",fieldPath=".taskDefinition"
// +kubebuilder:validation:XValidation:rule="has(self.placementStrategy) == has(oldSelf.placementStrategy) && (!has(self.placementStrategy) || self.placementStrategy == oldSelf.placementStrategy) && has(self.placementConstraints) == has(oldSelf.placementConstraints) && (!has(self.placementConstraints) || self.placementConstraints == oldSelf.placementConstraints)",message="placementStrategy and placementConstraints are immutable: they placed the task's Pod when it started",fieldPath=".placementStrategy"
// +kubebuilder:validation:XValidation:rule="has(self.group) == has(oldSelf.group) && (!has(self.group) || self.group == oldSelf.group) && has(self.startedBy) == has(oldSelf.startedBy) && (!has(self.startedBy) || self.startedBy == oldSelf.startedBy) && has(self.tags) == has(oldSelf.tags) && (!has(self.tags) || self.tags == oldSelf.tags)",message="group, startedBy and tags are immutable: they label the task's Pod",fieldPath=".group"
// +kubebuilder:validation:XValidation:rule="!(oldSelf.desiredStatus == 'STOPPED' && self.desiredStatus == 'RUNNING')",message="desiredStatus cannot go back from STOPPED to RUNNING: a stopped task never runs again; create a new Task",fieldPath=".desiredStatus"
// +kubebuilder:validation:XValidation:rule="!has(self.stopReason) || self.desiredStatus == 'STOPPED'",message="stopReason is only allowed with desiredStatus STOPPED",fieldPath=".stopReason"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.stopReason) || (has(self.stopReason) && self.stopReason == oldSelf.stopReason)",message="stopReason cannot change once set",fieldPath=".stopReason"
// +kubebuilder:validation:XValidation:rule="!has(self.placementStrategy) || self.placementStrategy.all(s, s.type != 'spread' || !has(s.field) || self.placementStrategy.filter(t, t.type == 'spread' && has(t.field) && t.field == s.field).size() == 1)",message="placementStrategy may hold at most one spread per field",fieldPath=".placementStrategy"
// +kubebuilder:validation:XValidation:rule="!has(self.placementConstraints) || self.placementConstraints.filter(c, c.type == 'distinctInstance').size() <= 1",message="placementConstraints may hold distinctInstance at most once",fieldPath=".placementConstraints"
type TaskSpec struct {
	// taskDefinition is "family" (the latest revision when the task starts) or
	// "family:revision". The revision is resolved once and kept in status.taskDefinition, so
	// a later revision or a deleted one does not change the task.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=264
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[1-9][0-9]{0,9})?$')",message="taskDefinition must be a TaskDefinition name (the family), optionally with :<revision> counted from 1, such as web or web:3"
	TaskDefinition string `json:"taskDefinition"`

	// overrides change the task definition for this task only (ECS TaskOverride).
	// +optional
	Overrides *TaskOverride `json:"overrides,omitempty"`

	// placementStrategy is the ordered ECS placement strategy, as on a Service; spread and
	// distinctInstance count the tasks of the same group.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=5
	PlacementStrategy []PlacementStrategy `json:"placementStrategy,omitempty"`

	// placementConstraints bind, as on a Service: distinctInstance keeps the task off nodes
	// running another task of its group, memberOf becomes required node affinity.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	PlacementConstraints []PlacementConstraint `json:"placementConstraints,omitempty"`

	// group is the ECS task group; default "family:<family>". Tasks of one group are spread
	// and kept apart together.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	Group string `json:"group,omitempty"`

	// startedBy says who started the task (ECS: up to 128 characters); a ScheduledTask sets
	// its own name.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	StartedBy string `json:"startedBy,omitempty"`

	// tags are the task's ECS tags: labels on the task's Pod (annotations where not valid
	// as labels).
	// +optional
	// +listType=map
	// +listMapKey=key
	// +kubebuilder:validation:MaxItems=50
	Tags []Tag `json:"tags,omitempty"`

	// desiredStatus is RUNNING (default); set STOPPED to stop the task (ECS StopTask). A
	// stopped task never runs again.
	// +optional
	// +kubebuilder:default=RUNNING
	DesiredStatus TaskDesiredStatus `json:"desiredStatus,omitempty"`

	// stopReason is ECS StopTask's reason, reported as status.stoppedReason.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	StopReason string `json:"stopReason,omitempty"`

	// ttlSecondsAfterStopped is how long the Task and its Pod are kept after the task
	// stopped, then both are deleted. Default 3600: ECS shows stopped tasks for about an hour.
	// +optional
	// +kubebuilder:default=3600
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=2592000
	TTLSecondsAfterStopped *int32 `json:"ttlSecondsAfterStopped,omitempty"`
}

// TaskOverride is ECS TaskOverride: changes to the task definition for one task.
type TaskOverride struct {
	// containerOverrides change single containers, named as in the task definition.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=10
	ContainerOverrides []ContainerOverride `json:"containerOverrides,omitempty"`

	// cpu replaces the task-level cpu: ECS units ("1024") or vCPUs ("1 vCPU").
	// +optional
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]{1,6}|[0-9]{1,3}([.][0-9]{1,3})? ?[vV][cC][pP][uU])$') && !self.matches('^[0. ]*([vV][cC][pP][uU])?$')",message="cpu must be ECS CPU units such as \"1024\" or vCPUs such as \"1 vCPU\", above zero"
	CPU string `json:"cpu,omitempty"`

	// memory replaces the task-level memory: MiB ("2048") or GB ("2 GB").
	// +optional
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]{1,7}|[0-9]{1,4}([.][0-9]{1,3})? ?[gG][bB])$') && !self.matches('^[0. ]*([gG][bB])?$')",message="memory must be MiB such as \"2048\" or GB such as \"2 GB\", above zero"
	Memory string `json:"memory,omitempty"`

	// taskRoleServiceAccountName replaces the task definition's (ECS taskRoleArn): the
	// ServiceAccount the task's Pod runs as.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	TaskRoleServiceAccountName string `json:"taskRoleServiceAccountName,omitempty"`

	// ephemeralStorage replaces the task definition's.
	// +optional
	EphemeralStorage *EphemeralStorage `json:"ephemeralStorage,omitempty"`
}

// ContainerOverride is ECS ContainerOverride.
//
// +kubebuilder:validation:XValidation:rule="!has(self.memory) || !has(self.memoryReservation) || self.memoryReservation <= self.memory",message="memoryReservation (the soft limit) must not exceed memory (the hard limit)",fieldPath=".memoryReservation"
type ContainerOverride struct {
	// name is the container's name in the task definition.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// command replaces the container's command (Docker CMD: the container's args).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MaxLength=32768
	Command []string `json:"command,omitempty"`

	// environment is added to the container's environment; a name it shares with the task
	// definition takes this value.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=1000
	Environment []KeyValuePair `json:"environment,omitempty"`

	// environmentFiles are added after the task definition's.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	EnvironmentFiles []EnvironmentFile `json:"environmentFiles,omitempty"`

	// cpu replaces the container's cpu units.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=262144
	CPU *int32 `json:"cpu,omitempty"`

	// memory replaces the container's hard memory limit (MiB).
	// +optional
	// +kubebuilder:validation:Minimum=6
	// +kubebuilder:validation:Maximum=4194304
	Memory *int32 `json:"memory,omitempty"`

	// memoryReservation replaces the container's soft memory limit (MiB).
	// +optional
	// +kubebuilder:validation:Minimum=6
	// +kubebuilder:validation:Maximum=4194304
	MemoryReservation *int32 `json:"memoryReservation,omitempty"`
}

// TaskStatus is ECS DescribeTasks' view of the task, computed from its Pod. Once lastStatus
// is STOPPED it no longer changes.
type TaskStatus struct {
	// conditions: Ready (True once the task stopped well: its essential container exited 0,
	// or it was stopped on request), Reconciling (the task has not stopped yet), Stalled (it
	// failed, or its task definition cannot be found or run).
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation whose spec the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// taskDefinition is the "family:revision" the task runs, resolved once when it started.
	// +optional
	// +kubebuilder:validation:MaxLength=264
	TaskDefinition string `json:"taskDefinition,omitempty"`

	// lastStatus is the task's ECS lifecycle state.
	// +optional
	LastStatus TaskState `json:"lastStatus,omitempty"`

	// desiredStatus is RUNNING until the task must stop, then STOPPED.
	// +optional
	DesiredStatus TaskDesiredStatus `json:"desiredStatus,omitempty"`

	// stopCode says why the task stopped (or is stopping).
	// +optional
	StopCode TaskStopCode `json:"stopCode,omitempty"`

	// stoppedReason is ECS's text for the stop, such as "Essential container in task
	// exited" or "CannotPullContainerError: …".
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	StoppedReason string `json:"stoppedReason,omitempty"`

	// exitCode is the exit code of the essential container whose exit stopped the task.
	// +optional
	ExitCode *int32 `json:"exitCode,omitempty"`

	// healthStatus is the task's health: UNHEALTHY when an essential container's health
	// check fails, HEALTHY when those that have one pass, UNKNOWN otherwise.
	// +optional
	HealthStatus HealthStatus `json:"healthStatus,omitempty"`

	// containers are the task's containers, in the task definition's order.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=10
	Containers []TaskContainer `json:"containers,omitempty"`

	// group is the task group in effect (spec.group, or "family:<family>").
	// +optional
	// +kubebuilder:validation:MaxLength=255
	Group string `json:"group,omitempty"`

	// podName is the task's Pod.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	PodName string `json:"podName,omitempty"`

	// nodeName is the node the task runs on (ECS containerInstanceArn).
	// +optional
	// +kubebuilder:validation:MaxLength=253
	NodeName string `json:"nodeName,omitempty"`

	// availabilityZone is the node's topology.kubernetes.io/zone.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	AvailabilityZone string `json:"availabilityZone,omitempty"`

	// createdAt is when the task's Pod was created.
	// +optional
	CreatedAt *metav1.Time `json:"createdAt,omitempty"`

	// pullStartedAt is when the node accepted the Pod and began preparing it (the Pod's
	// startTime): Kubernetes does not report image pull times.
	// +optional
	PullStartedAt *metav1.Time `json:"pullStartedAt,omitempty"`

	// pullStoppedAt is when the first container started, so its image was there.
	// +optional
	PullStoppedAt *metav1.Time `json:"pullStoppedAt,omitempty"`

	// startedAt is when the task reached RUNNING: the last essential container's start.
	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`

	// stoppingAt is when the task began to stop.
	// +optional
	StoppingAt *metav1.Time `json:"stoppingAt,omitempty"`

	// stoppedAt is when the task reached STOPPED.
	// +optional
	StoppedAt *metav1.Time `json:"stoppedAt,omitempty"`
}

// TaskContainer is ECS DescribeTasks' container: the state of one container of the task.
type TaskContainer struct {
	// name is the container's name.
	// +required
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`

	// image is the image the container runs.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Image string `json:"image,omitempty"`

	// imageDigest is the digest of the image the node ran, when it reported one.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	ImageDigest string `json:"imageDigest,omitempty"`

	// essential is true for a container whose exit stops the task.
	// +optional
	Essential bool `json:"essential,omitempty"`

	// lastStatus is PENDING, RUNNING or STOPPED.
	// +optional
	LastStatus TaskState `json:"lastStatus,omitempty"`

	// exitCode is the container's exit code once it stopped.
	// +optional
	ExitCode *int32 `json:"exitCode,omitempty"`

	// reason says why the container stopped or waits (OOMKilled, Error, ImagePullBackOff …)
	// and the runtime's message.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Reason string `json:"reason,omitempty"`

	// healthStatus is the container's health check result.
	// +optional
	HealthStatus HealthStatus `json:"healthStatus,omitempty"`

	// restartCount is how often Kubernetes restarted the container (ECS restartPolicy).
	// +optional
	RestartCount int32 `json:"restartCount,omitempty"`
}

// +kubebuilder:object:root=true

// TaskList is a list of Tasks.
type TaskList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitzero"`
	// items are the Tasks.
	Items []Task `json:"items"`
}
