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

// SchedulingStrategy is the ECS service scheduling strategy.
// +kubebuilder:validation:Enum=REPLICA;DAEMON
type SchedulingStrategy string

// ECS scheduling strategies.
const (
	// SchedulingStrategyReplica keeps desiredCount tasks, spread by placementStrategy.
	SchedulingStrategyReplica SchedulingStrategy = "REPLICA"
	// SchedulingStrategyDaemon runs one task on every node that meets the constraints.
	SchedulingStrategyDaemon SchedulingStrategy = "DAEMON"
)

// PlacementStrategyType is an ECS placement strategy type.
// +kubebuilder:validation:Enum=spread;binpack;random
type PlacementStrategyType string

// ECS placement strategy types.
const (
	// PlacementStrategySpread spreads tasks over the values of a node attribute.
	PlacementStrategySpread PlacementStrategyType = "spread"
	// PlacementStrategyBinpack packs tasks on the fewest nodes by cpu or memory.
	PlacementStrategyBinpack PlacementStrategyType = "binpack"
	// PlacementStrategyRandom places tasks anywhere.
	PlacementStrategyRandom PlacementStrategyType = "random"
)

// PlacementConstraintType is an ECS service placement constraint type.
// +kubebuilder:validation:Enum=distinctInstance;memberOf
type PlacementConstraintType string

// ECS placement constraint types.
const (
	// PlacementConstraintDistinctInstance puts every task on a different node.
	PlacementConstraintDistinctInstance PlacementConstraintType = "distinctInstance"
	// PlacementConstraintMemberOf limits tasks to nodes matching an expression.
	PlacementConstraintMemberOf PlacementConstraintType = "memberOf"
)

// Toggle is the ECS ENABLED / DISABLED switch.
// +kubebuilder:validation:Enum=ENABLED;DISABLED
type Toggle string

// Toggle values.
const (
	// Enabled turns the feature on.
	Enabled Toggle = "ENABLED"
	// Disabled turns the feature off.
	Disabled Toggle = "DISABLED"
)

// PropagateTags says which tags become labels on task Pods.
// +kubebuilder:validation:Enum=SERVICE;TASK_DEFINITION;NONE
type PropagateTags string

// ECS propagateTags values.
const (
	// PropagateTagsService copies the Service's tags.
	PropagateTagsService PropagateTags = "SERVICE"
	// PropagateTagsTaskDefinition copies the TaskDefinition's tags.
	PropagateTagsTaskDefinition PropagateTags = "TASK_DEFINITION"
	// PropagateTagsNone copies none.
	PropagateTagsNone PropagateTags = "NONE"
)

// LoadBalancerServiceType is the core Service type created for a load balancer.
// +kubebuilder:validation:Enum=ClusterIP;NodePort;LoadBalancer
type LoadBalancerServiceType string

// Service is an ECS service: it keeps desiredCount tasks (Pods) of a task definition running,
// spread over availability zones at launch and at scale-in, and rolls out new revisions with
// ECS's minimum/maximum percent rules and deployment circuit breaker.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:subresource:scale:specpath=.spec.desiredCount,statuspath=.status.runningCount,selectorpath=.status.selector
// +kubebuilder:resource:shortName=ecssvc;ecssvcs,categories={berth,ecs}
// +kubebuilder:printcolumn:name="TaskDef",type=string,JSONPath=`.status.taskDefinition`
// +kubebuilder:printcolumn:name="Desired",type=integer,JSONPath=`.spec.desiredCount`
// +kubebuilder:printcolumn:name="Running",type=integer,JSONPath=`.status.runningCount`
// +kubebuilder:printcolumn:name="Pending",type=integer,JSONPath=`.status.pendingCount`
// +kubebuilder:printcolumn:name="Rollout",type=string,JSONPath=`.status.deployments[?(@.status=="PRIMARY")].rolloutState`
// +kubebuilder:printcolumn:name="MinHealthyPct",type=integer,JSONPath=`.status.minimumHealthyPercent`,priority=1
// +kubebuilder:printcolumn:name="MaxPct",type=integer,JSONPath=`.status.maximumPercent`,priority=1
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 52 && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",message="metadata.name must start with a letter, hold only lowercase letters, digits and '-', and be at most 52 characters: it names the core Services (<name>-<port>) and labels of the tasks"
type Service struct {
	metav1.TypeMeta `json:",inline"`
	// metadata.name is the ECS service name; it names the task Pods and the core Services
	// made for loadBalancers and serviceRegistries.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitzero"`

	// spec is the service as ECS CreateService / UpdateService take it.
	// +required
	Spec ServiceSpec `json:"spec"`

	// status reports tasks, deployments and ECS service events.
	// +optional
	Status ServiceStatus `json:"status,omitzero"`
}

