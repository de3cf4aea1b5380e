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
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// NetworkMode is the ECS task networking mode.
// +kubebuilder:validation:Enum=awsvpc;bridge;host;none
type NetworkMode string

// ECS network modes and what they become.
const (
	// NetworkModeAWSVPC gives the task its own IP: the ordinary Pod network.
	NetworkModeAWSVPC NetworkMode = "awsvpc"
	// NetworkModeBridge is Docker's bridge: the Pod network plus hostPort mappings.
	NetworkModeBridge NetworkMode = "bridge"
	// NetworkModeHost shares the node's network namespace: hostNetwork: true.
	NetworkModeHost NetworkMode = "host"
	// NetworkModeNone gives the task no external networking: a deny-all NetworkPolicy.
	NetworkModeNone NetworkMode = "none"
)

// PIDMode is the ECS process namespace mode.
// +kubebuilder:validation:Enum=host;task
type PIDMode string

// ECS pid modes.
const (
	// PIDModeHost shares the node's PID namespace: hostPID: true.
	PIDModeHost PIDMode = "host"
	// PIDModeTask shares one PID namespace among the task's containers: shareProcessNamespace.
	PIDModeTask PIDMode = "task"
)

// IPCMode is the ECS IPC namespace mode.
// +kubebuilder:validation:Enum=host;task;none
type IPCMode string

// ECS ipc modes.
const (
	// IPCModeHost shares the node's IPC namespace: hostIPC: true.
	IPCModeHost IPCMode = "host"
	// IPCModeTask shares IPC among the task's containers, which every Pod does.
	IPCModeTask IPCMode = "task"
	// IPCModeNone has no Pod equivalent and is Approximated as task.
	IPCModeNone IPCMode = "none"
)

// Compatibility is an ECS launch type a task definition is validated against.
// +kubebuilder:validation:Enum=EC2;FARGATE;EXTERNAL;MANAGED_INSTANCES
type Compatibility string

// CPUArchitecture is the ECS runtimePlatform CPU architecture.
// +kubebuilder:validation:Enum=X86_64;ARM64
type CPUArchitecture string

// ECS CPU architectures.
const (
	// CPUArchitectureX8664 selects nodes labelled kubernetes.io/arch=amd64.
	CPUArchitectureX8664 CPUArchitecture = "X86_64"
	// CPUArchitectureARM64 selects nodes labelled kubernetes.io/arch=arm64.
	CPUArchitectureARM64 CPUArchitecture = "ARM64"
)

// OSFamily is the ECS runtimePlatform operating system family.
// +kubebuilder:validation:Enum=LINUX;WINDOWS_SERVER_2025_CORE;WINDOWS_SERVER_2025_FULL;WINDOWS_SERVER_2022_CORE;WINDOWS_SERVER_2022_FULL;WINDOWS_SERVER_2019_CORE;WINDOWS_SERVER_2019_FULL;WINDOWS_SERVER_2016_FULL;WINDOWS_SERVER_2004_CORE;WINDOWS_SERVER_20H2_CORE
type OSFamily string

// OSFamilyLinux selects nodes labelled kubernetes.io/os=linux; every WINDOWS_* value selects
// kubernetes.io/os=windows.
const OSFamilyLinux OSFamily = "LINUX"

// TaskDefinition is an ECS task definition family. Every change of spec registers a new
// revision (status.revision counts up from 1) whose spec is kept immutable in an
// apps/v1 ControllerRevision, so a Service can pin "web:3" while "web" moves on.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=taskdef;taskdefs,categories={berth,ecs}
// +kubebuilder:printcolumn:name="Revision",type=integer,JSONPath=`.status.revision`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Translated",type=string,JSONPath=`.status.conditions[?(@.type=="Translated")].reason`
// +kubebuilder:printcolumn:name="Network",type=string,JSONPath=`.spec.networkMode`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 52",message="metadata.name (the family) may be at most 52 characters, so that <family>-<revision> fits in a label value"
// +kubebuilder:validation:XValidation:rule="!has(self.spec.family) || self.spec.family == self.metadata.name",message="spec.family, when set, must equal metadata.name (the family is the object's name)",fieldPath=".spec.family"
type TaskDefinition struct {
	metav1.TypeMeta `json:",inline"`
	// metadata.name is the ECS family. ECS families may hold uppercase letters and "_";
	// here they follow Kubernetes naming (lowercase DNS subdomain).
	// +optional
	metav1.ObjectMeta `json:"metadata,omitzero"`

	// spec is the task definition as ECS registers it.
	// +required
	Spec TaskDefinitionSpec `json:"spec"`

	// status reports the latest revision and whether it translates to a Pod.
	// +optional
	Status TaskDefinitionStatus `json:"status,omitzero"`
}

