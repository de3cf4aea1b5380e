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

package tasks

import (
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// CoreServices returns the core Services an ECS service needs: one per loadBalancers name,
// selecting the service's tasks (the Endpoints hold only ready ones, so tasks get traffic
// once RUNNING and healthy), and a headless one per serviceRegistries entry, giving every
// task a DNS name. Entries that share a name share one Service, with the ports of each.
// template is the current task template; it gives the ports' protocols.
func CoreServices(svc *ecsv1alpha1.Service, template *corev1.PodTemplateSpec) []corev1.Service {
	var out []corev1.Service
	find := func(name string) *corev1.Service {
		for i := range out {
			if out[i].Name == name {
				return &out[i]
			}
		}
		out = append(out, corev1.Service{ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: svc.Namespace, Labels: map[string]string{ecsv1alpha1.ServiceLabel: svc.Name},
		}, Spec: corev1.ServiceSpec{Selector: map[string]string{ecsv1alpha1.ServiceLabel: svc.Name}}})
		return &out[len(out)-1]
	}
	addPort := func(s *corev1.Service, port, target int32, protocol corev1.Protocol) {
		if slices.ContainsFunc(s.Spec.Ports, func(p corev1.ServicePort) bool { return p.Port == port && p.Protocol == protocol }) {
			return
		}
		s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{
			Name:       strings.ToLower(string(protocol)) + "-" + strconv.Itoa(int(port)),
			Port:       port,
			TargetPort: intstr.FromInt32(target),
			Protocol:   protocol,
		})
	}
	for i, lb := range svc.Spec.LoadBalancers {
		port := lb.ContainerPort
		if lb.Port != nil {
			port = *lb.Port
		}
		s := find(LoadBalancerServiceName(svc, i))
		if s.Spec.Type == "" {
			s.Spec.Type = corev1.ServiceTypeClusterIP
			if lb.Type != "" {
				s.Spec.Type = corev1.ServiceType(lb.Type)
			}
		}
		addPort(s, port, lb.ContainerPort, protocolOf(template, lb.ContainerName, lb.ContainerPort))
	}
	for _, reg := range svc.Spec.ServiceRegistries {
		name := reg.Name
		if name == "" {
			name = svc.Name + "-discovery"
		}
		s := find(name)
		s.Spec.ClusterIP = corev1.ClusterIPNone
		s.Spec.Type = corev1.ServiceTypeClusterIP
		if reg.ContainerPort != nil {
			addPort(s, *reg.ContainerPort, *reg.ContainerPort, protocolOf(template, reg.ContainerName, *reg.ContainerPort))
		}
	}
	return out
}

// protocolOf returns the protocol of a container port in the template, TCP when not found.
func protocolOf(template *corev1.PodTemplateSpec, container string, port int32) corev1.Protocol {
	if template == nil {
		return corev1.ProtocolTCP
	}
	for _, list := range [][]corev1.Container{template.Spec.Containers, template.Spec.InitContainers} {
		for _, c := range list {
			if container != "" && c.Name != container {
				continue
			}
			for _, p := range c.Ports {
				if p.ContainerPort == port && p.Protocol != "" {
					return p.Protocol
				}
			}
		}
	}
	return corev1.ProtocolTCP
}

// DenyAllNetworkPolicyName names the NetworkPolicy isolating a service's tasks that have no
// networking.
func DenyAllNetworkPolicyName(service string) string { return service + "-no-network" }

// DenyAllNetworkPolicy selects the service's tasks labelled LabelNetworkIsolated and allows
// them no traffic in either direction: ECS networkMode none and disableNetworking.
func DenyAllNetworkPolicy(svc *ecsv1alpha1.Service) networkingv1.NetworkPolicy {
	return networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{
			Name: DenyAllNetworkPolicyName(svc.Name), Namespace: svc.Namespace,
			Labels: map[string]string{ecsv1alpha1.ServiceLabel: svc.Name},
		},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{
				ecsv1alpha1.ServiceLabel: svc.Name, LabelNetworkIsolated: "true",
			}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
		},
	}
}

// LoadBalancerServiceName is the core Service of loadBalancers[i]: its name, else the service's
// name for the first entry and "<service>-<port>" for later ones.
func LoadBalancerServiceName(svc *ecsv1alpha1.Service, i int) string {
	lb := svc.Spec.LoadBalancers[i]
	port := lb.ContainerPort
	if lb.Port != nil {
		port = *lb.Port
	}
	switch {
	case lb.Name != "":
		return lb.Name
	case i == 0:
		return svc.Name
	default:
		return svc.Name + "-" + strconv.Itoa(int(port))
	}
}
