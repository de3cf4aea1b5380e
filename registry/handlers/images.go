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

package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/distribution/distribution/v3"
	"github.com/distribution/distribution/v3/registry/api/errcode"
	storagedriver "github.com/distribution/distribution/v3/registry/storage/driver"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"

	"github.com/berth-dev/berth/internal/policy"
	"github.com/berth-dev/berth/registry/imageapi"
	"github.com/berth-dev/berth/registry/metrics"
	"github.com/berth-dev/berth/registry/middleware"
)

// actionDescribeImages is the ECR action of the image listing. A RepositoryPolicy grants it
// with ecr:* or ecr:Describe*; RBAC grants it with verb pull, as ECR's read-only managed policy
// does.
const actionDescribeImages = "ecr:DescribeImages"

// Images serves imageapi.ImagesPath. The listing reads distribution's storage
// directly, because the OCI API has neither push times nor a way to list untagged manifests.
type Images struct {
	// Gate authenticates and authorizes, as for the registry API.
	Gate *Gate
	// Deps give the App's storage.
	Deps *middleware.Deps
}

// ServeHTTP answers GET imageapi.ImagesPath with the repository's images.
func (h *Images) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeError(w, errcode.ErrorCodeUnsupported.WithMessage("the image listing answers GET only"))
		return
	}
	ns, name, ok := parseImagesPath(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	repo := policy.JoinRepository(ns, name)
	if err := policy.ValidateName(repo); err != nil {
		writeError(w, errcode.ErrorCodeNameInvalid.WithMessage(err.Error()))
		return
	}
	g := h.Gate
	ctx := r.Context()
	id, err := g.authenticate(ctx, r)
	if err != nil {
		o := g.authenticationFailure(r, policy.Endpoint{}, err)
		o.fail(w)
		return
	}
	req := policy.Requirement{Repository: repo, Action: actionDescribeImages, Verb: policy.VerbPull}
	d, err := g.Authz.Decide(ctx, id, req)
	if err != nil {
		g.failure(r, req, actionDescribeImages, err).fail(w)
		return
	}
	if !d.Allowed {
		g.refuse(r, id, req, d, actionDescribeImages).fail(w)
		return
	}
	g.Metrics.Decided(actionDescribeImages, metrics.DecisionAllow, 0)
	exists, err := g.exists(ctx, ns, name)
	if err != nil {
		g.failure(r, req, actionDescribeImages, err).fail(w)
		return
	}
	if !exists {
		writeError(w, middleware.NameUnknownError(repo, fmt.Sprintf("there is no Repository %s in namespace %s", name, ns)))
		return
	}
	sa := h.Deps.Storage()
	if sa == nil {
		unavailable(w, "the registry's storage is not ready")
		return
	}
	images, storage, err := listImages(ctx, sa, repo)
	if err != nil {
		g.Log.Error(err, "listing images", "repository", repo)
		unavailable(w, "cannot list the images: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(imageapi.ImageList{Repository: repo, Images: images, StorageBytes: storage})
}

// parseImagesPath splits /berth/v1/repositories/<namespace>/<name>/images.
func parseImagesPath(path string) (namespace, name string, ok bool) {
	rest, ok := strings.CutPrefix(path, imageapi.PathPrefix)
	if !ok {
		return "", "", false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 || parts[2] != "images" || parts[0] == "" || parts[1] == "" {
		return "", "", false
	}
	return parts[0], parts[1], true
}

// listImages reads every manifest of repo with its tags, size and push time. A repository
// nothing was pushed to has no images.
func listImages(ctx context.Context, sa *middleware.Storage, repo string) ([]imageapi.Image, int64, error) {
	named, err := reference.WithName(repo)
	if err != nil {
		return nil, 0, fmt.Errorf("repository name %q: %w", repo, err)
	}
	r, err := sa.Namespace.Repository(ctx, named)
	if err != nil {
		return nil, 0, fmt.Errorf("opening repository %s: %w", repo, err)
	}
	ms, err := r.Manifests(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("opening the manifests of %s: %w", repo, err)
	}
	enum, ok := ms.(distribution.ManifestEnumerator)
	if !ok {
		return nil, 0, errors.New("the storage cannot enumerate manifests")
	}
	var digests []digest.Digest
	if err := enum.Enumerate(ctx, func(d digest.Digest) error {
		digests = append(digests, d)
		return nil
	}); err != nil && !middleware.IsPathNotFound(err) {
		return nil, 0, fmt.Errorf("enumerating the manifests of %s: %w", repo, err)
	}
	tags, err := tagsByDigest(ctx, r.Tags(ctx))
	if err != nil {
		return nil, 0, fmt.Errorf("reading the tags of %s: %w", repo, err)
	}
	byDigest := make(map[string]*imageapi.Image, len(digests))
	images := make([]imageapi.Image, 0, len(digests))
	blobs := make(map[digest.Digest]int64)
	for _, d := range digests {
		img, err := describe(ctx, sa.Driver, ms, repo, d, blobs)
		if errors.As(err, new(distribution.ErrManifestUnknownRevision)) || middleware.IsPathNotFound(err) {
			continue // deleted while listing
		}
		if err != nil {
			return nil, 0, err
		}
		img.Tags = tags[d.String()]
		images = append(images, img)
	}
	for i := range images {
		byDigest[images[i].Digest] = &images[i]
	}
	for i := range images {
		img := &images[i]
		for _, c := range img.Children {
			child, ok := byDigest[c]
			if !ok {
				continue
			}
			child.ReferencedBy = append(child.ReferencedBy, img.Digest)
			img.SizeBytes = max(img.SizeBytes, child.SizeBytes)
		}
	}
	for i := range images {
		slices.Sort(images[i].ReferencedBy)
	}
	var storage int64
	for _, n := range blobs {
		storage += n
	}
	return images, storage, nil
}

// describe reads one manifest, and adds the sizes of the blobs it and its references occupy
// to blobs.
func describe(ctx context.Context, driver storagedriver.StorageDriver, ms distribution.ManifestService, repo string, d digest.Digest, blobs map[digest.Digest]int64) (imageapi.Image, error) {
	m, err := ms.Get(ctx, d)
	if err != nil {
		return imageapi.Image{}, fmt.Errorf("reading manifest %s of %s: %w", d, repo, err)
	}
	mediaType, payload, err := m.Payload()
	if err != nil {
		return imageapi.Image{}, fmt.Errorf("reading manifest %s of %s: %w", d, repo, err)
	}
	img := imageapi.Image{Digest: d.String(), MediaType: mediaType}
	blobs[d] = int64(len(payload))
	for _, ref := range m.References() {
		if !isIndex(mediaType) && ref.Size > 0 {
			blobs[ref.Digest] = ref.Size
		}
	}
	if subject, desc, err := middleware.ReferrerOf(mediaType, payload, d); err == nil && subject != nil {
		img.Subject, img.ArtifactType = subject.Digest.String(), desc.ArtifactType
	}
	if isIndex(mediaType) {
		for _, ref := range m.References() {
			img.Children = append(img.Children, ref.Digest.String())
		}
	} else {
		for _, ref := range m.References() {
			img.SizeBytes += ref.Size
		}
	}
	fi, err := driver.Stat(ctx, middleware.RevisionLinkPath(repo, d))
	if err != nil {
		return imageapi.Image{}, fmt.Errorf("reading the push time of %s in %s: %w", d, repo, err)
	}
	img.PushedAt = fi.ModTime().UTC()
	if img.LastPulledAt, err = lastPulled(ctx, driver, repo, d); err != nil {
		return imageapi.Image{}, fmt.Errorf("reading the last pull of %s in %s: %w", d, repo, err)
	}
	return img, nil
}

// isIndex reports whether mediaType is an OCI index or a Docker manifest list.
func isIndex(mediaType string) bool {
	return mediaType == "application/vnd.oci.image.index.v1+json" ||
		mediaType == "application/vnd.docker.distribution.manifest.list.v2+json"
}

// tagsByDigest maps each digest to its sorted tags.
func tagsByDigest(ctx context.Context, ts distribution.TagService) (map[string][]string, error) {
	all, err := ts.All(ctx)
	if err != nil {
		if middleware.IsPathNotFound(err) || errors.As(err, new(distribution.ErrRepositoryUnknown)) {
			return nil, nil
		}
		return nil, err
	}
	out := make(map[string][]string, len(all))
	for _, tag := range all {
		desc, err := ts.Get(ctx, tag)
		if errors.As(err, new(distribution.ErrTagUnknown)) || middleware.IsPathNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading tag %s: %w", tag, err)
		}
		out[desc.Digest.String()] = append(out[desc.Digest.String()], tag)
	}
	for _, tags := range out {
		slices.Sort(tags)
	}
	return out, nil
}
