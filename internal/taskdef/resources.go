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
	"math/big"
	"regexp"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// ResourceGPU is the extended resource an ECS GPU requirement asks for (the NVIDIA device
// plugin's name, which ECS GPU instances correspond to).
const ResourceGPU corev1.ResourceName = "nvidia.com/gpu"

// Upper bounds that keep the arithmetic far from overflow; both are far above any node.
const (
	maxCPUUnits = 1 << 30 // ECS units (1024 per vCPU)
	maxMiB      = 1 << 30 // MiB
)

// cpuQuantity converts ECS CPU units to Kubernetes CPU: units/1024 cores, as millicores
// rounded up so that a small share never becomes zero.
func cpuQuantity(units int64) resource.Quantity {
	return *resource.NewMilliQuantity((units*1000+1023)/1024, resource.DecimalSI)
}

// mibQuantity is a binary quantity of MiB.
func mibQuantity(mib int64) resource.Quantity {
	return *resource.NewQuantity(mib<<20, resource.BinarySI)
}

// containerResources maps cpu (a request: ECS container cpu is a soft share), memory (the
// hard limit, and the request when memoryReservation is unset), memoryReservation (the
// request) and GPU requirements.
func (t *translator) containerResources(d *ecsv1alpha1.ContainerDefinition) (corev1.ResourceRequirements, error) {
	var rr corev1.ResourceRequirements
	set := func(l *corev1.ResourceList, name corev1.ResourceName, q resource.Quantity) {
		if *l == nil {
			*l = corev1.ResourceList{}
		}
		(*l)[name] = q
	}
	if d.CPU != nil {
		if *d.CPU < 0 {
			return rr, invalid(d.Name, cfield(d.Name, "cpu"), "cpu %d must not be negative", *d.CPU)
		}
		if *d.CPU > 0 {
			set(&rr.Requests, corev1.ResourceCPU, cpuQuantity(int64(*d.CPU)))
		}
	}
	if d.Memory != nil {
		if *d.Memory <= 0 {
			return rr, invalid(d.Name, cfield(d.Name, "memory"), "memory %d MiB must be positive", *d.Memory)
		}
		set(&rr.Limits, corev1.ResourceMemory, mibQuantity(int64(*d.Memory)))
		set(&rr.Requests, corev1.ResourceMemory, mibQuantity(int64(*d.Memory)))
	}
	if d.MemoryReservation != nil {
		if *d.MemoryReservation <= 0 {
			return rr, invalid(d.Name, cfield(d.Name, "memoryReservation"), "memoryReservation %d MiB must be positive", *d.MemoryReservation)
		}
		if d.Memory != nil && *d.MemoryReservation > *d.Memory {
			return rr, invalid(d.Name, cfield(d.Name, "memoryReservation"),
				"memoryReservation %d MiB (the soft limit) exceeds memory %d MiB (the hard limit)", *d.MemoryReservation, *d.Memory)
		}
		set(&rr.Requests, corev1.ResourceMemory, mibQuantity(int64(*d.MemoryReservation)))
	}
	seen := map[ecsv1alpha1.ResourceType]bool{}
	for j, r := range d.ResourceRequirements {
		f := cfield(d.Name, idx("resourceRequirements", j))
		if seen[r.Type] {
			return rr, invalid(d.Name, f+".type", "resource type %s is listed twice", r.Type)
		}
		seen[r.Type] = true
		switch r.Type {
		case ecsv1alpha1.ResourceTypeGPU:
			n, err := strconv.ParseInt(r.Value, 10, 32)
			if err != nil || n < 1 {
				return rr, invalid(d.Name, f+".value", "GPU count %q must be a whole number of at least 1", r.Value)
			}
			set(&rr.Limits, ResourceGPU, *resource.NewQuantity(n, resource.DecimalSI))
		case ecsv1alpha1.ResourceTypeInferenceAccelerator:
			t.approximate(f, "Elastic Inference accelerator "+r.Value+" is not attached: the service is retired and Kubernetes has no equivalent")
		default:
			return rr, invalid(d.Name, f+".type", "%q is neither GPU nor InferenceAccelerator", r.Type)
		}
	}
	return rr, nil
}

