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
	"regexp"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

var (
	// userNamePattern is a user or group name as Docker accepts it.
	userNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*\$?$`)
	// capabilityPattern is a capability name without its CAP_ prefix.
	capabilityPattern = regexp.MustCompile(`^[A-Z0-9_]+$`)
	// sysctlPattern is a sysctl name as the API server accepts it.
	sysctlPattern = regexp.MustCompile(`^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$`)
)

// maxProfileLength bounds AppArmor and seccomp profile names (the kernel's limit on paths).
const maxProfileLength = 4095

// securityContext maps user, privileged, readonlyRootFilesystem, linuxParameters
// capabilities, dockerSecurityOptions and credentialSpecs. It is nil when nothing is set.
func (t *translator) securityContext(d *ecsv1alpha1.ContainerDefinition) (*corev1.SecurityContext, error) {
	sc := &corev1.SecurityContext{}
	if err := t.user(d, sc); err != nil {
		return nil, err
	}
	if d.Privileged != nil {
		sc.Privileged = ptr.To(*d.Privileged)
	}
	if d.ReadonlyRootFilesystem != nil {
		sc.ReadOnlyRootFilesystem = ptr.To(*d.ReadonlyRootFilesystem)
	}
	if lp := d.LinuxParameters; lp != nil && lp.Capabilities != nil {
		f := cfield(d.Name, "linuxParameters", "capabilities")
		add, err := capabilities(d.Name, f+".add", lp.Capabilities.Add)
		if err != nil {
			return nil, err
		}
		drop, err := capabilities(d.Name, f+".drop", lp.Capabilities.Drop)
		if err != nil {
			return nil, err
		}
		if add != nil || drop != nil {
			sc.Capabilities = &corev1.Capabilities{Add: add, Drop: drop}
		}
	}
	if err := t.dockerSecurityOptions(d, sc); err != nil {
		return nil, err
	}
	for j, spec := range d.CredentialSpecs {
		value := strings.TrimPrefix(strings.TrimPrefix(spec, "credentialspecdomainless:"), "credentialspec:")
		if err := t.credentialSpec(d, cfield(d.Name, idx("credentialSpecs", j)), value, sc); err != nil {
			return nil, err
		}
	}
	if sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation && sc.Privileged != nil && *sc.Privileged {
		return nil, invalid(d.Name, cfield(d.Name, "dockerSecurityOptions"),
			"no-new-privileges cannot be combined with privileged: true in Kubernetes")
	}
	t.linuxParameterApproximations(d)
	if *sc == (corev1.SecurityContext{}) {
		return nil, nil
	}
	return sc, nil
}

// user maps "uid[:gid]". User and group names cannot be resolved without the image's
// /etc/passwd, so they are left to the image (Approximated); "root" is always 0.
func (t *translator) user(d *ecsv1alpha1.ContainerDefinition, sc *corev1.SecurityContext) error {
	if d.User == "" {
		return nil
	}
	f := cfield(d.Name, "user")
	parts := strings.Split(d.User, ":")
	if len(parts) > 2 {
		return invalid(d.Name, f, "%q is not user, user:group, uid or uid:gid", d.User)
	}
	var ids [2]*int64
	var names []string
	for k, part := range parts {
		switch {
		case part == "root":
			ids[k] = ptr.To[int64](0)
		case part != "" && strings.Trim(part, "0123456789") == "":
			id, err := strconv.ParseInt(part, 10, 64)
			if err != nil || len(validation.IsValidUserID(id)) > 0 {
				return invalid(d.Name, f, "%q: %s is not a valid ID (0 to 2147483647)", d.User, part)
			}
			ids[k] = ptr.To(id)
		case userNamePattern.MatchString(part):
			names = append(names, part)
		default:
			return invalid(d.Name, f, "%q is not user, user:group, uid or uid:gid", d.User)
		}
	}
	sc.RunAsUser, sc.RunAsGroup = ids[0], ids[1]
	if len(names) > 0 {
		t.approximate(f, "the name "+strings.Join(names, " and ")+" cannot be resolved to a numeric ID (Kubernetes takes "+
			"only IDs), so the image's default is used for it; give a numeric uid[:gid] to set it")
	}
	return nil
}

// capabilities strips the CAP_ prefix Docker accepts and Kubernetes does not use.
func capabilities(container, field string, in []string) ([]corev1.Capability, error) {
	var out []corev1.Capability
	for j, c := range in {
		name := strings.TrimPrefix(c, "CAP_")
		if !capabilityPattern.MatchString(name) {
			return nil, invalid(container, idx(field, j), "%q is not a capability name such as NET_ADMIN", c)
		}
		out = append(out, corev1.Capability(name))
	}
	return out, nil
}

// dockerSecurityOptions maps no-new-privileges, label:, apparmor:, seccomp: and
// credentialspec: options.
func (t *translator) dockerSecurityOptions(d *ecsv1alpha1.ContainerDefinition, sc *corev1.SecurityContext) error {
	for j, opt := range d.DockerSecurityOptions {
		f := cfield(d.Name, idx("dockerSecurityOptions", j))
		kind, value, _ := strings.Cut(opt, ":")
		switch kind {
		case "no-new-privileges":
			switch value {
			case "", "true":
				sc.AllowPrivilegeEscalation = ptr.To(false)
			case "false":
				// Docker's default; nothing to set.
			default:
				return invalid(d.Name, f, "%q: no-new-privileges takes true or false", opt)
			}
		case "label":
			if err := t.seLinuxLabel(d, f, opt, value, sc); err != nil {
				return err
			}
		case "apparmor":
			p, err := appArmorProfile(d.Name, f, opt, value)
			if err != nil {
				return err
			}
			if sc.AppArmorProfile != nil && *sc.AppArmorProfile != *p {
				return invalid(d.Name, f, "%q conflicts with an earlier apparmor option", opt)
			}
			sc.AppArmorProfile = p
		case "seccomp":
			p, err := t.seccompProfile(d.Name, f, opt, value)
			if err != nil {
				return err
			}
			if sc.SeccompProfile != nil && *sc.SeccompProfile != *p {
				return invalid(d.Name, f, "%q conflicts with an earlier seccomp option", opt)
			}
			sc.SeccompProfile = p
		case "credentialspec":
			if err := t.credentialSpec(d, f, value, sc); err != nil {
				return err
			}
		default:
			return invalid(d.Name, f, "%q is not no-new-privileges, label:, apparmor:, seccomp: or credentialspec:", opt)
		}
	}
	return nil
}

// seLinuxLabel maps label:user|role|type|level:X to seLinuxOptions, and label:disable to the
// spc_t type, which is how Kubernetes runs a container without SELinux separation.
func (t *translator) seLinuxLabel(d *ecsv1alpha1.ContainerDefinition, f, opt, value string, sc *corev1.SecurityContext) error {
	part, v, _ := strings.Cut(value, ":")
	if part == "disable" {
		v, part = "spc_t", "type"
		t.approximate(f, "label:disable is applied as the SELinux type spc_t (a super-privileged container), "+
			"Kubernetes' way of turning off SELinux separation")
	} else if v == "" {
		return invalid(d.Name, f, "%q: label: takes user:X, role:X, type:X, level:X or disable", opt)
	}
	if sc.SELinuxOptions == nil {
		sc.SELinuxOptions = &corev1.SELinuxOptions{}
	}
	var dst *string
	switch part {
	case "user":
		dst = &sc.SELinuxOptions.User
	case "role":
		dst = &sc.SELinuxOptions.Role
	case "type":
		dst = &sc.SELinuxOptions.Type
	case "level":
		dst = &sc.SELinuxOptions.Level
	default:
		return invalid(d.Name, f, "%q: label: takes user:X, role:X, type:X, level:X or disable", opt)
	}
	if *dst != "" && *dst != v {
		return invalid(d.Name, f, "%q conflicts with an earlier label:%s option", opt, part)
	}
	*dst = v
	return nil
}

// appArmorProfile maps apparmor:P: unconfined and the runtime's default by name, any other
// name as a profile loaded on the node.
func appArmorProfile(container, f, opt, value string) (*corev1.AppArmorProfile, error) {
	switch value {
	case "unconfined":
		return &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined}, nil
	case "runtime/default", "docker-default":
		return &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeRuntimeDefault}, nil
	}
	name := strings.TrimPrefix(value, "localhost/")
	if name == "" || len(name) > maxProfileLength || strings.ContainsAny(name, " \t\r\n") {
		return nil, invalid(container, f, "%q does not name an AppArmor profile", opt)
	}
	return &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeLocalhost, LocalhostProfile: ptr.To(name)}, nil
}

// seccompProfile maps seccomp:P: unconfined and the runtime's default by name, any other
// value as a profile file. Kubernetes reads such files relative to the kubelet's seccomp
// directory, so an absolute path keeps only its file name (Approximated).
func (t *translator) seccompProfile(container, f, opt, value string) (*corev1.SeccompProfile, error) {
	switch value {
	case "unconfined":
		return &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}, nil
	case "runtime/default", "docker/default", "default", "builtin":
		return &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}, nil
	}
	if value == "" || len(value) > maxProfileLength || strings.ContainsAny(value, " \t\r\n") {
		return nil, invalid(container, f, "%q does not name a seccomp profile", opt)
	}
	path := strings.TrimPrefix(value, "localhost/")
	descends := !strings.HasPrefix(path, "/")
	for _, seg := range strings.Split(path, "/") {
		if seg == ".." {
			descends = false
		}
	}
	if !descends {
		base := path[strings.LastIndexByte(path, '/')+1:]
		if base == "" || base == "." || base == ".." {
			return nil, invalid(container, f, "%q does not name a seccomp profile file", opt)
		}
		t.approximate(f, fmt.Sprintf("Kubernetes loads seccomp profiles from the kubelet's seccomp directory: the profile is "+
			"%s there, so copy %s to it on the nodes", base, path))
		path = base
	}
	return &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeLocalhost, LocalhostProfile: ptr.To(path)}, nil
}

// credentialSpec maps a Windows gMSA credential spec. Kubernetes reads specs from
// GMSACredentialSpec resources, so a value that can name one is used as that name; a file
// or ARN cannot be read here (Approximated, not applied).
func (t *translator) credentialSpec(d *ecsv1alpha1.ContainerDefinition, f, value string, sc *corev1.SecurityContext) error {
	if value == "" {
		return invalid(d.Name, f, "the credential spec is empty")
	}
	if len(validation.IsDNS1123Subdomain(value)) > 0 {
		t.approximate(f, "the credential spec "+value+" cannot be read here: create a GMSACredentialSpec resource from it "+
			"and give its name instead (it becomes windowsOptions.gmsaCredentialSpecName)")
		return nil
	}
	if sc.WindowsOptions != nil && *sc.WindowsOptions.GMSACredentialSpecName != value {
		return invalid(d.Name, f, "%q conflicts with credential spec %q: a container has one", value, *sc.WindowsOptions.GMSACredentialSpecName)
	}
	sc.WindowsOptions = &corev1.WindowsSecurityContextOptions{GMSACredentialSpecName: ptr.To(value)}
	return nil
}

// linuxParameterApproximations reports the linuxParameters Kubernetes cannot express.
func (t *translator) linuxParameterApproximations(d *ecsv1alpha1.ContainerDefinition) {
	lp := d.LinuxParameters
	if lp == nil {
		return
	}
	if lp.InitProcessEnabled != nil && *lp.InitProcessEnabled {
		t.approximate(cfield(d.Name, "linuxParameters", "initProcessEnabled"), "not applied: Kubernetes has no per-container "+
			"init process; use pidMode task (the Pod's pause process reaps zombies) or an init such as tini in the image")
	}
	if len(lp.Devices) > 0 {
		devs := make([]string, 0, len(lp.Devices))
		for _, dev := range lp.Devices {
			devs = append(devs, dev.HostPath)
		}
		t.approximate(cfield(d.Name, "linuxParameters", "devices"), "not applied ("+strings.Join(devs, ", ")+
			"): Kubernetes exposes devices through device plugins or privileged containers")
	}
	if lp.MaxSwap != nil {
		t.approximate(cfield(d.Name, "linuxParameters", "maxSwap"), "not applied: swap is configured per node (kubelet "+
			"memorySwap), not per container")
	}
	if lp.Swappiness != nil {
		t.approximate(cfield(d.Name, "linuxParameters", "swappiness"), "not applied: Kubernetes has no per-container swappiness")
	}
}

// podSysctls merges systemControls into the Pod's sysctls: one value per name.
func (t *translator) podSysctls(pod *corev1.PodSpec, _ []corev1.Container) error {
	from := map[string]string{}
	var sysctls []corev1.Sysctl
	for _, d := range t.spec.ContainerDefinitions {
		for j, s := range d.SystemControls {
			f := cfield(d.Name, idx("systemControls", j))
			if len(s.Namespace) > 253 || !sysctlPattern.MatchString(s.Namespace) {
				return invalid(d.Name, f+".namespace", "%q is not a sysctl name such as net.core.somaxconn", s.Namespace)
			}
			if pod.HostNetwork && strings.HasPrefix(s.Namespace, "net.") {
				return invalid(d.Name, f+".namespace", "%s is not allowed with networkMode host: it would change the node's network settings", s.Namespace)
			}
			if pod.HostIPC && isIPCSysctl(s.Namespace) {
				return invalid(d.Name, f+".namespace", "%s is not allowed with ipcMode host: it would change the node's IPC settings", s.Namespace)
			}
			if other, dup := from[s.Namespace]; dup {
				for _, have := range sysctls {
					if have.Name == s.Namespace && have.Value != s.Value {
						return conflict(d.Name, f+".value", "%s=%q conflicts with %q set by container %s: a Pod has one value per sysctl",
							s.Namespace, s.Value, have.Value, other)
					}
				}
				continue
			}
			from[s.Namespace] = d.Name
			sysctls = append(sysctls, corev1.Sysctl{Name: s.Namespace, Value: s.Value})
		}
	}
	if len(sysctls) > 0 {
		pod.SecurityContext = &corev1.PodSecurityContext{Sysctls: sysctls}
	}
	return nil
}

// isIPCSysctl reports sysctls of the IPC namespace.
func isIPCSysctl(name string) bool {
	return name == "kernel.sem" || strings.HasPrefix(name, "kernel.shm") || strings.HasPrefix(name, "kernel.msg") ||
		strings.HasPrefix(name, "fs.mqueue.")
}