// ServiceSpec mirrors ECS CreateService.
//
// +kubebuilder:validation:XValidation:rule="!has(self.placementStrategy) || self.placementStrategy.all(s, s.type != 'spread' || !has(s.field) || self.placementStrategy.filter(t, t.type == 'spread' && has(t.field) && t.field == s.field).size() == 1)",message="placementStrategy may hold at most one spread per field",fieldPath=".placementStrategy"
// +kubebuilder:validation:XValidation:rule="!has(self.placementConstraints) || self.placementConstraints.filter(c, c.type == 'distinctInstance').size() <= 1",message="placementConstraints may hold distinctInstance at most once",fieldPath=".placementConstraints"
// +kubebuilder:validation:XValidation:rule="self.schedulingStrategy != 'DAEMON' || !has(self.placementStrategy) || size(self.placementStrategy) == 0",message="placementStrategy is not allowed with schedulingStrategy DAEMON (one task runs on every eligible node)",fieldPath=".placementStrategy"
// +kubebuilder:validation:XValidation:rule="!has(self.serviceRegistries) || !has(self.loadBalancers) || self.serviceRegistries.all(r, !has(r.name) || self.loadBalancers.all(l, !has(l.name) || l.name != r.name))",message="serviceRegistries[].name must differ from every loadBalancers[].name (both become core Services)",fieldPath=".serviceRegistries"
// +kubebuilder:validation:XValidation:rule="(has(self.deploymentConfiguration) && has(self.deploymentConfiguration.minimumHealthyPercent) ? self.deploymentConfiguration.minimumHealthyPercent : (has(self.schedulingStrategy) && self.schedulingStrategy == 'DAEMON' ? 0 : 100)) <= (has(self.deploymentConfiguration) && has(self.deploymentConfiguration.maximumPercent) ? self.deploymentConfiguration.maximumPercent : (has(self.schedulingStrategy) && self.schedulingStrategy == 'DAEMON' ? 100 : 200))",message="minimumHealthyPercent must not exceed maximumPercent (defaults: 100 and 200 for REPLICA, 0 and 100 for DAEMON)",fieldPath=".deploymentConfiguration"
// +kubebuilder:validation:XValidation:rule="(has(self.deploymentConfiguration) && has(self.deploymentConfiguration.minimumHealthyPercent) ? self.deploymentConfiguration.minimumHealthyPercent : (has(self.schedulingStrategy) && self.schedulingStrategy == 'DAEMON' ? 0 : 100)) < 100 || (has(self.deploymentConfiguration) && has(self.deploymentConfiguration.maximumPercent) ? self.deploymentConfiguration.maximumPercent : (has(self.schedulingStrategy) && self.schedulingStrategy == 'DAEMON' ? 100 : 200)) > 100",message="with minimumHealthyPercent 100 the maximumPercent must be above 100, or no task could ever be replaced (defaults: 100 and 200 for REPLICA, 0 and 100 for DAEMON)",fieldPath=".deploymentConfiguration.maximumPercent"
type ServiceSpec struct {
	// taskDefinition is "family" (the latest revision; a new revision rolls out) or
	// "family:revision" to pin one revision.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=264
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[1-9][0-9]{0,9})?$')",message="taskDefinition must be a TaskDefinition name (the family), optionally with :<revision> counted from 1, such as web or web:3"
	TaskDefinition string `json:"taskDefinition"`

	// desiredCount is the number of tasks to keep running (REPLICA). It defaults to 1, like a
	// Deployment's replicas, so a HorizontalPodAutoscaler can own it through /scale when a
	// GitOps tool leaves it out. DAEMON services ignore it.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=5000
	DesiredCount *int32 `json:"desiredCount,omitempty"`

	// schedulingStrategy is REPLICA (default) or DAEMON (one task per eligible node).
	// +optional
	// +kubebuilder:default=REPLICA
	SchedulingStrategy SchedulingStrategy `json:"schedulingStrategy,omitempty"`

	// deploymentConfiguration bounds rolling deployments and configures the circuit breaker.
	// +optional
	// +kubebuilder:default={}
	DeploymentConfiguration DeploymentConfiguration `json:"deploymentConfiguration,omitzero"`

	// forceNewDeployment starts a new deployment of the same task definition whenever its
	// value changes (set it to a timestamp), as ECS UpdateService --force-new-deployment does:
	// to re-resolve image tags or retry a deployment that failed for a passing reason.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	ForceNewDeployment string `json:"forceNewDeployment,omitempty"`

	// placementStrategy is the ordered ECS placement strategy: spread becomes a
	// topologySpreadConstraint (ScheduleAnyway), binpack a preference for the fullest nodes,
	// random nothing. ECS allows up to 5.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=5
	PlacementStrategy []PlacementStrategy `json:"placementStrategy,omitempty"`

	// placementConstraints bind: distinctInstance becomes required pod anti-affinity on
	// kubernetes.io/hostname, memberOf required node affinity. ECS allows up to 10.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	PlacementConstraints []PlacementConstraint `json:"placementConstraints,omitempty"`

	// availabilityZoneRebalancing ENABLED (default, as on ECS CreateService) moves tasks back
	// when zones become unbalanced, one at a time and never below the healthy bound.
	// +optional
	// +kubebuilder:default=ENABLED
	AvailabilityZoneRebalancing Toggle `json:"availabilityZoneRebalancing,omitempty"`

	// healthCheckGracePeriodSeconds: for this long after a task starts, failing health checks
	// do not stop it (the liveness probes start after it). Changing it starts a new deployment.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=2147483647
	HealthCheckGracePeriodSeconds *int32 `json:"healthCheckGracePeriodSeconds,omitempty"`

	// loadBalancers each become a core Service selecting the service's RUNNING, ready tasks.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=5
	LoadBalancers []LoadBalancer `json:"loadBalancers,omitempty"`

	// serviceRegistries each become a headless core Service, giving every task a DNS name
	// (ECS service discovery with Cloud Map).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=1
	ServiceRegistries []ServiceRegistry `json:"serviceRegistries,omitempty"`

	// propagateTags copies the Service's or the TaskDefinition's tags to the task Pods as
	// labels (annotations where not valid as labels). Default NONE.
	// +optional
	// +kubebuilder:default=NONE
	PropagateTags PropagateTags `json:"propagateTags,omitempty"`

	// enableECSManagedTags adds the standard labels (app.kubernetes.io/name, part-of) to
	// task Pods, as ECS adds aws:ecs:serviceName and aws:ecs:clusterName tags.
	// +optional
	EnableECSManagedTags *bool `json:"enableECSManagedTags,omitempty"`

	// tags are the service's ECS tags (see propagateTags).
	// +optional
	// +listType=map
	// +listMapKey=key
	// +kubebuilder:validation:MaxItems=50
	Tags []Tag `json:"tags,omitempty"`
}

