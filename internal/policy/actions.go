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

package policy

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ECR action names that the bundled registry checks, named here so that the request mapping
// and its tests cannot misspell them.
const (
	// ActionBatchGetImage gates reading manifests (GET/HEAD manifest).
	ActionBatchGetImage = "ecr:BatchGetImage"
	// ActionGetDownloadURLForLayer gates reading blobs (GET blob, and the source of a mount).
	ActionGetDownloadURLForLayer = "ecr:GetDownloadUrlForLayer"
	// ActionBatchCheckLayerAvailability gates checking for blobs (HEAD blob).
	ActionBatchCheckLayerAvailability = "ecr:BatchCheckLayerAvailability"
	// ActionInitiateLayerUpload gates starting a blob upload (POST upload).
	ActionInitiateLayerUpload = "ecr:InitiateLayerUpload"
	// ActionUploadLayerPart gates sending, inspecting and cancelling an upload.
	ActionUploadLayerPart = "ecr:UploadLayerPart"
	// ActionCompleteLayerUpload gates finishing an upload (PUT upload).
	ActionCompleteLayerUpload = "ecr:CompleteLayerUpload"
	// ActionPutImage gates storing manifests and tags (PUT manifest).
	ActionPutImage = "ecr:PutImage"
	// ActionBatchDeleteImage gates deleting manifests, tags and blobs.
	ActionBatchDeleteImage = "ecr:BatchDeleteImage"
	// ActionListImages gates listing tags (GET tags/list).
	ActionListImages = "ecr:ListImages"
	// ActionDescribeRepositories gates the catalog (GET /v2/_catalog).
	ActionDescribeRepositories = "ecr:DescribeRepositories"
	// ActionListImageReferrers gates the OCI 1.1 referrers listing.
	ActionListImageReferrers = "ecr:ListImageReferrers"
	// ActionBatchImportUpstreamImage gates fetching an image from a pull through cache's
	// upstream: a pull that the cache cannot answer from storage (a first pull, a tag due for
	// refresh).
	ActionBatchImportUpstreamImage = "ecr:BatchImportUpstreamImage"
	// ActionCreateRepository gates the creation of a Repository by the pull through cache, on
	// the first pull of an upstream repository.
	ActionCreateRepository = "ecr:CreateRepository"
)

// knownActions is the list of ECR actions a RepositoryPolicy may name, in the order of the CEL
// rule on the Action type (api/ecr/v1alpha1/repositorypolicy_types.go), which holds them in
// lowercase so that it can compare self.lowerAscii() with them. TestKnownActionsMatchCRD keeps
// the two equal.
var knownActions = []string{
	"ecr:BatchGetImage",
	"ecr:GetDownloadUrlForLayer",
	"ecr:BatchCheckLayerAvailability",
	"ecr:InitiateLayerUpload",
	"ecr:UploadLayerPart",
	"ecr:CompleteLayerUpload",
	"ecr:PutImage",
	"ecr:BatchDeleteImage",
	"ecr:ListImages",
	"ecr:DescribeImages",
	"ecr:DescribeRepositories",
	"ecr:GetAuthorizationToken",
	"ecr:ListImageReferrers",
	"ecr:DescribeImageScanFindings",
	"ecr:DescribeImageReplicationStatus",
	"ecr:DescribeImageSigningStatus",
	"ecr:ListTagsForResource",
	"ecr:GetRepositoryPolicy",
	"ecr:GetLifecyclePolicy",
	"ecr:GetLifecyclePolicyPreview",
	"ecr:BatchGetRepositoryScanningConfiguration",
	"ecr:SetRepositoryPolicy",
	"ecr:DeleteRepositoryPolicy",
	"ecr:PutLifecyclePolicy",
	"ecr:DeleteLifecyclePolicy",
	"ecr:StartLifecyclePolicyPreview",
	"ecr:PutImageTagMutability",
	"ecr:PutImageScanningConfiguration",
	"ecr:StartImageScan",
	"ecr:UpdateImageStorageClass",
	"ecr:CreateRepository",
	"ecr:DeleteRepository",
	"ecr:TagResource",
	"ecr:UntagResource",
	"ecr:ReplicateImage",
	"ecr:BatchImportUpstreamImage",
	"ecr:GetImageCopyStatus",
}

// ErrUnknownAction reports an action that names no ECR action, so that a policy holding it can
// be reported as not Ready instead of being silently ignored.
var ErrUnknownAction = errors.New("unknown ECR action")

// KnownActions returns the ECR action names a RepositoryPolicy may use, in a fixed order. It
// returns a copy, so callers may keep or change it.
func KnownActions() []string {
	return slices.Clone(knownActions)
}

// IsKnownAction reports whether name is one of KnownActions, in any case (ecr:batchgetimage is
// ecr:BatchGetImage, as IAM action names are case-insensitive), without wildcards.
func IsKnownAction(name string) bool {
	return slices.ContainsFunc(knownActions, func(a string) bool { return asciiEqualFold(a, name) })
}

// ValidateAction applies the same rule as the CRD schema to a policy action: "*", a known
// action name, or a pattern ending in "*" whose prefix starts at least one known action, all
// compared case-insensitively as MatchAction compares them. It lets the RepositoryPolicy
// controller explain a policy that reached the cluster without the schema (an older CRD, for
// instance), through Validate. Errors wrap ErrUnknownAction.
func ValidateAction(pattern string) error {
	if pattern == "*" || IsKnownAction(pattern) {
		return nil
	}
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		for _, a := range knownActions {
			if len(a) >= len(prefix) && asciiEqualFold(a[:len(prefix)], prefix) {
				return nil
			}
		}
	}
	return fmt.Errorf("%w %q: use an ECR action name such as %s, or a wildcard that matches one such as ecr:* or ecr:Get*", ErrUnknownAction, pattern, ActionBatchGetImage)
}

// MatchAction reports whether a policy action pattern covers action.
//
// As in IAM, action names match case-insensitively (ASCII letters only, which is all ECR
// action names hold), and "*" is a wildcard for any run of characters. Unlike IAM, only a
// trailing "*" is a wildcard, because the CRD schema only admits patterns of that form; a "*"
// or "?" anywhere else is an ordinary character and so never matches a real action name.
func MatchAction(pattern, action string) bool {
	if pattern == action {
		return true
	}
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return len(action) >= len(prefix) && asciiEqualFold(action[:len(prefix)], prefix)
	}
	return asciiEqualFold(pattern, action)
}

// matchesAnyAction reports whether one of patterns covers action.
func matchesAnyAction[S ~string](patterns []S, action string) bool {
	for _, p := range patterns {
		if MatchAction(string(p), action) {
			return true
		}
	}
	return false
}

// asciiEqualFold compares a and b ignoring the case of ASCII letters only, so that matching
// never depends on Unicode case tables and byte lengths always agree.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}
