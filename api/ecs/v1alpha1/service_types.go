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
	"k8s.io/apimachinery/pkg/runtime"
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
// +kubebuilder:printcolumn:name="Strategy",type=string,JSONPath=`.spec.deploymentConfiguration.strategy`
// +kubebuilder:printcolumn:name="Stage",type=string,JSONPath=`.status.serviceDeployments[0].lifecycleStage`
// +kubebuilder:printcolumn:name="Deployment",type=string,JSONPath=`.status.serviceDeployments[0].status`,priority=1
// +kubebuilder:printcolumn:name="MinHealthyPct",type=integer,JSONPath=`.status.minimumHealthyPercent`,priority=1
// +kubebuilder:printcolumn:name="MaxPct",type=integer,JSONPath=`.status.maximumPercent`,priority=1
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 52 && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",message="metadata.name must start with a letter, hold only lowercase letters, digits and '-', and be at most 52 characters: it names the core Services (<name>-<port>) and labels of the tasks"
// +kubebuilder:validation:XValidation:rule="!has(self.spec.loadBalancers) || self.spec.loadBalancers.all(l, !has(l.advancedConfiguration) || !has(l.advancedConfiguration.alternateServiceName) || (l.advancedConfiguration.alternateServiceName != self.metadata.name && self.spec.loadBalancers.all(m, !has(m.name) || m.name != l.advancedConfiguration.alternateServiceName)))",message="spec.loadBalancers[].advancedConfiguration.alternateServiceName must differ from the service's name and from every loadBalancers[].name (each is a core Service)"
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
// +kubebuilder:validation:XValidation:rule="!has(self.deploymentConfiguration) || !has(self.deploymentConfiguration.canaryConfiguration) || self.deploymentConfiguration.strategy == 'CANARY'",message="deploymentConfiguration.canaryConfiguration is only valid with strategy CANARY",fieldPath=".deploymentConfiguration.canaryConfiguration"
// +kubebuilder:validation:XValidation:rule="!has(self.deploymentConfiguration) || !has(self.deploymentConfiguration.linearConfiguration) || self.deploymentConfiguration.strategy == 'LINEAR'",message="deploymentConfiguration.linearConfiguration is only valid with strategy LINEAR",fieldPath=".deploymentConfiguration.linearConfiguration"
// +kubebuilder:validation:XValidation:rule="!has(self.deploymentConfiguration) || !has(self.deploymentConfiguration.lifecycleHooks) || size(self.deploymentConfiguration.lifecycleHooks) == 0 || (has(self.deploymentConfiguration.strategy) && self.deploymentConfiguration.strategy != 'ROLLING')",message="deploymentConfiguration.lifecycleHooks need strategy BLUE_GREEN, CANARY or LINEAR",fieldPath=".deploymentConfiguration.lifecycleHooks"
// +kubebuilder:validation:XValidation:rule="!has(self.deploymentConfiguration) || self.deploymentConfiguration.strategy != 'BLUE_GREEN' || has(self.deploymentConfiguration.bakeTimeInMinutes)",message="deploymentConfiguration.bakeTimeInMinutes is required with strategy BLUE_GREEN (as in ECS)",fieldPath=".deploymentConfiguration.bakeTimeInMinutes"
// +kubebuilder:validation:XValidation:rule="!has(self.deploymentConfiguration) || !has(self.deploymentConfiguration.strategy) || self.deploymentConfiguration.strategy == 'ROLLING' || !has(self.schedulingStrategy) || self.schedulingStrategy != 'DAEMON'",message="deploymentConfiguration.strategy must be ROLLING for schedulingStrategy DAEMON (as in ECS)",fieldPath=".deploymentConfiguration.strategy"
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

	// strategy is how a new revision replaces the running one: ROLLING (default; bounded by
	// minimumHealthyPercent and maximumPercent), BLUE_GREEN (a full green revision beside the
	// blue one, test traffic, then production traffic in one switch), CANARY (canaryPercent of
	// production traffic first, then the rest) or LINEAR (stepPercent more at each step). The
	// three staged strategies keep the blue revision at its full count until bakeTimeInMinutes
	// after production traffic moved, and ignore minimumHealthyPercent and maximumPercent, as
	// ECS does (up to twice desiredCount tasks run).
	// +optional
	// +kubebuilder:default=ROLLING
	Strategy DeploymentStrategy `json:"strategy,omitempty"`

	// bakeTimeInMinutes is how long blue and green both run after all production traffic moved
	// to green (0 to 1440); a failure in that window moves traffic back to blue. ECS requires it
	// with BLUE_GREEN; CANARY and LINEAR default it to 0.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1440
	BakeTimeInMinutes *int32 `json:"bakeTimeInMinutes,omitempty"`

	// canaryConfiguration is the CANARY strategy's first step (CANARY only).
	// +optional
	CanaryConfiguration *CanaryConfiguration `json:"canaryConfiguration,omitempty"`

	// linearConfiguration is the LINEAR strategy's steps (LINEAR only).
	// +optional
	LinearConfiguration *LinearConfiguration `json:"linearConfiguration,omitempty"`

	// lifecycleHooks are HTTP(S) endpoints called at lifecycle stages of a BLUE_GREEN, CANARY or
	// LINEAR deployment (ECS calls a Lambda function). The deployment waits in the stage until
	// every hook of it answers SUCCEEDED; FAILED, or a hook that cannot be reached after 3
	// tries, rolls the deployment back.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	LifecycleHooks []DeploymentLifecycleHook `json:"lifecycleHooks,omitempty"`

	// alarms fail a deployment (and with rollback, roll it back) when one of their Prometheus
	// queries breaches its threshold while the deployment runs or bakes (ECS DeploymentAlarms,
	// with PromQL where ECS names CloudWatch alarms).
	// +optional
	Alarms *DeploymentAlarms `json:"alarms,omitempty"`
}