// DeploymentConfiguration is ECS deploymentConfiguration for the rolling update.
//
// minimumHealthyPercent and maximumPercent have no schema defaults: as in ECS, their defaults
// depend on the scheduling strategy (REPLICA 100 / 200, DAEMON 0 / 100), so the rules that
// relate them are checked on ServiceSpec with the defaults filled in, and the values in
// effect are reported in status.minimumHealthyPercent and status.maximumPercent.
type DeploymentConfiguration struct {
	// minimumHealthyPercent is the lower bound of healthy RUNNING tasks during a deployment,
	// as a percent of desiredCount rounded up (0 to 100). Default as in ECS: 100 for REPLICA
	// services, 0 for DAEMON ones (a daemon task is replaced by stopping it first); the value
	// in effect is status.minimumHealthyPercent.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	MinimumHealthyPercent *int32 `json:"minimumHealthyPercent,omitempty"`

	// maximumPercent is the upper bound of RUNNING plus PENDING tasks during a deployment, as
	// a percent of desiredCount rounded down (100 to 200). Default as in ECS: 200 for REPLICA
	// services, 100 for DAEMON ones (one task per node leaves no room for a surge, least of
	// all with host ports); the value in effect is status.maximumPercent.
	// +optional
	// +kubebuilder:validation:Minimum=100
	// +kubebuilder:validation:Maximum=200
	MaximumPercent *int32 `json:"maximumPercent,omitempty"`

	// deploymentCircuitBreaker fails a deployment whose tasks keep failing to start, and with
	// rollback returns to the last COMPLETED deployment.
	// +optional
	DeploymentCircuitBreaker *DeploymentCircuitBreaker `json:"deploymentCircuitBreaker,omitempty"`
}

