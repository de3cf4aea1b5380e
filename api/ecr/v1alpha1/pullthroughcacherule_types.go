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

// UpstreamRegistry names the kind of upstream registry, as ECR's upstreamRegistry does. It is
// informational: Berth speaks the OCI distribution API to every upstream, with HTTP Basic
// credentials or the Docker token protocol, whichever the upstream asks for.
// +kubebuilder:validation:Enum=docker-hub;ecr;ecr-public;github-container-registry;gitlab-container-registry;k8s;quay;azure-container-registry;chainguard;distribution
type UpstreamRegistry string

// Upstream registry kinds. All but UpstreamDistribution are ECR's names.
const (
	UpstreamDockerHub    UpstreamRegistry = "docker-hub"
	UpstreamECR          UpstreamRegistry = "ecr"
	UpstreamECRPublic    UpstreamRegistry = "ecr-public"
	UpstreamGitHub       UpstreamRegistry = "github-container-registry"
	UpstreamGitLab       UpstreamRegistry = "gitlab-container-registry"
	UpstreamKubernetes   UpstreamRegistry = "k8s"
	UpstreamQuay         UpstreamRegistry = "quay"
	UpstreamAzure        UpstreamRegistry = "azure-container-registry"
	UpstreamChainguard   UpstreamRegistry = "chainguard"
	UpstreamDistribution UpstreamRegistry = "distribution"
)

// PullThroughCacheRule is an ECR pull through cache rule for the repositories of its
// namespace: pulling <registry>/<namespace>/<ecrRepositoryPrefix>/<upstream repository>
// fetches the image from the upstream registry on first pull, stores it in the Repository
// <ecrRepositoryPrefix>.<upstream repository with "/" as "."> (created from the namespace's
// RepositoryCreationTemplate), and serves later pulls from the bundled registry, refreshing
// tags from the upstream at most once per tagRefreshInterval.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ptcrule;ptcrules,categories={berth,ecr}
// +kubebuilder:printcolumn:name="Prefix",type=string,JSONPath=`.spec.ecrRepositoryPrefix`
// +kubebuilder:printcolumn:name="Upstream",type=string,JSONPath=`.spec.upstreamRegistryUrl`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="self.metadata.name == self.spec.ecrRepositoryPrefix",message="metadata.name must equal spec.ecrRepositoryPrefix, so that a prefix has at most one rule per namespace"
type PullThroughCacheRule struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitzero"`

	// spec says which repository prefix is cached from which upstream.
	// +required
	Spec PullThroughCacheRuleSpec `json:"spec"`

	// status says whether the upstream accepts the rule's credentials.
	// +optional
	Status PullThroughCacheRuleStatus `json:"status,omitzero"`
}

// PullThroughCacheRuleSpec mirrors ECR CreatePullThroughCacheRule.
// +kubebuilder:validation:XValidation:rule="!has(self.caCertificateRef) || !self.upstreamRegistryUrl.startsWith('http://')",message="caCertificateRef needs an https upstream: upstreamRegistryUrl starts with http://"
type PullThroughCacheRuleSpec struct {
	// ecrRepositoryPrefix is the first path component after the namespace that routes a pull
	// to the upstream: "docker-hub" caches <namespace>/docker-hub/<upstream repository>. One
	// component only (ECR also allows several and ROOT; Berth does not); 2 to 30 characters.
	// +required
	// +kubebuilder:validation:MinLength=2
	// +kubebuilder:validation:MaxLength=30
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="ecrRepositoryPrefix is immutable"
	EcrRepositoryPrefix string `json:"ecrRepositoryPrefix"`

	// upstreamRegistryUrl is the upstream registry: a host[:port] (HTTPS, as ECR's
	// registry-1.docker.io), or an https:// or http:// URL without a path.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:Pattern=`^(https?://)?[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?(:[0-9]{1,5})?/?$`
	UpstreamRegistryURL string `json:"upstreamRegistryUrl"`

	// upstreamRegistry is the kind of upstream, as in ECR (docker-hub, quay, k8s, ...), or
	// distribution for any other OCI registry. Informational.
	// +optional
	// +kubebuilder:default=distribution
	UpstreamRegistry UpstreamRegistry `json:"upstreamRegistry,omitempty"`

	// upstreamRepositoryPrefix is prepended to the upstream repository: with "library",
	// <namespace>/docker-hub/nginx pulls library/nginx upstream. Empty means none.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$`
	UpstreamRepositoryPrefix string `json:"upstreamRepositoryPrefix,omitempty"`

	// credentialSecretRef names a Secret in this namespace holding the upstream credentials
	// (ECR's credentialArn): type kubernetes.io/basic-auth with keys username and password.
	// Its name must start with "pull-through-cache-", as ECR's secrets must start with
	// "ecr-pullthroughcache/". Without it the upstream is pulled anonymously.
	// +optional
	CredentialSecretRef *SecretReference `json:"credentialSecretRef,omitempty"`

	// caCertificateRef names a ConfigMap in this namespace whose key ca.crt holds the PEM
	// certificates the upstream's HTTPS certificate must chain to, in place of the system's
	// roots: an in-house registry signed by a private CA. (The layout of kube-root-ca.crt and
	// of Gateway API's BackendTLSPolicy; trust-manager can keep it filled.) The controller
	// reads it again when it changes; the registry within a minute. Not an ECR field.
	// +optional
	CACertificateRef *ConfigMapReference `json:"caCertificateRef,omitempty"`

	// tagRefreshInterval is how long a cached tag is served without asking the upstream
	// whether it moved (ECR: 24 hours). Pulls by digest never ask again.
	// +optional
	// +kubebuilder:default="24h"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Format=duration
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1s') && duration(self) <= duration('8760h')",message="tagRefreshInterval must be between 1s and 8760h"
	TagRefreshInterval *metav1.Duration `json:"tagRefreshInterval,omitempty"`
}

// SecretReference names a Secret in the object's own namespace.
type SecretReference struct {
	// name of the Secret.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^pull-through-cache-[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`
	Name string `json:"name"`
}

// ConfigMapReference names a ConfigMap in the object's own namespace.
type ConfigMapReference struct {
	// name of the ConfigMap.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`
	Name string `json:"name"`
}

// PullThroughCacheRuleStatus reports ECR's ValidatePullThroughCacheRule: whether the upstream
// answers and accepts the credentials.
type PullThroughCacheRuleStatus struct {
	// conditions: Ready, False with reason SecretNotFound, InvalidSecret,
	// CACertificateNotFound, InvalidCACertificate, UpstreamAuthenticationFailed or
	// UpstreamUnreachable.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=32
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation whose spec the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// lastValidatedAt is when the upstream was last asked.
	// +optional
	LastValidatedAt *metav1.Time `json:"lastValidatedAt,omitempty"`
}

// +kubebuilder:object:root=true

// PullThroughCacheRuleList is a list of PullThroughCacheRules.
type PullThroughCacheRuleList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitzero"`
	// items are the PullThroughCacheRules.
	Items []PullThroughCacheRule `json:"items"`
}