// TaskDefinitionSpec mirrors ECS RegisterTaskDefinition. The names are ECS's, so an ECS task
// definition's JSON converted to YAML is very nearly a valid spec.
//
// +kubebuilder:validation:XValidation:rule="self.containerDefinitions.exists(c, !has(c.essential) || c.essential)",message="at least one container must be essential",fieldPath=".containerDefinitions"
// +kubebuilder:validation:XValidation:rule="self.containerDefinitions.all(c, !has(c.dependsOn) || c.dependsOn.all(d, d.containerName != c.name && self.containerDefinitions.exists(x, x.name == d.containerName)))",message="dependsOn[].containerName must name another container of this task definition",fieldPath=".containerDefinitions"
// +kubebuilder:validation:XValidation:rule="self.containerDefinitions.all(c, !has(c.dependsOn) || c.dependsOn.all(d, !(d.condition in ['COMPLETE', 'SUCCESS']) || self.containerDefinitions.exists(x, x.name == d.containerName && has(x.essential) && !x.essential)))",message="dependsOn condition COMPLETE or SUCCESS may only target a non-essential container (set essential: false on it)",fieldPath=".containerDefinitions"
// +kubebuilder:validation:XValidation:rule="self.containerDefinitions.all(c, !has(c.volumesFrom) || c.volumesFrom.all(v, v.sourceContainer != c.name && self.containerDefinitions.exists(x, x.name == v.sourceContainer)))",message="volumesFrom[].sourceContainer must name another container of this task definition",fieldPath=".containerDefinitions"
// +kubebuilder:validation:XValidation:rule="self.containerDefinitions.all(c, !has(c.mountPoints) || c.mountPoints.all(m, has(self.volumes) && self.volumes.exists(v, v.name == m.sourceVolume)))",message="mountPoints[].sourceVolume must name a volume in spec.volumes",fieldPath=".containerDefinitions"
// +kubebuilder:validation:XValidation:rule="(has(self.networkMode) && self.networkMode == 'bridge') || self.containerDefinitions.all(c, !has(c.portMappings) || c.portMappings.all(p, !has(p.hostPort) || p.hostPort == p.containerPort))",message="hostPort may differ from containerPort only with networkMode bridge (with awsvpc and host it must be omitted or equal containerPort)",fieldPath=".containerDefinitions"
// +kubebuilder:validation:XValidation:rule="!has(self.networkMode) || self.networkMode != 'none' || self.containerDefinitions.all(c, !has(c.portMappings) || size(c.portMappings) == 0)",message="portMappings are not allowed with networkMode none",fieldPath=".containerDefinitions"
type TaskDefinitionSpec struct {
	// family is the ECS family name. It is optional here because the object's name is the
	// family; it is accepted so ECS JSON converts unchanged and must equal metadata.name.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Family string `json:"family,omitempty"`

	// containerDefinitions are the task's containers (ECS allows up to 10). Each becomes a
	// container, init container or native sidecar of the task Pod; see dependsOn.
	// +required
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=10
	ContainerDefinitions []ContainerDefinition `json:"containerDefinitions"`

	// taskRoleServiceAccountName plays the part of ECS taskRoleArn: the identity the task's
	// code runs as. It becomes the Pod's serviceAccountName.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	TaskRoleServiceAccountName string `json:"taskRoleServiceAccountName,omitempty"`

	// executionServiceAccountName plays the part of ECS executionRoleArn: the identity used
	// to pull images from the bundled registry. Berth keeps a pull Secret for it and lists it
	// in the Pod's imagePullSecrets. Default: berth-task-execution.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	ExecutionServiceAccountName string `json:"executionServiceAccountName,omitempty"`

	// taskRoleArn is accepted so ECS JSON converts unchanged. Kubernetes has no IAM roles:
	// it has no effect and is reported as Approximated; use taskRoleServiceAccountName.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	TaskRoleArn string `json:"taskRoleArn,omitempty"`

	// executionRoleArn is accepted so ECS JSON converts unchanged. It has no effect and is
	// reported as Approximated; use executionServiceAccountName.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	ExecutionRoleArn string `json:"executionRoleArn,omitempty"`

	// networkMode is the ECS networking mode: awsvpc (default, the Pod network), bridge
	// (Pod network plus hostPort mappings), host (hostNetwork) or none (deny-all NetworkPolicy).
	// +optional
	// +kubebuilder:default=awsvpc
	NetworkMode NetworkMode `json:"networkMode,omitempty"`

	// pidMode host becomes hostPID; task becomes shareProcessNamespace.
	// +optional
	PIDMode PIDMode `json:"pidMode,omitempty"`

	// ipcMode host becomes hostIPC; task is what every Pod does; none is Approximated.
	// +optional
	IPCMode IPCMode `json:"ipcMode,omitempty"`

	// cpu is the task-level CPU size: ECS units (1024 = 1 vCPU) or a string such as "1 vCPU".
	// It becomes pod-level resources, requests and limits both the task size: what ECS
	// reserves for the task and the ceiling all its containers share (no container gets a cpu
	// limit of its own). The containers' own cpu may not add up to more.
	// +optional
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]{1,6}|[0-9]{1,3}([.][0-9]{1,3})? ?[vV][cC][pP][uU])$') && !self.matches('^[0. ]*([vV][cC][pP][uU])?$')",message="cpu must be ECS CPU units such as \"1024\" or vCPUs such as \"1 vCPU\", above zero"
	CPU string `json:"cpu,omitempty"`

	// memory is the task-level memory size: MiB ("2048") or a string such as "2 GB". It is a
	// ceiling for the sum of the containers' hard limits.
	// +optional
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]{1,7}|[0-9]{1,4}([.][0-9]{1,3})? ?[gG][bB])$') && !self.matches('^[0. ]*([gG][bB])?$')",message="memory must be MiB such as \"2048\" or GB such as \"2 GB\", above zero"
	Memory string `json:"memory,omitempty"`

	// requiresCompatibilities lists the ECS launch types this definition was written for. It
	// is accepted for compatibility and has no effect on scheduling.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=4
	RequiresCompatibilities []Compatibility `json:"requiresCompatibilities,omitempty"`

	// runtimePlatform selects nodes by CPU architecture and OS family: a nodeSelector on
	// kubernetes.io/arch and kubernetes.io/os.
	// +optional
	RuntimePlatform *RuntimePlatform `json:"runtimePlatform,omitempty"`

	// ephemeralStorage is the task's scratch space. Pods have no pod-level ephemeral-storage
	// limit, so it becomes the ephemeral-storage limit of the first essential container
	// (Approximated); the kubelet evicts the Pod when its containers and emptyDir volumes
	// together use more than the sum of the containers' limits.
	// +optional
	EphemeralStorage *EphemeralStorage `json:"ephemeralStorage,omitempty"`

	// volumes are the task's named volumes, mounted by containers through mountPoints.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=50
	Volumes []Volume `json:"volumes,omitempty"`

	// placementConstraints are memberOf expressions baked into the task definition; they
	// become required node affinity, together with the Service's own constraints.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	PlacementConstraints []TaskDefinitionPlacementConstraint `json:"placementConstraints,omitempty"`

	// proxyConfiguration is ECS App Mesh proxy configuration. It is accepted for
	// compatibility and reported as Approximated: meshes inject their own sidecars.
	// +optional
	ProxyConfiguration *ProxyConfiguration `json:"proxyConfiguration,omitempty"`

	// inferenceAccelerators are Elastic Inference devices (a retired AWS service); accepted
	// and reported as Approximated.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	InferenceAccelerators []InferenceAccelerator `json:"inferenceAccelerators,omitempty"`

	// enableFaultInjection turns on ECS fault-injection endpoints; accepted for ECS
	// compatibility and Approximated (no effect here).
	// +optional
	EnableFaultInjection *bool `json:"enableFaultInjection,omitempty"`

	// tags are ECS key/value tags. With a Service's propagateTags: TASK_DEFINITION they are
	// copied to the task Pods as labels (or annotations where not valid as labels).
	// +optional
	// +listType=map
	// +listMapKey=key
	// +kubebuilder:validation:MaxItems=50
	Tags []Tag `json:"tags,omitempty"`

	// revisionHistoryLimit is how many old revisions no Service uses are kept as
	// ControllerRevisions. Revision numbers never repeat, even after pruning.
	// +optional
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	RevisionHistoryLimit *int32 `json:"revisionHistoryLimit,omitempty"`
}

