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

package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go"
	ocispecv1 "github.com/opencontainers/image-spec/specs-go/v1"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	"github.com/berth-dev/berth/registry/imageapi"
)

// TestReferrers: an artifact pushed with a subject (a signature, an SBOM) is answered with
// OCI-Subject, listed by the referrers API (filtered by artifactType on request), shown as
// attached in the image listing, dropped from the list when deleted, and deleted with its
// subject, as ECR does.
func TestReferrers(t *testing.T) {
	s := needSuite(t)
	s.namespaces(t, "ref-a")
	owner := s.serviceAccount(t, "ref-a", "owner", "berth-registry-admin")
	s.repository(t, "ref-a", "app", ecrv1alpha1.ImmutableWithExclusion, "sha256-*")
	img := randomImage(t)
	if err := push(s.ref("ref-a/app", "v1"), img, owner.token); err != nil {
		t.Fatal(err)
	}
	subject := digestOf(t, img).String()
	imgManifest, err := img.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	subjectDesc := ocispecv1.Descriptor{MediaType: ocispecv1.MediaTypeImageManifest, Digest: digest.Digest(subject), Size: int64(len(imgManifest))}

	sig := s.pushArtifact(t, owner.token, "ref-a/app", "application/vnd.dev.cosign.artifact.sig.v1+json", subjectDesc, "")
	sbom := s.pushArtifact(t, owner.token, "ref-a/app", "application/spdx+json", subjectDesc, "")
	// An artifact of the signature, to check deletes follow referrers of referrers.
	sigManifest := s.doWith(t, http.MethodGet, "/v2/ref-a/app/manifests/"+sig, func(req *http.Request) {
		req.SetBasicAuth("berth", owner.token)
		req.Header.Set("Accept", ocispecv1.MediaTypeImageManifest)
	})
	sigDesc := ocispecv1.Descriptor{MediaType: ocispecv1.MediaTypeImageManifest, Digest: digest.Digest(sig), Size: int64(len(sigManifest.body))}
	countersig := s.pushArtifact(t, owner.token, "ref-a/app", "application/vnd.example.countersignature", sigDesc, "")

	if got := s.referrers(t, owner.token, "ref-a/app", subject, ""); !sameDigests(got, sig, sbom) {
		t.Errorf("referrers of the image: %v, want the signature and the SBOM", got)
	}
	resp := s.do(t, http.MethodGet, "/v2/ref-a/app/referrers/"+subject+"?artifactType=application/spdx%2Bjson", owner.token)
	var idx ocispecv1.Index
	if err := json.Unmarshal(resp.body, &idx); err != nil || resp.header.Get("OCI-Filters-Applied") != "artifactType" || len(idx.Manifests) != 1 || idx.Manifests[0].Digest.String() != sbom {
		t.Errorf("referrers filtered by artifactType: %d %v %s, want only the SBOM with OCI-Filters-Applied", resp.status, resp.header, resp.body)
	}
	if got := s.referrers(t, owner.token, "ref-a/app", "sha256:"+hex64, ""); len(got) != 0 {
		t.Errorf("referrers of an unknown subject: %v, want none", got)
	}
	for _, im := range s.images(t, imageapi.ImagesPath("ref-a", "app"), owner.token) {
		switch im.Digest {
		case sig, sbom:
			if im.Subject != subject || im.ArtifactType == "" {
				t.Errorf("image listing shows artifact %s with subject %q and type %q", im.Digest, im.Subject, im.ArtifactType)
			}
		case subject:
			if im.Subject != "" {
				t.Errorf("the image itself has subject %q", im.Subject)
			}
		}
	}

	// Deleting the SBOM drops it from the list.
	if resp := s.do(t, http.MethodDelete, "/v2/ref-a/app/manifests/"+sbom, owner.token); resp.status != http.StatusAccepted {
		t.Fatalf("deleting the SBOM: %d %s", resp.status, resp.body)
	}
	if got := s.referrers(t, owner.token, "ref-a/app", subject, ""); !sameDigests(got, sig) {
		t.Errorf("referrers after deleting the SBOM: %v, want the signature", got)
	}
	// Deleting the image deletes the signature and its countersignature.
	if resp := s.do(t, http.MethodDelete, "/v2/ref-a/app/manifests/"+subject, owner.token); resp.status != http.StatusAccepted {
		t.Fatalf("deleting the image: %d %s", resp.status, resp.body)
	}
	for _, d := range []string{sig, countersig} {
		if resp := s.do(t, http.MethodGet, "/v2/ref-a/app/manifests/"+d, owner.token); resp.status != http.StatusNotFound {
			t.Errorf("artifact %s after its subject was deleted: %d, want 404", d, resp.status)
		}
	}
	if got := s.referrers(t, owner.token, "ref-a/app", subject, ""); len(got) != 0 {
		t.Errorf("referrers of the deleted image: %v, want none", got)
	}

	// Listing referrers is a pull-class action (ecr:ListImageReferrers): anonymous callers
	// without a policy are refused.
	if resp := s.do(t, http.MethodGet, "/v2/ref-a/app/referrers/"+subject, ""); resp.status != http.StatusUnauthorized {
		t.Errorf("anonymous referrers listing: %d, want 401", resp.status)
	}
}

