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
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// Kubernetes limits on a Pod's DNS configuration.
const (
	maxNameservers      = 3
	maxSearchDomains    = 32
	maxSearchListLength = 2048
)

// networkMode is the task's network mode with the ECS default (awsvpc) applied.
func (t *translator) networkMode() (ecsv1alpha1.NetworkMode, error) {
	switch m := t.spec.NetworkMode; m {
	case "":
		return ecsv1alpha1.NetworkModeAWSVPC, nil
	case ecsv1alpha1.NetworkModeAWSVPC, ecsv1alpha1.NetworkModeBridge, ecsv1alpha1.NetworkModeHost, ecsv1alpha1.NetworkModeNone:
		return m, nil
	default:
		return "", invalid("", "networkMode", "%q is not awsvpc, bridge, host or none", m)
	}
}

// ports maps portMappings to container ports. hostPort is kept with bridge (ECS's static
// mapping), equals containerPort with host (which the API server would default anyway), and
// is dropped with awsvpc, where it can only repeat containerPort.
func (t *translator) ports(d *ecsv1alpha1.ContainerDefinition) ([]corev1.ContainerPort, error) {
	mode, err := t.networkMode()
	if err != nil {
		return nil, err
	}
	if mode == ecsv1alpha1.NetworkModeNone && len(d.PortMappings) > 0 {
		return nil, invalid(d.Name, cfield(d.Name, "portMappings"), "portMappings are not allowed with networkMode none")
	}
	var ports []corev1.ContainerPort
	var dynamic []string
	for j, pm := range d.PortMappings {
		f := cfield(d.Name, idx("portMappings", j))
		if pm.ContainerPortRange != "" {
			t.approximate(f+".containerPortRange", pm.ContainerPortRange+" is not listed: Kubernetes has no port ranges; "+
				"the ports are still reachable on the Pod's IP, but get no host port")
		}
		if pm.ContainerPort == nil {
			if pm.ContainerPortRange != "" {
				continue
			}
			return nil, invalid(d.Name, f+".containerPort", "containerPort is required (or containerPortRange)")
		}
		cp := *pm.ContainerPort
		if cp < 1 || cp > 65535 {
			return nil, invalid(d.Name, f+".containerPort", "%d is not a port number (1-65535)", cp)
		}
		p := corev1.ContainerPort{Name: pm.Name, ContainerPort: cp}
		switch pm.Protocol {
		case "", "tcp":
			p.Protocol = corev1.ProtocolTCP
		case "udp":
			p.Protocol = corev1.ProtocolUDP
		default:
			return nil, invalid(d.Name, f+".protocol", "%q is neither tcp nor udp", pm.Protocol)
		}
		if pm.Name != "" {
			if msgs := validation.IsValidPortName(pm.Name); len(msgs) > 0 {
				return nil, invalid(d.Name, f+".name", "%q is not a valid port name: %s", pm.Name, strings.Join(msgs, "; "))
			}
		}
		switch hp := pm.HostPort; {
		case mode == ecsv1alpha1.NetworkModeBridge:
			switch {
			case hp == nil || *hp == 0:
				dynamic = append(dynamic, strconv.Itoa(int(cp)))
			case *hp < 0 || *hp > 65535:
				return nil, invalid(d.Name, f+".hostPort", "%d is not a port number (1-65535)", *hp)
			default:
				p.HostPort = *hp
			}
		case hp != nil && *hp != cp:
			return nil, invalid(d.Name, f+".hostPort", "hostPort %d must be omitted or equal containerPort %d with networkMode %s", *hp, cp, mode)
		case mode == ecsv1alpha1.NetworkModeHost:
			p.HostPort = cp
		}
		if err := t.claimPort(d.Name, f, p); err != nil {
			return nil, err
		}
		ports = append(ports, p)
	}
	if len(dynamic) > 0 {
		t.approximate(cfield(d.Name, "portMappings"), "no dynamic host port is allocated (container ports "+
			strings.Join(dynamic, ", ")+"): they are reachable on the Pod's own IP, which is what Berth's load-balancer Services target")
	}
	return ports, nil
}

// claimPort enforces what the API server checks across the Pod: port names and host ports
// are unique. Containers claim in definition order, so the later one is reported.
func (t *translator) claimPort(container, f string, p corev1.ContainerPort) error {
	if t.portNames == nil {
		t.portNames, t.hostPorts = map[string]string{}, map[string]string{}
	}
	if p.Name != "" {
		if other, dup := t.portNames[p.Name]; dup {
			return conflict(container, f+".name", "port name %q is already used by container %s", p.Name, other)
		}
		t.portNames[p.Name] = container
	}
	if p.HostPort != 0 {
		k := fmt.Sprintf("%d/%s", p.HostPort, p.Protocol)
		if other, dup := t.hostPorts[k]; dup {
			return conflict(container, f+".hostPort", "host port %s is already used by container %s", k, other)
		}
		t.hostPorts[k] = container
	}
	return nil
}

