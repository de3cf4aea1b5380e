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

// ContainerDefinition is an ECS container definition. Each field keeps its ECS name; its doc
// says what it becomes in the task Pod. Fields with no exact Pod equivalent are still accepted,
// approximated, and listed in the TaskDefinition's Translated condition.
//
// +kubebuilder:validation:XValidation:rule="!has(self.memory) || !has(self.memoryReservation) || self.memoryReservation <= self.memory",message="memoryReservation (the soft limit) must not exceed memory (the hard limit)",fieldPath=".memoryReservation"
// +kubebuilder:validation:XValidation:rule="!has(self.healthCheck) || !has(self.healthCheck.timeout) || !has(self.healthCheck.interval) || self.healthCheck.timeout <= self.healthCheck.interval",message="healthCheck.timeout must not exceed healthCheck.interval",fieldPath=".healthCheck.timeout"
type ContainerDefinition struct {
	// name is the container's name, unique in the task. Kubernetes container names are DNS
	// labels, so ECS names with uppercase letters or "_" must be lowercased and use "-".
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// image is the image reference. Images in the bundled registry are pulled with the
	// execution pull Secret and pinned to a digest per deployment (ECS versionConsistency).
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:Pattern=`^[!-~]+$`
	Image string `json:"image"`

	// repositoryCredentials names a kubernetes.io/dockerconfigjson Secret in the namespace
	// (ECS: a Secrets Manager secret); it is added to the Pod's imagePullSecrets.
	// +optional
	RepositoryCredentials *RepositoryCredentials `json:"repositoryCredentials,omitempty"`

	// versionConsistency enabled (default) pins bundled-registry images to the digest the tag
	// had when the deployment started; disabled keeps the tag.
	// +optional
	// +kubebuilder:validation:Enum=enabled;disabled
	VersionConsistency string `json:"versionConsistency,omitempty"`

	// cpu is the container's CPU units (1024 = 1 vCPU): resources.requests.cpu = cpu/1024
	// cores. When the task sets cpu, it is also the ceiling for the containers' limits.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=262144
	CPU *int32 `json:"cpu,omitempty"`

	// memory is the hard memory limit in MiB: resources.limits.memory (and the request too
	// when memoryReservation is unset).
	// +optional
	// +kubebuilder:validation:Minimum=6
	// +kubebuilder:validation:Maximum=4194304
	Memory *int32 `json:"memory,omitempty"`

	// memoryReservation is the soft memory limit in MiB: resources.requests.memory.
	// +optional
	// +kubebuilder:validation:Minimum=6
	// +kubebuilder:validation:Maximum=4194304
	MemoryReservation *int32 `json:"memoryReservation,omitempty"`

	// resourceRequirements asks for GPUs (resources.limits["nvidia.com/gpu"]); the
	// InferenceAccelerator type is accepted and Approximated.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=2
	ResourceRequirements []ResourceRequirement `json:"resourceRequirements,omitempty"`

	// essential (default true): when an essential container exits, the whole task stops and
	// the service starts a replacement. A non-essential container may exit without effect.
	// +optional
	// +kubebuilder:default=true
	Essential *bool `json:"essential,omitempty"`

	// entryPoint is Docker's ENTRYPOINT override: it becomes the container's command.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MaxLength=32768
	EntryPoint []string `json:"entryPoint,omitempty"`

	// command is Docker's CMD override: it becomes the container's args (not command — the
	// classic ECS-to-Kubernetes swap).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MaxLength=32768
	Command []string `json:"command,omitempty"`

	// environment becomes env, in exactly this order (stable GitOps diffs).
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=1000
	Environment []KeyValuePair `json:"environment,omitempty"`

	// environmentFiles become envFrom: each value names a ConfigMap or Secret in the
	// namespace (ECS: .env files in S3).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	EnvironmentFiles []EnvironmentFile `json:"environmentFiles,omitempty"`

	// secrets become env entries with valueFrom.secretKeyRef; valueFrom is "secret-name:key",
	// or "secret-name" with the key equal to name.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=100
	Secrets []Secret `json:"secrets,omitempty"`

	// workingDirectory becomes workingDir.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	WorkingDirectory string `json:"workingDirectory,omitempty"`

	// user is "uid" or "uid:gid" (securityContext.runAsUser / runAsGroup). A user or group
	// name has no Pod equivalent and is Approximated.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	User string `json:"user,omitempty"`

	// privileged becomes securityContext.privileged.
	// +optional
	Privileged *bool `json:"privileged,omitempty"`

	// readonlyRootFilesystem becomes securityContext.readOnlyRootFilesystem.
	// +optional
	ReadonlyRootFilesystem *bool `json:"readonlyRootFilesystem,omitempty"`

	// linuxParameters: capabilities, /dev/shm size, tmpfs mounts and the Docker options that
	// have no Pod equivalent (devices, swap, init).
	// +optional
	LinuxParameters *LinuxParameters `json:"linuxParameters,omitempty"`

	// dockerSecurityOptions: "no-new-privileges" → allowPrivilegeEscalation: false;
	// "label:user|role|type|level:X" → seLinuxOptions; "apparmor:P" → appArmorProfile;
	// "seccomp:P" → seccompProfile.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=20
	// +kubebuilder:validation:items:Pattern=`^(no-new-privileges(:true|:false)?|label:(user|role|type|level|disable)(:.+)?|apparmor:.+|seccomp:.+|credentialspec:.+)$`
	// +kubebuilder:validation:items:MaxLength=4096
	DockerSecurityOptions []string `json:"dockerSecurityOptions,omitempty"`

	// disableNetworking cuts the task off the network: a deny-all NetworkPolicy selecting the
	// task's Pods (enforced only where the CNI implements NetworkPolicy).
	// +optional
	DisableNetworking *bool `json:"disableNetworking,omitempty"`

	// dnsServers become the Pod's dnsConfig.nameservers with dnsPolicy None; values are merged
	// over containers and must not conflict.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=3
	// +kubebuilder:validation:items:MaxLength=45
	DNSServers []string `json:"dnsServers,omitempty"`

	// dnsSearchDomains become the Pod's dnsConfig.searches with dnsPolicy None.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=253
	DNSSearchDomains []string `json:"dnsSearchDomains,omitempty"`

	// extraHosts become the Pod's hostAliases (/etc/hosts entries).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	ExtraHosts []HostEntry `json:"extraHosts,omitempty"`

	// hostname becomes the Pod's hostname (Kubernetes has one per Pod).
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Hostname string `json:"hostname,omitempty"`

	// dockerLabels become Pod labels where key and value are valid labels, annotations
	// otherwise.
	// +optional
	DockerLabels map[string]string `json:"dockerLabels,omitempty"`

	// ulimits have no Pod equivalent (Kubernetes has no per-Pod rlimits); Approximated.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=20
	Ulimits []Ulimit `json:"ulimits,omitempty"`

	// logConfiguration is Approximated: logs go to the node's log pipeline; the driver and
	// options are kept as Pod annotations for log agents to read.
	// +optional
	LogConfiguration *LogConfiguration `json:"logConfiguration,omitempty"`

	// firelensConfiguration marks a FireLens log router; Approximated (run the router as an
	// ordinary sidecar).
	// +optional
	FirelensConfiguration *FirelensConfiguration `json:"firelensConfiguration,omitempty"`

	// healthCheck becomes an exec livenessProbe with the same timings (CMD runs the command,
	// CMD-SHELL runs it with sh -c); it is also the task's health signal.
	// +optional
	HealthCheck *HealthCheck `json:"healthCheck,omitempty"`

	// dependsOn orders container start-up: START and HEALTHY make the dependency a native
	// sidecar started first (HEALTHY with a startupProbe from its healthCheck); COMPLETE and
	// SUCCESS make it an init container. Shutdown is the reverse, as in ECS.
	// +optional
	// +listType=map
	// +listMapKey=containerName
	// +kubebuilder:validation:MaxItems=10
	DependsOn []ContainerDependency `json:"dependsOn,omitempty"`

	// startTimeout is set on a container others depend on: how long (seconds) it may take to
	// reach the condition they wait for. It becomes the startupProbe budget of a HEALTHY
	// dependency and is Approximated for the other conditions.
	// +optional
	// +kubebuilder:validation:Minimum=2
	// +kubebuilder:validation:Maximum=600
	StartTimeout *int32 `json:"startTimeout,omitempty"`

	// stopTimeout is the time between SIGTERM and SIGKILL (seconds, ECS default 30, at most
	// 120): terminationGracePeriodSeconds is the largest stopTimeout of the task.
	// +optional
	// +kubebuilder:validation:Minimum=2
	// +kubebuilder:validation:Maximum=120
	StopTimeout *int32 `json:"stopTimeout,omitempty"`

	// restartPolicy restarts the container in place instead of replacing the task: container
	// restart rules where the cluster supports them, otherwise the Pod's restartPolicy.
	// +optional
	RestartPolicy *ContainerRestartPolicy `json:"restartPolicy,omitempty"`

	// portMappings become container ports. hostPort applies only with networkMode bridge or
	// host; appProtocol is accepted and has no effect.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	PortMappings []PortMapping `json:"portMappings,omitempty"`

	// mountPoints mount task volumes: volumeMounts.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=50
	MountPoints []MountPoint `json:"mountPoints,omitempty"`

	// volumesFrom copies every mount of another container of the task.
	// +optional
	// +listType=map
	// +listMapKey=sourceContainer
	// +kubebuilder:validation:MaxItems=10
	VolumesFrom []VolumeFrom `json:"volumesFrom,omitempty"`

	// systemControls become the Pod's securityContext.sysctls (merged over containers).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=50
	SystemControls []SystemControl `json:"systemControls,omitempty"`

	// interactive becomes stdin.
	// +optional
	Interactive *bool `json:"interactive,omitempty"`

	// pseudoTerminal becomes tty.
	// +optional
	PseudoTerminal *bool `json:"pseudoTerminal,omitempty"`

	// links are legacy bridge-mode links; containers of a Pod share localhost, so they are
	// accepted and Approximated.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:validation:items:MaxLength=255
	Links []string `json:"links,omitempty"`

	// credentialSpecs are Windows gMSA credential specs: windowsOptions.gmsaCredentialSpecName.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=1
	// +kubebuilder:validation:items:MaxLength=4096
	CredentialSpecs []string `json:"credentialSpecs,omitempty"`
}