// DeploymentCircuitBreaker is ECS deploymentCircuitBreaker.
type DeploymentCircuitBreaker struct {
	// enable turns the circuit breaker on: a deployment fails once
	// min(max(ceil(desiredCount/2), 3), 200) of its tasks failed to reach RUNNING.
	// +required
	Enable bool `json:"enable"`
	// rollback starts a new deployment from the last COMPLETED one when the breaker trips.
	// +required
	Rollback bool `json:"rollback"`
}

// PlacementStrategy is an ECS placement strategy.
// +kubebuilder:validation:XValidation:rule="self.type != 'random' || !has(self.field)",message="a random strategy takes no field",fieldPath=".field"
// +kubebuilder:validation:XValidation:rule="self.type != 'spread' || has(self.field)",message="a spread strategy needs a field (attribute:ecs.availability-zone, instanceId, host or attribute:<node label>)",fieldPath=".field"
// +kubebuilder:validation:XValidation:rule="self.type != 'binpack' || (has(self.field) && self.field in ['cpu', 'memory'])",message="a binpack strategy needs field cpu or memory",fieldPath=".field"
type PlacementStrategy struct {
	// type is spread, binpack or random.
	// +required
	Type PlacementStrategyType `json:"type"`
	// field: for spread, attribute:ecs.availability-zone (= topology.kubernetes.io/zone),
	// instanceId or host (= kubernetes.io/hostname), or attribute:<any node label>; for
	// binpack, cpu or memory.
	// +optional
	// +kubebuilder:validation:MaxLength=300
	// +kubebuilder:validation:Pattern=`^(cpu|memory|instanceId|host|attribute:[-._/a-zA-Z0-9]+)$`
	Field string `json:"field,omitempty"`
}

// PlacementConstraint is an ECS service placement constraint.
// +kubebuilder:validation:XValidation:rule="self.type != 'memberOf' || has(self.expression)",message="a memberOf constraint needs an expression",fieldPath=".expression"
// +kubebuilder:validation:XValidation:rule="self.type != 'distinctInstance' || !has(self.expression)",message="a distinctInstance constraint takes no expression",fieldPath=".expression"
type PlacementConstraint struct {
	// type is distinctInstance or memberOf.
	// +required
	Type PlacementConstraintType `json:"type"`
	// expression is an ECS cluster query language expression (memberOf only), for example
	// "attribute:ecs.availability-zone != zone-c". One that cannot become node affinity (the
	// =~ operator) stalls the Service with reason InvalidPlacement.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2000
	Expression string `json:"expression,omitempty"`
}

