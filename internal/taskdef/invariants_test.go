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
	"fmt"
	"reflect"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/api/validate/content"
	"k8s.io/apimachinery/pkg/util/validation"
)

// checkInvariants asserts the parts of Kubernetes Pod validation a translation could break.
// The golden tests and the fuzz target run it on every Pod Translate returns.
func checkInvariants(pod *corev1.PodSpec) error {
	if len(pod.Containers) == 0 {
		return fmt.Errorf("no containers")
	}
	volumes := map[string]bool{}
	for _, v := range pod.Volumes {
		if msgs := validation.IsDNS1123Label(v.Name); len(msgs) > 0 {
			return fmt.Errorf("volume name %q: %v", v.Name, msgs)
		}
		if volumes[v.Name] {
			return fmt.Errorf("volume %q twice", v.Name)
		}
		volumes[v.Name] = true
	}
	names := map[string]bool{}
	portNames := map[string]bool{}
	hostPorts := map[string]bool{}
	var cpuRequests, memRequests resource.Quantity
	for k, c := range slices.Concat(pod.InitContainers, pod.Containers) {
		isInit := k < len(pod.InitContainers)
		if msgs := validation.IsDNS1123Label(c.Name); len(msgs) > 0 {
			return fmt.Errorf("container name %q: %v", c.Name, msgs)
		}
		if names[c.Name] {
			return fmt.Errorf("container %q twice", c.Name)
		}
		names[c.Name] = true
		if c.Image == "" {
			return fmt.Errorf("container %q has no image", c.Name)
		}
		sidecar := c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
		if isInit && !sidecar && (c.LivenessProbe != nil || c.ReadinessProbe != nil || c.StartupProbe != nil) {
			return fmt.Errorf("init container %q has probes", c.Name)
		}
		if len(c.RestartPolicyRules) > 0 && c.RestartPolicy == nil {
			return fmt.Errorf("container %q has restart rules without a restart policy", c.Name)
		}
		for _, p := range []struct {
			kind  string
			probe *corev1.Probe
		}{{"liveness", c.LivenessProbe}, {"readiness", c.ReadinessProbe}, {"startup", c.StartupProbe}} {
			if p.probe == nil {
				continue
			}
			if p.probe.Exec == nil || len(p.probe.Exec.Command) == 0 {
				return fmt.Errorf("container %q: %s probe has no handler", c.Name, p.kind)
			}
			if p.probe.PeriodSeconds < 1 || p.probe.TimeoutSeconds < 1 || p.probe.FailureThreshold < 1 || p.probe.SuccessThreshold != 1 {
				return fmt.Errorf("container %q: %s probe timings %+v", c.Name, p.kind, p.probe)
			}
		}
		paths := map[string]bool{}
		for _, m := range c.VolumeMounts {
			if !volumes[m.Name] {
				return fmt.Errorf("container %q mounts unknown volume %q", c.Name, m.Name)
			}
			if m.MountPath == "" || paths[m.MountPath] {
				return fmt.Errorf("container %q: mount path %q empty or twice", c.Name, m.MountPath)
			}
			paths[m.MountPath] = true
		}
		for _, p := range c.Ports {
			if p.ContainerPort < 1 || p.ContainerPort > 65535 || p.HostPort < 0 || p.HostPort > 65535 {
				return fmt.Errorf("container %q: port %+v", c.Name, p)
			}
			if pod.HostNetwork && p.HostPort != p.ContainerPort {
				return fmt.Errorf("container %q: hostNetwork needs hostPort == containerPort: %+v", c.Name, p)
			}
			if p.Name != "" {
				if len(validation.IsValidPortName(p.Name)) > 0 || portNames[p.Name] {
					return fmt.Errorf("container %q: port name %q invalid or twice", c.Name, p.Name)
				}
				portNames[p.Name] = true
			}
			if p.HostPort != 0 {
				k := fmt.Sprint(p.HostPort, p.Protocol)
				if hostPorts[k] {
					return fmt.Errorf("host port %s twice", k)
				}
				hostPorts[k] = true
			}
		}
		for _, e := range c.Env {
			if len(validation.IsRelaxedEnvVarName(e.Name)) > 0 {
				return fmt.Errorf("container %q: env name %q", c.Name, e.Name)
			}
		}
		if sc := c.SecurityContext; sc != nil && sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation {
			if sc.Privileged != nil && *sc.Privileged {
				return fmt.Errorf("container %q: privileged without privilege escalation", c.Name)
			}
		}
		if r := pod.Resources; r != nil {
			for name, q := range c.Resources.Limits {
				if pl, ok := r.Limits[name]; ok && q.Cmp(pl) > 0 {
					return fmt.Errorf("container %q: %s limit %s above the pod's %s", c.Name, name, q.String(), pl.String())
				}
			}
		}
		if q, ok := c.Resources.Requests[corev1.ResourceCPU]; ok {
			cpuRequests.Add(q)
		}
		if q, ok := c.Resources.Requests[corev1.ResourceMemory]; ok {
			memRequests.Add(q)
		}
		for name, q := range c.Resources.Requests {
			if l, ok := c.Resources.Limits[name]; ok && q.Cmp(l) > 0 {
				return fmt.Errorf("container %q: %s request above limit", c.Name, name)
			}
		}
	}
	if r := pod.Resources; r != nil {
		if q, ok := r.Requests[corev1.ResourceCPU]; ok && cpuRequests.Cmp(q) > 0 {
			return fmt.Errorf("containers request %s cpu, the pod %s", cpuRequests.String(), q.String())
		}
		if q, ok := r.Requests[corev1.ResourceMemory]; ok && memRequests.Cmp(q) > 0 {
			return fmt.Errorf("containers request %s memory, the pod %s", memRequests.String(), q.String())
		}
	}
	if pod.TerminationGracePeriodSeconds == nil || *pod.TerminationGracePeriodSeconds < 0 {
		return fmt.Errorf("terminationGracePeriodSeconds %v", pod.TerminationGracePeriodSeconds)
	}
	if pod.DNSPolicy == corev1.DNSNone && (pod.DNSConfig == nil || len(pod.DNSConfig.Nameservers) == 0) {
		return fmt.Errorf("dnsPolicy None without nameservers")
	}
	if pod.HostNetwork && pod.Hostname != "" {
		return fmt.Errorf("hostname with hostNetwork")
	}
	return nil
}