// RuntimePlatform is ECS runtimePlatform.
type RuntimePlatform struct {
	// cpuArchitecture selects kubernetes.io/arch: X86_64 = amd64, ARM64 = arm64.
	// +optional
	CPUArchitecture CPUArchitecture `json:"cpuArchitecture,omitempty"`
	// operatingSystemFamily selects kubernetes.io/os: LINUX = linux, WINDOWS_* = windows.
	// +optional
	OperatingSystemFamily OSFamily `json:"operatingSystemFamily,omitempty"`
}

// EphemeralStorage is ECS ephemeralStorage.
type EphemeralStorage struct {
	// sizeInGiB is the total scratch space of the task, 21 to 200 GiB as on Fargate. It
	// becomes the ephemeral-storage limit (no request) of the first essential container.
	// +required
	// +kubebuilder:validation:Minimum=21
	// +kubebuilder:validation:Maximum=200
	SizeInGiB int32 `json:"sizeInGiB"`
}

// TaskDefinitionPlacementConstraintType is the only constraint type a task definition allows.
// +kubebuilder:validation:Enum=memberOf
type TaskDefinitionPlacementConstraintType string

// TaskDefinitionPlacementConstraintMemberOf limits the task to nodes matching an expression.
const TaskDefinitionPlacementConstraintMemberOf TaskDefinitionPlacementConstraintType = "memberOf"