// RepositoryCredentials is ECS repositoryCredentials.
type RepositoryCredentials struct {
	// credentialsParameter names a kubernetes.io/dockerconfigjson Secret in the namespace.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	CredentialsParameter string `json:"credentialsParameter"`
}

// ResourceType is an ECS resourceRequirements type.
// +kubebuilder:validation:Enum=GPU;InferenceAccelerator
type ResourceType string

// ECS resource types.
const (
	// ResourceTypeGPU asks for whole GPUs: resources.limits["nvidia.com/gpu"].
	ResourceTypeGPU ResourceType = "GPU"
	// ResourceTypeInferenceAccelerator names an inferenceAccelerators device; Approximated.
	ResourceTypeInferenceAccelerator ResourceType = "InferenceAccelerator"
)

// ResourceRequirement is ECS resourceRequirements.
// +kubebuilder:validation:XValidation:rule="self.type != 'GPU' || self.value.matches('^[1-9][0-9]{0,2}$')",message="a GPU value must be a whole number of GPUs from 1 to 999",fieldPath=".value"
type ResourceRequirement struct {
	// type is GPU or InferenceAccelerator.
	// +required
	Type ResourceType `json:"type"`
	// value is the number of GPUs, or the accelerator's deviceName.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	Value string `json:"value"`
}

