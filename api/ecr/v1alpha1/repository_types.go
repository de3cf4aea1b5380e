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

// ImageTagMutability is the ECR tag mutability setting.
// +kubebuilder:validation:Enum=MUTABLE;IMMUTABLE;MUTABLE_WITH_EXCLUSION;IMMUTABLE_WITH_EXCLUSION
type ImageTagMutability string

// ECR tag mutability modes.
const (
	// Mutable lets any push move any tag.
	Mutable ImageTagMutability = "MUTABLE"
	// Immutable refuses to move an existing tag to another digest.
	Immutable ImageTagMutability = "IMMUTABLE"
	// MutableWithExclusion lets tags move except those matching an exclusion filter.
	MutableWithExclusion ImageTagMutability = "MUTABLE_WITH_EXCLUSION"
	// ImmutableWithExclusion refuses to move tags except those matching an exclusion filter.
	ImmutableWithExclusion ImageTagMutability = "IMMUTABLE_WITH_EXCLUSION"
)

// FilterType is the ECR exclusion filter type.
// +kubebuilder:validation:Enum=WILDCARD
type FilterType string

// TagStatus selects images by whether they have tags (ECR lifecycle rules).
// +kubebuilder:validation:Enum=tagged;untagged;any
type TagStatus string

// ECR lifecycle tag statuses.
const (
	// TagStatusTagged selects tagged images whose tags match the prefix or pattern list.
	TagStatusTagged TagStatus = "tagged"
	// TagStatusUntagged selects images without tags.
	TagStatusUntagged TagStatus = "untagged"
	// TagStatusAny selects every image.
	TagStatusAny TagStatus = "any"
)

// CountType is how an ECR lifecycle rule counts.
// +kubebuilder:validation:Enum=imageCountMoreThan;sinceImagePushed;sinceImagePulled
type CountType string

// ECR lifecycle count types.
const (
	// CountImageCountMoreThan keeps the newest countNumber images by push time.
	CountImageCountMoreThan CountType = "imageCountMoreThan"
	// CountSinceImagePushed expires images pushed more than countNumber days ago.
	CountSinceImagePushed CountType = "sinceImagePushed"
	// CountSinceImagePulled expires images last pulled (or, never pulled, pushed) more than
	// countNumber days ago. ECR allows it only with its archive transition; Berth, which has
	// no archive, lets it expire images directly.
	CountSinceImagePulled CountType = "sinceImagePulled"
)

// CountUnit is the unit of a time-based lifecycle rule; ECR knows only days.
// +kubebuilder:validation:Enum=days
type CountUnit string

// CountUnitDays is the one unit ECR lifecycle rules count time in.
const CountUnitDays CountUnit = "days"

// LifecycleActionType is what a lifecycle rule does; expire is the one action Berth has
// (ECR's transition to an archive storage class has no counterpart here).
// +kubebuilder:validation:Enum=expire
type LifecycleActionType string

// LifecycleActionExpire deletes the selected images' manifests.
const LifecycleActionExpire LifecycleActionType = "expire"

// Repository is an ECR repository in the bundled registry, addressed as
// <registry>/<namespace>/<name>. Pushes and pulls to names without a Repository are refused
// (404 NAME_UNKNOWN). Deleting a Repository that holds images needs forceDelete.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ecrrepo;ecrrepos,categories={berth,ecr}
// +kubebuilder:printcolumn:name="URI",type=string,JSONPath=`.status.repositoryUri`
// +kubebuilder:printcolumn:name="Images",type=integer,JSONPath=`.status.imageCount`
// +kubebuilder:printcolumn:name="Mutability",type=string,JSONPath=`.spec.imageTagMutability`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 191",message="metadata.name may be at most 191 characters, so that the repository path <namespace>/<name> stays within the OCI limit of 255"
type Repository struct {
	metav1.TypeMeta `json:",inline"`
	// metadata.name is the repository name; the namespace is its ECR namespace prefix.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitzero"`

	// spec holds the ECR repository settings.
	// +optional
	Spec RepositorySpec `json:"spec,omitzero"`

	// status reports the repository URI, its images and lifecycle results.
	// +optional
	Status RepositoryStatus `json:"status,omitzero"`
}