// podResources maps task-level cpu and memory to pod-level resources: requests and limits
// both equal the task size, which is what ECS reserves for the task and the ceiling its
// containers share. ephemeralStorage has no pod-level form (pod-level resources take only
// cpu, memory and hugepages) and becomes a limit on the first essential container.
func (t *translator) podResources(pod *corev1.PodSpec, ctrs []corev1.Container) error {
	defs := t.spec.ContainerDefinitions
	var list corev1.ResourceList
	if t.spec.CPU != "" {
		units, err := parseTaskCPU(t.spec.CPU)
		if err != nil {
			return invalidCause("", "cpu", err, "task cpu %q is not ECS units (\"1024\") or vCPUs (\"1 vCPU\")", t.spec.CPU)
		}
		var sum, milli int64
		for i := range defs {
			if defs[i].CPU != nil && *defs[i].CPU > 0 {
				sum += int64(*defs[i].CPU)
				milli += ctrs[i].Resources.Requests.Cpu().MilliValue()
			}
		}
		if sum > units {
			return invalid("", "cpu", "the containers' cpu adds up to %d units, more than the task's %d (%s)", sum, units, t.spec.CPU)
		}
		// Each container's share is rounded up to a millicore; the task's size covers the
		// rounded sum so that the Pod stays valid (a difference of a few millicores at most).
		q := cpuQuantity(units)
		if milli > q.MilliValue() {
			q = *resource.NewMilliQuantity(milli, resource.DecimalSI)
		}
		list = corev1.ResourceList{corev1.ResourceCPU: q}
	}
	if t.spec.Memory != "" {
		mib, err := parseTaskMemory(t.spec.Memory)
		if err != nil {
			return invalidCause("", "memory", err, "task memory %q is not MiB (\"2048\") or GB (\"2 GB\")", t.spec.Memory)
		}
		var sum int64
		for i := range defs {
			d := &defs[i]
			if d.Memory != nil && int64(*d.Memory) > mib {
				return invalid(d.Name, cfield(d.Name, "memory"), "memory %d MiB exceeds the task's memory %d MiB (%s)", *d.Memory, mib, t.spec.Memory)
			}
			switch {
			case d.MemoryReservation != nil && *d.MemoryReservation > 0:
				sum += int64(*d.MemoryReservation)
			case d.Memory != nil && *d.Memory > 0:
				sum += int64(*d.Memory)
			}
		}
		if sum > mib {
			return invalid("", "memory", "the containers' memory reservations add up to %d MiB, more than the task's %d MiB (%s)", sum, mib, t.spec.Memory)
		}
		if list == nil {
			list = corev1.ResourceList{}
		}
		list[corev1.ResourceMemory] = mibQuantity(mib)
	}
	if list != nil {
		pod.Resources = &corev1.ResourceRequirements{Requests: list, Limits: list.DeepCopy()}
	}

	if es := t.spec.EphemeralStorage; es != nil {
		if es.SizeInGiB <= 0 {
			return invalid("", "ephemeralStorage.sizeInGiB", "%d GiB must be positive", es.SizeInGiB)
		}
		for i := range defs {
			if !isEssential(&defs[i]) {
				continue
			}
			if ctrs[i].Resources.Limits == nil {
				ctrs[i].Resources.Limits = corev1.ResourceList{}
			}
			ctrs[i].Resources.Limits[corev1.ResourceEphemeralStorage] = *resource.NewQuantity(int64(es.SizeInGiB)<<30, resource.BinarySI)
			t.approximate("ephemeralStorage", fmt.Sprintf("set as the ephemeral-storage limit of container %s (the first essential one): "+
				"Pods have no pod-level ephemeral-storage limit, but the kubelet evicts the Pod when all its containers and "+
				"emptyDir volumes together use more than the sum of the containers' limits, which is %d GiB", t.names[i], es.SizeInGiB))
			break
		}
	}
	return nil
}

var (
	taskCPUPattern    = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)\s*(?i:vcpu)$`)
	taskMemoryPattern = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)\s*(?i:gb)$`)
	wholePattern      = regexp.MustCompile(`^[0-9]+$`)
)

// parseTaskCPU parses ECS task cpu: units ("1024") or vCPUs ("1 vCPU", "0.25 vcpu"), giving
// units (1024 per vCPU, rounded up).
func parseTaskCPU(s string) (int64, error) {
	return parseSize(s, taskCPUPattern, 1024, maxCPUUnits)
}

// parseTaskMemory parses ECS task memory: MiB ("2048") or GB ("2 GB", ECS's GB being
// 1024 MiB), giving MiB (rounded up).
func parseTaskMemory(s string) (int64, error) {
	return parseSize(s, taskMemoryPattern, 1024, maxMiB)
}

// parseSize parses a whole number of base units, or a decimal number followed by the unit
// that pattern matches, worth factor base units.
func parseSize(s string, pattern *regexp.Regexp, factor, limit int64) (int64, error) {
	s = strings.TrimSpace(s)
	if len(s) > 32 {
		return 0, fmt.Errorf("too long")
	}
	num, scale := s, int64(1)
	if !wholePattern.MatchString(s) {
		m := pattern.FindStringSubmatch(s)
		if m == nil {
			return 0, fmt.Errorf("unknown format")
		}
		num, scale = m[1], factor
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		return 0, fmt.Errorf("not a number")
	}
	r.Mul(r, new(big.Rat).SetInt64(scale))
	q, rem := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if rem.Sign() != 0 {
		q.Add(q, big.NewInt(1))
	}
	if q.Sign() <= 0 {
		return 0, fmt.Errorf("must be greater than zero")
	}
	if !q.IsInt64() || q.Int64() > limit {
		return 0, fmt.Errorf("larger than %d", limit)
	}
	return q.Int64(), nil
}