// EnvironmentFileType is the ECS environment file type.
// +kubebuilder:validation:Enum=s3;configMap;secret
type EnvironmentFileType string

// EnvironmentFile is ECS environmentFiles: here a ConfigMap or Secret in the namespace.
type EnvironmentFile struct {
	// value names the ConfigMap or Secret. An S3 ARN from ECS JSON is kept but cannot be read
	// here; it is Approximated as a ConfigMap named after the object's last path component.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	Value string `json:"value"`
	// type is s3 (ECS; read as a ConfigMap, Approximated), configMap or secret.
	// +optional
	// +kubebuilder:default=configMap
	Type EnvironmentFileType `json:"type,omitempty"`
}

// Secret is ECS secrets: an environment variable read from a Kubernetes Secret.
type Secret struct {
	// name is the environment variable's name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Name string `json:"name"`
	// valueFrom is "secret-name:key", or "secret-name" with the key equal to name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=507
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[-._a-zA-Z0-9]+)?$')",message="valueFrom must name a Kubernetes Secret in the namespace as secret-name:key or secret-name (ECS ARNs of Secrets Manager or SSM cannot be read here; copy the value into a Secret)"
	ValueFrom string `json:"valueFrom"`
}

// LinuxParameters is ECS linuxParameters.
type LinuxParameters struct {
	// capabilities become securityContext.capabilities.
	// +optional
	Capabilities *KernelCapabilities `json:"capabilities,omitempty"`
	// devices are host devices; Approximated (use a device plugin).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=50
	Devices []Device `json:"devices,omitempty"`
	// initProcessEnabled runs an init as PID 1; Approximated (no per-container init).
	// +optional
	InitProcessEnabled *bool `json:"initProcessEnabled,omitempty"`
	// sharedMemorySize is /dev/shm in MiB: a memory-backed emptyDir with this sizeLimit
	// mounted at /dev/shm.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1048576
	SharedMemorySize *int32 `json:"sharedMemorySize,omitempty"`
	// tmpfs mounts become memory-backed emptyDirs (mountOptions are Approximated).
	// +optional
	// +listType=map
	// +listMapKey=containerPath
	// +kubebuilder:validation:MaxItems=20
	Tmpfs []Tmpfs `json:"tmpfs,omitempty"`
	// maxSwap is per-container swap in MiB; Approximated.
	// +optional
	// +kubebuilder:validation:Minimum=0
	MaxSwap *int32 `json:"maxSwap,omitempty"`
	// swappiness is 0 to 100; Approximated.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	Swappiness *int32 `json:"swappiness,omitempty"`
}

