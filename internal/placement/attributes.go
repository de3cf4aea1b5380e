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

package placement

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// attributePrefix introduces a node attribute in spread fields and memberOf subjects.
const attributePrefix = "attribute:"

// attributeAlias is the node label standing for a built-in ECS attribute, and how the
// attribute's values are spelled on Kubernetes nodes.
type attributeAlias struct {
	label string
	value func(string) string // nil: values are the same
}

// attributeAliases maps the built-in ECS attributes to the well-known node labels, so task
// definitions written for ECS keep working. Any other attribute name is taken as a node label.
var attributeAliases = map[string]attributeAlias{
	"ecs.availability-zone": {label: corev1.LabelTopologyZone},
	"ecs.instance-type":     {label: corev1.LabelInstanceTypeStable},
	"ecs.os-type":           {label: corev1.LabelOSStable, value: strings.ToLower},
	"ecs.cpu-architecture":  {label: corev1.LabelArchStable, value: archValue},
}

// archValue spells an ECS cpu architecture (x86_64, arm64) the way kubernetes.io/arch does
// (amd64, arm64); other values pass through lower-cased.
func archValue(v string) string {
	if strings.EqualFold(v, "x86_64") {
		return "amd64"
	}
	return strings.ToLower(v)
}

// attributeLabel returns the node label an ECS attribute name stands for, and the function
// translating its values (nil when values are unchanged).
func attributeLabel(name string) (string, func(string) string) {
	if a, ok := attributeAliases[name]; ok {
		return a.label, a.value
	}
	return name, nil
}

// checkLabelKey says why key cannot be a node label key, or "" when it can.
func checkLabelKey(key string) string {
	if key == "" {
		return "the attribute name is empty"
	}
	if errs := validation.IsQualifiedName(key); len(errs) > 0 {
		return fmt.Sprintf("%q is not a valid node label key: %s", key, strings.Join(errs, "; "))
	}
	return ""
}

// spreadTopologyKey maps a spread field to the node label to spread over: instanceId and host
// are the node itself, attribute:<name> a built-in alias or any node label.
func spreadTopologyKey(field string) (string, error) {
	switch field {
	case "instanceId", "host":
		return corev1.LabelHostname, nil
	case "":
		return "", fmt.Errorf("a spread strategy needs a field: instanceId, host or attribute:<node label>")
	case "cpu", "memory":
		return "", fmt.Errorf("%q is a binpack field; spread over instanceId, host or attribute:<node label>", field)
	}
	name, ok := strings.CutPrefix(field, attributePrefix)
	if !ok {
		return "", fmt.Errorf("unknown spread field %q; spread over instanceId, host or attribute:<node label>", field)
	}
	key, _ := attributeLabel(name)
	if why := checkLabelKey(key); why != "" {
		return "", fmt.Errorf("spread field %q: %s", field, why)
	}
	return key, nil
}