// TaskDefinitionPlacementConstraint is an ECS task definition placement constraint.
type TaskDefinitionPlacementConstraint struct {
	// type is memberOf, the only type ECS allows in a task definition.
	// +required
	Type TaskDefinitionPlacementConstraintType `json:"type"`
	// expression is an ECS cluster query language expression, for example
	// "attribute:ecs.availability-zone in [zone-a, zone-b]". It becomes required node
	// affinity; one that cannot be expressed so stalls the Service with a reason.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2000
	Expression string `json:"expression"`
}

// ProxyConfiguration is ECS App Mesh proxy configuration (accepted, Approximated).
type ProxyConfiguration struct {
	// type is APPMESH, the only ECS proxy type.
	// +optional
	// +kubebuilder:validation:Enum=APPMESH
	Type string `json:"type,omitempty"`
	// containerName names the proxy container.
	// +required
	// +kubebuilder:validation:MaxLength=63
	ContainerName string `json:"containerName"`
	// properties are the proxy's settings as name/value pairs.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=20
	Properties []KeyValuePair `json:"properties,omitempty"`
}

// InferenceAccelerator is an ECS Elastic Inference device (accepted, Approximated).
type InferenceAccelerator struct {
	// deviceName is the accelerator's name within the task.
	// +required
	// +kubebuilder:validation:MaxLength=255
	DeviceName string `json:"deviceName"`
	// deviceType is the Elastic Inference accelerator type.
	// +required
	// +kubebuilder:validation:MaxLength=255
	DeviceType string `json:"deviceType"`
}

// KeyValuePair is the ECS name/value pair (environment variables, proxy properties).
type KeyValuePair struct {
	// name of the variable or property.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Name string `json:"name"`
	// value of the variable or property; empty is allowed.
	// +optional
	// +kubebuilder:validation:MaxLength=32768
	Value string `json:"value,omitempty"`
}