// KernelCapabilities is ECS KernelCapabilities.
type KernelCapabilities struct {
	// add lists capabilities to add, such as NET_ADMIN.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:Pattern=`^(CAP_)?[A-Z_]+$`
	// +kubebuilder:validation:items:MaxLength=64
	Add []string `json:"add,omitempty"`
	// drop lists capabilities to drop, or ALL.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:Pattern=`^(CAP_)?[A-Z_]+$`
	// +kubebuilder:validation:items:MaxLength=64
	Drop []string `json:"drop,omitempty"`
}

// Device is an ECS host device (Approximated).
type Device struct {
	// hostPath is the device on the node.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	HostPath string `json:"hostPath"`
	// containerPath is where it appears in the container.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	ContainerPath string `json:"containerPath,omitempty"`
	// permissions are read, write and mknod.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=3
	// +kubebuilder:validation:items:Enum=read;write;mknod
	Permissions []string `json:"permissions,omitempty"`
}

// Tmpfs is an ECS tmpfs mount.
type Tmpfs struct {
	// containerPath is where the tmpfs is mounted.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	// +kubebuilder:validation:Pattern=`^/`
	ContainerPath string `json:"containerPath"`
	// size is the maximum size in MiB: the emptyDir's sizeLimit.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1048576
	Size int32 `json:"size"`
	// mountOptions are tmpfs mount options; Approximated.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=64
	MountOptions []string `json:"mountOptions,omitempty"`
}

// HostEntry is an ECS extraHosts entry: a Pod hostAlias.
type HostEntry struct {
	// hostname to resolve.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Hostname string `json:"hostname"`
	// ipAddress it resolves to.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=45
	IPAddress string `json:"ipAddress"`
}

