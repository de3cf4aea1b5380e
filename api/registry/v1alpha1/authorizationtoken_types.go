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

// Package v1alpha1 holds the registry.berth.dev API that berth-registry serves through the
// Kubernetes API server's aggregation layer: AuthorizationToken, ECR's GetAuthorizationToken
// as a Kubernetes create. Nothing is stored: a create returns a registry credential for the
// caller's own identity, as the ServiceAccount TokenRequest does. The types are plain JSON
// shapes (no scheme, no CRD): clients send and read them with a raw REST call.
//
// +kubebuilder:skip
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Group, version and the one resource of the API.
const (
	// GroupName is the API group.
	GroupName = "registry.berth.dev"
	// Version is the API version.
	Version = "v1alpha1"
	// Resource is the plural resource name of AuthorizationToken (namespaced, create only).
	Resource = "authorizationtokens"
	// Kind is AuthorizationToken's kind.
	Kind = "AuthorizationToken"
)

// Lifetimes of an authorization token.
const (
	// DefaultExpirationSeconds is a token's life when the request names none: 12 hours, as
	// ECR's.
	DefaultExpirationSeconds = 12 * 3600
	// MinExpirationSeconds is the shortest life a request may ask for.
	MinExpirationSeconds = 600
)

// BasicUsername is the user name that goes with a token in Basic authentication and docker
// login; berth-registry ignores it, as ECR ignores "AWS".
const BasicUsername = "berth"

// AuthorizationToken asks berth-registry for a credential of the caller's own identity (the
// user, groups, uid and extra the API server authenticated), valid for
// spec.expirationSeconds. Creating one needs RBAC's create on authorizationtokens in the
// namespace of the request (ECR's ecr:GetAuthorizationToken); what the credential may then do
// is decided per registry request by RBAC and RepositoryPolicies, as for any caller.
type AuthorizationToken struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitzero"`
	// spec is the request.
	Spec AuthorizationTokenSpec `json:"spec,omitzero"`
	// status is the answer.
	Status AuthorizationTokenStatus `json:"status,omitzero"`
}

// AuthorizationTokenSpec is what the caller asks for.
type AuthorizationTokenSpec struct {
	// expirationSeconds is the token's requested life: at least 600, at most the registry's
	// maximum (12 hours unless configured), which a longer request is cut down to; default
	// 12 hours.
	// +optional
	ExpirationSeconds *int64 `json:"expirationSeconds,omitempty"`
}

// AuthorizationTokenStatus is the credential: the registry password, until when it is valid,
// and for whom.
type AuthorizationTokenStatus struct {
	// token is the password for Basic authentication or docker login, with any user name
	// (BasicUsername by convention).
	Token string `json:"token"`
	// expirationTimestamp is when the registry stops accepting the token.
	ExpirationTimestamp metav1.Time `json:"expirationTimestamp"`
	// username is the user name to log in with (BasicUsername).
	Username string `json:"username"`
	// proxyEndpoint is the registry's external address, when the registry knows it.
	// +optional
	ProxyEndpoint string `json:"proxyEndpoint,omitempty"`
	// user is the identity the token carries: who the registry's logs and policies see.
	User UserInfo `json:"user"`
}

// UserInfo is the identity an authorization token carries.
type UserInfo struct {
	// username is the Kubernetes user name.
	Username string `json:"username"`
	// uid is the user's UID, when the authenticator gives one.
	// +optional
	UID string `json:"uid,omitempty"`
	// groups are the user's groups.
	// +optional
	Groups []string `json:"groups,omitempty"`
	// extra is the authenticator's extra information (scopes, the ServiceAccount's Pod).
	// +optional
	Extra map[string][]string `json:"extra,omitempty"`
}
