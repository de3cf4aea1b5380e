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
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/validate/content"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// maxAnnotationBytes is the API server's limit on the total size of an object's annotations.
const maxAnnotationBytes = 256 * 1024

// reservedDomain is Berth's label and annotation domain; dockerLabels may not write in it.
const reservedDomain = "ecs.berth.dev"

// metadata builds the template's labels and annotations: the revision, the essential
// containers, dockerLabels (labels where valid as labels, annotations otherwise) and
// logConfiguration.
func (t *translator) metadata(essential []string) (metav1.ObjectMeta, error) {
	labels := map[string]string{}
	annotations := map[string]string{
		AnnotationEssentialContainers: strings.Join(essential, ","),
	}
	if fam := t.opts.Family; fam != "" {
		annotations[AnnotationFamily] = fam
		value := fam
		if t.opts.Revision > 0 {
			rev := strconv.FormatInt(t.opts.Revision, 10)
			annotations[AnnotationRevision] = rev
			value += "-" + rev
		}
		if len(content.IsLabelValue(value)) == 0 {
			labels[LabelTaskDefinition] = value
		} else {
			t.approximate("family", "the label "+LabelTaskDefinition+" is not set: "+value+" is too long for a label "+
				"value; the annotations "+AnnotationFamily+" and "+AnnotationRevision+" name the revision")
		}
	}

	t.dockerLabels(labels, annotations)
	t.logAnnotations(annotations)

	total := 0
	for k, v := range annotations {
		total += len(k) + len(v)
	}
	if total > maxAnnotationBytes {
		return metav1.ObjectMeta{}, invalid("", "containerDefinitions", "dockerLabels and logConfiguration options need %d bytes "+
			"of Pod annotations, more than Kubernetes' %d", total, maxAnnotationBytes)
	}
	meta := metav1.ObjectMeta{Annotations: annotations}
	if len(labels) > 0 {
		meta.Labels = labels
	}
	return meta, nil
}

// dockerLabels merges the containers' dockerLabels into Pod labels (valid key and value),
// annotations (valid key) or, for keys that are neither, the AnnotationDockerLabels JSON.
// The first container in definition order wins a key.
func (t *translator) dockerLabels(labels, annotations map[string]string) {
	owner := map[string]string{}
	value := map[string]string{}
	rest := map[string]string{}
	for _, d := range t.spec.ContainerDefinitions {
		var restKeys []string
		for _, k := range sortedKeys(d.DockerLabels) {
			v := d.DockerLabels[k]
			f := cfield(d.Name, key("dockerLabels", k))
			if isReserved(k) {
				t.approximate(f, "ignored: the "+reservedDomain+" domain is reserved for Berth's own labels and annotations")
				continue
			}
			if other, dup := owner[k]; dup {
				if value[k] != v {
					t.approximate(f, "ignored: a Pod has one value per label, and container "+other+" sets "+strconv.Quote(value[k]))
				}
				continue
			}
			owner[k], value[k] = d.Name, v
			switch {
			case len(content.IsLabelKey(k)) > 0:
				rest[k] = v
				restKeys = append(restKeys, k)
			case len(content.IsLabelValue(v)) > 0:
				annotations[k] = v
			default:
				labels[k] = v
			}
		}
		if len(restKeys) > 0 {
			t.approximate(cfield(d.Name, "dockerLabels"), "keys that are not valid label or annotation keys ("+
				strings.Join(restKeys, ", ")+") are kept in the "+AnnotationDockerLabels+" annotation, a JSON object")
		}
	}
	if len(rest) > 0 {
		b, err := json.Marshal(rest) // map keys are sorted: deterministic
		if err == nil {
			annotations[AnnotationDockerLabels] = string(b)
		}
	}
}

// logAnnotations keeps each container's logConfiguration as annotations for log agents:
// <container>.logs.ecs.berth.dev/driver and /<option>.
func (t *translator) logAnnotations(annotations map[string]string) {
	for _, d := range t.spec.ContainerDefinitions {
		lc := d.LogConfiguration
		if lc == nil {
			continue
		}
		prefix := d.Name + LogAnnotationSuffix + "/"
		annotations[prefix+"driver"] = lc.LogDriver
		var dropped []string
		for _, k := range sortedKeys(lc.Options) {
			if k == "driver" || len(content.IsLabelKey(prefix+k)) > 0 {
				dropped = append(dropped, k)
				continue
			}
			annotations[prefix+k] = lc.Options[k]
		}
		detail := "logs go to the node's log pipeline (kubectl logs); the " + lc.LogDriver + " driver and its options are " +
			"kept as the annotations " + prefix + "driver and " + prefix + "<option> for log agents"
		if len(dropped) > 0 {
			detail += "; options that cannot be annotation keys are dropped (" + strings.Join(dropped, ", ") + ")"
		}
		if len(lc.SecretOptions) > 0 {
			names := make([]string, len(lc.SecretOptions))
			for i, s := range lc.SecretOptions {
				names[i] = s.Name
			}
			detail += "; secretOptions are not read (" + strings.Join(names, ", ") + ")"
		}
		t.approximate(cfield(d.Name, "logConfiguration"), detail)
	}
}

// isReserved reports a label key in Berth's domain or a subdomain of it.
func isReserved(k string) bool {
	prefix, _, found := strings.Cut(k, "/")
	if !found {
		return false
	}
	prefix = strings.ToLower(prefix)
	return prefix == reservedDomain || strings.HasSuffix(prefix, "."+reservedDomain)
}

// sortedKeys returns a map's keys in order, for deterministic output.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