// DeploymentAlarms is ECS DeploymentAlarms on Prometheus: each alarm is a PromQL query
// evaluated against a Prometheus-compatible HTTP API while a deployment is IN_PROGRESS,
// including its bake time (bakeTimeInMinutes: for ROLLING it is how long the alarms are still
// watched after the old tasks are gone). An alarm is in ALARM when its query breaches the
// threshold in evaluationPeriods evaluations in a row; the deployment then fails, and with
// rollback the last COMPLETED deployment takes over again. BLUE_GREEN, CANARY and LINEAR
// always move traffic back to the source revision when an alarm fires, as they do for any
// failure (blue is still running).
//
// +kubebuilder:validation:XValidation:rule="!self.enable || (has(self.queries) && size(self.queries) > 0)",message="alarms.enable needs at least one entry in alarms.queries",fieldPath=".queries"
type DeploymentAlarms struct {
	// enable turns alarm monitoring on.
	// +required
	Enable bool `json:"enable"`
	// rollback returns a ROLLING service to the last COMPLETED deployment when an alarm
	// fires; without it the deployment only fails.
	// +required
	Rollback bool `json:"rollback"`
	// prometheus is the Prometheus-compatible HTTP API the queries go to (Prometheus, Thanos
	// Query, Mimir, VictoriaMetrics …). Default: the manager's --alarm-prometheus-url.
	// +optional
	Prometheus *PrometheusEndpoint `json:"prometheus,omitempty"`
	// evaluationIntervalSeconds is how often the queries are evaluated (5 to 300, default 15).
	// +optional
	// +kubebuilder:validation:Minimum=5
	// +kubebuilder:validation:Maximum=300
	EvaluationIntervalSeconds *int32 `json:"evaluationIntervalSeconds,omitempty"`
	// queries are the alarms (ECS alarmNames), each a PromQL query with its threshold.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=10
	Queries []AlarmQuery `json:"queries,omitempty"`
}

// PrometheusEndpoint is where alarm queries are sent: a URL or a core Service.
//
// +kubebuilder:validation:XValidation:rule="has(self.url) != has(self.service)",message="alarms.prometheus needs exactly one of url and service"
type PrometheusEndpoint struct {
	// url is the API's base URL, such as http://prometheus.monitoring.svc:9090 (queries go to
	// <url>/api/v1/query).
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^https?://[^\s]+$`
	URL string `json:"url,omitempty"`
	// service is a core Service in the service's namespace serving the API over HTTP; path
	// is the API's base path (default /).
	// +optional
	Service *HookServiceReference `json:"service,omitempty"`
	// authorizationSecretRef names a key of a Secret in the service's namespace whose value is
	// sent as the Authorization header (such as "Bearer …").
	// +optional
	AuthorizationSecretRef *SecretKeyReference `json:"authorizationSecretRef,omitempty"`
}