// Tag is an ECS tag.
type Tag struct {
	// key of the tag (ECS: up to 128 characters).
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	Key string `json:"key"`
	// value of the tag (ECS: up to 256 characters).
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Value string `json:"value,omitempty"`
}

// Volume is an ECS task volume, or a Kubernetes-native volume source. At most one source may
// be set; with none, the volume is an emptyDir that lives as long as the task (a Docker
// task-scoped volume).
//
// +kubebuilder:validation:XValidation:rule="[has(self.host), has(self.dockerVolumeConfiguration), has(self.efsVolumeConfiguration), has(self.fsxWindowsFileServerVolumeConfiguration), has(self.configuredAtLaunch) && self.configuredAtLaunch, has(self.configMap), has(self.secret), has(self.persistentVolumeClaim)].filter(x, x).size() <= 1",message="a volume may have at most one source: host, dockerVolumeConfiguration, efsVolumeConfiguration, fsxWindowsFileServerVolumeConfiguration, configuredAtLaunch, configMap, secret or persistentVolumeClaim"
type Volume struct {
	// name is referenced by mountPoints[].sourceVolume; it is the Pod volume's name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// host is an ECS bind mount from the node: a hostPath volume.
	// +optional
	Host *HostVolumeProperties `json:"host,omitempty"`

	// dockerVolumeConfiguration is an ECS Docker volume: scope task becomes an emptyDir,
	// scope shared a PersistentVolumeClaim named after the volume.
	// +optional
	DockerVolumeConfiguration *DockerVolumeConfiguration `json:"dockerVolumeConfiguration,omitempty"`

	// efsVolumeConfiguration is an Amazon EFS volume. It is Approximated as a reference to a
	// PersistentVolumeClaim named after the volume (provision it with the EFS CSI driver).
	// +optional
	EFSVolumeConfiguration *EFSVolumeConfiguration `json:"efsVolumeConfiguration,omitempty"`

	// fsxWindowsFileServerVolumeConfiguration is an Amazon FSx for Windows File Server volume;
	// accepted for ECS compatibility and Approximated as a PersistentVolumeClaim reference.
	// +optional
	FSxWindowsFileServerVolumeConfiguration *FSxWindowsFileServerVolumeConfiguration `json:"fsxWindowsFileServerVolumeConfiguration,omitempty"`

	// configuredAtLaunch is accepted for ECS compatibility (EBS volumes configured by the
	// service); it is Approximated as an emptyDir.
	// +optional
	ConfiguredAtLaunch *bool `json:"configuredAtLaunch,omitempty"`

	// configMap is a Kubernetes ConfigMap volume, passed through unchanged.
	// +optional
	ConfigMap *corev1.ConfigMapVolumeSource `json:"configMap,omitempty"`

	// secret is a Kubernetes Secret volume, passed through unchanged.
	// +optional
	Secret *corev1.SecretVolumeSource `json:"secret,omitempty"`

	// persistentVolumeClaim is a Kubernetes PVC volume, passed through unchanged.
	// +optional
	PersistentVolumeClaim *corev1.PersistentVolumeClaimVolumeSource `json:"persistentVolumeClaim,omitempty"`
}

// HostVolumeProperties is ECS host: a path on the node.
type HostVolumeProperties struct {
	// sourcePath is the absolute path on the node; it becomes hostPath.path.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	// +kubebuilder:validation:Pattern=`^/`
	SourcePath string `json:"sourcePath,omitempty"`
}

// DockerVolumeScope is the lifetime of an ECS Docker volume.
// +kubebuilder:validation:Enum=task;shared
type DockerVolumeScope string

// Docker volume scopes.
const (
	// DockerVolumeScopeTask lives as long as the task: an emptyDir.
	DockerVolumeScopeTask DockerVolumeScope = "task"
	// DockerVolumeScopeShared outlives tasks: a PersistentVolumeClaim named after the volume.
	DockerVolumeScopeShared DockerVolumeScope = "shared"
)