// UlimitName is an ECS ulimit name.
// +kubebuilder:validation:Enum=core;cpu;data;fsize;locks;memlock;msgqueue;nice;nofile;nproc;rss;rtprio;rttime;sigpending;stack
type UlimitName string

// Ulimit is an ECS ulimit (Approximated: Kubernetes has no per-Pod rlimits).
type Ulimit struct {
	// name of the limit.
	// +required
	Name UlimitName `json:"name"`
	// softLimit of the limit.
	// +required
	SoftLimit int32 `json:"softLimit"`
	// hardLimit of the limit.
	// +required
	HardLimit int32 `json:"hardLimit"`
}

// LogConfiguration is ECS logConfiguration (Approximated, kept as annotations).
type LogConfiguration struct {
	// logDriver is the Docker log driver ECS would use (awslogs, fluentd, splunk, …).
	// +required
	// +kubebuilder:validation:Enum=json-file;syslog;journald;gelf;fluentd;awslogs;splunk;awsfirelens
	LogDriver string `json:"logDriver"`
	// options are the driver's options.
	// +optional
	Options map[string]string `json:"options,omitempty"`
	// secretOptions are driver options read from Secrets.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=20
	SecretOptions []Secret `json:"secretOptions,omitempty"`
}

// FirelensConfiguration is ECS firelensConfiguration (Approximated).
type FirelensConfiguration struct {
	// type is fluentd or fluentbit.
	// +required
	// +kubebuilder:validation:Enum=fluentd;fluentbit
	Type string `json:"type"`
	// options are the router's options.
	// +optional
	Options map[string]string `json:"options,omitempty"`
}

// HealthCheck is an ECS container health check.
// +kubebuilder:validation:XValidation:rule="self.command[0] in ['CMD', 'CMD-SHELL', 'NONE']",message="healthCheck.command must start with CMD, CMD-SHELL or NONE",fieldPath=".command"
// +kubebuilder:validation:XValidation:rule="self.command[0] == 'NONE' || size(self.command) >= 2",message="healthCheck.command needs a command after CMD or CMD-SHELL",fieldPath=".command"
type HealthCheck struct {
	// command is ["CMD", exe, args…] (run directly) or ["CMD-SHELL", "script"] (run with
	// sh -c); it becomes the exec probe's command.
	// +required
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=4096
	Command []string `json:"command"`
	// interval between checks in seconds (5 to 300, default 30): periodSeconds.
	// +optional
	// +kubebuilder:default=30
	// +kubebuilder:validation:Minimum=5
	// +kubebuilder:validation:Maximum=300
	Interval *int32 `json:"interval,omitempty"`
	// timeout of one check in seconds (2 to 60, default 5): timeoutSeconds.
	// +optional
	// +kubebuilder:default=5
	// +kubebuilder:validation:Minimum=2
	// +kubebuilder:validation:Maximum=60
	Timeout *int32 `json:"timeout,omitempty"`
	// retries before the container is unhealthy (1 to 10, default 3): failureThreshold.
	// +optional
	// +kubebuilder:default=3
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10
	Retries *int32 `json:"retries,omitempty"`
	// startPeriod is a grace period in seconds (0 to 300) during which failures do not count:
	// a startupProbe covering it.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=300
	StartPeriod *int32 `json:"startPeriod,omitempty"`
}

// DependencyCondition is the state a dependency must reach before a container starts.
// +kubebuilder:validation:Enum=START;COMPLETE;SUCCESS;HEALTHY
type DependencyCondition string

// ECS dependency conditions.
const (
	// DependencyStart: the dependency has started (a native sidecar).
	DependencyStart DependencyCondition = "START"
	// DependencyComplete: the dependency ran to completion with any exit code. It becomes an
	// init container, which Kubernetes requires to exit 0, so it is Approximated as SUCCESS.
	DependencyComplete DependencyCondition = "COMPLETE"
	// DependencySuccess: the dependency exited 0 (an init container).
	DependencySuccess DependencyCondition = "SUCCESS"
	// DependencyHealthy: the dependency passed its healthCheck (a native sidecar with a
	// startupProbe).
	DependencyHealthy DependencyCondition = "HEALTHY"
)

