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

package pullthrough

import (
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
)

// Annotations and labels the registry puts on the Repositories it creates.
const (
	// UpstreamAnnotation records the upstream registry and repository a cached Repository
	// holds (<upstreamRegistryUrl>/<repository>), so that two upstream names that map to one
	// Repository name are told apart.
	UpstreamAnnotation = "ecr.berth.dev/upstream"
	// TemplateAnnotation names the RepositoryCreationTemplate the Repository was created from.
	TemplateAnnotation = "ecr.berth.dev/creation-template"
	// RuleLabel names the PullThroughCacheRule (its prefix) that created the Repository.
	RuleLabel = "ecr.berth.dev/pull-through-cache-rule"
)

// SelectTemplate returns the template for a repository created by way under prefix: among
// the templates whose appliedFor includes way, the one whose prefix is prefix, else the ROOT
// one; nil when none matches (the Repository then gets ECR's defaults). Berth's prefixes are
// one path component, so "longest match" is exact-before-ROOT. Of two templates with one
// prefix, the older (then the lower name) wins, so the choice is stable.
func SelectTemplate(templates []ecrv1alpha1.RepositoryCreationTemplate, prefix string, way ecrv1alpha1.AppliedFor) *ecrv1alpha1.RepositoryCreationTemplate {
	var exact, root *ecrv1alpha1.RepositoryCreationTemplate
	for i := range templates {
		t := &templates[i]
		if !slices.Contains(t.Spec.AppliedFor, way) {
			continue
		}
		switch t.Spec.Prefix {
		case prefix:
			exact = older(exact, t)
		case ecrv1alpha1.TemplatePrefixRoot:
			root = older(root, t)
		}
	}
	if exact != nil {
		return exact
	}
	return root
}

func older(a, b *ecrv1alpha1.RepositoryCreationTemplate) *ecrv1alpha1.RepositoryCreationTemplate {
	switch {
	case a == nil:
		return b
	case b.CreationTimestamp.Before(&a.CreationTimestamp):
		return b
	case a.CreationTimestamp.Equal(&b.CreationTimestamp) && b.Name < a.Name:
		return b
	}
	return a
}

// NewRepository is the Repository namespace/name the cache creates for upstream (recorded in
// UpstreamAnnotation) under rule, with the settings of tmpl (nil: ECR's defaults, MUTABLE),
// and, when tmpl has a repositoryPolicy, the RepositoryPolicy named after it. Settings are
// deep copies: the template stays untouched.
func NewRepository(tmpl *ecrv1alpha1.RepositoryCreationTemplate, namespace, name, rule, upstream string) (*ecrv1alpha1.Repository, *ecrv1alpha1.RepositoryPolicy) {
	repo := &ecrv1alpha1.Repository{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:   namespace,
			Name:        name,
			Labels:      map[string]string{RuleLabel: rule},
			Annotations: map[string]string{UpstreamAnnotation: upstream},
		},
		Spec: ecrv1alpha1.RepositorySpec{ImageTagMutability: ecrv1alpha1.Mutable},
	}
	if tmpl == nil {
		return repo, nil
	}
	repo.Annotations[TemplateAnnotation] = tmpl.Name
	for _, t := range tmpl.Spec.ResourceTags {
		if t.Key != RuleLabel {
			repo.Labels[t.Key] = t.Value
		}
	}
	if tmpl.Spec.ImageTagMutability != "" {
		repo.Spec.ImageTagMutability = tmpl.Spec.ImageTagMutability
	}
	repo.Spec.ImageTagMutabilityExclusionFilters = slices.Clone(tmpl.Spec.ImageTagMutabilityExclusionFilters)
	if tmpl.Spec.LifecyclePolicy != nil {
		repo.Spec.LifecyclePolicy = tmpl.Spec.LifecyclePolicy.DeepCopy()
	}
	if len(tmpl.Spec.RepositoryPolicy) == 0 {
		return repo, nil
	}
	pol := &ecrv1alpha1.RepositoryPolicy{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:   namespace,
			Name:        name,
			Labels:      map[string]string{RuleLabel: rule},
			Annotations: map[string]string{TemplateAnnotation: tmpl.Name},
		},
		Spec: ecrv1alpha1.RepositoryPolicySpec{RepositoryName: name},
	}
	for _, s := range tmpl.Spec.RepositoryPolicy {
		pol.Spec.Statements = append(pol.Spec.Statements, *s.DeepCopy())
	}
	return repo, pol
}

// Upstream is the value of UpstreamAnnotation for repository at registry URL base.
func Upstream(base, repository string) string {
	return strings.TrimSuffix(base, "/") + "/" + repository
}

// DefaultTagRefreshInterval is ECR's: a cached tag is checked upstream at most once a day.
const DefaultTagRefreshInterval = 24 * time.Hour

// TagFresh reports whether a tag fetched at fetchedAt may still be served without asking the
// upstream at now; a zero fetchedAt (never fetched) is stale, as is one in the future by more
// than the interval (a clock jump).
func TagFresh(fetchedAt, now time.Time, interval time.Duration) bool {
	if fetchedAt.IsZero() {
		return false
	}
	if interval <= 0 {
		interval = DefaultTagRefreshInterval
	}
	age := now.Sub(fetchedAt)
	return age < interval && age > -interval
}
