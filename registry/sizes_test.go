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
	"net/http"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go"
	ocispecv1 "github.com/opencontainers/image-spec/specs-go/v1"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
)

// TestDescriptorSizesChecked: a manifest whose descriptors give a size other than that of
// the stored blob or manifest they point at (wrong, -1, 0 for content that is not empty) is
// refused with 400 MANIFEST_INVALID naming the descriptor, in image manifests (OCI and
// Docker), indexes and an artifact's subject; distribution v3 checks only that they exist. So
// is a descriptor whose digest is malformed or of an algorithm other than sha256 and sha512
// (distribution answers those with 500).
// A subject not pushed yet may be named with any size (the spec lets artifacts come first).
func TestDescriptorSizesChecked(t *testing.T) {
	s := needSuite(t)
	s.namespaces(t, "size-a")
	owner := s.serviceAccount(t, "size-a", "owner", "berth-registry-poweruser")
	s.repository(t, "size-a", "app", ecrv1alpha1.Mutable)
	const repo = "size-a/app"

	config := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`)
	layer := []byte("a layer that is not empty")
	for _, b := range [][]byte{config, layer, []byte("{}")} {
		s.pushBlob(t, owner.token, repo, b)
	}
	blob := func(mediaType string, b []byte) ocispecv1.Descriptor {
		return ocispecv1.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(b), Size: int64(len(b))}
	}
	image := func(mediaType, configType, layerType string, configSize, layerSize int64) []byte {
		c, l := blob(configType, config), blob(layerType, layer)
		c.Size, l.Size = configSize, layerSize
		return mustJSON(t, ocispecv1.Manifest{Versioned: ocispec.Versioned{SchemaVersion: 2}, MediaType: mediaType, Config: c, Layers: []ocispecv1.Descriptor{l}})
	}
	good := image(ocispecv1.MediaTypeImageManifest, ocispecv1.MediaTypeImageConfig, ocispecv1.MediaTypeImageLayerGzip, int64(len(config)), int64(len(layer)))
	if status, body := s.putManifest(t, owner.token, repo, "good", ocispecv1.MediaTypeImageManifest, good); status != http.StatusCreated {
		t.Fatalf("a manifest with the right sizes: %d %s", status, body)
	}
	goodDesc := blob(ocispecv1.MediaTypeImageManifest, good)
	index := func(size int64) []byte {
		d := goodDesc
		d.Size = size
		d.Platform = &ocispecv1.Platform{OS: "linux", Architecture: "amd64"}
		return mustJSON(t, ocispecv1.Index{Versioned: ocispec.Versioned{SchemaVersion: 2}, MediaType: ocispecv1.MediaTypeImageIndex, Manifests: []ocispecv1.Descriptor{d}})
	}
	artifact := func(subject ocispecv1.Descriptor) []byte {
		return mustJSON(t, ocispecv1.Manifest{
			Versioned: ocispec.Versioned{SchemaVersion: 2}, MediaType: ocispecv1.MediaTypeImageManifest, ArtifactType: "application/vnd.example.signature",
			Config: ocispecv1.DescriptorEmptyJSON, Layers: []ocispecv1.Descriptor{blob("application/octet-stream", layer)}, Subject: &subject,
		})
	}
	withSize := func(d ocispecv1.Descriptor, size int64) ocispecv1.Descriptor { d.Size = size; return d }
	withDigest := func(d ocispecv1.Descriptor, dg string) ocispecv1.Descriptor { d.Digest = digest.Digest(dg); return d }
	badDigests := func(configDigest, layerDigest string) []byte {
		return mustJSON(t, ocispecv1.Manifest{Versioned: ocispec.Versioned{SchemaVersion: 2}, MediaType: ocispecv1.MediaTypeImageManifest,
			Config: withDigest(blob(ocispecv1.MediaTypeImageConfig, config), configDigest), Layers: []ocispecv1.Descriptor{withDigest(blob(ocispecv1.MediaTypeImageLayerGzip, layer), layerDigest)}})
	}
	indexOf := func(d ocispecv1.Descriptor) []byte {
		return mustJSON(t, ocispecv1.Index{Versioned: ocispec.Versioned{SchemaVersion: 2}, MediaType: ocispecv1.MediaTypeImageIndex, Manifests: []ocispecv1.Descriptor{d}})
	}
	const (
		dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
		dockerConfig   = "application/vnd.docker.container.image.v1+json"
		dockerLayer    = "application/vnd.docker.image.rootfs.diff.tar.gzip"
	)
	n, c := int64(len(layer)), int64(len(config))
	for _, tc := range []struct {
		name, mediaType string
		body            []byte
		want            int
		mention         string
	}{
		{"layer size too large", ocispecv1.MediaTypeImageManifest, image(ocispecv1.MediaTypeImageManifest, ocispecv1.MediaTypeImageConfig, ocispecv1.MediaTypeImageLayerGzip, c, n+1), http.StatusBadRequest, "layers[0]"},
		{"layer size -1", ocispecv1.MediaTypeImageManifest, image(ocispecv1.MediaTypeImageManifest, ocispecv1.MediaTypeImageConfig, ocispecv1.MediaTypeImageLayerGzip, c, -1), http.StatusBadRequest, "layers[0]"},
		{"layer size 0", ocispecv1.MediaTypeImageManifest, image(ocispecv1.MediaTypeImageManifest, ocispecv1.MediaTypeImageConfig, ocispecv1.MediaTypeImageLayerGzip, c, 0), http.StatusBadRequest, "layers[0]"},
		{"layer of another media type", ocispecv1.MediaTypeImageManifest, image(ocispecv1.MediaTypeImageManifest, ocispecv1.MediaTypeImageConfig, "application/vnd.example.data", c, n-1), http.StatusBadRequest, "layers[0]"},
		{"config size", ocispecv1.MediaTypeImageManifest, image(ocispecv1.MediaTypeImageManifest, ocispecv1.MediaTypeImageConfig, ocispecv1.MediaTypeImageLayerGzip, c-1, n), http.StatusBadRequest, "config"},
		{"docker layer size", dockerManifest, image(dockerManifest, dockerConfig, dockerLayer, c, n+100), http.StatusBadRequest, "layers[0]"},
		{"docker config size -1", dockerManifest, image(dockerManifest, dockerConfig, dockerLayer, -1, n), http.StatusBadRequest, "config"},
		{"docker, right sizes", dockerManifest, image(dockerManifest, dockerConfig, dockerLayer, c, n), http.StatusCreated, ""},
		{"index entry size", ocispecv1.MediaTypeImageIndex, index(goodDesc.Size + 1), http.StatusBadRequest, "manifests[0]"},
		{"index entry size 0", ocispecv1.MediaTypeImageIndex, index(0), http.StatusBadRequest, "manifests[0]"},
		{"index entry size -1", ocispecv1.MediaTypeImageIndex, index(-1), http.StatusBadRequest, "manifests[0]"},
		{"index, right sizes", ocispecv1.MediaTypeImageIndex, index(goodDesc.Size), http.StatusCreated, ""},
		{"subject size", ocispecv1.MediaTypeImageManifest, artifact(withSize(goodDesc, goodDesc.Size-1)), http.StatusBadRequest, "subject"},
		{"subject size -1", ocispecv1.MediaTypeImageManifest, artifact(withSize(goodDesc, -1)), http.StatusBadRequest, "subject"},
		{"subject, right size", ocispecv1.MediaTypeImageManifest, artifact(goodDesc), http.StatusCreated, ""},
		// Digests distribution cannot parse or verify: 400 naming the field, not 500 UNKNOWN
		// (found by FuzzHTTP: a config digest "0:0").
		{"config digest of no known algorithm", ocispecv1.MediaTypeImageManifest, badDigests("0:0", digest.FromBytes(layer).String()), http.StatusBadRequest, "config.digest"},
		{"config digest md5", ocispecv1.MediaTypeImageManifest, badDigests("md5:"+hex64[:32], digest.FromBytes(layer).String()), http.StatusBadRequest, "config.digest"},
		{"layer digest malformed", ocispecv1.MediaTypeImageManifest, badDigests(digest.FromBytes(config).String(), "sha256:not-hex"), http.StatusBadRequest, "layers[0].digest"},
		{"index entry digest malformed", ocispecv1.MediaTypeImageIndex, indexOf(withDigest(goodDesc, "sha256")), http.StatusBadRequest, "manifests[0].digest"},
		{"subject digest malformed", ocispecv1.MediaTypeImageManifest, artifact(withDigest(goodDesc, "nope")), http.StatusBadRequest, "subject.digest"},
		{"subject not pushed yet", ocispecv1.MediaTypeImageManifest, artifact(ocispecv1.Descriptor{MediaType: ocispecv1.MediaTypeImageManifest, Digest: "sha256:" + hex64, Size: 1234}), http.StatusCreated, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := s.putManifest(t, owner.token, repo, digest.FromBytes(tc.body).String(), tc.mediaType, tc.body)
			if status != tc.want {
				t.Fatalf("PUT: %d %s, want %d", status, body, tc.want)
			}
			if tc.want == http.StatusBadRequest && (!strings.Contains(body, "MANIFEST_INVALID") || !strings.Contains(body, tc.mention)) {
				t.Errorf("refusal %s, want MANIFEST_INVALID naming %s", body, tc.mention)
			}
		})
	}
}

// putManifest PUTs a manifest body of mediaType under ref and returns the status and body.
func (s *testSuite) putManifest(t *testing.T, token, repo, ref, mediaType string, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPut, "http://"+s.addr+"/v2/"+repo+"/manifests/"+ref, bytes.NewReader(body))
	req.SetBasicAuth("berth", token)
	req.Header.Set("Content-Type", mediaType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

// mustJSON marshals v.
func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