// podNetwork sets what the network mode, the hostname, the DNS settings and extraHosts of
// the containers become: one value per Pod, merged over the containers.
func (t *translator) podNetwork(pod *corev1.PodSpec, _ []corev1.Container) error {
	mode, err := t.networkMode()
	if err != nil {
		return err
	}
	pod.HostNetwork = mode == ecsv1alpha1.NetworkModeHost

	if err := t.podHostname(pod); err != nil {
		return err
	}
	if err := t.podDNS(pod); err != nil {
		return err
	}
	if pod.HostNetwork && pod.DNSPolicy == "" {
		// Like an awsvpc task, a host-networked task resolves the cluster's Services (ECS
		// service discovery names), not only the node's resolver.
		pod.DNSPolicy = corev1.DNSClusterFirstWithHostNet
	}
	return t.podHostAliases(pod)
}

// taskWide reports a per-container setting that a Pod only has once, when some containers
// do not set it: they get it too.
func (t *translator) taskWide(field, what string, setters map[string]bool) {
	var others []string
	for _, d := range t.spec.ContainerDefinitions {
		if !setters[d.Name] {
			others = append(others, d.Name)
		}
	}
	if len(others) > 0 {
		t.approximate(field, "applies to the whole task ("+what+"), so also to "+strings.Join(others, ", "))
	}
}

// podHostname sets the Pod's hostname from the containers' hostname, which must agree.
func (t *translator) podHostname(pod *corev1.PodSpec) error {
	var from string
	setters := map[string]bool{}
	for _, d := range t.spec.ContainerDefinitions {
		if d.Hostname == "" {
			continue
		}
		f := cfield(d.Name, "hostname")
		if msgs := validation.IsDNS1123Label(d.Hostname); len(msgs) > 0 {
			return invalid(d.Name, f, "%q is not a valid hostname: %s", d.Hostname, strings.Join(msgs, "; "))
		}
		if pod.Hostname != "" && pod.Hostname != d.Hostname {
			return conflict(d.Name, f, "%q conflicts with hostname %q of container %s: a Pod has one hostname", d.Hostname, pod.Hostname, from)
		}
		if pod.HostNetwork {
			t.approximate(f, "not applied: with networkMode host the task has the node's hostname")
			continue
		}
		if from == "" {
			from = d.Name
		}
		pod.Hostname = d.Hostname
		setters[d.Name] = true
	}
	if from != "" {
		t.taskWide(cfield(from, "hostname"), "a Pod has one hostname", setters)
	}
	return nil
}

// podDNS merges dnsServers and dnsSearchDomains: every container that sets a list must set
// the same one.
func (t *translator) podDNS(pod *corev1.PodSpec) error {
	var servers, searches []string
	var serversFrom, searchesFrom string
	serverSetters, searchSetters := map[string]bool{}, map[string]bool{}
	for _, d := range t.spec.ContainerDefinitions {
		if len(d.DNSServers) > 0 {
			f := cfield(d.Name, "dnsServers")
			if servers != nil && !slices.Equal(servers, d.DNSServers) {
				return conflict(d.Name, f, "%v conflicts with dnsServers %v of container %s: a Pod has one DNS configuration", d.DNSServers, servers, serversFrom)
			}
			if len(d.DNSServers) > maxNameservers {
				return invalid(d.Name, f, "%d servers, at most %d are allowed", len(d.DNSServers), maxNameservers)
			}
			for j, s := range d.DNSServers {
				if errs := validation.IsValidIP(field.NewPath(f).Index(j), s); len(errs) > 0 {
					return invalid(d.Name, idx(f, j), "%q is not an IP address", s)
				}
			}
			if servers == nil {
				serversFrom = d.Name
			}
			servers = d.DNSServers
			serverSetters[d.Name] = true
		}
		if len(d.DNSSearchDomains) > 0 {
			f := cfield(d.Name, "dnsSearchDomains")
			if searches != nil && !slices.Equal(searches, d.DNSSearchDomains) {
				return conflict(d.Name, f, "%v conflicts with dnsSearchDomains %v of container %s: a Pod has one DNS configuration", d.DNSSearchDomains, searches, searchesFrom)
			}
			if len(d.DNSSearchDomains) > maxSearchDomains {
				return invalid(d.Name, f, "%d search domains, at most %d are allowed", len(d.DNSSearchDomains), maxSearchDomains)
			}
			total := 0
			for j, s := range d.DNSSearchDomains {
				if msgs := validation.IsDNS1123Subdomain(strings.TrimSuffix(strings.ToLower(s), ".")); len(msgs) > 0 {
					return invalid(d.Name, idx(f, j), "%q is not a domain name: %s", s, strings.Join(msgs, "; "))
				}
				total += len(s) + 1
			}
			if total > maxSearchListLength {
				return invalid(d.Name, f, "the search list is %d characters long, at most %d are allowed", total, maxSearchListLength)
			}
			if searches == nil {
				searchesFrom = d.Name
			}
			searches = d.DNSSearchDomains
			searchSetters[d.Name] = true
		}
	}
	if servers == nil && searches == nil {
		return nil
	}
	if servers != nil {
		t.taskWide(cfield(serversFrom, "dnsServers"), "a Pod has one DNS configuration", serverSetters)
	}
	if searches != nil {
		t.taskWide(cfield(searchesFrom, "dnsSearchDomains"), "a Pod has one DNS configuration", searchSetters)
	}
	cfg := &corev1.PodDNSConfig{Nameservers: slices.Clone(servers)}
	for _, s := range searches {
		cfg.Searches = append(cfg.Searches, strings.ToLower(s))
	}
	pod.DNSConfig = cfg
	if servers != nil {
		pod.DNSPolicy = corev1.DNSNone
		return nil
	}
	// dnsPolicy None needs a nameserver; without dnsServers the cluster's resolver stays.
	pod.DNSPolicy = corev1.DNSClusterFirst
	if t.spec.NetworkMode == ecsv1alpha1.NetworkModeHost {
		pod.DNSPolicy = corev1.DNSClusterFirstWithHostNet
	}
	t.approximate(cfield(searchesFrom, "dnsSearchDomains"), "added after the cluster's own search domains "+
		"(without dnsServers the cluster's resolver is kept); ECS would use only these")
	return nil
}

