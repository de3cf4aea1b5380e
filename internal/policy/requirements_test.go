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
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRequiredActions has one row per row of docs/registry-internals.md's request table of the
// OCI routes (blob DELETE, upload status and cancel included), plus mount and multi-component
// name cases.
func TestRequiredActions(t *testing.T) {
	const repo = "team-a/web-app"
	req := func(action string, verb Verb) []Requirement {
		return []Requirement{{Repository: repo, Action: action, Verb: verb}}
	}
	tests := []struct {
		name      string
		method    string
		path      string // parsed with ParsePath, so the table also covers the parser
		mountFrom string
		want      []Requirement
	}{
		{name: "GET manifest", method: "GET", path: "/v2/team-a/web-app/manifests/latest", want: req(ActionBatchGetImage, VerbPull)},
		{name: "HEAD manifest", method: "HEAD", path: "/v2/team-a/web-app/manifests/" + digestA, want: req(ActionBatchGetImage, VerbPull)},
		{name: "GET blob", method: "GET", path: "/v2/team-a/web-app/blobs/" + digestA, want: req(ActionGetDownloadURLForLayer, VerbPull)},
		{name: "HEAD blob", method: "HEAD", path: "/v2/team-a/web-app/blobs/" + digestA, want: req(ActionBatchCheckLayerAvailability, VerbPull)},
		{name: "POST upload", method: "POST", path: "/v2/team-a/web-app/blobs/uploads/", want: req(ActionInitiateLayerUpload, VerbPush)},
		{name: "PATCH upload", method: "PATCH", path: "/v2/team-a/web-app/blobs/uploads/u-1", want: req(ActionUploadLayerPart, VerbPush)},
		{name: "PUT upload", method: "PUT", path: "/v2/team-a/web-app/blobs/uploads/u-1", want: req(ActionCompleteLayerUpload, VerbPush)},
		{name: "GET upload status", method: "GET", path: "/v2/team-a/web-app/blobs/uploads/u-1", want: req(ActionUploadLayerPart, VerbPush)},
		{name: "DELETE upload (cancel)", method: "DELETE", path: "/v2/team-a/web-app/blobs/uploads/u-1", want: req(ActionUploadLayerPart, VerbPush)},
		{name: "PUT manifest", method: "PUT", path: "/v2/team-a/web-app/manifests/v1", want: req(ActionPutImage, VerbPush)},
		{name: "DELETE manifest by digest", method: "DELETE", path: "/v2/team-a/web-app/manifests/" + digestA, want: req(ActionBatchDeleteImage, VerbDelete)},
		{name: "DELETE tag", method: "DELETE", path: "/v2/team-a/web-app/manifests/v1", want: req(ActionBatchDeleteImage, VerbDelete)},
		{name: "DELETE blob", method: "DELETE", path: "/v2/team-a/web-app/blobs/" + digestA, want: req(ActionBatchDeleteImage, VerbDelete)},
		{name: "GET tags/list", method: "GET", path: "/v2/team-a/web-app/tags/list", want: req(ActionListImages, VerbPull)},
		{name: "GET referrers", method: "GET", path: "/v2/team-a/web-app/referrers/" + digestA, want: req(ActionListImageReferrers, VerbPull)},
		{name: "GET catalog", method: "GET", path: "/v2/_catalog", want: []Requirement{{Action: ActionDescribeRepositories, Verb: VerbList}}},
		{name: "GET base", method: "GET", path: "/v2/", want: nil},
		{name: "HEAD base", method: "HEAD", path: "/v2/", want: nil},
		{
			name: "cross-repository mount", method: "POST", path: "/v2/team-a/web-app/blobs/uploads/", mountFrom: "team-b/base",
			want: []Requirement{
				{Repository: repo, Action: ActionInitiateLayerUpload, Verb: VerbPush},
				{Repository: "team-b/base", Action: ActionGetDownloadURLForLayer, Verb: VerbPull, MountSource: true},
			},
		},
		{
			name: "mount within one repository", method: "POST", path: "/v2/team-a/web-app/blobs/uploads/", mountFrom: repo,
			want: []Requirement{
				{Repository: repo, Action: ActionInitiateLayerUpload, Verb: VerbPush},
				{Repository: repo, Action: ActionGetDownloadURLForLayer, Verb: VerbPull, MountSource: true},
			},
		},
		{
			name: "multi-component names", method: "POST", path: "/v2/org/team/app/blobs/uploads/", mountFrom: "org/base/images/alpine",
			want: []Requirement{
				{Repository: "org/team/app", Action: ActionInitiateLayerUpload, Verb: VerbPush},
				{Repository: "org/base/images/alpine", Action: ActionGetDownloadURLForLayer, Verb: VerbPull, MountSource: true},
			},
		},
		{name: "multi-component manifest", method: "GET", path: "/v2/org/team/app/manifests/latest", want: []Requirement{{Repository: "org/team/app", Action: ActionBatchGetImage, Verb: VerbPull}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ParsePath(tt.path)
			if err != nil {
				t.Fatalf("ParsePath(%q): %v", tt.path, err)
			}
			got, err := RequiredActions(tt.method, e.Route, e.Name, tt.mountFrom)
			if err != nil {
				t.Fatalf("RequiredActions(%s %s): %v", tt.method, tt.path, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("RequiredActions(%s %s, from=%q) (-want +got):\n%s", tt.method, tt.path, tt.mountFrom, diff)
			}
		})
	}
}

// TestPushNeverImpliesDelete pins zot GHSA-qg67-7m6v-qg25: no request that needs the delete
// verb or ecr:BatchDeleteImage is satisfied by push permissions, and no push request asks for
// delete.
func TestPushNeverImpliesDelete(t *testing.T) {
	routes := []Route{RouteBase, RouteCatalog, RouteTags, RouteManifest, RouteBlob, RouteBlobUpload, RouteReferrers}
	methods := []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE", "get"}
	for _, route := range routes {
		for _, method := range methods {
			repo := "team-a/web-app"
			if route == RouteBase || route == RouteCatalog {
				repo = ""
			}
			reqs, err := RequiredActions(method, route, repo, "")
			if err != nil {
				continue
			}
			imageDelete := method == http.MethodDelete && (route == RouteManifest || route == RouteBlob)
			if imageDelete && len(reqs) != 1 {
				t.Errorf("%s %s: %+v, want exactly one requirement", method, route, reqs)
			}
			for _, r := range reqs {
				needsDelete := r.Verb == VerbDelete || r.Action == ActionBatchDeleteImage
				switch {
				case imageDelete && (r.Verb != VerbDelete || r.Action != ActionBatchDeleteImage):
					t.Errorf("%s %s: %+v; deleting must need ecr:BatchDeleteImage and the delete verb", method, route, r)
				case !imageDelete && needsDelete:
					t.Errorf("%s %s: %+v; only deleting needs delete", method, route, r)
				}
			}
		}
	}
}

func TestRequiredActionsErrors(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		route      Route
		repo, from string
		want       error
	}{
		{"zero route", "GET", RouteInvalid, "team-a/app", "", ErrUnsupportedRequest},
		{"unknown route", "GET", Route(42), "team-a/app", "", ErrUnsupportedRequest},
		{"POST manifest", "POST", RouteManifest, "team-a/app", "", ErrUnsupportedRequest},
		{"PATCH manifest", "PATCH", RouteManifest, "team-a/app", "", ErrUnsupportedRequest},
		{"PUT blob", "PUT", RouteBlob, "team-a/app", "", ErrUnsupportedRequest},
		{"POST blob", "POST", RouteBlob, "team-a/app", "", ErrUnsupportedRequest},
		{"HEAD upload", "HEAD", RouteBlobUpload, "team-a/app", "", ErrUnsupportedRequest},
		{"DELETE tags", "DELETE", RouteTags, "team-a/app", "", ErrUnsupportedRequest},
		{"HEAD tags", "HEAD", RouteTags, "team-a/app", "", ErrUnsupportedRequest},
		{"DELETE referrers", "DELETE", RouteReferrers, "team-a/app", "", ErrUnsupportedRequest},
		{"DELETE catalog", "DELETE", RouteCatalog, "", "", ErrUnsupportedRequest},
		{"PUT base", "PUT", RouteBase, "", "", ErrUnsupportedRequest},
		{"lowercase method", "get", RouteManifest, "team-a/app", "", ErrUnsupportedRequest},
		{"OPTIONS manifest", "OPTIONS", RouteManifest, "team-a/app", "", ErrUnsupportedRequest},
		{"catalog with repository", "GET", RouteCatalog, "team-a/app", "", ErrUnsupportedRequest},
		{"base with mount", "GET", RouteBase, "", "team-b/base", ErrUnsupportedRequest},
		{"mount on PATCH", "PATCH", RouteBlobUpload, "team-a/app", "team-b/base", ErrUnsupportedRequest},
		{"mount on manifest", "PUT", RouteManifest, "team-a/app", "team-b/base", ErrUnsupportedRequest},
		{"mount on blob GET", "GET", RouteBlob, "team-a/app", "team-b/base", ErrUnsupportedRequest},
		{"empty repository", "GET", RouteManifest, "", "", ErrInvalidName},
		{"invalid repository", "GET", RouteManifest, "Team-A/app", "", ErrInvalidName},
		{"invalid mount source", "POST", RouteBlobUpload, "team-a/app", "team-b/../x", ErrInvalidName},
	}
	for _, tt := range tests {
		got, err := RequiredActions(tt.method, tt.route, tt.repo, tt.from)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: RequiredActions = %+v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
}

func TestImportRequirements(t *testing.T) {
	got := ImportRequirements("team-a/hub.nginx", false)
	if len(got) != 1 || got[0].Action != ActionBatchImportUpstreamImage || got[0].Verb != VerbImport || got[0].Repository != "team-a/hub.nginx" {
		t.Fatalf("ImportRequirements(existing) = %+v", got)
	}
	got = ImportRequirements("team-a/hub.nginx", true)
	if len(got) != 2 || got[1].Action != ActionCreateRepository || got[1].Verb != VerbImport {
		t.Fatalf("ImportRequirements(new) = %+v", got)
	}
	for _, r := range got {
		if !IsKnownAction(r.Action) {
			t.Errorf("%s is not a known action", r.Action)
		}
	}
}