// DockerVolumeConfiguration is ECS dockerVolumeConfiguration.
// +kubebuilder:validation:XValidation:rule="!has(self.autoprovision) || !self.autoprovision || (has(self.scope) && self.scope == 'shared')",message="autoprovision is only allowed with scope shared"
type DockerVolumeConfiguration struct {
	// scope is task (emptyDir, default) or shared (a PersistentVolumeClaim named after the
	// volume).
	// +optional
	// +kubebuilder:default=task
	Scope DockerVolumeScope `json:"scope,omitempty"`
	// autoprovision is accepted for compatibility; Berth never creates PersistentVolumeClaims,
	// so a shared volume's claim must exist (Approximated when true).
	// +optional
	Autoprovision *bool `json:"autoprovision,omitempty"`
	// driver is the Docker volume driver; Approximated (storage classes choose drivers here).
	// +optional
	// +kubebuilder:validation:MaxLength=255
	Driver string `json:"driver,omitempty"`
	// driverOpts are Docker driver options; Approximated.
	// +optional
	DriverOpts map[string]string `json:"driverOpts,omitempty"`
	// labels are Docker volume labels; Approximated.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
}

// EFSVolumeConfiguration is ECS efsVolumeConfiguration (Approximated as a PVC reference).
type EFSVolumeConfiguration struct {
	// fileSystemId is the EFS file system.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	FileSystemID string `json:"fileSystemId"`
	// rootDirectory is the directory of the file system to mount.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	RootDirectory string `json:"rootDirectory,omitempty"`
	// transitEncryption is ENABLED or DISABLED.
	// +optional
	// +kubebuilder:validation:Enum=ENABLED;DISABLED
	TransitEncryption string `json:"transitEncryption,omitempty"`
	// transitEncryptionPort is the port used for encrypted traffic.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	TransitEncryptionPort *int32 `json:"transitEncryptionPort,omitempty"`
	// authorizationConfig selects an EFS access point and IAM authorization.
	// +optional
	AuthorizationConfig *EFSAuthorizationConfig `json:"authorizationConfig,omitempty"`
}

// FSxWindowsFileServerVolumeConfiguration is ECS fsxWindowsFileServerVolumeConfiguration.
type FSxWindowsFileServerVolumeConfiguration struct {
	// fileSystemId is the FSx file system.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	FileSystemID string `json:"fileSystemId"`
	// rootDirectory is the directory of the file system to mount.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	RootDirectory string `json:"rootDirectory"`
	// authorizationConfig names the credentials and domain.
	// +required
	AuthorizationConfig FSxAuthorizationConfig `json:"authorizationConfig"`
}

// FSxAuthorizationConfig is ECS FSxWindowsFileServerAuthorizationConfig.
type FSxAuthorizationConfig struct {
	// credentialsParameter names the credentials (an ARN in ECS).
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	CredentialsParameter string `json:"credentialsParameter"`
	// domain is the Active Directory domain.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Domain string `json:"domain"`
}

// EFSAuthorizationConfig is ECS EFSAuthorizationConfig.
type EFSAuthorizationConfig struct {
	// accessPointId is the EFS access point.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	AccessPointID string `json:"accessPointId,omitempty"`
	// iam is ENABLED or DISABLED.
	// +optional
	// +kubebuilder:validation:Enum=ENABLED;DISABLED
	IAM string `json:"iam,omitempty"`
}

// TaskDefinitionStatus reports the registered revisions.
type TaskDefinitionStatus struct {
	// conditions: Ready (the latest revision translates to a Pod) and Translated (Exact, or
	// Approximated with the list of fields).
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=32
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation whose spec the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// revision is the latest revision number; it counts up from 1 and never repeats.
	// +optional
	Revision int64 `json:"revision,omitempty"`

	// latestRevisionName is the ControllerRevision that holds the latest revision's spec.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	LatestRevisionName string `json:"latestRevisionName,omitempty"`

	// activeRevisions are the revisions still used by a Service, plus the latest.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=1000
	ActiveRevisions []int64 `json:"activeRevisions,omitempty"`
}

// +kubebuilder:object:root=true

// TaskDefinitionList is a list of TaskDefinitions.
type TaskDefinitionList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitzero"`
	// items are the TaskDefinitions.
	Items []TaskDefinition `json:"items"`
}