// AlarmComparisonOperator compares a query's samples with the threshold (CloudWatch's names).
// +kubebuilder:validation:Enum=GreaterThanThreshold;GreaterThanOrEqualToThreshold;LessThanThreshold;LessThanOrEqualToThreshold
type AlarmComparisonOperator string

// Comparison operators.
const (
	// GreaterThanThreshold breaches when a sample is above the threshold.
	GreaterThanThreshold AlarmComparisonOperator = "GreaterThanThreshold"
	// GreaterThanOrEqualToThreshold breaches when a sample is at or above the threshold.
	GreaterThanOrEqualToThreshold AlarmComparisonOperator = "GreaterThanOrEqualToThreshold"
	// LessThanThreshold breaches when a sample is below the threshold.
	LessThanThreshold AlarmComparisonOperator = "LessThanThreshold"
	// LessThanOrEqualToThreshold breaches when a sample is at or below the threshold.
	LessThanOrEqualToThreshold AlarmComparisonOperator = "LessThanOrEqualToThreshold"
)

// AlarmQuery is one alarm: a PromQL instant query and when its result is a breach.
//
// +kubebuilder:validation:XValidation:rule="!has(self.comparisonOperator) || has(self.threshold)",message="comparisonOperator needs a threshold",fieldPath=".comparisonOperator"
type AlarmQuery struct {
	// name identifies the alarm in status and events.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`
	Name string `json:"name"`
	// query is a PromQL expression evaluated at the current time. Without threshold, any
	// sample in its result is a breach: write the condition into the query, such as
	// sum(rate(http_requests_total{code=~"5.."}[1m])) > 1.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	Query string `json:"query"`
	// threshold is a decimal number the samples are compared with (comparisonOperator,
	// default GreaterThanThreshold); any sample on the wrong side is a breach.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$`
	Threshold string `json:"threshold,omitempty"`
	// comparisonOperator compares the samples with the threshold.
	// +optional
	ComparisonOperator AlarmComparisonOperator `json:"comparisonOperator,omitempty"`
	// evaluationPeriods is how many evaluations in a row must breach before the alarm fires
	// (1 to 10, default 1).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10
	EvaluationPeriods *int32 `json:"evaluationPeriods,omitempty"`
}

// LifecycleHookStage is a lifecycle stage a hook can run in.
// +kubebuilder:validation:Enum=RECONCILE_SERVICE;PRE_SCALE_UP;POST_SCALE_UP;TEST_TRAFFIC_SHIFT;POST_TEST_TRAFFIC_SHIFT;PRODUCTION_TRAFFIC_SHIFT;POST_PRODUCTION_TRAFFIC_SHIFT
type LifecycleHookStage string

// DeploymentLifecycleHook is ECS DeploymentLifecycleHook with an HTTP(S) target: the hook is
// POSTed a JSON body naming the stage, the service, the deployment and both revisions, and
// answers {"hookStatus": "SUCCEEDED" | "FAILED" | "IN_PROGRESS", "callBackDelaySeconds": n}.
//
// +kubebuilder:validation:XValidation:rule="has(self.url) != has(self.service)",message="a lifecycle hook needs exactly one of url and service"
type DeploymentLifecycleHook struct {
	// url is the hook's http:// or https:// endpoint (ECS hookTargetArn).
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^https?://[^\s]+$`
	URL string `json:"url,omitempty"`
	// service is a core Service in the service's namespace serving the hook over HTTP.
	// +optional
	Service *HookServiceReference `json:"service,omitempty"`
	// lifecycleStages are the stages the hook runs in.
	// +required
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=7
	LifecycleStages []LifecycleHookStage `json:"lifecycleStages"`
	// hookDetails is passed to the hook as it is (ECS hookDetails).
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	HookDetails *runtime.RawExtension `json:"hookDetails,omitempty"`
	// authorizationSecretRef names a key of a Secret in the service's namespace whose value is
	// sent as the Authorization header; secrets are never written inline.
	// +optional
	AuthorizationSecretRef *SecretKeyReference `json:"authorizationSecretRef,omitempty"`
}

// HookServiceReference is a hook served by a core Service.
type HookServiceReference struct {
	// name of the core Service.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`
	// port of the core Service (default 80).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port *int32 `json:"port,omitempty"`
	// path of the request (default /).
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:Pattern=`^/`
	Path string `json:"path,omitempty"`
}

