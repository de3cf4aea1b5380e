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
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// env returns the container's env (environment in exactly its order, then secrets in theirs)
// and envFrom (environmentFiles).
func (t *translator) env(d *ecsv1alpha1.ContainerDefinition) ([]corev1.EnvVar, []corev1.EnvFromSource, error) {
	var env []corev1.EnvVar
	for i, kv := range d.Environment {
		f := cfield(d.Name, idx("environment", i), "name")
		if err := checkEnvName(d.Name, f, kv.Name); err != nil {
			return nil, nil, err
		}
		env = append(env, corev1.EnvVar{Name: kv.Name, Value: kv.Value})
	}
	for i, s := range d.Secrets {
		f := cfield(d.Name, idx("secrets", i))
		if err := checkEnvName(d.Name, f+".name", s.Name); err != nil {
			return nil, nil, err
		}
		ref, err := secretKeyRef(d.Name, f+".valueFrom", s)
		if err != nil {
			return nil, nil, err
		}
		env = append(env, corev1.EnvVar{Name: s.Name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: ref}})
	}

	var from []corev1.EnvFromSource
	for i, ef := range d.EnvironmentFiles {
		f := cfield(d.Name, idx("environmentFiles", i))
		switch ef.Type {
		case "", "configMap":
			if err := checkObjectName(d.Name, f+".value", "ConfigMap", ef.Value); err != nil {
				return nil, nil, err
			}
			from = append(from, corev1.EnvFromSource{ConfigMapRef: &corev1.ConfigMapEnvSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: ef.Value}}})
		case "secret":
			if err := checkObjectName(d.Name, f+".value", "Secret", ef.Value); err != nil {
				return nil, nil, err
			}
			from = append(from, corev1.EnvFromSource{SecretRef: &corev1.SecretEnvSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: ef.Value}}})
		case "s3":
			name := s3ConfigMapName(ef.Value)
			if name == "" {
				return nil, nil, invalid(d.Name, f+".value", "no ConfigMap name can be derived from the S3 object %q", ef.Value)
			}
			from = append(from, corev1.EnvFromSource{ConfigMapRef: &corev1.ConfigMapEnvSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: name}}})
			t.approximate(f, "the S3 object "+ef.Value+" cannot be read here: the variables are read from the ConfigMap "+name+
				" (create it from the file, e.g. kubectl create configmap "+name+" --from-env-file=...)")
		default:
			return nil, nil, invalid(d.Name, f+".type", "%q is not s3, configMap or secret", ef.Type)
		}
	}
	return env, from, nil
}

// checkEnvName rejects names the API server rejects: empty, non-printable or containing "=".
func checkEnvName(container, field, name string) error {
	if msgs := validation.IsRelaxedEnvVarName(name); len(msgs) > 0 {
		return invalid(container, field, "%q is not a valid environment variable name: %s", name, strings.Join(msgs, "; "))
	}
	return nil
}

// secretKeyRef parses an ECS secrets valueFrom: "secret-name:key", or "secret-name" with the
// key equal to the variable's name.
func secretKeyRef(container, field string, s ecsv1alpha1.Secret) (*corev1.SecretKeySelector, error) {
	if strings.HasPrefix(s.ValueFrom, "arn:") {
		return nil, invalid(container, field, "%q is an AWS ARN, which cannot be read here: create a Secret in the namespace and use \"secret-name:key\"", s.ValueFrom)
	}
	name, k, found := strings.Cut(s.ValueFrom, ":")
	if !found {
		k = s.Name
	}
	if err := checkObjectName(container, field, "Secret", name); err != nil {
		return nil, err
	}
	if msgs := validation.IsConfigMapKey(k); len(msgs) > 0 {
		return nil, invalid(container, field, "%q is not a valid Secret key (give one explicitly as \"%s:key\"): %s", k, name, strings.Join(msgs, "; "))
	}
	return &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: k}, nil
}

// checkObjectName rejects a reference that cannot name a Kubernetes object (DNS subdomain).
func checkObjectName(container, field, kind, name string) error {
	if msgs := validation.IsDNS1123Subdomain(name); len(msgs) > 0 {
		return invalid(container, field, "%q is not a valid %s name: %s", name, kind, strings.Join(msgs, "; "))
	}
	return nil
}

// s3ConfigMapName derives a ConfigMap name from an S3 object ARN or path: its last path
// component, lowercased, with characters a name cannot hold replaced by '-'.
func s3ConfigMapName(value string) string {
	last := value[strings.LastIndexAny(value, "/:")+1:]
	var b strings.Builder
	for _, r := range strings.ToLower(last) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	name := b.String()
	if len(name) > validation.DNS1123SubdomainMaxLength {
		name = name[:validation.DNS1123SubdomainMaxLength]
	}
	name = strings.Trim(name, ".-")
	// Collapse what DNS subdomains forbid between dots: "a.-b" and "a..b".
	for _, bad := range []string{".-", "-.", ".."} {
		for strings.Contains(name, bad) {
			name = strings.ReplaceAll(name, bad, ".")
		}
	}
	if len(validation.IsDNS1123Subdomain(name)) > 0 {
		return ""
	}
	return name
}
