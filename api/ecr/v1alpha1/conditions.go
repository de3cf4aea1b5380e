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

// Condition types. Ready is always present; Reconciling and Stalled follow kstatus's
// "abnormal-true" convention (present only while true).
const (
	// ReadyCondition summarises the object: a Repository that can be pushed to and pulled
	// from; a RepositoryPolicy that is valid and in force.
	ReadyCondition = "Ready"
	// ReconcilingCondition is True while the controller is still acting on the latest spec.
	ReconcilingCondition = "Reconciling"
	// StalledCondition is True when the controller cannot make progress without a change.
	StalledCondition = "Stalled"
)

// Condition reasons (CamelCase, as metav1.Condition requires).
const (
	// ReconciledReason: the last pass finished and the object matches its spec.
	ReconciledReason = "Reconciled"
	// RepositoryNotEmptyReason: a delete was asked for a Repository that still holds images
	// and forceDelete is false, so nothing was deleted (ECR RepositoryNotEmptyException).
	RepositoryNotEmptyReason = "RepositoryNotEmpty"
	// RepositoryNotFoundReason: a RepositoryPolicy names a Repository that does not exist.
	RepositoryNotFoundReason = "RepositoryNotFound"
	// RegistryUnavailableReason: the bundled registry could not be reached.
	RegistryUnavailableReason = "RegistryUnavailable"
	// RegistryPendingReason: the registry has not seen a new Repository yet (its informer
	// lags the API server by a moment); retried with a growing delay.
	RegistryPendingReason = "RegistryPending"
	// DeletingReason: the object is being deleted.
	DeletingReason = "Deleting"
	// InvalidStatementReason: a RepositoryPolicy statement holds something the registry cannot
	// enforce as written, such as an action ECR does not have or a principal with a partial
	// wildcard; the message names the statement and the field.
	InvalidStatementReason = "InvalidStatement"
)

// PullThroughCacheRule reasons (Ready=False), ECR's ValidatePullThroughCacheRule failures.
const (
	// SecretNotFoundReason: credentialSecretRef names no Secret in the namespace.
	SecretNotFoundReason = "SecretNotFound"
	// InvalidSecretReason: the Secret is not kubernetes.io/basic-auth with a username and a
	// password.
	InvalidSecretReason = "InvalidSecret"
	// CACertificateNotFoundReason: caCertificateRef names no ConfigMap in the namespace.
	CACertificateNotFoundReason = "CACertificateNotFound"
	// InvalidCACertificateReason: the ConfigMap's ca.crt holds no PEM certificate.
	InvalidCACertificateReason = "InvalidCACertificate"
	// UpstreamAuthenticationFailedReason: the upstream refused the credentials (401 or 403).
	UpstreamAuthenticationFailedReason = "UpstreamAuthenticationFailed"
	// UpstreamUnreachableReason: the upstream did not answer as an OCI registry.
	UpstreamUnreachableReason = "UpstreamUnreachable"
	// UpstreamValidatedReason: the upstream answered and accepted the credentials.
	UpstreamValidatedReason = "UpstreamValidated"
)

// Finalizer keeps a Repository until its images are deleted or found absent.
const Finalizer = "ecr.berth.dev/finalizer"