// RepositorySpec mirrors ECR CreateRepository and PutLifecyclePolicy.
//
// +kubebuilder:validation:XValidation:rule="(has(self.imageTagMutability) && self.imageTagMutability.endsWith('_WITH_EXCLUSION')) == (has(self.imageTagMutabilityExclusionFilters) && size(self.imageTagMutabilityExclusionFilters) > 0)",message="imageTagMutabilityExclusionFilters are required with, and only allowed with, MUTABLE_WITH_EXCLUSION or IMMUTABLE_WITH_EXCLUSION",fieldPath=".imageTagMutabilityExclusionFilters"
type RepositorySpec struct {
	// imageTagMutability is MUTABLE (default), IMMUTABLE, or one of the *_WITH_EXCLUSION modes
	// whose exclusion filters name the tags that behave the other way. An IMMUTABLE tag is
	// never moved: a push that would move it answers 400 TAG_INVALID.
	// +optional
	// +kubebuilder:default=MUTABLE
	ImageTagMutability ImageTagMutability `json:"imageTagMutability,omitempty"`

	// imageTagMutabilityExclusionFilters are wildcard filters (up to 5) for the
	// *_WITH_EXCLUSION modes, for example "latest" or "dev-*".
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=5
	ImageTagMutabilityExclusionFilters []ImageTagMutabilityExclusionFilter `json:"imageTagMutabilityExclusionFilters,omitempty"`

	// lifecyclePolicy expires images by count or age, with ECR's rule semantics.
	// +optional
	LifecyclePolicy *LifecyclePolicy `json:"lifecyclePolicy,omitempty"`

	// forceDelete, like ECR DeleteRepository --force, deletes the images together with the
	// Repository. Without it, deleting a Repository that holds images keeps everything and
	// reports Ready=False with reason RepositoryNotEmpty.
	// +optional
	ForceDelete bool `json:"forceDelete,omitempty"`
}