// LoadBalancer is an ECS load balancer: here a core Service.
type LoadBalancer struct {
	// name of the core Service; default the ECS service's name, then "<service>-<port>" for
	// the second and later entries.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name,omitempty"`
	// containerName is the container receiving traffic.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	ContainerName string `json:"containerName"`
	// containerPort is the container's port receiving traffic (the Service's targetPort).
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	ContainerPort int32 `json:"containerPort"`
	// port the core Service exposes; default containerPort.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port *int32 `json:"port,omitempty"`
	// type of the core Service: ClusterIP (default), NodePort or LoadBalancer.
	// +optional
	// +kubebuilder:default=ClusterIP
	Type LoadBalancerServiceType `json:"type,omitempty"`
}

// ServiceRegistry is ECS service discovery: here a headless core Service.
type ServiceRegistry struct {
	// name of the headless Service; default "<service>-discovery".
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name,omitempty"`
	// containerName is the container whose port is registered.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	ContainerName string `json:"containerName,omitempty"`
	// containerPort is the registered port (SRV records).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	ContainerPort *int32 `json:"containerPort,omitempty"`
}

// DeploymentStatus is the ECS status of a deployment.
// +kubebuilder:validation:Enum=PRIMARY;ACTIVE;INACTIVE
type DeploymentStatus string

// ECS deployment statuses.
const (
	// DeploymentPrimary is the newest deployment, the one tasks are started from.
	DeploymentPrimary DeploymentStatus = "PRIMARY"
	// DeploymentActive is an older deployment still draining.
	DeploymentActive DeploymentStatus = "ACTIVE"
	// DeploymentInactive is a drained deployment, kept in status for its history.
	DeploymentInactive DeploymentStatus = "INACTIVE"
)

// RolloutState is the ECS rollout state of a deployment.
// +kubebuilder:validation:Enum=IN_PROGRESS;COMPLETED;FAILED
type RolloutState string

// ECS rollout states.
const (
	// RolloutInProgress: tasks are being replaced.
	RolloutInProgress RolloutState = "IN_PROGRESS"
	// RolloutCompleted: the deployment reached steady state.
	RolloutCompleted RolloutState = "COMPLETED"
	// RolloutFailed: the circuit breaker tripped.
	RolloutFailed RolloutState = "FAILED"
)

// ServiceStatus reports tasks, deployments and events, computed from the observed Pods.
type ServiceStatus struct {
	// conditions: Ready (steady state), Progressing (a deployment is rolling out), Stalled
	// (configuration the controller cannot act on), Reconciling.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=32
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation whose spec the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// desiredCount is the number of tasks the service wants now (for DAEMON, the eligible
	// nodes).
	// +optional
	DesiredCount int32 `json:"desiredCount,omitempty"`

	// runningCount is the number of RUNNING tasks (the /scale status replicas).
	// +optional
	RunningCount int32 `json:"runningCount,omitempty"`

	// pendingCount is the number of PROVISIONING or PENDING tasks.
	// +optional
	PendingCount int32 `json:"pendingCount,omitempty"`

	// minimumHealthyPercent is the deploymentConfiguration.minimumHealthyPercent in effect:
	// the spec's, or ECS's default for the scheduling strategy (REPLICA 100, DAEMON 0).
	// +optional
	MinimumHealthyPercent *int32 `json:"minimumHealthyPercent,omitempty"`

	// maximumPercent is the deploymentConfiguration.maximumPercent in effect: the spec's, or
	// ECS's default for the scheduling strategy (REPLICA 200, DAEMON 100).
	// +optional
	MaximumPercent *int32 `json:"maximumPercent,omitempty"`

	// selector is the label selector of the task Pods, for /scale and HPAs.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Selector string `json:"selector,omitempty"`

	// taskDefinition is the "family:revision" of the PRIMARY deployment.
	// +optional
	// +kubebuilder:validation:MaxLength=264
	TaskDefinition string `json:"taskDefinition,omitempty"`

	// deployments are the PRIMARY, ACTIVE and recent INACTIVE deployments, newest first.
	// +optional
	// +listType=map
	// +listMapKey=id
	// +kubebuilder:validation:MaxItems=20
	Deployments []Deployment `json:"deployments,omitempty"`

	// events are ECS service events, newest first (the last 100), also emitted as
	// Kubernetes Events.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	Events []ServiceEvent `json:"events,omitempty"`

	// rebalancing is where Availability Zone rebalancing stands, kept here so that a
	// controller restart or a new leader carries on where it was (the events are not
	// repeated, a back-off is kept); absent while nothing is under way or waiting.
	// +optional
	Rebalancing *RebalancingStatus `json:"rebalancing,omitempty"`
}