// podHostAliases merges extraHosts into hostAliases, one per IP address in order of first
// appearance, each hostname once.
func (t *translator) podHostAliases(pod *corev1.PodSpec) error {
	byIP := map[string]int{}
	seen := map[string]bool{}
	setters := map[string]bool{}
	var from string
	for _, d := range t.spec.ContainerDefinitions {
		if len(d.ExtraHosts) > 0 {
			setters[d.Name] = true
			if from == "" {
				from = d.Name
			}
		}
		for j, h := range d.ExtraHosts {
			f := cfield(d.Name, idx("extraHosts", j))
			if errs := validation.IsValidIP(field.NewPath(f), h.IPAddress); len(errs) > 0 {
				return invalid(d.Name, f+".ipAddress", "%q is not an IP address", h.IPAddress)
			}
			host := strings.ToLower(h.Hostname)
			if msgs := validation.IsDNS1123Subdomain(host); len(msgs) > 0 {
				return invalid(d.Name, f+".hostname", "%q is not a valid hostname: %s", h.Hostname, strings.Join(msgs, "; "))
			}
			k, ok := byIP[h.IPAddress]
			if !ok {
				k = len(pod.HostAliases)
				byIP[h.IPAddress] = k
				pod.HostAliases = append(pod.HostAliases, corev1.HostAlias{IP: h.IPAddress})
			}
			if !seen[h.IPAddress+" "+host] {
				seen[h.IPAddress+" "+host] = true
				pod.HostAliases[k].Hostnames = append(pod.HostAliases[k].Hostnames, host)
			}
		}
	}
	if from != "" {
		t.taskWide(cfield(from, "extraHosts"), "a Pod has one /etc/hosts", setters)
	}
	return nil
}

// podNamespaces maps pidMode and ipcMode, and reports disableNetworking on some containers
// only (it cuts off the whole task).
func (t *translator) podNamespaces(pod *corev1.PodSpec, _ []corev1.Container) error {
	switch t.spec.PIDMode {
	case "":
	case ecsv1alpha1.PIDModeHost:
		pod.HostPID = true
	case ecsv1alpha1.PIDModeTask:
		pod.ShareProcessNamespace = ptr.To(true)
	default:
		return invalid("", "pidMode", "%q is neither host nor task", t.spec.PIDMode)
	}
	switch t.spec.IPCMode {
	case "", ecsv1alpha1.IPCModeTask:
	case ecsv1alpha1.IPCModeHost:
		pod.HostIPC = true
	case ecsv1alpha1.IPCModeNone:
		t.approximate("ipcMode", "none is applied as task: the containers of a Pod always share an IPC namespace")
	default:
		return invalid("", "ipcMode", "%q is not host, task or none", t.spec.IPCMode)
	}
	var off, on []string
	for _, d := range t.spec.ContainerDefinitions {
		if d.DisableNetworking != nil && *d.DisableNetworking {
			off = append(off, d.Name)
		} else {
			on = append(on, d.Name)
		}
	}
	const policy = "a deny-all NetworkPolicy selects the task's Pods: the task keeps its network interface, and its traffic " +
		"is blocked only where the cluster's network plugin enforces NetworkPolicy"
	for _, name := range off {
		detail := policy
		if len(on) > 0 {
			detail += "; it applies to the whole task, so it also cuts off " + strings.Join(on, ", ") +
				" (the containers of a Pod share one network namespace)"
		}
		t.approximate(cfield(name, "disableNetworking"), detail)
	}
	if t.spec.NetworkMode == ecsv1alpha1.NetworkModeNone {
		t.approximate("networkMode", "none: "+policy)
	}
	return nil
}

// disableNetworking reports whether any container asks for no networking.
func (t *translator) disableNetworking() bool {
	for _, d := range t.spec.ContainerDefinitions {
		if d.DisableNetworking != nil && *d.DisableNetworking {
			return true
		}
	}
	return false
}