// ImageTagMutabilityExclusionFilter is an ECR tag mutability exclusion filter.
type ImageTagMutabilityExclusionFilter struct {
	// filterType is WILDCARD.
	// +required
	FilterType FilterType `json:"filterType"`
	// filter is a tag pattern in which "*" matches any characters (at most 2 wildcards).
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[a-zA-Z0-9._*-]+$`
	// +kubebuilder:validation:XValidation:rule="self.split('*').size() <= 3",message="a filter may hold at most 2 wildcards"
	Filter string `json:"filter"`
}

// LifecyclePolicy is an ECR lifecycle policy.
//
// +kubebuilder:validation:XValidation:rule="self.rules.all(r, r.selection.tagStatus != 'any' || self.rules.all(o, o.rulePriority <= r.rulePriority))",message="a rule with tagStatus any must have the highest rulePriority",fieldPath=".rules"
// +kubebuilder:validation:XValidation:rule="self.rules.filter(r, r.selection.tagStatus == 'untagged').size() <= 1",message="only one rule may select untagged images",fieldPath=".rules"
type LifecyclePolicy struct {
	// rules are applied in rulePriority order (lowest first); an image is expired by at most
	// one rule, and images matched by a higher-priority rule are not expired by a lower one.
	// +required
	// +listType=map
	// +listMapKey=rulePriority
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=50
	Rules []LifecycleRule `json:"rules"`
}

// LifecycleRule is one ECR lifecycle rule.
type LifecycleRule struct {
	// rulePriority orders the rules, lowest first; unique, need not be sequential.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	RulePriority int32 `json:"rulePriority"`
	// description is free text.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Description string `json:"description,omitempty"`
	// selection says which images the rule looks at and how it counts them.
	// +required
	Selection LifecycleSelection `json:"selection"`
	// action is what happens to selected images: expire (delete the manifest).
	// +required
	Action LifecycleAction `json:"action"`
}

// LifecycleSelection is an ECR lifecycle rule selection.
//
// +kubebuilder:validation:XValidation:rule="self.tagStatus != 'tagged' || (has(self.tagPrefixList) != has(self.tagPatternList))",message="tagStatus tagged needs exactly one of tagPrefixList or tagPatternList"
// +kubebuilder:validation:XValidation:rule="self.tagStatus == 'tagged' || (!has(self.tagPrefixList) && !has(self.tagPatternList))",message="tagPrefixList and tagPatternList are only allowed with tagStatus tagged"
// +kubebuilder:validation:XValidation:rule="(self.countType == 'imageCountMoreThan') == !has(self.countUnit)",message="countUnit is required with sinceImagePushed and sinceImagePulled, and not allowed with imageCountMoreThan",fieldPath=".countUnit"
type LifecycleSelection struct {
	// tagStatus is tagged, untagged or any.
	// +required
	TagStatus TagStatus `json:"tagStatus"`
	// tagPrefixList selects tagged images that, for every listed prefix, have a tag starting
	// with it (different tags may meet different prefixes).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=128
	TagPrefixList []string `json:"tagPrefixList,omitempty"`
	// tagPatternList selects tagged images that, for every listed pattern, have a tag
	// matching it ("*" matches any characters, at most 4 per pattern).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=128
	// +kubebuilder:validation:XValidation:rule="self.all(p, p.split('*').size() <= 5)",message="a tag pattern may hold at most 4 wildcards"
	TagPatternList []string `json:"tagPatternList,omitempty"`
	// countType is imageCountMoreThan (keep the newest countNumber), sinceImagePushed or
	// sinceImagePulled (expire images older than countNumber days).
	// +required
	CountType CountType `json:"countType"`
	// countUnit is days, for the time-based count types.
	// +optional
	CountUnit CountUnit `json:"countUnit,omitempty"`
	// countNumber is the image count or the number of days.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100000
	CountNumber int32 `json:"countNumber"`
}

// LifecycleAction is an ECR lifecycle rule action.
type LifecycleAction struct {
	// type is expire.
	// +required
	Type LifecycleActionType `json:"type"`
}

// RepositoryStatus reports the repository's address, images and lifecycle results, read
// from the registry.
type RepositoryStatus struct {
	// conditions: Ready (push and pull work), and False with reason RepositoryNotEmpty while a
	// delete waits for forceDelete.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=32
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation whose spec the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// repositoryUri is where to push and pull: <registry host>/<namespace>/<name>.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	RepositoryURI string `json:"repositoryUri,omitempty"`

	// imageCount is the number of images (manifests) in the repository.
	// +optional
	ImageCount int32 `json:"imageCount,omitempty"`

	// sizeBytes is the total compressed size of the images' layers.
	// +optional
	SizeBytes int64 `json:"sizeBytes,omitempty"`

	// storageBytes is what the repository's images occupy in the registry's store: the
	// distinct manifests, configs and layers they reference, each counted once (a layer two
	// images share counts once; sizeBytes counts it per image). Deleting or expiring images
	// lowers it at once; the registry's garbage collection then frees the blobs no image of
	// any repository references.
	// +optional
	StorageBytes int64 `json:"storageBytes,omitempty"`

	// lastPushedAt is when an image was last pushed.
	// +optional
	LastPushedAt *metav1.Time `json:"lastPushedAt,omitempty"`

	// images are the most recently pushed images (at most 20).
	// +optional
	// +listType=map
	// +listMapKey=digest
	// +kubebuilder:validation:MaxItems=20
	Images []ImageDetail `json:"images,omitempty"`

	// lifecycle reports the last lifecycle evaluation.
	// +optional
	Lifecycle *LifecycleStatus `json:"lifecycle,omitempty"`
}

// ImageDetail is ECR ImageDetail, as much as the registry knows.
type ImageDetail struct {
	// digest is the manifest digest.
	// +required
	// +kubebuilder:validation:MaxLength=256
	Digest string `json:"digest"`
	// tags point at this digest.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:items:MaxLength=128
	Tags []string `json:"tags,omitempty"`
	// sizeBytes is the compressed size of its layers.
	// +optional
	SizeBytes int64 `json:"sizeBytes,omitempty"`
	// mediaType is the manifest's media type.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	MediaType string `json:"mediaType,omitempty"`
	// pushedAt is when it was pushed.
	// +optional
	PushedAt *metav1.Time `json:"pushedAt,omitempty"`
	// lastPulledAt is when it was last pulled (a successful manifest GET), recorded by the
	// registry at most once an hour per image; absent when never pulled, and then
	// sinceImagePulled rules count from the push.
	// +optional
	LastPulledAt *metav1.Time `json:"lastPulledAt,omitempty"`
	// subject is set on an artifact attached to an image (a signature, an SBOM): the digest of
	// the image it refers to (OCI 1.1). It is deleted with its subject, and lifecycle rules
	// never select it on its own.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Subject string `json:"subject,omitempty"`
	// artifactType is the type of an attached artifact (its artifactType, or its config's
	// media type).
	// +optional
	// +kubebuilder:validation:MaxLength=256
	ArtifactType string `json:"artifactType,omitempty"`
}

// LifecycleStatus reports lifecycle policy evaluation.
type LifecycleStatus struct {
	// lastEvaluatedAt is when the rules were last evaluated with a new outcome (images
	// expired, the preview or the policy changed), and at least hourly otherwise.
	// +optional
	LastEvaluatedAt *metav1.Time `json:"lastEvaluatedAt,omitempty"`
	// expiredImages counts images expired since the Repository was created.
	// +optional
	ExpiredImages int64 `json:"expiredImages,omitempty"`
	// preview lists what the rules would expire now (at most 50), as ECR's lifecycle policy
	// preview does.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=50
	Preview []LifecyclePreviewResult `json:"preview,omitempty"`
}

// LifecyclePreviewResult is one image a lifecycle rule would expire.
type LifecyclePreviewResult struct {
	// digest of the image.
	// +required
	// +kubebuilder:validation:MaxLength=256
	Digest string `json:"digest"`
	// tags of the image.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:items:MaxLength=128
	Tags []string `json:"tags,omitempty"`
	// pushedAt is when it was pushed.
	// +optional
	PushedAt *metav1.Time `json:"pushedAt,omitempty"`
	// appliedRulePriority is the rule that selects it.
	// +required
	AppliedRulePriority int32 `json:"appliedRulePriority"`
}

// +kubebuilder:object:root=true

// RepositoryList is a list of Repositories.
type RepositoryList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitzero"`
	// items are the Repositories.
	Items []Repository `json:"items"`
}