// pushArtifact pushes an OCI artifact manifest (empty config, one small layer) of
// artifactType with subject, by digest or under tag, checks the OCI-Subject answer, and
// returns its digest.
func (s *testSuite) pushArtifact(t *testing.T, token, repo, artifactType string, subject ocispecv1.Descriptor, tag string) string {
	t.Helper()
	empty := []byte("{}")
	layer := []byte(fmt.Sprintf(`{"artifact":%q}`, artifactType))
	for _, blob := range [][]byte{empty, layer} {
		s.pushBlob(t, token, repo, blob)
	}
	m := ocispecv1.Manifest{
		Versioned:    ocispec.Versioned{SchemaVersion: 2},
		MediaType:    ocispecv1.MediaTypeImageManifest,
		ArtifactType: artifactType,
		Config:       ocispecv1.DescriptorEmptyJSON,
		Layers:       []ocispecv1.Descriptor{{MediaType: "application/octet-stream", Digest: digest.FromBytes(layer), Size: int64(len(layer))}},
		Subject:      &subject,
	}
	body, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	d := digest.FromBytes(body).String()
	ref := d
	if tag != "" {
		ref = tag
	}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPut, "http://"+s.addr+"/v2/"+repo+"/manifests/"+ref, bytes.NewReader(body))
	req.SetBasicAuth("berth", token)
	req.Header.Set("Content-Type", ocispecv1.MediaTypeImageManifest)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("OCI-Subject") != subject.Digest.String() {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("pushing an artifact with a subject: %d %s, OCI-Subject %q, want 201 and %s", resp.StatusCode, b, resp.Header.Get("OCI-Subject"), subject.Digest)
	}
	return d
}

// pushBlob uploads blob to repo in one monolithic POST+PUT.
func (s *testSuite) pushBlob(t *testing.T, token, repo string, blob []byte) {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, "http://"+s.addr+"/v2/"+repo+"/blobs/uploads/", nil)
	req.SetBasicAuth("berth", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusAccepted || loc == "" {
		t.Fatalf("starting an upload: %d", resp.StatusCode)
	}
	sep := "?"
	if bytes.ContainsRune([]byte(loc), '?') {
		sep = "&"
	}
	req, _ = http.NewRequestWithContext(context.Background(), http.MethodPut, loc+sep+"digest="+digest.FromBytes(blob).String(), bytes.NewReader(blob))
	req.SetBasicAuth("berth", token)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("completing an upload: %d", resp.StatusCode)
	}
}

// referrers lists the referrers of subject in repo.
func (s *testSuite) referrers(t *testing.T, token, repo, subject, artifactType string) []string {
	t.Helper()
	path := "/v2/" + repo + "/referrers/" + subject
	if artifactType != "" {
		path += "?artifactType=" + artifactType
	}
	resp := s.do(t, http.MethodGet, path, token)
	if resp.status != http.StatusOK || resp.header.Get("Content-Type") != ocispecv1.MediaTypeImageIndex {
		t.Fatalf("GET %s: %d %s %s", path, resp.status, resp.header.Get("Content-Type"), resp.body)
	}
	var idx ocispecv1.Index
	if err := json.Unmarshal(resp.body, &idx); err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, m := range idx.Manifests {
		out = append(out, m.Digest.String())
	}
	return out
}

// sameDigests reports whether got holds exactly want, in any order.
func sameDigests(got []string, want ...string) bool {
	if len(got) != len(want) {
		return false
	}
	seen := map[string]bool{}
	for _, g := range got {
		seen[g] = true
	}
	for _, w := range want {
		if !seen[w] {
			return false
		}
	}
	return true
}