// SecretKeyReference is a key of a Secret in the same namespace.
type SecretKeyReference struct {
	// name of the Secret.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// key in the Secret's data.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Key string `json:"key"`
}

// DeploymentStrategy is ECS deploymentConfiguration.strategy.
// +kubebuilder:validation:Enum=ROLLING;BLUE_GREEN;CANARY;LINEAR
type DeploymentStrategy string

// ECS deployment strategies.
const (
	// DeploymentStrategyRolling replaces tasks within minimumHealthyPercent and maximumPercent.
	DeploymentStrategyRolling DeploymentStrategy = "ROLLING"
	// DeploymentStrategyBlueGreen starts a full green revision, then moves all traffic at once.
	DeploymentStrategyBlueGreen DeploymentStrategy = "BLUE_GREEN"
	// DeploymentStrategyCanary moves canaryPercent of the traffic, bakes, then moves the rest.
	DeploymentStrategyCanary DeploymentStrategy = "CANARY"
	// DeploymentStrategyLinear moves stepPercent more of the traffic at each step.
	DeploymentStrategyLinear DeploymentStrategy = "LINEAR"
)

// CanaryConfiguration is ECS canaryConfiguration.
type CanaryConfiguration struct {
	// canaryPercent is the share of production traffic the green revision gets first, in
	// percent (0.1 to 100; default 5), rounded to tenths of a percent.
	// +optional
	// +kubebuilder:default=5
	// +kubebuilder:validation:Minimum=0.1
	// +kubebuilder:validation:Maximum=100
	// +kubebuilder:validation:XValidation:rule="self >= 0.1",message="canaryPercent must be at least 0.1"
	CanaryPercent *float64 `json:"canaryPercent,omitempty"`
	// canaryBakeTimeInMinutes is how long the canary share runs before the rest of the traffic
	// moves (0 to 1440; default 10).
	// +optional
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1440
	CanaryBakeTimeInMinutes *int32 `json:"canaryBakeTimeInMinutes,omitempty"`
}

// LinearConfiguration is ECS linearConfiguration.
type LinearConfiguration struct {
	// stepPercent is the share of production traffic moved at each step, in percent (3 to 100,
	// default 10; rounded to tenths of a percent). The last step moves what is left.
	// +optional
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=3
	// +kubebuilder:validation:Maximum=100
	StepPercent *float64 `json:"stepPercent,omitempty"`
	// stepBakeTimeInMinutes is how long each step runs before the next (0 to 1440; default 6).
	// +optional
	// +kubebuilder:default=6
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1440
	StepBakeTimeInMinutes *int32 `json:"stepBakeTimeInMinutes,omitempty"`
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
	// resetOnHealthyTask (default true, as in ECS): a task of the deployment that reaches a
	// healthy RUNNING state resets its failure count to 0, so only failures in a row trip the
	// breaker. false counts every failure of the deployment.
	// +optional
	// +kubebuilder:default=true
	ResetOnHealthyTask *bool `json:"resetOnHealthyTask,omitempty"`
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
	// advancedConfiguration names the second core Service and the Gateway API HTTPRoute of the
	// BLUE_GREEN, CANARY and LINEAR strategies (ECS's alternate target group and listener
	// rules).
	// +optional
	AdvancedConfiguration *AdvancedConfiguration `json:"advancedConfiguration,omitempty"`
}

