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

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AppliedFor is a way of creating repositories that a creation template applies to.
// +kubebuilder:validation:Enum=PULL_THROUGH_CACHE;REPLICATION;CREATE_ON_PUSH
type AppliedFor string

// ECR's appliedFor values. Berth creates repositories only for PULL_THROUGH_CACHE today; the
// others are accepted so that templates written for ECR apply unchanged.
const (
	AppliedForPullThroughCache AppliedFor = "PULL_THROUGH_CACHE"
	AppliedForReplication      AppliedFor = "REPLICATION"
	AppliedForCreateOnPush     AppliedFor = "CREATE_ON_PUSH"
)

// TemplatePrefixRoot is the prefix of a template that applies to every repository its
// appliedFor covers, when no template with a longer prefix matches.
const TemplatePrefixRoot = "ROOT"

// RepositoryCreationTemplate is an ECR repository creation template for its namespace: the
// settings a Repository gets when Berth creates it (for a pull through cache), chosen by the
// longest prefix that matches the repository path (<prefix>/...), ROOT matching every path.
// The settings are copied at creation; changing the template later changes no Repository.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=repotemplate;repotemplates,categories={berth,ecr}
// +kubebuilder:printcolumn:name="Prefix",type=string,JSONPath=`.spec.prefix`
// +kubebuilder:printcolumn:name="Applied For",type=string,JSONPath=`.spec.appliedFor`
// +kubebuilder:printcolumn:name="Mutability",type=string,JSONPath=`.spec.imageTagMutability`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type RepositoryCreationTemplate struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitzero"`

	// spec holds the settings of the repositories created from the template.
	// +required
	Spec RepositoryCreationTemplateSpec `json:"spec"`

	// status is reserved; the template has no state of its own.
	// +optional
	Status RepositoryCreationTemplateStatus `json:"status,omitzero"`
}

// RepositoryCreationTemplateSpec mirrors ECR CreateRepositoryCreationTemplate.
//
// +kubebuilder:validation:XValidation:rule="(has(self.imageTagMutability) && self.imageTagMutability.endsWith('_WITH_EXCLUSION')) == (has(self.imageTagMutabilityExclusionFilters) && size(self.imageTagMutabilityExclusionFilters) > 0)",message="imageTagMutabilityExclusionFilters are required with, and only allowed with, MUTABLE_WITH_EXCLUSION or IMMUTABLE_WITH_EXCLUSION",fieldPath=".imageTagMutabilityExclusionFilters"
type RepositoryCreationTemplateSpec struct {
	// prefix selects the repository paths the template applies to: "docker-hub" matches
	// docker-hub/... (the ecrRepositoryPrefix of a PullThroughCacheRule), ROOT matches every
	// path. The longest matching prefix wins.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=30
	// +kubebuilder:validation:Pattern=`^(ROOT|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$`
	Prefix string `json:"prefix"`

	// appliedFor lists the ways of creating repositories the template applies to.
	// +required
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=3
	AppliedFor []AppliedFor `json:"appliedFor"`

	// description is free text.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Description string `json:"description,omitempty"`

	// imageTagMutability of the created Repositories (default MUTABLE).
	// +optional
	ImageTagMutability ImageTagMutability `json:"imageTagMutability,omitempty"`

	// imageTagMutabilityExclusionFilters for the *_WITH_EXCLUSION modes.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=5
	ImageTagMutabilityExclusionFilters []ImageTagMutabilityExclusionFilter `json:"imageTagMutabilityExclusionFilters,omitempty"`

	// lifecyclePolicy of the created Repositories.
	// +optional
	LifecyclePolicy *LifecyclePolicy `json:"lifecyclePolicy,omitempty"`

	// repositoryPolicy, when set, becomes a RepositoryPolicy named after each created
	// Repository, holding these statements.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=50
	RepositoryPolicy []Statement `json:"repositoryPolicy,omitempty"`

	// resourceTags become labels of the created Repositories (ECR's resource tags), so they
	// can be selected with kubectl -l.
	// +optional
	// +listType=map
	// +listMapKey=key
	// +kubebuilder:validation:MaxItems=50
	ResourceTags []ResourceTag `json:"resourceTags,omitempty"`
}

// ResourceTag is an ECR resource tag, kept as a Kubernetes label.
type ResourceTag struct {
	// key is a label key.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=317
	// +kubebuilder:validation:Pattern=`^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`
	Key string `json:"key"`
	// value is a label value.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$`
	Value string `json:"value,omitempty"`
}

// RepositoryCreationTemplateStatus is empty: a template is in force as soon as it exists.
type RepositoryCreationTemplateStatus struct {
	// conditions are reserved for future use.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=32
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// +kubebuilder:object:root=true

// RepositoryCreationTemplateList is a list of RepositoryCreationTemplates.
type RepositoryCreationTemplateList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitzero"`
	// items are the RepositoryCreationTemplates.
	Items []RepositoryCreationTemplate `json:"items"`
}
