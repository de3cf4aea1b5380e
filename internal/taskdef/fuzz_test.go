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
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// FuzzTranslate feeds arbitrary specs to Translate: JSON bytes (seeded with every testdata
// case), then structured edits that byte-level mutation of JSON rarely finds (dependency
// graphs, volumesFrom chains, shared Pod fields). Translate must never panic, and must return
// either a complete *FieldError or a Pod that passes checkInvariants, the same twice over.
func FuzzTranslate(f *testing.F) {
	for i, tc := range loadCases(f) {
		b, err := json.Marshal(tc.spec)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, []byte{}, tc.opts.ContainerRestartRules, len(tc.opts.Digests) > 0)
		f.Add(b, []byte{byte(i), 0, 1, 3, 1, 0, 4, 2, 9, 2, byte(i), 40, 0, 1, 0}, !tc.opts.ContainerRestartRules, true)
	}
	f.Fuzz(func(t *testing.T, data, edits []byte, restartRules, pin bool) {
		var spec ecsv1alpha1.TaskDefinitionSpec
		if err := json.Unmarshal(data, &spec); err != nil {
			return
		}
		applyEdits(&spec, edits)
		opts := Options{
			Family: "fuzz", Revision: 3, RegistryHost: testRegistry, PullSecretName: testPullSecret,
			ContainerRestartRules: restartRules,
		}
		if pin {
			opts.Digests = map[string]string{}
			for _, d := range spec.ContainerDefinitions {
				opts.Digests[d.Image] = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
			}
		}
		if _, err := SpecHash(&spec); err != nil {
			t.Fatalf("SpecHash: %v", err)
		}
		res, err := Translate(&spec, opts)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field == "" || fe.Detail == "" || fe.Err == nil {
				t.Fatalf("error %#v is not a complete *FieldError", err)
			}
			return
		}
		if err := checkInvariants(&res.Template.Spec); err != nil {
			t.Fatalf("invariant: %v\n%s", err, marshalResult(t, res))
		}
		if err := checkMetadata(res.Template.Labels, res.Template.Annotations); err != nil {
			t.Fatalf("invariant: %v", err)
		}
		again, err := Translate(&spec, opts)
		if err != nil {
			t.Fatalf("second Translate failed: %v", err)
		}
		if a, b := marshalResult(t, res), marshalResult(t, again); !bytes.Equal(a, b) {
			t.Fatalf("not deterministic:\n%s\n---\n%s", a, b)
		}
	})
}

// Pools the structured edits pick from: mostly valid values, with a few invalid ones.
var (
	fuzzConditions = []ecsv1alpha1.DependencyCondition{"START", "HEALTHY", "COMPLETE", "SUCCESS", "BOGUS"}
	fuzzPaths      = []string{"/data", "/dev/shm", "/tmp", "/var/log", "/data", "", "relative"}
	fuzzPorts      = []int32{80, 443, 8080, 0, 65535, 70000}
	fuzzPortNames  = []string{"", "http", "metrics", "9000", "http"}
	fuzzModes      = []ecsv1alpha1.NetworkMode{"awsvpc", "bridge", "host", "none", "", "nat"}
	fuzzDNS        = [][]string{{"10.0.0.2"}, {"10.0.0.3"}, {"not-an-ip"}, {"1.1.1.1", "8.8.8.8", "9.9.9.9", "8.8.4.4"}}
	fuzzSysctls    = []ecsv1alpha1.SystemControl{{Namespace: "net.core.somaxconn", Value: "1"}, {Namespace: "net.core.somaxconn", Value: "2"},
		{Namespace: "kernel.shmmax", Value: "1"}, {Namespace: "Bad Name", Value: "x"}}
	fuzzUsers    = []string{"1000", "1000:1000", "nginx", "root", "a:b:c", ":", "99999999999", ""}
	fuzzSecurity = []string{"no-new-privileges", "label:type:spc_t", "label:disable", "apparmor:unconfined", "seccomp:/abs/p.json",
		"seccomp:../up", "credentialspec:gmsa", "credentialspec:file://x.json", "label:level", "bogus"}
	fuzzLabels = []string{"team", "ecs.berth.dev/x", "com.example/a b", "k", "app.kubernetes.io/name"}
	fuzzValues = []string{"v", "has space", "", "x"}
	fuzzSizes  = []string{"1024", "1 vCPU", "0.25 vcpu", "2 GB", "0", "lots", "99999999999999999999"}
)