// checkMetadata asserts that labels and annotations are valid.
func checkMetadata(labels, annotations map[string]string) error {
	for k, v := range labels {
		if len(content.IsLabelKey(k)) > 0 || len(content.IsLabelValue(v)) > 0 {
			return fmt.Errorf("label %q=%q", k, v)
		}
	}
	for k := range annotations {
		if len(content.IsLabelKey(k)) > 0 {
			return fmt.Errorf("annotation key %q", k)
		}
	}
	return nil
}

// scribble overwrites every string, number and bool reachable from v, through pointers,
// slices and maps, so a test can tell whether v shares memory with something else.
func scribble(v any) {
	var walk func(reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Struct:
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i))
				}
			}
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				walk(v.Index(i))
			}
		case reflect.Map:
			for _, k := range v.MapKeys() {
				e := reflect.New(v.Type().Elem()).Elem()
				e.Set(v.MapIndex(k))
				walk(e)
				v.SetMapIndex(k, e)
			}
		case reflect.String:
			if v.CanSet() {
				v.SetString("scribbled")
			}
		case reflect.Int, reflect.Int32, reflect.Int64:
			if v.CanSet() {
				v.SetInt(v.Int() + 7)
			}
		case reflect.Bool:
			if v.CanSet() {
				v.SetBool(!v.Bool())
			}
		}
	}
	walk(reflect.ValueOf(v))
}