// ContainerDependency is an ECS dependsOn entry.
type ContainerDependency struct {
	// containerName is the container depended on.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	ContainerName string `json:"containerName"`
	// condition is START, COMPLETE, SUCCESS or HEALTHY.
	// +required
	Condition DependencyCondition `json:"condition"`
}

// ContainerRestartPolicy is ECS restartPolicy.
type ContainerRestartPolicy struct {
	// enabled turns in-place restarts on.
	// +required
	Enabled bool `json:"enabled"`
	// ignoredExitCodes are exit codes that do not restart the container (at most 50).
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=50
	IgnoredExitCodes []int32 `json:"ignoredExitCodes,omitempty"`
	// restartAttemptPeriod is how long (60 to 1800 s, default 300) a container must run
	// before it may be restarted again.
	// +optional
	// +kubebuilder:validation:Minimum=60
	// +kubebuilder:validation:Maximum=1800
	RestartAttemptPeriod *int32 `json:"restartAttemptPeriod,omitempty"`
}

// TransportProtocol is the ECS port protocol (lowercase, as in ECS).
// +kubebuilder:validation:Enum=tcp;udp
type TransportProtocol string

// ApplicationProtocol is the ECS appProtocol of a port mapping.
// +kubebuilder:validation:Enum=http;http2;grpc
type ApplicationProtocol string

// PortMapping is an ECS port mapping: a container port.
type PortMapping struct {
	// containerPort is the port the container listens on.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	ContainerPort *int32 `json:"containerPort,omitempty"`
	// hostPort is the node port. With bridge it may be any port (0 = dynamic); with host it
	// must be omitted or equal containerPort; with awsvpc it is accepted when equal to
	// containerPort (as ECS does) and dropped, since the task has its own IP.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=65535
	HostPort *int32 `json:"hostPort,omitempty"`
	// protocol is tcp (default) or udp.
	// +optional
	// +kubebuilder:default=tcp
	Protocol TransportProtocol `json:"protocol,omitempty"`
	// name names the port (Service Connect in ECS); it becomes the container port's name.
	// +optional
	// +kubebuilder:validation:MaxLength=15
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name,omitempty"`
	// appProtocol is http, http2 or grpc. It is accepted for compatibility and has no effect:
	// neither the task Pod nor the load-balancer Service carries it.
	// +optional
	AppProtocol ApplicationProtocol `json:"appProtocol,omitempty"`
	// containerPortRange is an ECS port range such as "8000-8010"; Kubernetes has no ranges,
	// so it is Approximated by listing nothing (use containerPort).
	// +optional
	// +kubebuilder:validation:MaxLength=11
	// +kubebuilder:validation:Pattern=`^[0-9]{1,5}-[0-9]{1,5}$`
	ContainerPortRange string `json:"containerPortRange,omitempty"`
}

// MountPoint is an ECS mount point: a volumeMount.
type MountPoint struct {
	// sourceVolume names a volume in spec.volumes.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	SourceVolume string `json:"sourceVolume"`
	// containerPath is where it is mounted.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	// +kubebuilder:validation:Pattern=`^/`
	ContainerPath string `json:"containerPath"`
	// readOnly mounts it read-only.
	// +optional
	ReadOnly *bool `json:"readOnly,omitempty"`
}

// VolumeFrom is an ECS volumesFrom entry.
type VolumeFrom struct {
	// sourceContainer is the container whose mounts are copied.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	SourceContainer string `json:"sourceContainer"`
	// readOnly mounts the copies read-only.
	// +optional
	ReadOnly *bool `json:"readOnly,omitempty"`
}

// SystemControl is an ECS systemControls entry: a Pod sysctl.
type SystemControl struct {
	// namespace is the sysctl's name, such as net.core.somaxconn.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9_]+([./][a-z0-9_-]+)*$`
	Namespace string `json:"namespace"`
	// value of the sysctl.
	// +required
	// +kubebuilder:validation:MaxLength=1024
	Value string `json:"value"`
}
