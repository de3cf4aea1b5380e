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

// Package v1alpha1 holds the ecr.berth.dev API: Repository (an ECR-style repository in the
// bundled registry), RepositoryPolicy (ECR repository policies with Kubernetes principals),
// PullThroughCacheRule (ECR's pull through cache) and RepositoryCreationTemplate (ECR's
// repository creation templates).
//
// Field names and enum values keep the ECR API's spelling (imageTagMutability, MUTABLE,
// lifecycle rule vocabulary) so that ECR users recognise every setting; this departs from
// the Kubernetes CamelCase enum habit on purpose.
//
// +kubebuilder:object:generate=true
// +groupName=ecr.berth.dev
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the API group and version of the ECR kinds.
	GroupVersion = schema.GroupVersion{Group: "ecr.berth.dev", Version: "v1alpha1"}

	// SchemeBuilder registers the kinds with a runtime.Scheme; the API package depends only
	// on apimachinery so that clients can import it cheaply.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the ECR kinds to a scheme; managers and clients call it at start-up.
	AddToScheme = SchemeBuilder.AddToScheme
)

// addKnownTypes registers the kinds of this group version and the meta types every group
// needs (ListOptions and friends).
func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion,
		&Repository{},
		&RepositoryList{},
		&RepositoryPolicy{},
		&RepositoryPolicyList{},
		&PullThroughCacheRule{},
		&PullThroughCacheRuleList{},
		&RepositoryCreationTemplate{},
		&RepositoryCreationTemplateList{},
	)
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
