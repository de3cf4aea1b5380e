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
	// system:authenticated or system:unauthenticated (anonymous callers). An Allow for
	// system:unauthenticated also covers authenticated callers (they could simply drop their
	// credentials); a Deny for it affects anonymous callers only. The group name "*"
	// (PrincipalNameEveryone) is every caller.
	PrincipalGroup PrincipalKind = "Group"
)

// PrincipalNameEveryone is the name of the one wildcard principal, {kind: Group, name: "*"}:
// every caller, authenticated or anonymous, as ECR's "Principal": "*". Every request belongs to
// a group (system:authenticated or system:unauthenticated), so "any group" is everyone: an
// Allow makes the repositories public, a Deny refuses the actions to everybody. A "*" anywhere
// else in a principal (a User or ServiceAccount "*", a partial name such as
// system:serviceaccounts:*) is refused.
const PrincipalNameEveryone = "*"

// Action is an ECR action name such as ecr:BatchGetImage, or a wildcard over them such as
// ecr:* or ecr:Get*. As in IAM, action names are case-insensitive (ecr:batchgetimage is
// ecr:BatchGetImage). Unknown names are rejected rather than silently ignored.
//
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=64
// +kubebuilder:validation:XValidation:rule="self == '*' || self.lowerAscii() in ['ecr:batchgetimage', 'ecr:getdownloadurlforlayer', 'ecr:batchchecklayeravailability', 'ecr:initiatelayerupload', 'ecr:uploadlayerpart', 'ecr:completelayerupload', 'ecr:putimage', 'ecr:batchdeleteimage', 'ecr:listimages', 'ecr:describeimages', 'ecr:describerepositories', 'ecr:getauthorizationtoken', 'ecr:listimagereferrers', 'ecr:describeimagescanfindings', 'ecr:describeimagereplicationstatus', 'ecr:describeimagesigningstatus', 'ecr:listtagsforresource', 'ecr:getrepositorypolicy', 'ecr:getlifecyclepolicy', 'ecr:getlifecyclepolicypreview', 'ecr:batchgetrepositoryscanningconfiguration', 'ecr:setrepositorypolicy', 'ecr:deleterepositorypolicy', 'ecr:putlifecyclepolicy', 'ecr:deletelifecyclepolicy', 'ecr:startlifecyclepolicypreview', 'ecr:putimagetagmutability', 'ecr:putimagescanningconfiguration', 'ecr:startimagescan', 'ecr:updateimagestorageclass', 'ecr:createrepository', 'ecr:deleterepository', 'ecr:tagresource', 'ecr:untagresource', 'ecr:replicateimage', 'ecr:batchimportupstreamimage', 'ecr:getimagecopystatus'] || (self.endsWith('*') && ['ecr:batchgetimage', 'ecr:getdownloadurlforlayer', 'ecr:batchchecklayeravailability', 'ecr:initiatelayerupload', 'ecr:uploadlayerpart', 'ecr:completelayerupload', 'ecr:putimage', 'ecr:batchdeleteimage', 'ecr:listimages', 'ecr:describeimages', 'ecr:describerepositories', 'ecr:getauthorizationtoken', 'ecr:listimagereferrers', 'ecr:describeimagescanfindings', 'ecr:describeimagereplicationstatus', 'ecr:describeimagesigningstatus', 'ecr:listtagsforresource', 'ecr:getrepositorypolicy', 'ecr:getlifecyclepolicy', 'ecr:getlifecyclepolicypreview', 'ecr:batchgetrepositoryscanningconfiguration', 'ecr:setrepositorypolicy', 'ecr:deleterepositorypolicy', 'ecr:putlifecyclepolicy', 'ecr:deletelifecyclepolicy', 'ecr:startlifecyclepolicypreview', 'ecr:putimagetagmutability', 'ecr:putimagescanningconfiguration', 'ecr:startimagescan', 'ecr:updateimagestorageclass', 'ecr:createrepository', 'ecr:deleterepository', 'ecr:tagresource', 'ecr:untagresource', 'ecr:replicateimage', 'ecr:batchimportupstreamimage', 'ecr:getimagecopystatus'].exists(a, a.startsWith(self.lowerAscii().substring(0, self.size() - 1))))",message="unknown ECR action: use an ECR action name such as ecr:BatchGetImage, or a wildcard that matches one such as ecr:* or ecr:Get*"
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
	// principals are the Kubernetes subjects the statement applies to; {kind: Group, name: "*"}
	// is every caller, authenticated or anonymous.
	// +required
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=100
	Principals []Principal `json:"principals"`
	// actions are ECR action names or wildcards (ecr:*, ecr:Get*), in any case.
	// +required
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=50
	Actions []Action `json:"actions"`
}

// Principal is a Kubernetes subject, as in an RBAC binding, or {kind: Group, name: "*"} for every
// caller. Names are matched exactly: the only wildcard is that whole principal, and any other
// "*" (a User or ServiceAccount named "*", system:serviceaccounts:*, team-*) is refused, because
// it would match nobody and so make a Deny protect nothing.
// +kubebuilder:validation:XValidation:rule="!self.name.contains('*') || (self.kind == 'Group' && self.name == '*')",message="a principal name may not contain \"*\"; only the whole-principal wildcard {kind: Group, name: \"*\"} (every caller) is supported",messageExpression="self.kind + ' name \"' + self.name + '\" contains \"*\"; only the whole-principal wildcard {kind: Group, name: \"*\"} (every caller, like \"Principal\": \"*\" in ECR) is supported'",fieldPath=".name",reason=FieldValueInvalid
// +kubebuilder:validation:XValidation:rule="!has(self.__namespace__) || !self.__namespace__.contains('*')",message="a principal namespace may not contain \"*\"; only the whole-principal wildcard {kind: Group, name: \"*\"} (every caller) is supported",messageExpression="'namespace \"' + self.__namespace__ + '\" contains \"*\"; only the whole-principal wildcard {kind: Group, name: \"*\"} (every caller, like \"Principal\": \"*\" in ECR) is supported'",fieldPath=".namespace",reason=FieldValueInvalid
// +kubebuilder:validation:XValidation:rule="self.kind != 'ServiceAccount' || self.name.contains('*') || self.name.matches('^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$')",message="a ServiceAccount principal's name must be a ServiceAccount name (lowercase letters, digits, '-' and '.')",fieldPath=".name"
// +kubebuilder:validation:XValidation:rule="(self.kind == 'ServiceAccount') == has(self.namespace)",message="namespace is required for a ServiceAccount principal and not allowed for User or Group",fieldPath=".namespace"
type Principal struct {
	// kind is ServiceAccount, User or Group.
	// +required
	Kind PrincipalKind `json:"kind"`
	// name of the ServiceAccount, user or group, matched exactly; the group name "*" is every
	// caller, authenticated or anonymous (ECR's "Principal": "*"). No other name may contain "*".
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// namespace of the ServiceAccount; only for kind ServiceAccount, and never "*".
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Namespace string `json:"namespace,omitempty"`
}

// RepositoryPolicyStatus says whether the policy is valid and in force.
type RepositoryPolicyStatus struct {
	// conditions: Ready, False with reason RepositoryNotFound when repositoryName names no
	// Repository in the namespace, or InvalidStatement (and Stalled) when a statement holds
	// something the registry cannot enforce as written (an unknown action, a partial wildcard
	// principal) because it reached the cluster without the schema's checks.
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
