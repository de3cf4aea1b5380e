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
	"net/http"
)

// Verb is the RBAC verb on resource repositories.ecr.berth.dev that plays the part of IAM
// identity policies when no RepositoryPolicy statement decides (docs/registry-internals.md,
// step 2 of the decision).
type Verb string

// RBAC verbs of the bundled registry, as granted by the chart's ClusterRoles.
const (
	// VerbPull reads images: manifests, blobs, tags, referrers.
	VerbPull Verb = "pull"
	// VerbPush writes images: blob uploads and manifest puts.
	VerbPush Verb = "push"
	// VerbDelete deletes manifests, tags and blobs. Push never implies it.
	VerbDelete Verb = "delete"
	// VerbImport lets a pull through the cache reach the upstream: ecr:BatchImportUpstreamImage
	// and, for an upstream repository not cached yet, ecr:CreateRepository (the Repository the
	// registry then creates from the namespace's creation template).
	VerbImport Verb = "import"
	// VerbList lists repositories (the catalog); the catalog is then filtered to what the
	// caller may pull.
	VerbList Verb = "list"
)

// Requirement is one permission a request needs: an ECR action on a repository, and the RBAC
// verb to ask for when no policy statement decides.
type Requirement struct {
	// Repository is the OCI repository name ("namespace/name"); empty for registry-level
	// actions (the catalog).
	Repository string
	// Action is the ECR action, such as ecr:BatchGetImage.
	Action string
	// Verb is the RBAC verb for the SubjectAccessReview fallback.
	Verb Verb
	// MountSource marks the pull on the source of a cross-repository blob mount. When it is
	// denied the registry drops the mount and lets the client upload normally, rather than
	// failing the request (docs/registry-internals.md; containerd aborts a push on 403 here).
	MountSource bool
}

// ImportRequirements are what a pull through the cache needs, beyond the pull itself, when the
// registry must fetch from the upstream repository: ecr:BatchImportUpstreamImage, plus
// ecr:CreateRepository when the Repository repo does not exist yet (ECR asks the same of a
// first pull). Both fall back to RBAC verb import.
func ImportRequirements(repo string, create bool) []Requirement {
	reqs := []Requirement{{Repository: repo, Action: ActionBatchImportUpstreamImage, Verb: VerbImport}}
	if create {
		reqs = append(reqs, Requirement{Repository: repo, Action: ActionCreateRepository, Verb: VerbImport})
	}
	return reqs
}

// ErrUnsupportedRequest reports a method and route pair that the registry does not serve, or a
// mount source on a request that cannot mount; the registry refuses such requests.
var ErrUnsupportedRequest = errors.New("unsupported registry request")

// RequiredActions returns what a request needs, following docs/registry-internals.md's table:
//
//	GET/HEAD manifest                 ecr:BatchGetImage                 pull
//	PUT manifest                      ecr:PutImage                      push
//	DELETE manifest or tag            ecr:BatchDeleteImage              delete
//	GET blob                          ecr:GetDownloadUrlForLayer        pull
//	HEAD blob                         ecr:BatchCheckLayerAvailability   pull
//	DELETE blob                       ecr:BatchDeleteImage              delete
//	POST upload                       ecr:InitiateLayerUpload           push
//	PATCH upload                      ecr:UploadLayerPart               push
//	PUT upload                        ecr:CompleteLayerUpload           push
//	GET upload status, DELETE upload  ecr:UploadLayerPart               push
//	GET tags/list                     ecr:ListImages                    pull
//	GET referrers                     ecr:ListImageReferrers            pull
//	GET /v2/_catalog                  ecr:DescribeRepositories          list (registry level)
//	GET/HEAD /v2/                     nothing (authentication only)
//
// A cross-repository mount (POST upload with ?mount=&from=<mountFrom>) needs push on the target
// and ecr:GetDownloadUrlForLayer (pull) on the source, marked MountSource: a mount copies a
// blob, which is exactly what reading it and uploading it again would do. mountFrom must be
// empty for every other request.
//
// Unlike distribution's own access records, nothing here lets push stand in for delete:
// deleting an image always needs ecr:BatchDeleteImage and the delete verb. Cancelling one's own
// upload (DELETE on an upload) deletes no image, so it is part of pushing.
//
// repo must follow the OCI name grammar for repository routes and be empty for the base and
// catalog routes. The result is never empty except for RouteBase. Errors wrap
// ErrUnsupportedRequest or ErrInvalidName.
func RequiredActions(method string, route Route, repo, mountFrom string) ([]Requirement, error) {
	switch route {
	case RouteBase, RouteCatalog:
		if repo != "" || mountFrom != "" {
			return nil, fmt.Errorf("%w: the %s route takes no repository", ErrUnsupportedRequest, route)
		}
		switch {
		case route == RouteBase && (method == http.MethodGet || method == http.MethodHead):
			return nil, nil
		case route == RouteCatalog && method == http.MethodGet:
			return []Requirement{{Action: ActionDescribeRepositories, Verb: VerbList}}, nil
		}
		return nil, unsupported(method, route)
	case RouteTags, RouteManifest, RouteBlob, RouteBlobUpload, RouteReferrers:
	default:
		return nil, fmt.Errorf("%w: unknown route %s", ErrUnsupportedRequest, route)
	}

	if err := ValidateName(repo); err != nil {
		return nil, err
	}
	if mountFrom != "" && (route != RouteBlobUpload || method != http.MethodPost) {
		return nil, fmt.Errorf("%w: a mount source only applies to POST on a blob upload, not %s %s", ErrUnsupportedRequest, method, route)
	}

	action, verb, ok := repositoryAction(method, route)
	if !ok {
		return nil, unsupported(method, route)
	}
	reqs := []Requirement{{Repository: repo, Action: action, Verb: verb}}
	if mountFrom != "" {
		if err := ValidateName(mountFrom); err != nil {
			return nil, fmt.Errorf("mount source: %w", err)
		}
		reqs = append(reqs, Requirement{Repository: mountFrom, Action: ActionGetDownloadURLForLayer, Verb: VerbPull, MountSource: true})
	}
	return reqs, nil
}

// repositoryAction is the ECR action and RBAC verb of method on a repository route.
func repositoryAction(method string, route Route) (action string, verb Verb, ok bool) {
	switch route {
	case RouteTags:
		if method == http.MethodGet {
			return ActionListImages, VerbPull, true
		}
	case RouteReferrers:
		if method == http.MethodGet {
			return ActionListImageReferrers, VerbPull, true
		}
	case RouteManifest:
		switch method {
		case http.MethodGet, http.MethodHead:
			return ActionBatchGetImage, VerbPull, true
		case http.MethodPut:
			return ActionPutImage, VerbPush, true
		case http.MethodDelete:
			return ActionBatchDeleteImage, VerbDelete, true
		}
	case RouteBlob:
		switch method {
		case http.MethodGet:
			return ActionGetDownloadURLForLayer, VerbPull, true
		case http.MethodHead:
			return ActionBatchCheckLayerAvailability, VerbPull, true
		case http.MethodDelete:
			return ActionBatchDeleteImage, VerbDelete, true
		}
	case RouteBlobUpload:
		switch method {
		case http.MethodPost:
			return ActionInitiateLayerUpload, VerbPush, true
		case http.MethodPatch, http.MethodGet, http.MethodDelete:
			return ActionUploadLayerPart, VerbPush, true
		case http.MethodPut:
			return ActionCompleteLayerUpload, VerbPush, true
		}
	}
	return "", "", false
}

func unsupported(method string, route Route) error {
	return fmt.Errorf("%w: %s on the %s route", ErrUnsupportedRequest, method, route)
}