// applyEdits applies structured edits to a spec, three bytes each: an operation, a
// container (or volume) and an argument.
func applyEdits(s *ecsv1alpha1.TaskDefinitionSpec, edits []byte) {
	for len(edits) >= 3 {
		op, a, b := edits[0], int(edits[1]), int(edits[2])
		edits = edits[3:]
		if op%20 == 14 || len(s.ContainerDefinitions) == 0 {
			s.ContainerDefinitions = append(s.ContainerDefinitions, ecsv1alpha1.ContainerDefinition{
				Name: fmt.Sprintf("c%d", len(s.ContainerDefinitions)), Image: "img:1",
			})
			continue
		}
		n := len(s.ContainerDefinitions)
		c := &s.ContainerDefinitions[a%n]
		other := s.ContainerDefinitions[b%n].Name
		switch op % 20 {
		case 0:
			c.DependsOn = append(c.DependsOn, ecsv1alpha1.ContainerDependency{
				ContainerName: other, Condition: fuzzConditions[(b/n)%len(fuzzConditions)]})
		case 1:
			c.Essential = ptr.To(b%2 == 0)
		case 2:
			switch b % 4 {
			case 0:
				c.HealthCheck = &ecsv1alpha1.HealthCheck{Command: []string{"NONE"}}
			case 1:
				c.HealthCheck = &ecsv1alpha1.HealthCheck{Command: []string{"CMD", "true"}, StartPeriod: ptr.To(int32(b))}
			case 2:
				c.HealthCheck = &ecsv1alpha1.HealthCheck{Command: []string{"CMD-SHELL", "exit 0"}, Interval: ptr.To(int32(b % 7)),
					Retries: ptr.To(int32(b)), Timeout: ptr.To(int32(b % 3))}
			default:
				c.HealthCheck = &ecsv1alpha1.HealthCheck{Command: []string{"CMD"}}
			}
		case 3:
			c.VolumesFrom = append(c.VolumesFrom, ecsv1alpha1.VolumeFrom{SourceContainer: other, ReadOnly: ptr.To(b%2 == 0)})
		case 4:
			vol := fmt.Sprintf("v%d", b%3)
			if b%5 != 0 {
				found := false
				for _, v := range s.Volumes {
					found = found || v.Name == vol
				}
				if !found {
					s.Volumes = append(s.Volumes, ecsv1alpha1.Volume{Name: vol})
				}
			}
			c.MountPoints = append(c.MountPoints, ecsv1alpha1.MountPoint{SourceVolume: vol,
				ContainerPath: fuzzPaths[b%len(fuzzPaths)], ReadOnly: ptr.To(b%2 == 0)})
		case 5:
			if c.LinuxParameters == nil {
				c.LinuxParameters = &ecsv1alpha1.LinuxParameters{}
			}
			if b%2 == 0 {
				c.LinuxParameters.SharedMemorySize = ptr.To(int32(b - 100))
			} else {
				c.LinuxParameters.Tmpfs = append(c.LinuxParameters.Tmpfs, ecsv1alpha1.Tmpfs{
					ContainerPath: fuzzPaths[b%len(fuzzPaths)], Size: int32(b - 10), MountOptions: []string{"noexec"}})
			}
		case 6:
			pm := ecsv1alpha1.PortMapping{ContainerPort: ptr.To(fuzzPorts[b%len(fuzzPorts)]), Name: fuzzPortNames[b%len(fuzzPortNames)]}
			if b%3 == 0 {
				pm.HostPort = ptr.To(fuzzPorts[(b/3)%len(fuzzPorts)])
			}
			if b%7 == 0 {
				pm.Protocol = "udp"
			}
			c.PortMappings = append(c.PortMappings, pm)
		case 7:
			s.NetworkMode = fuzzModes[b%len(fuzzModes)]
		case 8:
			if b%2 == 0 {
				c.DNSServers = fuzzDNS[b%len(fuzzDNS)]
			} else {
				c.DNSSearchDomains = []string{fmt.Sprintf("d%d.example", b%3)}
			}
		case 9:
			c.SystemControls = append(c.SystemControls, fuzzSysctls[b%len(fuzzSysctls)])
		case 10:
			if b%2 == 0 {
				c.StartTimeout = ptr.To(int32(b - 50))
			} else {
				c.StopTimeout = ptr.To(int32(b - 50))
			}
		case 11:
			c.RestartPolicy = &ecsv1alpha1.ContainerRestartPolicy{Enabled: b%4 != 0, IgnoredExitCodes: []int32{int32(b % 3)}}
		case 12:
			c.User = fuzzUsers[b%len(fuzzUsers)]
		case 13:
			c.DockerSecurityOptions = append(c.DockerSecurityOptions, fuzzSecurity[b%len(fuzzSecurity)])
			if b%11 == 0 {
				c.Privileged = ptr.To(true)
			}
		case 15:
			if b%2 == 0 {
				s.CPU = fuzzSizes[b%len(fuzzSizes)]
				c.CPU = ptr.To(int32(b * 8))
			} else {
				s.Memory = fuzzSizes[b%len(fuzzSizes)]
				c.Memory = ptr.To(int32(b * 8))
				c.MemoryReservation = ptr.To(int32(b * 4))
			}
		case 16:
			if c.DockerLabels == nil {
				c.DockerLabels = map[string]string{}
			}
			c.DockerLabels[fuzzLabels[b%len(fuzzLabels)]] = fuzzValues[b%len(fuzzValues)]
		case 17:
			c.Hostname = fmt.Sprintf("h%d", b%2)
		case 18:
			if len(s.Volumes) > 0 {
				v := &s.Volumes[b%len(s.Volumes)]
				switch b % 4 {
				case 0:
					v.Host = &ecsv1alpha1.HostVolumeProperties{SourcePath: "/srv"}
				case 1:
					v.DockerVolumeConfiguration = &ecsv1alpha1.DockerVolumeConfiguration{Scope: "shared", Autoprovision: ptr.To(true)}
				case 2:
					v.EFSVolumeConfiguration = &ecsv1alpha1.EFSVolumeConfiguration{FileSystemID: "fs-1"}
				default:
					v.ConfiguredAtLaunch = ptr.To(true)
				}
			}
		case 19:
			c.ExtraHosts = append(c.ExtraHosts, ecsv1alpha1.HostEntry{Hostname: fmt.Sprintf("h%d.example", b%3), IPAddress: fmt.Sprintf("10.0.0.%d", b)})
		}
	}
}