// RebalancingState is the phase of AZ rebalancing.
// +kubebuilder:validation:Enum=InProgress;Blocked
type RebalancingState string

const (
	// RebalancingInProgress means the zones are unbalanced and tasks are being moved, from the
	// "is not AZ balanced" event until the "is AZ balanced" one.
	RebalancingInProgress RebalancingState = "InProgress"
	// RebalancingBlocked means the zones are unbalanced and the deployment bounds allow no move.
	RebalancingBlocked RebalancingState = "Blocked"
)

// RebalancingStatus is the state AZ rebalancing carries from one pass to the next.
type RebalancingStatus struct {
	// state is the phase; empty while only a retry is pending.
	// +optional
	State RebalancingState `json:"state,omitempty"`

	// retryAfter is set when a task started to rebalance could not be placed: no further
	// move is tried before it, unless the eligible nodes change (retryNodesHash).
	// +optional
	RetryAfter *metav1.Time `json:"retryAfter,omitempty"`

	// retryNodesHash identifies the nodes tasks were eligible for when the wait began.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	RetryNodesHash string `json:"retryNodesHash,omitempty"`
}

// Deployment is an ECS deployment: the tasks started from one task definition revision and
// pod-affecting configuration.
type Deployment struct {
	// id is a stable hash of the revision and configuration, as "ecs-svc-<hash>".
	// +required
	// +kubebuilder:validation:MaxLength=64
	ID string `json:"id"`
	// status is PRIMARY, ACTIVE or INACTIVE.
	// +required
	Status DeploymentStatus `json:"status"`
	// taskDefinition is the "family:revision" the deployment runs.
	// +required
	// +kubebuilder:validation:MaxLength=264
	TaskDefinition string `json:"taskDefinition"`
	// desiredCount is how many tasks this deployment should have now.
	// +optional
	DesiredCount int32 `json:"desiredCount"`
	// runningCount is its RUNNING tasks.
	// +optional
	RunningCount int32 `json:"runningCount"`
	// pendingCount is its PROVISIONING or PENDING tasks.
	// +optional
	PendingCount int32 `json:"pendingCount"`
	// failedTasks counts tasks that stopped before reaching RUNNING (circuit breaker).
	// +optional
	FailedTasks int32 `json:"failedTasks"`
	// rolloutState is IN_PROGRESS, COMPLETED or FAILED.
	// +optional
	RolloutState RolloutState `json:"rolloutState,omitempty"`
	// rolloutStateReason explains the rollout state.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	RolloutStateReason string `json:"rolloutStateReason,omitempty"`
	// createdAt is when the deployment started.
	// +optional
	CreatedAt metav1.Time `json:"createdAt,omitzero"`
	// updatedAt is when its state last changed.
	// +optional
	UpdatedAt metav1.Time `json:"updatedAt,omitzero"`
}

// ServiceEvent is an ECS service event message.
type ServiceEvent struct {
	// id identifies the event.
	// +required
	// +kubebuilder:validation:MaxLength=64
	ID string `json:"id"`
	// createdAt is when it happened.
	// +required
	CreatedAt metav1.Time `json:"createdAt"`
	// message is the ECS-style text, such as "(service web) has reached a steady state.".
	// +required
	// +kubebuilder:validation:MaxLength=2048
	Message string `json:"message"`
}

// +kubebuilder:object:root=true

// ServiceList is a list of Services.
type ServiceList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitzero"`
	// items are the Services.
	Items []Service `json:"items"`
}
