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
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	"github.com/berth-dev/berth/registry/imageapi"
)

// TestImageListing: the extension endpoint lists every manifest (tagged, untagged, an index
// and its children) with tags, media type, size and push time, to callers that may pull, and
// forgets a manifest deleted through the OCI API.
func TestImageListing(t *testing.T) {
	s := needSuite(t)
	s.namespaces(t, "images-a")
	builder := s.serviceAccount(t, "images-a", "builder", "berth-registry-admin")
	reader := s.serviceAccount(t, "images-a", "reader", "berth-registry-reader")
	stranger := s.serviceAccount(t, "images-a", "stranger")
	s.repository(t, "images-a", "app", ecrv1alpha1.Mutable)
	path := imageapi.ImagesPath("images-a", "app")

	var empty imageapi.ImageList
	if resp := s.do(t, http.MethodGet, path, reader.token); resp.status != http.StatusOK {
		t.Fatalf("empty listing: %d %s", resp.status, resp.body)
	} else if err := json.Unmarshal(resp.body, &empty); err != nil || len(empty.Images) != 0 || empty.Repository != "images-a/app" {
		t.Fatalf("empty listing = %+v, %v", empty, err)
	}

	before := time.Now().Add(-time.Second)
	tagged := randomImage(t)
	if err := push(s.ref("images-a/app", "v1"), tagged, builder.token); err != nil {
		t.Fatal(err)
	}
	untagged := randomImage(t)
	if err := push(s.ref("images-a/app", digestOf(t, untagged).String()), untagged, builder.token); err != nil {
		t.Fatal(err)
	}
	idx, err := random.Index(1024, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := name.ParseReference(s.ref("images-a/app", "multi"), name.Insecure)
	if err := remote.WriteIndex(ref, idx, remoteOptions(builder.token)...); err != nil {
		t.Fatal(err)
	}
	idxDigest, _ := idx.Digest()
	im, _ := idx.IndexManifest()

	list := s.images(t, path, reader.token)
	if len(list) != 5 {
		t.Fatalf("listed %d images, want 5: %+v", len(list), list)
	}
	got := map[string]imageapi.Image{}
	for _, img := range list {
		got[img.Digest] = img
		if img.PushedAt.Before(before) || img.PushedAt.After(time.Now().Add(time.Second)) {
			t.Errorf("%s pushedAt %s, want about now", img.Digest, img.PushedAt)
		}
	}
	tg := got[digestOf(t, tagged).String()]
	m, _ := tagged.Manifest()
	wantSize := m.Config.Size
	for _, l := range m.Layers {
		wantSize += l.Size
	}
	if !cmp.Equal(tg.Tags, []string{"v1"}) || tg.SizeBytes != wantSize || tg.MediaType != string(m.MediaType) {
		t.Errorf("tagged image = %+v, want tags [v1], size %d, media type %s", tg, wantSize, m.MediaType)
	}
	if ut := got[digestOf(t, untagged).String()]; ut.Digest == "" || len(ut.Tags) != 0 {
		t.Errorf("untagged image = %+v", ut)
	}
	ix := got[idxDigest.String()]
	if !cmp.Equal(ix.Tags, []string{"multi"}) || len(ix.Children) != 2 {
		t.Errorf("index = %+v, want tag multi and 2 children", ix)
	}
	var maxChild int64
	for _, c := range im.Manifests {
		child := got[c.Digest.String()]
		if !cmp.Equal(child.ReferencedBy, []string{idxDigest.String()}) {
			t.Errorf("child %s referencedBy %v, want the index", c.Digest, child.ReferencedBy)
		}
		maxChild = max(maxChild, child.SizeBytes)
	}
	if ix.SizeBytes != maxChild || maxChild == 0 {
		t.Errorf("index size %d, want its largest child's %d", ix.SizeBytes, maxChild)
	}

	// Deleting by digest (ecr:BatchDeleteImage) removes the manifest and its tags.
	if resp := s.do(t, http.MethodDelete, "/v2/images-a/app/manifests/"+digestOf(t, tagged).String(), builder.token); resp.status != http.StatusAccepted {
		t.Fatalf("delete: %d %s", resp.status, resp.body)
	}
	list = s.images(t, path, reader.token)
	if len(list) != 4 || slices.ContainsFunc(list, func(i imageapi.Image) bool { return i.Digest == digestOf(t, tagged).String() }) {
		t.Errorf("after delete: %+v", list)
	}

	if resp := s.do(t, http.MethodGet, path, stranger.token); resp.status != http.StatusForbidden {
		t.Errorf("stranger: %d, want 403", resp.status)
	}
	if resp := s.do(t, http.MethodGet, path, ""); resp.status != http.StatusUnauthorized {
		t.Errorf("anonymous: %d, want 401", resp.status)
	}
	if resp := s.do(t, http.MethodGet, imageapi.ImagesPath("images-a", "missing"), reader.token); resp.status != http.StatusNotFound {
		t.Errorf("missing repository: %d, want 404", resp.status)
	}
	if resp := s.do(t, http.MethodGet, "/berth/v1/repositories/images-a/app/other", reader.token); resp.status != http.StatusNotFound {
		t.Errorf("unknown path: %d, want 404", resp.status)
	}
}

// images reads the listing at path.
func (s *testSuite) images(t *testing.T, path, token string) []imageapi.Image {
	t.Helper()
	resp := s.do(t, http.MethodGet, path, token)
	if resp.status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.status, resp.body)
	}
	var l imageapi.ImageList
	if err := json.Unmarshal(resp.body, &l); err != nil {
		t.Fatal(err)
	}
	return l.Images
}
