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

// Package imageapi is the wire format of berth-registry's image listing, an extension of the
// OCI distribution API: OCI has no push time and no way to list untagged manifests, both of
// which Repository status and lifecycle rules need. It lives apart from package registry so
// that berth-controller can read the listing without linking distribution.
package imageapi

import (
	"net/url"
	"time"
)

// PathPrefix starts every path of Berth's registry extension API.
const PathPrefix = "/berth/v1/repositories/"

// ImagesPath is the path that lists the images of repository namespace/name:
// GET /berth/v1/repositories/<namespace>/<name>/images. It needs ecr:DescribeImages, which
// RBAC grants with verb pull on repositories.ecr.berth.dev.
func ImagesPath(namespace, name string) string {
	return PathPrefix + url.PathEscape(namespace) + "/" + url.PathEscape(name) + "/images"
}

// ImageList is the answer of ImagesPath: every manifest of the repository, in no particular
// order.
type ImageList struct {
	// Repository is the OCI repository name, <namespace>/<name>.
	Repository string `json:"repository"`
	// Images are the repository's manifests.
	Images []Image `json:"images"`
	// StorageBytes is the size of the distinct blobs the images reference (manifests,
	// configs, layers), each counted once: what the repository holds in the store.
	StorageBytes int64 `json:"storageBytes"`
}

// Image is one manifest as the registry's storage knows it.
type Image struct {
	// Digest is the manifest digest.
	Digest string `json:"digest"`
	// MediaType is the manifest's media type.
	MediaType string `json:"mediaType,omitempty"`
	// Tags point at the manifest, sorted.
	Tags []string `json:"tags,omitempty"`
	// SizeBytes is the compressed size of the config and layers of an image manifest; for an
	// index or manifest list, the largest of its children present in the repository (as ECR
	// reports it).
	SizeBytes int64 `json:"sizeBytes"`
	// PushedAt is when the manifest was last put: the modification time of its revision link
	// in storage. Pushing the same manifest again renews it.
	PushedAt time.Time `json:"pushedAt,omitzero"`
	// LastPulledAt is the last recorded successful GET of the manifest (recorded at most
	// once an hour per manifest, as ECR records pulls at least daily); zero: never pulled.
	LastPulledAt time.Time `json:"lastPulledAt,omitzero"`
	// Children are the digests an index or manifest list references.
	Children []string `json:"children,omitempty"`
	// ReferencedBy are the digests of the indexes and manifest lists in the repository that
	// reference this manifest; lifecycle rules expire it only after them.
	ReferencedBy []string `json:"referencedBy,omitempty"`
	// Subject is the digest of the manifest this one refers to (OCI 1.1 subject), for
	// artifacts attached to an image; empty for images.
	Subject string `json:"subject,omitempty"`
	// ArtifactType is the type of an attached artifact: its artifactType, else its config's
	// media type.
	ArtifactType string `json:"artifactType,omitempty"`
}