// AdvancedConfiguration is ECS loadBalancers[].advancedConfiguration in Kubernetes terms: the
// alternate target group is a second core Service, the production listener rule an HTTPRoute.
//
// +kubebuilder:validation:XValidation:rule="!has(self.httpRouteName) || has(self.alternateServiceName)",message="advancedConfiguration.httpRouteName needs alternateServiceName: the route's second backendRef is that Service",fieldPath=".httpRouteName"
type AdvancedConfiguration struct {
	// alternateServiceName is a core Service the controller makes beside the production one
	// (ECS alternateTargetGroupArn and testListenerRule): during a staged deployment it selects
	// the green revision, for test traffic; otherwise the production revision.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z]([-a-z0-9]*[a-z0-9])?$`
	AlternateServiceName string `json:"alternateServiceName,omitempty"`
	// httpRouteName is a Gateway API HTTPRoute in the service's namespace (ECS
	// productionListenerRule) whose backendRefs name the production Service and
	// alternateServiceName: CANARY and LINEAR write their weights at each step. The controller
	// changes only those weights. Without it, CANARY and LINEAR approximate the traffic share
	// by task counts behind the production Service (condition reason Approximated).
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`
	HTTPRouteName string `json:"httpRouteName,omitempty"`
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

	// serviceDeployments are the service deployments (ECS ListServiceDeployments), newest
	// first, the last 10: strategy, source and target revisions, images, status, lifecycle
	// stage and traffic. The newest one, while IN_PROGRESS or ROLLBACK_IN_PROGRESS, is also
	// where a staged deployment (BLUE_GREEN, CANARY, LINEAR) keeps its stage, so that a
	// restarted controller resumes it without repeating a traffic shift.
	// +optional
	// +listType=map
	// +listMapKey=id
	// +kubebuilder:validation:MaxItems=10
	ServiceDeployments []ServiceDeployment `json:"serviceDeployments,omitempty"`

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

// ServiceDeploymentState is the status of an ECS service deployment.
// +kubebuilder:validation:Enum=PENDING;IN_PROGRESS;SUCCESSFUL;STOPPED;STOP_REQUESTED;ROLLBACK_REQUESTED;ROLLBACK_IN_PROGRESS;ROLLBACK_SUCCESSFUL;ROLLBACK_FAILED
type ServiceDeploymentState string

// ECS service deployment statuses.
const (
	// ServiceDeploymentPending: the deployment is known and has not started.
	ServiceDeploymentPending ServiceDeploymentState = "PENDING"
	// ServiceDeploymentInProgress: the deployment is running its stages.
	ServiceDeploymentInProgress ServiceDeploymentState = "IN_PROGRESS"
	// ServiceDeploymentSuccessful: the target revision serves all traffic and the source is gone.
	ServiceDeploymentSuccessful ServiceDeploymentState = "SUCCESSFUL"
	// ServiceDeploymentStopped: a newer deployment superseded it before it finished.
	ServiceDeploymentStopped ServiceDeploymentState = "STOPPED"
	// ServiceDeploymentStopRequested: a stop was asked for and not acted on yet.
	ServiceDeploymentStopRequested ServiceDeploymentState = "STOP_REQUESTED"
	// ServiceDeploymentRollbackRequested: a rollback was asked for and not acted on yet.
	ServiceDeploymentRollbackRequested ServiceDeploymentState = "ROLLBACK_REQUESTED"
	// ServiceDeploymentRollbackInProgress: traffic is back on the source; the target's tasks stop.
	ServiceDeploymentRollbackInProgress ServiceDeploymentState = "ROLLBACK_IN_PROGRESS"
	// ServiceDeploymentRollbackSuccessful: the source revision serves alone again.
	ServiceDeploymentRollbackSuccessful ServiceDeploymentState = "ROLLBACK_SUCCESSFUL"
	// ServiceDeploymentRollbackFailed: there was nothing to roll back to.
	ServiceDeploymentRollbackFailed ServiceDeploymentState = "ROLLBACK_FAILED"
)

// LifecycleStage is an ECS service deployment lifecycle stage.
// +kubebuilder:validation:Enum=RECONCILE_SERVICE;PRE_SCALE_UP;SCALE_UP;POST_SCALE_UP;TEST_TRAFFIC_SHIFT;POST_TEST_TRAFFIC_SHIFT;PRODUCTION_TRAFFIC_SHIFT;POST_PRODUCTION_TRAFFIC_SHIFT;BAKE_TIME;CLEAN_UP
type LifecycleStage string

// ECS lifecycle stages, in the order a staged deployment goes through them.
const (
	// StageReconcileService: the deployment is being set up.
	StageReconcileService LifecycleStage = "RECONCILE_SERVICE"
	// StagePreScaleUp: before green tasks start.
	StagePreScaleUp LifecycleStage = "PRE_SCALE_UP"
	// StageScaleUp: green tasks start and become healthy.
	StageScaleUp LifecycleStage = "SCALE_UP"
	// StagePostScaleUp: green is at its full count.
	StagePostScaleUp LifecycleStage = "POST_SCALE_UP"
	// StageTestTrafficShift: test traffic (the alternate Service) goes to green.
	StageTestTrafficShift LifecycleStage = "TEST_TRAFFIC_SHIFT"
	// StagePostTestTrafficShift: test traffic is on green.
	StagePostTestTrafficShift LifecycleStage = "POST_TEST_TRAFFIC_SHIFT"
	// StageProductionTrafficShift: production traffic moves to green (at once, or by steps).
	StageProductionTrafficShift LifecycleStage = "PRODUCTION_TRAFFIC_SHIFT"
	// StagePostProductionTrafficShift: all production traffic is on green.
	StagePostProductionTrafficShift LifecycleStage = "POST_PRODUCTION_TRAFFIC_SHIFT"
	// StageBakeTime: blue keeps running for bakeTimeInMinutes in case of a rollback.
	StageBakeTime LifecycleStage = "BAKE_TIME"
	// StageCleanUp: blue tasks stop.
	StageCleanUp LifecycleStage = "CLEAN_UP"
)

// TrafficControl says how a staged deployment moves production traffic.
// +kubebuilder:validation:Enum=ServiceSelector;HTTPRoute;TaskCount;None
type TrafficControl string

// Ways of moving traffic.
const (
	// TrafficServiceSelector: the production Service's selector switches revision in one write.
	TrafficServiceSelector TrafficControl = "ServiceSelector"
	// TrafficHTTPRoute: the HTTPRoute's backendRef weights are written at each step.
	TrafficHTTPRoute TrafficControl = "HTTPRoute"
	// TrafficTaskCount: no HTTPRoute; the share is approximated by task counts behind the
	// production Service, which switches to green alone at the last step.
	TrafficTaskCount TrafficControl = "TaskCount"
	// TrafficNone: the service has no loadBalancers; no traffic stages.
	TrafficNone TrafficControl = "None"
)

// ServiceDeployment is one ECS service deployment (ECS ServiceDeployment), kept in status.
type ServiceDeployment struct {
	// id is the target deployment's id (status.deployments[].id).
	// +required
	// +kubebuilder:validation:MaxLength=64
	ID string `json:"id"`
	// strategy is the deployment strategy it ran with.
	// +required
	Strategy DeploymentStrategy `json:"strategy"`
	// sourceDeployment is the deployment it replaces (blue); empty for a first deployment.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	SourceDeployment string `json:"sourceDeployment,omitempty"`
	// sourceTaskDefinition is the source's "family:revision".
	// +optional
	// +kubebuilder:validation:MaxLength=264
	SourceTaskDefinition string `json:"sourceTaskDefinition,omitempty"`
	// targetTaskDefinition is the target's (green's) "family:revision".
	// +required
	// +kubebuilder:validation:MaxLength=264
	TargetTaskDefinition string `json:"targetTaskDefinition"`
	// images are the target's container images, with the digests they resolved to.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=10
	Images []ContainerImage `json:"images,omitempty"`
	// status is PENDING, IN_PROGRESS, SUCCESSFUL, STOPPED, ROLLBACK_IN_PROGRESS,
	// ROLLBACK_SUCCESSFUL, ...
	// +required
	Status ServiceDeploymentState `json:"status"`
	// statusReason explains status in ECS's words.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	StatusReason string `json:"statusReason,omitempty"`
	// lifecycleStage is the stage a staged deployment is in (empty for ROLLING).
	// +optional
	LifecycleStage LifecycleStage `json:"lifecycleStage,omitempty"`
	// trafficControl is how production traffic moves (empty for ROLLING).
	// +optional
	TrafficControl TrafficControl `json:"trafficControl,omitempty"`
	// targetWeight is the share of production traffic on the target, in tenths of a percent
	// (0 to 1000); the source has 1000 − targetWeight.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	TargetWeight int32 `json:"targetWeight"`
	// hooks are the lifecycle hook calls of the current stage.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	Hooks []HookStatus `json:"hooks,omitempty"`
	// failedTasks is the circuit breaker's failure count of the target.
	// +optional
	FailedTasks int32 `json:"failedTasks,omitempty"`
	// alarms is the alarm monitoring of the deployment (ECS ServiceDeploymentAlarms).
	// +optional
	Alarms *ServiceDeploymentAlarms `json:"alarms,omitempty"`
	// createdAt is when the deployment started.
	// +required
	CreatedAt metav1.Time `json:"createdAt"`
	// stageStartedAt is when lifecycleStage (or its current traffic step) began; bake times
	// count from it.
	// +optional
	StageStartedAt *metav1.Time `json:"stageStartedAt,omitempty"`
	// finishedAt is when it ended (SUCCESSFUL, STOPPED, ROLLBACK_*).
	// +optional
	FinishedAt *metav1.Time `json:"finishedAt,omitempty"`
}

// AlarmsStatus is ECS ServiceDeploymentAlarms.status.
// +kubebuilder:validation:Enum=MONITORING;MONITORING_COMPLETE;TRIGGERED;DISABLED
type AlarmsStatus string

// Alarm monitoring states.
const (
	// AlarmsMonitoring: the queries are evaluated while the deployment runs or bakes.
	AlarmsMonitoring AlarmsStatus = "MONITORING"
	// AlarmsMonitoringComplete: the deployment ended without an alarm firing.
	AlarmsMonitoringComplete AlarmsStatus = "MONITORING_COMPLETE"
	// AlarmsTriggered: an alarm fired and failed the deployment.
	AlarmsTriggered AlarmsStatus = "TRIGGERED"
	// AlarmsDisabled: no alarms were enabled for the deployment.
	AlarmsDisabled AlarmsStatus = "DISABLED"
)

// ServiceDeploymentAlarms is where a deployment's alarm monitoring stands.
type ServiceDeploymentAlarms struct {
	// status is MONITORING, MONITORING_COMPLETE, TRIGGERED or DISABLED.
	// +required
	Status AlarmsStatus `json:"status"`
	// alarmNames are the alarms watched.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	AlarmNames []string `json:"alarmNames,omitempty"`
	// triggeredAlarmNames are the alarms that fired.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	TriggeredAlarmNames []string `json:"triggeredAlarmNames,omitempty"`
	// breaches counts, per alarm, the evaluations in a row that breached (so a restarted
	// controller keeps counting toward evaluationPeriods).
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=10
	Breaches []AlarmBreach `json:"breaches,omitempty"`
	// lastEvaluatedAt is when the queries were last evaluated.
	// +optional
	LastEvaluatedAt *metav1.Time `json:"lastEvaluatedAt,omitempty"`
	// message is the last evaluation's outcome: what breached, or why a query gave no data
	// (INSUFFICIENT_DATA never fires an alarm, as in CloudWatch).
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Message string `json:"message,omitempty"`
}

// AlarmBreach is one alarm's run of breaching evaluations.
type AlarmBreach struct {
	// name of the alarm.
	// +required
	Name string `json:"name"`
	// count of breaching evaluations in a row.
	// +required
	// +kubebuilder:validation:Minimum=0
	Count int32 `json:"count"`
}

// HookState is the answer of a lifecycle hook.
// +kubebuilder:validation:Enum=IN_PROGRESS;SUCCEEDED;FAILED
type HookState string

// Lifecycle hook answers.
const (
	// HookInProgress: call again after callBackDelaySeconds.
	HookInProgress HookState = "IN_PROGRESS"
	// HookSucceeded: the deployment may leave the stage.
	HookSucceeded HookState = "SUCCEEDED"
	// HookFailed: the deployment rolls back.
	HookFailed HookState = "FAILED"
)

// HookStatus is where one lifecycle hook of the current stage stands.
type HookStatus struct {
	// stage is the lifecycle stage the call belongs to.
	// +required
	Stage LifecycleStage `json:"stage"`
	// index is the hook's position in deploymentConfiguration.lifecycleHooks.
	// +required
	// +kubebuilder:validation:Minimum=0
	Index int32 `json:"index"`
	// status is the hook's last answer; empty until it answered.
	// +optional
	Status HookState `json:"status,omitempty"`
	// failedCalls counts calls in a row that got no answer (timeouts, unreachable, bad replies).
	// +optional
	FailedCalls int32 `json:"failedCalls,omitempty"`
	// nextCallAt is when the hook is called again.
	// +optional
	NextCallAt *metav1.Time `json:"nextCallAt,omitempty"`
	// message is the last error or answer.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Message string `json:"message,omitempty"`
}

// ContainerImage is a container's image as a deployment runs it.
type ContainerImage struct {
	// name is the container name.
	// +required
	// +kubebuilder:validation:MaxLength=255
	Name string `json:"name"`
	// image is the image reference, with its digest where resolved.
	// +required
	// +kubebuilder:validation:MaxLength=1024
	Image string `json:"image"`
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
