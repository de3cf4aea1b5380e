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
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const digestA = "sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b"

func TestParsePath(t *testing.T) {
	tests := []struct {
		path string
		want Endpoint
	}{
		{"/v2/", Endpoint{Route: RouteBase}},
		{"/v2/_catalog", Endpoint{Route: RouteCatalog}},
		{"/v2/team-a/web-app/tags/list", Endpoint{Route: RouteTags, Name: "team-a/web-app"}},
		{"/v2/team-a/web-app/manifests/latest", Endpoint{Route: RouteManifest, Name: "team-a/web-app", Reference: "latest"}},
		{"/v2/team-a/web-app/manifests/" + digestA, Endpoint{Route: RouteManifest, Name: "team-a/web-app", Reference: digestA}},
		{"/v2/team-a/web-app/blobs/" + digestA, Endpoint{Route: RouteBlob, Name: "team-a/web-app", Reference: digestA}},
		{"/v2/team-a/web-app/blobs/uploads/", Endpoint{Route: RouteBlobUpload, Name: "team-a/web-app"}},
		{"/v2/team-a/web-app/blobs/uploads/3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60", Endpoint{Route: RouteBlobUpload, Name: "team-a/web-app", Reference: "3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60"}},
		{"/v2/team-a/web-app/referrers/" + digestA, Endpoint{Route: RouteReferrers, Name: "team-a/web-app", Reference: digestA}},
		// single and multi-component names
		{"/v2/nginx/manifests/1.27", Endpoint{Route: RouteManifest, Name: "nginx", Reference: "1.27"}},
		{"/v2/a/b/c/d/manifests/v1.0.0-rc_1", Endpoint{Route: RouteManifest, Name: "a/b/c/d", Reference: "v1.0.0-rc_1"}},
		{"/v2/a/b/c/blobs/uploads/", Endpoint{Route: RouteBlobUpload, Name: "a/b/c"}},
		{"/v2/a/b/c/tags/list", Endpoint{Route: RouteTags, Name: "a/b/c"}},
		// components named like route keywords are ordinary name components
		{"/v2/team-a/manifests/manifests/latest", Endpoint{Route: RouteManifest, Name: "team-a/manifests", Reference: "latest"}},
		{"/v2/blobs/uploads/blobs/" + digestA, Endpoint{Route: RouteBlob, Name: "blobs/uploads", Reference: digestA}},
		{"/v2/tags/list/tags/list", Endpoint{Route: RouteTags, Name: "tags/list"}},
		{"/v2/a/blobs/blobs/uploads/list", Endpoint{Route: RouteBlobUpload, Name: "a/blobs", Reference: "list"}},
		{"/v2/a/manifests/tags/list", Endpoint{Route: RouteTags, Name: "a/manifests"}},
		// separators the OCI grammar allows
		{"/v2/a.b/c__d/e---f/manifests/x", Endpoint{Route: RouteManifest, Name: "a.b/c__d/e---f", Reference: "x"}},
		{"/v2/a/manifests/_x", Endpoint{Route: RouteManifest, Name: "a", Reference: "_x"}},
		{"/v2/a/manifests/sha512+b64u:abc=_-", Endpoint{Route: RouteManifest, Name: "a", Reference: "sha512+b64u:abc=_-"}},
	}
	for _, tt := range tests {
		got, err := ParsePath(tt.path)
		if err != nil {
			t.Errorf("ParsePath(%q): %v", tt.path, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParsePath(%q) (-want +got):\n%s", tt.path, diff)
		}
		if p := got.Path(); p != tt.path {
			t.Errorf("ParsePath(%q).Path() = %q", tt.path, p)
		}
	}
}

func TestParsePathErrors(t *testing.T) {
	long := strings.Repeat("a", 250) + "/" + strings.Repeat("b", 5) // 256 characters
	tests := []struct {
		path string
		want error // besides ErrInvalidPath
	}{
		{"", nil},
		{"/", nil},
		{"/v2", nil}, // distribution redirects this to /v2/ before authorizing
		{"/v1/a/manifests/latest", nil},
		{"v2/a/manifests/latest", nil},
		{"/v2/_catalog/", nil},
		{"/v2/a", nil},
		{"/v2/a/", nil},
		{"/v2/a/manifests", nil},
		{"/v2/a/manifests/", ErrInvalidReference},
		{"/v2/a/unknown/latest", nil},
		{"/v2/a/tags/list/", nil},
		{"/v2/a/tags", nil},
		{"/v2/a/blobs/uploads", ErrInvalidReference}, // "uploads" is no digest
		{"/v2/a/blobs/latest", ErrInvalidReference},
		{"/v2/a/referrers/latest", ErrInvalidReference},
		{"/v2/a/uploads/abc", nil},
		{"/v2/a/blobs/uploads/abc:def", ErrInvalidReference},
		{"/v2/a/blobs/uploads/abc/def", nil},
		{"/v2//manifests/latest", ErrInvalidName},
		{"/v2/manifests/latest", nil},
		{"/v2/Team/app/manifests/latest", ErrInvalidName},
		{"/v2/team-/app/manifests/latest", ErrInvalidName},
		{"/v2/-team/app/manifests/latest", ErrInvalidName},
		{"/v2/a..b/manifests/latest", ErrInvalidName},
		{"/v2/a___b/manifests/latest", ErrInvalidName},
		{"/v2/a._b/manifests/latest", ErrInvalidName},
		{"/v2/a//b/manifests/latest", ErrInvalidName},
		{"/v2/a/b//manifests/latest", ErrInvalidName},
		{"/v2/localhost:5000/a/manifests/latest", ErrInvalidName},
		{"/v2/_catalog/manifests/latest", ErrInvalidName},
		{"/v2/" + long + "/manifests/latest", ErrInvalidName},
		{"/v2/a/manifests/.latest", ErrInvalidReference},
		{"/v2/a/manifests/-latest", ErrInvalidReference},
		{"/v2/a/manifests/" + strings.Repeat("t", 129), ErrInvalidReference},
		{"/v2/a/manifests/sha256:", ErrInvalidReference},
		{"/v2/a/manifests/:abc", ErrInvalidReference},
		{"/v2/a/manifests/SHA256:abc", ErrInvalidReference},
		{"/v2/a/manifests/sha256+:abc", ErrInvalidReference},
		{"/v2/a/manifests/sha256:ab/c", nil},
		{"/v2/a/manifests/latest?x=1", ErrInvalidReference},
	}
	for _, tt := range tests {
		got, err := ParsePath(tt.path)
		if err == nil {
			t.Errorf("ParsePath(%q) = %+v, want an error", tt.path, got)
			continue
		}
		if !errors.Is(err, ErrInvalidPath) {
			t.Errorf("ParsePath(%q) = %v, want ErrInvalidPath", tt.path, err)
		}
		if tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("ParsePath(%q) = %v, want %v too", tt.path, err, tt.want)
		}
	}
}

