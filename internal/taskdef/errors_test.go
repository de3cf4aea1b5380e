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
	"errors"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// specFromYAML decodes a spec strictly, failing the test on a typo.
func specFromYAML(t *testing.T, s string) *ecsv1alpha1.TaskDefinitionSpec {
	t.Helper()
	var spec ecsv1alpha1.TaskDefinitionSpec
	if err := yaml.UnmarshalStrict([]byte(s), &spec); err != nil {
		t.Fatalf("bad test spec: %v\n%s", err, s)
	}
	return &spec
}

// TestTranslateErrors checks that input Kubernetes or ECS cannot accept is an error whose
// message names the field (and through it the container), never an invalid Pod.
func TestTranslateErrors(t *testing.T) {
	tests := []struct {
		name      string
		spec      string
		opts      Options
		sentinel  error
		field     string
		container string
		detail    string // a substring of the message besides the field
	}{{
		name:     "no containers",
		spec:     `containerDefinitions: []`,
		sentinel: ErrInvalid, field: "containerDefinitions", detail: "at least one container",
	}, {
		name:     "invalid container name",
		spec:     `containerDefinitions: [{name: Web_1, image: a}]`,
		sentinel: ErrInvalid, field: "containerDefinitions[0].name", detail: `"Web_1"`,
	}, {
		name:     "duplicate container name",
		spec:     `containerDefinitions: [{name: web, image: a}, {name: web, image: b}]`,
		sentinel: ErrInvalid, field: "containerDefinitions[1].name", container: "web", detail: "already used",
	}, {
		name:     "empty image",
		spec:     `containerDefinitions: [{name: web, image: ""}]`,
		sentinel: ErrInvalid, field: "containerDefinitions[web].image", container: "web",
	}, {
		name:     "no essential container",
		spec:     `containerDefinitions: [{name: web, image: a, essential: false}]`,
		sentinel: ErrInvalid, field: "containerDefinitions", detail: "essential",
	}, {
		name: "dependsOn cycle",
		spec: `containerDefinitions:
- {name: a, image: a, dependsOn: [{containerName: b, condition: START}]}
- {name: b, image: b, dependsOn: [{containerName: c, condition: START}]}
- {name: c, image: c, dependsOn: [{containerName: a, condition: START}]}`,
		sentinel: ErrCycle, field: "containerDefinitions[a].dependsOn", container: "a", detail: "a -> b -> c -> a",
	}, {
		name:     "dependsOn itself",
		spec:     `containerDefinitions: [{name: a, image: a, dependsOn: [{containerName: a, condition: START}]}]`,
		sentinel: ErrCycle, field: "containerDefinitions[a].dependsOn[a].containerName", container: "a",
	}, {
		name:     "dependsOn unknown container",
		spec:     `containerDefinitions: [{name: a, image: a, dependsOn: [{containerName: db, condition: START}]}]`,
		sentinel: ErrUnknownReference, field: "containerDefinitions[a].dependsOn[db].containerName", container: "a", detail: `"db"`,
	}, {
		name: "dependsOn listed twice",
		spec: `containerDefinitions:
- {name: a, image: a, dependsOn: [{containerName: b, condition: START}, {containerName: b, condition: HEALTHY}]}
- {name: b, image: b}`,
		sentinel: ErrInvalid, field: "containerDefinitions[a].dependsOn[b].containerName", container: "a", detail: "twice",
	}, {
		name: "HEALTHY without a health check",
		spec: `containerDefinitions:
- {name: a, image: a, dependsOn: [{containerName: b, condition: HEALTHY}]}
- {name: b, image: b, healthCheck: {command: [NONE]}}`,
		sentinel: ErrInvalid, field: "containerDefinitions[a].dependsOn[b].condition", container: "a", detail: "healthCheck on b",
	}, {
		name: "SUCCESS on an essential container",
		spec: `containerDefinitions:
- {name: a, image: a, dependsOn: [{containerName: b, condition: SUCCESS}]}
- {name: b, image: b}`,
		sentinel: ErrInvalid, field: "containerDefinitions[a].dependsOn[b].condition", container: "a", detail: "b is essential",
	}, {
		name: "unknown condition",
		spec: `containerDefinitions:
- {name: a, image: a, dependsOn: [{containerName: b, condition: RUNNING}]}
- {name: b, image: b}`,
		sentinel: ErrInvalid, field: "containerDefinitions[a].dependsOn[b].condition", container: "a",
	}, {
		name: "mountPoint names an unknown volume",
		spec: `containerDefinitions: [{name: web, image: a, mountPoints: [{sourceVolume: data, containerPath: /data}]}]
volumes: [{name: logs}]`,
		sentinel: ErrUnknownReference, field: "containerDefinitions[web].mountPoints[0].sourceVolume", container: "web", detail: `"data"`,
	}, {
		name: "mountPoint path twice",
		spec: `containerDefinitions: [{name: web, image: a, mountPoints: [{sourceVolume: v, containerPath: /d}, {sourceVolume: v, containerPath: /d}]}]
volumes: [{name: v}]`,
		sentinel: ErrInvalid, field: "containerDefinitions[web].mountPoints[1].containerPath", container: "web",
	}, {
		name: "sharedMemorySize over a /dev/shm mount",
		spec: `containerDefinitions: [{name: web, image: a, mountPoints: [{sourceVolume: v, containerPath: /dev/shm}], linuxParameters: {sharedMemorySize: 64}}]
volumes: [{name: v}]`,
		sentinel: ErrInvalid, field: "containerDefinitions[web].linuxParameters.sharedMemorySize", container: "web",
	}, {
		name: "volumesFrom cycle",
		spec: `containerDefinitions:
- {name: a, image: a, volumesFrom: [{sourceContainer: b}]}
- {name: b, image: b, volumesFrom: [{sourceContainer: a}]}`,
		sentinel: ErrCycle, field: "containerDefinitions[a].volumesFrom", container: "a", detail: "a -> b -> a",
	}, {
		name:     "volumesFrom unknown container",
		spec:     `containerDefinitions: [{name: a, image: a, volumesFrom: [{sourceContainer: ghost}]}]`,
		sentinel: ErrUnknownReference, field: "containerDefinitions[a].volumesFrom[0].sourceContainer", container: "a",
	}, {
		name: "volume with two sources",
		spec: `containerDefinitions: [{name: a, image: a}]
volumes: [{name: v, host: {sourcePath: /x}, efsVolumeConfiguration: {fileSystemId: fs-1}}]`,
		sentinel: ErrInvalid, field: "volumes[v]", detail: "at most one source",
	}, {
		name: "volume defined twice",
		spec: `containerDefinitions: [{name: a, image: a}]
volumes: [{name: v}, {name: v}]`,
		sentinel: ErrInvalid, field: "volumes[v].name",
	}, {
		name: "host path with ..",
		spec: `containerDefinitions: [{name: a, image: a}]
volumes: [{name: v, host: {sourcePath: /var/../etc}}]`,
		sentinel: ErrInvalid, field: "volumes[v].host.sourcePath",
	}, {
		name: "conflicting dnsServers",
		spec: `containerDefinitions:
- {name: a, image: a, dnsServers: [10.0.0.2]}
- {name: b, image: b, dnsServers: [10.0.0.3]}`,
		sentinel: ErrConflict, field: "containerDefinitions[b].dnsServers", container: "b", detail: "container a",
	}, {
		name: "conflicting dnsSearchDomains",
		spec: `containerDefinitions:
- {name: a, image: a, dnsSearchDomains: [a.example]}
- {name: b, image: b, dnsSearchDomains: [a.example, b.example]}`,
		sentinel: ErrConflict, field: "containerDefinitions[b].dnsSearchDomains", container: "b",
	}, {
		name:     "dnsServers not an IP",
		spec:     `containerDefinitions: [{name: a, image: a, dnsServers: [dns.example.com]}]`,
		sentinel: ErrInvalid, field: "containerDefinitions[a].dnsServers[0]", container: "a",
	}, {
		name: "conflicting hostnames",
		spec: `containerDefinitions:
- {name: a, image: a, hostname: one}
- {name: b, image: b, hostname: two}`,
		sentinel: ErrConflict, field: "containerDefinitions[b].hostname", container: "b", detail: "container a",
	}, {
		name:     "extraHosts bad IP",
		spec:     `containerDefinitions: [{name: a, image: a, extraHosts: [{hostname: db, ipAddress: 10.0.0.300}]}]`,
		sentinel: ErrInvalid, field: "containerDefinitions[a].extraHosts[0].ipAddress", container: "a",
	}, {
		name:     "user with three parts",
		spec:     `containerDefinitions: [{name: a, image: a, user: "1:2:3"}]`,
		sentinel: ErrInvalid, field: "containerDefinitions[a].user", container: "a",
	}, {
		name:     "user with an empty part",
		spec:     `containerDefinitions: [{name: a, image: a, user: "1000:"}]`,
		sentinel: ErrInvalid, field: "containerDefinitions[a].user", container: "a",
	}, {
		name:     "user id out of range",
		spec:     `containerDefinitions: [{name: a, image: a, user: "99999999999"}]`,
		sentinel: ErrInvalid, field: "containerDefinitions[a].user", container: "a", detail: "0 to 2147483647",
	}, {
		name:     "user with spaces",
		spec:     `containerDefinitions: [{name: a, image: a, user: "john doe"}]`,
		sentinel: ErrInvalid, field: "containerDefinitions[a].user", container: "a",
	}, {
		name:     "task cpu unparsable",
		spec:     `{cpu: "lots", containerDefinitions: [{name: a, image: a}]}`,
		sentinel: ErrInvalid, field: "cpu", detail: `"lots"`,
	}, {
		name:     "task memory in TB",
		spec:     `{memory: "2 TB", containerDefinitions: [{name: a, image: a}]}`,
		sentinel: ErrInvalid, field: "memory",
	}, {
		name:     "task cpu zero",
		spec:     `{cpu: "0 vCPU", containerDefinitions: [{name: a, image: a}]}`,
		sentinel: ErrInvalid, field: "cpu",
	}, {
		name:     "containers' cpu above the task's",
		spec:     `{cpu: "512", containerDefinitions: [{name: a, image: a, cpu: 256}, {name: b, image: b, cpu: 512}]}`,
		sentinel: ErrInvalid, field: "cpu", detail: "768 units",
	}, {
		name:     "container memory above the task's",
		spec:     `{memory: "1 GB", containerDefinitions: [{name: a, image: a, memory: 2048}]}`,
		sentinel: ErrInvalid, field: "containerDefinitions[a].memory", container: "a",
	}, {
		name:     "containers' memory above the task's",
		spec:     `{memory: "1024", containerDefinitions: [{name: a, image: a, memoryReservation: 600}, {name: b, image: b, memory: 600}]}`,
		sentinel: ErrInvalid, field: "memory", detail: "1200 MiB",
	}, {
		name:     "memoryReservation above memory",
		spec:     `containerDefinitions: [{name: a, image: a, memory: 256, memoryReservation: 512}]`,
		sentinel: ErrInvalid, field: "containerDefinitions[a].memoryReservation", container: "a",
	}, {
		name:     "negative cpu",
		spec:     `containerDefinitions: [{name: a, image: a, cpu: -1}]`,
		sentinel: ErrInvalid, field: "containerDefinitions[a].cpu", container: "a",
	}, {
		name:     "GPU count not a number",
		spec:     `containerDefinitions: [{name: a, image: a, resourceRequirements: [{type: GPU, value: two}]}]`,
		sentinel: ErrInvalid, field: "containerDefinitions[a].resourceRequirements[0].value", container: "a",
	}, {
		name: "conflicting sysctls",
		spec: `containerDefinitions:
- {name: a, image: a, systemControls: [{namespace: net.core.somaxconn, value: "1024"}]}
- {name: b, image: b, systemControls: [{namespace: net.core.somaxconn, value: "4096"}]}`,
		sentinel: ErrConflict, field: "containerDefinitions[b].systemControls[0].value", container: "b", detail: "container a",
	}, {
		name:     "network sysctl with host networking",
		spec:     `{networkMode: host, containerDefinitions: [{name: a, image: a, systemControls: [{namespace: net.core.somaxconn, value: "1"}]}]}`,
		sentinel: ErrInvalid, field: "containerDefinitions[a].systemControls[0].namespace", container: "a",
	}, {
		name:     "IPC sysctl with host IPC",
		spec:     `{ipcMode: host, containerDefinitions: [{name: a, image: a, systemControls: [{namespace: kernel.shmmax, value: "1"}]}]}`,
		sentinel: ErrInvalid, field: "containerDefinitions[a].systemControls[0].namespace", container: "a",
	}, {
		name:     "health check without CMD",
		spec:     `containerDefinitions: [{name: a, image: a, healthCheck: {command: [curl, localhost]}}]`,
		sentinel: ErrInvalid, field: "containerDefinitions[a].healthCheck.command", container: "a",
	}, {
		name:     "health check CMD alone",
		spec:     `containerDefinitions: [{name: a, image: a, healthCheck: {command: [CMD]}}]`,
		sentinel: ErrInvalid, field: "containerDefinitions[a].healthCheck.command", container: "a",
	}, {
		name:     "health check interval zero",
		spec:     `containerDefinitions: [{name: a, image: a, healthCheck: {command: [CMD, "true"], interval: 0}}]`,
		sentinel: ErrInvalid, field: "containerDefinitions[a].healthCheck.interval", container: "a",
	}, {
		name:     "secret from an ARN",
		spec:     `containerDefinitions: [{name: a, image: a, secrets: [{name: X, valueFrom: "arn:aws:secretsmanager:eu-west-1:1:secret:x"}]}]`,
		sentinel: ErrInvalid, field: "containerDefinitions[a].secrets[0].valueFrom", container: "a", detail: "ARN",
	}, {
		name:     "secret key not derivable",
		spec:     `containerDefinitions: [{name: a, image: a, secrets: [{name: "MY VAR", valueFrom: creds}]}]`,
		sentinel: ErrInvalid, field: "containerDefinitions[a].secrets[0].valueFrom", container: "a",
	}, {
		name:     "environment name with =",
		spec:     `containerDefinitions: [{name: a, image: a, environment: [{name: "A=B", value: x}]}]`,
		sentinel: ErrInvalid, field: "containerDefinitions[a].environment[0].name", container: "a",
	}, {
		name:     "environment file not a name",
		spec:     `containerDefinitions: [{name: a, image: a, environmentFiles: [{value: "Not A Name", type: configMap}]}]`,
		sentinel: ErrInvalid, field: "containerDefinitions[a].environmentFiles[0].value", container: "a",
	}, {
		name:     "hostPort differs with awsvpc",
		spec:     `containerDefinitions: [{name: a, image: a, portMappings: [{containerPort: 80, hostPort: 8080}]}]`,
		sentinel: ErrInvalid, field: "containerDefinitions[a].portMappings[0].hostPort", container: "a", detail: "awsvpc",
	}, {
		name:     "ports with networkMode none",
		spec:     `{networkMode: none, containerDefinitions: [{name: a, image: a, portMappings: [{containerPort: 80}]}]}`,
		sentinel: ErrInvalid, field: "containerDefinitions[a].portMappings", container: "a",
	}, {
		name: "host port used twice",
		spec: `networkMode: bridge
containerDefinitions:
- {name: a, image: a, portMappings: [{containerPort: 80, hostPort: 8080}]}
- {name: b, image: b, portMappings: [{containerPort: 81, hostPort: 8080}]}`,
		sentinel: ErrConflict, field: "containerDefinitions[b].portMappings[0].hostPort", container: "b", detail: "container a",
	}, {
		name: "port name used twice",
		spec: `containerDefinitions:
- {name: a, image: a, portMappings: [{containerPort: 80, name: http}]}
- {name: b, image: b, portMappings: [{containerPort: 81, name: http}]}`,
		sentinel: ErrConflict, field: "containerDefinitions[b].portMappings[0].name", container: "b",
	}, {
		name:     "port name all digits",
		spec:     `containerDefinitions: [{name: a, image: a, portMappings: [{containerPort: 80, name: "8080"}]}]`,
		sentinel: ErrInvalid, field: "containerDefinitions[a].portMappings[0].name", container: "a",
	}, {
		name:     "port without containerPort",
		spec:     `containerDefinitions: [{name: a, image: a, portMappings: [{protocol: tcp}]}]`,
		sentinel: ErrInvalid, field: "containerDefinitions[a].portMappings[0].containerPort", container: "a",
	}, {
		name:     "no-new-privileges with privileged",
		spec:     `containerDefinitions: [{name: a, image: a, privileged: true, dockerSecurityOptions: [no-new-privileges]}]`,
		sentinel: ErrInvalid, field: "containerDefinitions[a].dockerSecurityOptions", container: "a", detail: "privileged",
	}, {
		name:     "unknown security option",
		spec:     `containerDefinitions: [{name: a, image: a, dockerSecurityOptions: ["userns:host"]}]`,
		sentinel: ErrInvalid, field: "containerDefinitions[a].dockerSecurityOptions[0]", container: "a",
	}, {
		name:     "label without a value",
		spec:     `containerDefinitions: [{name: a, image: a, dockerSecurityOptions: ["label:type"]}]`,
		sentinel: ErrInvalid, field: "containerDefinitions[a].dockerSecurityOptions[0]", container: "a",
	}, {
		name:     "capability name",
		spec:     `containerDefinitions: [{name: a, image: a, linuxParameters: {capabilities: {add: ["net admin"]}}}]`,
		sentinel: ErrInvalid, field: "containerDefinitions[a].linuxParameters.capabilities.add[0]", container: "a",
	}, {
		name:     "unknown network mode",
		spec:     `{networkMode: nat, containerDefinitions: [{name: a, image: a}]}`,
		sentinel: ErrInvalid, field: "networkMode",
	}, {
		name:     "unknown pid mode",
		spec:     `{pidMode: container, containerDefinitions: [{name: a, image: a}]}`,
		sentinel: ErrInvalid, field: "pidMode",
	}, {
		name:     "unknown ipc mode",
		spec:     `{ipcMode: shareable, containerDefinitions: [{name: a, image: a}]}`,
		sentinel: ErrInvalid, field: "ipcMode",
	}, {
		name:     "unknown architecture",
		spec:     `{runtimePlatform: {cpuArchitecture: RISCV64}, containerDefinitions: [{name: a, image: a}]}`,
		sentinel: ErrInvalid, field: "runtimePlatform.cpuArchitecture",
	}, {
		name:     "invalid digest in options",
		spec:     `containerDefinitions: [{name: a, image: "reg.example:5000/a:1"}]`,
		opts:     Options{Digests: map[string]string{"reg.example:5000/a:1": "sha256:abc"}},
		sentinel: ErrInvalid, field: "containerDefinitions[a].image", container: "a", detail: "digest",
	}, {
		name:     "unknown versionConsistency",
		spec:     `containerDefinitions: [{name: a, image: a, versionConsistency: sometimes}]`,
		sentinel: ErrInvalid, field: "containerDefinitions[a].versionConsistency", container: "a",
	}, {
		name:     "negative stopTimeout",
		spec:     `containerDefinitions: [{name: a, image: a, stopTimeout: -1}]`,
		sentinel: ErrInvalid, field: "containerDefinitions[a].stopTimeout", container: "a",
	}, {
		name:     "service account name",
		spec:     `{taskRoleServiceAccountName: "Not_Valid", containerDefinitions: [{name: a, image: a}]}`,
		sentinel: ErrInvalid, field: "taskRoleServiceAccountName",
	}, {
		name:     "repository credentials ARN",
		spec:     `containerDefinitions: [{name: a, image: a, repositoryCredentials: {credentialsParameter: "arn:aws:secretsmanager:x"}}]`,
		sentinel: ErrInvalid, field: "containerDefinitions[a].repositoryCredentials.credentialsParameter", container: "a",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Translate(specFromYAML(t, tt.spec), tt.opts)
			if err == nil {
				t.Fatalf("Translate succeeded, want an error; template:\n%s", marshalResult(t, res))
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T) is not a *FieldError", err, err)
			}
			if !errors.Is(err, tt.sentinel) {
				t.Errorf("error %v is not %v", err, tt.sentinel)
			}
			if fe.Field != tt.field || fe.Container != tt.container {
				t.Errorf("field, container = %q, %q; want %q, %q (error: %v)", fe.Field, fe.Container, tt.field, tt.container, err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tt.field+": ") || !strings.Contains(msg, tt.detail) {
				t.Errorf("message %q should start with %q and contain %q", msg, tt.field+": ", tt.detail)
			}
			if tt.container != "" && !strings.Contains(msg, tt.container) {
				t.Errorf("message %q does not name container %q", msg, tt.container)
			}
		})
	}
}

// TestTranslateNilSpec checks the one input YAML cannot express.
func TestTranslateNilSpec(t *testing.T) {
	if _, err := Translate(nil, Options{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Translate(nil) = %v, want ErrInvalid", err)
	}
}
