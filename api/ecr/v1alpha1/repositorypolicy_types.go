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

// Effect is the effect of a policy statement.
// +kubebuilder:validation:Enum=Allow;Deny
type Effect string

// Statement effects. An explicit Deny wins over any Allow.
const (
	// EffectAllow grants the actions to the principals.
	EffectAllow Effect = "Allow"
	// EffectDeny refuses the actions to the principals, whatever else allows them.
	EffectDeny Effect = "Deny"
)

// PrincipalKind is the kind of a Kubernetes subject.
// +kubebuilder:validation:Enum=ServiceAccount;User;Group
type PrincipalKind string

// Principal kinds, as in RBAC subjects.
const (
	// PrincipalServiceAccount is a ServiceAccount (namespace and name).
	PrincipalServiceAccount PrincipalKind = "ServiceAccount"
	// PrincipalUser is a user name as the API server authenticates it.
	PrincipalUser PrincipalKind = "User"
	// PrincipalGroup is a group, such as system:serviceaccounts:team-b,
	// system:authenticated or system:unauthenticated (anonymous callers). Like ECR's
	// "Principal": "*", an Allow for system:unauthenticated also covers authenticated callers
	// (they could simply drop their credentials); a Deny for it affects anonymous callers only.
	PrincipalGroup PrincipalKind = "Group"
)

// Action is an ECR action name such as ecr:BatchGetImage, or a wildcard over them such as
// ecr:* or ecr:Get*. Unknown names are rejected rather than silently ignored.
//
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=64
// +kubebuilder:validation:XValidation:rule="self == '*' || self in ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage', 'ecr:BatchDeleteImage', 'ecr:ListImages', 'ecr:DescribeImages', 'ecr:DescribeRepositories', 'ecr:GetAuthorizationToken', 'ecr:ListImageReferrers', 'ecr:DescribeImageScanFindings', 'ecr:DescribeImageReplicationStatus', 'ecr:DescribeImageSigningStatus', 'ecr:ListTagsForResource', 'ecr:GetRepositoryPolicy', 'ecr:GetLifecyclePolicy', 'ecr:GetLifecyclePolicyPreview', 'ecr:BatchGetRepositoryScanningConfiguration', 'ecr:SetRepositoryPolicy', 'ecr:DeleteRepositoryPolicy', 'ecr:PutLifecyclePolicy', 'ecr:DeleteLifecyclePolicy', 'ecr:StartLifecyclePolicyPreview', 'ecr:PutImageTagMutability', 'ecr:PutImageScanningConfiguration', 'ecr:StartImageScan', 'ecr:UpdateImageStorageClass', 'ecr:CreateRepository', 'ecr:DeleteRepository', 'ecr:TagResource', 'ecr:UntagResource', 'ecr:ReplicateImage', 'ecr:BatchImportUpstreamImage', 'ecr:GetImageCopyStatus'] || (self.endsWith('*') && ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage', 'ecr:BatchDeleteImage', 'ecr:ListImages', 'ecr:DescribeImages', 'ecr:DescribeRepositories', 'ecr:GetAuthorizationToken', 'ecr:ListImageReferrers', 'ecr:DescribeImageScanFindings', 'ecr:DescribeImageReplicationStatus', 'ecr:DescribeImageSigningStatus', 'ecr:ListTagsForResource', 'ecr:GetRepositoryPolicy', 'ecr:GetLifecyclePolicy', 'ecr:GetLifecyclePolicyPreview', 'ecr:BatchGetRepositoryScanningConfiguration', 'ecr:SetRepositoryPolicy', 'ecr:DeleteRepositoryPolicy', 'ecr:PutLifecyclePolicy', 'ecr:DeleteLifecyclePolicy', 'ecr:StartLifecyclePolicyPreview', 'ecr:PutImageTagMutability', 'ecr:PutImageScanningConfiguration', 'ecr:StartImageScan', 'ecr:UpdateImageStorageClass', 'ecr:CreateRepository', 'ecr:DeleteRepository', 'ecr:TagResource', 'ecr:UntagResource', 'ecr:ReplicateImage', 'ecr:BatchImportUpstreamImage', 'ecr:GetImageCopyStatus'].exists(a, a.startsWith(self.substring(0, self.size() - 1))))",message="unknown ECR action: use an ECR action name such as ecr:BatchGetImage, or a wildcard that matches one such as ecr:* or ecr:Get*"
type Action string

// RepositoryPolicy is an ECR repository policy whose principals are Kubernetes subjects.
// Several policies may target one repository; an explicit Deny in any of them wins. A policy
// only ever applies to repositories in its own namespace.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=repopolicy;repopolicies,categories={berth,ecr}
// +kubebuilder:printcolumn:name="Repository",type=string,JSONPath=`.spec.repositoryName`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type RepositoryPolicy struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitzero"`

	// spec holds the policy statements.
	// +required
	Spec RepositoryPolicySpec `json:"spec"`

	// status says whether the policy is valid and in force.
	// +optional
	Status RepositoryPolicyStatus `json:"status,omitzero"`
}

// RepositoryPolicySpec is an ECR policy document in structured form.
type RepositoryPolicySpec struct {
	// repositoryName is a Repository in this namespace, or "*" for every repository in the
	// namespace.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^(\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$`
	RepositoryName string `json:"repositoryName"`

	// statements are evaluated as ECR does: an explicit Deny that matches wins; otherwise an
	// Allow that matches grants; otherwise RBAC decides.
	// +required
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=50
	Statements []Statement `json:"statements"`
}

// Statement is one ECR policy statement.
type Statement struct {
	// sid names the statement (letters and digits, as in IAM).
	// +optional
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9]*$`
	Sid string `json:"sid,omitempty"`
	// effect is Allow or Deny.
	// +required
	Effect Effect `json:"effect"`
	// principals are the Kubernetes subjects the statement applies to.
	// +required
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=100
	Principals []Principal `json:"principals"`
	// actions are ECR action names or wildcards (ecr:*, ecr:Get*).
	// +required
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=50
	Actions []Action `json:"actions"`
}

// Principal is a Kubernetes subject, as in an RBAC binding.
// +kubebuilder:validation:XValidation:rule="self.kind != 'ServiceAccount' || self.name.matches('^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$')",message="a ServiceAccount principal's name must be a ServiceAccount name (lowercase letters, digits, '-' and '.')",fieldPath=".name"
// +kubebuilder:validation:XValidation:rule="(self.kind == 'ServiceAccount') == has(self.namespace)",message="namespace is required for a ServiceAccount principal and not allowed for User or Group",fieldPath=".namespace"
type Principal struct {
	// kind is ServiceAccount, User or Group.
	// +required
	Kind PrincipalKind `json:"kind"`
	// name of the ServiceAccount, user or group.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// namespace of the ServiceAccount; only for kind ServiceAccount.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Namespace string `json:"namespace,omitempty"`
}

// RepositoryPolicyStatus says whether the policy is valid and in force.
type RepositoryPolicyStatus struct {
	// conditions: Ready, False with reason RepositoryNotFound when repositoryName names no
	// Repository in the namespace.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=32
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation whose spec the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
}

// +kubebuilder:object:root=true

// RepositoryPolicyList is a list of RepositoryPolicies.
type RepositoryPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitzero"`
	// items are the RepositoryPolicies.
	Items []RepositoryPolicy `json:"items"`
}