func TestMaxLengthName(t *testing.T) {
	name := strings.Repeat("a", 249) + "/" + strings.Repeat("b", 5) // 255 characters
	path := "/v2/" + name + "/manifests/latest"
	got, err := ParsePath(path)
	if err != nil {
		t.Fatalf("ParsePath with a %d-character name: %v", len(name), err)
	}
	if got.Name != name {
		t.Errorf("name = %q", got.Name)
	}
}

func TestRouteString(t *testing.T) {
	want := map[Route]string{
		RouteInvalid: "invalid", RouteBase: "base", RouteCatalog: "catalog", RouteTags: "tags",
		RouteManifest: "manifest", RouteBlob: "blob", RouteBlobUpload: "blob-upload",
		RouteReferrers: "referrers", Route(99): "Route(99)", Route(-1): "Route(-1)",
	}
	for r, s := range want {
		if got := r.String(); got != s {
			t.Errorf("Route(%d).String() = %q, want %q", int(r), got, s)
		}
	}
}

func TestRouteFromDistribution(t *testing.T) {
	want := map[string]Route{
		"base": RouteBase, "catalog": RouteCatalog, "tags": RouteTags, "manifest": RouteManifest,
		"blob": RouteBlob, "blob-upload": RouteBlobUpload, "blob-upload-chunk": RouteBlobUpload,
	}
	for name, route := range want {
		got, ok := RouteFromDistribution(name)
		if !ok || got != route {
			t.Errorf("RouteFromDistribution(%q) = %v, %v; want %v", name, got, ok, route)
		}
	}
	for _, name := range []string{"", "referrers", "Manifest", "blobs"} {
		if got, ok := RouteFromDistribution(name); ok || got != RouteInvalid {
			t.Errorf("RouteFromDistribution(%q) = %v, %v; want RouteInvalid, false", name, got, ok)
		}
	}
}

func TestSplitRepository(t *testing.T) {
	ns, name, err := SplitRepository("team-a/web-app.v2")
	if err != nil || ns != "team-a" || name != "web-app.v2" {
		t.Errorf("SplitRepository(team-a/web-app.v2) = %q, %q, %v", ns, name, err)
	}
	if got := JoinRepository(ns, name); got != "team-a/web-app.v2" {
		t.Errorf("JoinRepository = %q", got)
	}
	for _, bad := range []string{
		"", "web-app", "team-a/web-app/extra", "team-a/", "/web-app", "Team/app",
		"team.a/app",                         // namespaces are DNS labels
		"team-a/web_app",                     // OCI allows "_", Kubernetes names do not
		"team-a/a__b",                        // likewise
		strings.Repeat("n", 64) + "/app",     // namespace longer than 63
		"team-a/" + strings.Repeat("r", 249), // over 255 in all
	} {
		if ns, name, err := SplitRepository(bad); !errors.Is(err, ErrInvalidName) {
			t.Errorf("SplitRepository(%q) = %q, %q, %v; want ErrInvalidName", bad, ns, name, err)
		}
	}
}
