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

package middleware

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path"
	"sort"

	storagedriver "github.com/distribution/distribution/v3/registry/storage/driver"
	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// The OCI 1.1 referrers index, which distribution v3 does not have. A manifest with a subject
// is a referrer of that subject: when it is stored, its descriptor is written to a file of its
// own under the subject, in the repository's folder of distribution's layout, in a folder
// distribution neither reads nor walks:
//
//	/docker/registry/v2/repositories/<repo>/_berth/referrers/<alg>/<subject hex>/<alg>/<referrer hex>
//
// One file per referrer means no read-modify-write: concurrent pushes, deletes and replicas
// sharing one storage never lose an entry, and the listing is a directory listing. Deleting a
// referrer removes its file; deleting a subject deletes its referrers too (ECR's behaviour), so
// signatures and SBOMs do not outlive the image they describe.

// subjectHeader is the response header that says a manifest PUT processed the subject.
const subjectHeader = "OCI-Subject"

// RepositoryRoot is repo's folder in distribution's storage layout (registry/storage/paths.go);
// Berth keeps what distribution does not (referrers, pulls) under its _berth folder.
func RepositoryRoot(repo string) string {
	return "/docker/registry/v2/repositories/" + repo
}

// RevisionLinkPath is where distribution's layout keeps the link that makes manifest d part of
// repo: written on every put of the manifest, so its modification time is the push time.
func RevisionLinkPath(repo string, d digest.Digest) string {
	return RepositoryRoot(repo) + "/_manifests/revisions/" + d.Algorithm().String() + "/" + d.Encoded() + "/link"
}

// referrersRoot is the folder of repo's referrers index.
func referrersRoot(repo string) string {
	return RepositoryRoot(repo) + "/_berth/referrers"
}

// referrersDir is the folder of subject's referrers in repo.
func referrersDir(repo string, subject digest.Digest) string {
	return path.Join(referrersRoot(repo), subject.Algorithm().String(), subject.Encoded())
}

// referrerPath is the file of one referrer of subject in repo.
func referrerPath(repo string, subject, referrer digest.Digest) string {
	return path.Join(referrersDir(repo, subject), referrer.Algorithm().String(), referrer.Encoded())
}

// manifestFields are the fields of an OCI manifest or index the referrers API reads.
type manifestFields struct {
	MediaType    string            `json:"mediaType"`
	ArtifactType string            `json:"artifactType"`
	Config       *v1.Descriptor    `json:"config"`
	Subject      *v1.Descriptor    `json:"subject"`
	Annotations  map[string]string `json:"annotations"`
}

// ReferrerOf returns the subject of the manifest payload and the descriptor under which the
// referrers API lists it (its artifactType, or its config's media type when it has none, as
// the distribution spec says), or a nil subject when the manifest has none.
func ReferrerOf(mediaType string, payload []byte, d digest.Digest) (subject *v1.Descriptor, desc v1.Descriptor, err error) {
	var m manifestFields
	if err := json.Unmarshal(payload, &m); err != nil {
		return nil, v1.Descriptor{}, fmt.Errorf("reading the manifest: %w", err)
	}
	if m.Subject == nil {
		return nil, v1.Descriptor{}, nil
	}
	if err := m.Subject.Digest.Validate(); err != nil {
		return nil, v1.Descriptor{}, fmt.Errorf("the manifest's subject digest: %w", err)
	}
	if m.MediaType != "" {
		mediaType = m.MediaType
	}
	artifactType := m.ArtifactType
	if artifactType == "" && m.Config != nil {
		artifactType = m.Config.MediaType
	}
	return m.Subject, v1.Descriptor{
		MediaType:    mediaType,
		ArtifactType: artifactType,
		Digest:       d,
		Size:         int64(len(payload)),
		Annotations:  m.Annotations,
	}, nil
}

// writeReferrer records desc as a referrer of subject in repo.
func writeReferrer(ctx context.Context, driver storagedriver.StorageDriver, repo string, subject digest.Digest, desc v1.Descriptor) error {
	b, err := json.Marshal(desc)
	if err != nil {
		return err
	}
	if err := driver.PutContent(ctx, referrerPath(repo, subject, desc.Digest), b); err != nil {
		return fmt.Errorf("recording %s as a referrer of %s: %w", desc.Digest, subject, err)
	}
	return nil
}

// ListReferrers returns the referrers of subject in repo, sorted by digest; with artifactType
// set, only those of that type. A subject without referrers (or unknown) has none.
func ListReferrers(ctx context.Context, driver storagedriver.StorageDriver, repo string, subject digest.Digest, artifactType string) ([]v1.Descriptor, error) {
	var files []string
	dir := referrersDir(repo, subject)
	algs, err := driver.List(ctx, dir)
	if IsPathNotFound(err) {
		return []v1.Descriptor{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing the referrers of %s: %w", subject, err)
	}
	for _, a := range algs {
		names, err := driver.List(ctx, a)
		if IsPathNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("listing the referrers of %s: %w", subject, err)
		}
		files = append(files, names...)
	}
	sort.Strings(files)
	out := make([]v1.Descriptor, 0, len(files))
	for _, f := range files {
		b, err := driver.GetContent(ctx, f)
		if IsPathNotFound(err) {
			continue // deleted while listing
		}
		if err != nil {
			return nil, fmt.Errorf("reading referrer %s: %w", f, err)
		}
		var d v1.Descriptor
		if err := json.Unmarshal(b, &d); err != nil {
			continue // a torn write of a crashed replica; the next push of it rewrites it
		}
		if artifactType == "" || d.ArtifactType == artifactType {
			out = append(out, d)
		}
	}
	return out, nil
}

// IsPathNotFound reports whether err says a storage path does not exist.
func IsPathNotFound(err error) bool {
	var nf storagedriver.PathNotFoundError
	return errors.As(err, &nf)
}

// responseHeaderKey is the request-context key of the response headers a manifest PUT may
// add to (OCI-Subject).
type responseHeaderKey struct{}

// WithResponseHeader returns ctx carrying h, the headers of the response to the request ctx
// belongs to: the manifest middleware sets OCI-Subject there when it recorded a subject, before
// distribution writes the response.
func WithResponseHeader(ctx context.Context, h http.Header) context.Context {
	return context.WithValue(ctx, responseHeaderKey{}, h)
}

func responseHeader(ctx context.Context) http.Header {
	h, _ := ctx.Value(responseHeaderKey{}).(http.Header)
	return h
}
