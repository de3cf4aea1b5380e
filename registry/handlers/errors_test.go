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
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/distribution/distribution/v3/registry/api/errcode"
	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	"github.com/berth-dev/berth/registry/auth"
	"github.com/berth-dev/berth/registry/middleware"
)

// ociBody is the OCI distribution error body, decoded loosely for comparison.
type ociBody struct {
	Errors []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Detail  any    `json:"detail,omitempty"`
	} `json:"errors"`
}

func TestErrorBodies(t *testing.T) {
	tagErr := func() error {
		current := v1.Descriptor{Digest: digest.Digest("sha256:" + strings.Repeat("a", 64))}
		return middleware.TagError("team-a/app", ecrv1alpha1.Immutable, nil, "v1", current, digest.Digest("sha256:"+strings.Repeat("b", 64)))
	}
	cases := []struct {
		name          string
		write         func(w http.ResponseWriter)
		wantStatus    int
		wantChallenge string
		wantBody      string
	}{
		{
			name: "unauthorized",
			write: func(w http.ResponseWriter) {
				r := httptest.NewRequestWithContext(context.Background(), http.MethodGet, "http://registry.test/v2/a/b/tags/list", nil)
				unauthorized(w, r, auth.Challenger{Service: "berth-registry"}, "repository:a/b:pull", "authentication required")
			},
			wantStatus:    http.StatusUnauthorized,
			wantChallenge: `Bearer realm="http://registry.test/berth/v1/token",service="berth-registry",scope="repository:a/b:pull"`,
			wantBody:      `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`,
		},
		{
			name: "denied",
			write: func(w http.ResponseWriter) {
				denied(w, "u is not authorized to perform ecr:PutImage on repository a/b: no")
			},
			wantStatus: http.StatusForbidden,
			wantBody:   `{"errors":[{"code":"DENIED","message":"u is not authorized to perform ecr:PutImage on repository a/b: no"}]}`,
		},
		{
			name:       "unavailable",
			write:      func(w http.ResponseWriter) { unavailable(w, "cannot authenticate the request now") },
			wantStatus: http.StatusServiceUnavailable,
			wantBody:   `{"errors":[{"code":"UNAVAILABLE","message":"cannot authenticate the request now"}]}`,
		},
		{
			name: "name unknown",
			write: func(w http.ResponseWriter) {
				writeError(w, middleware.NameUnknownError("team-a/nope", "create a Repository"))
			},
			wantStatus: http.StatusNotFound,
			wantBody:   `{"errors":[{"code":"NAME_UNKNOWN","message":"repository team-a/nope does not exist: create a Repository","detail":{"name":"team-a/nope"}}]}`,
		},
		{
			name: "tag invalid",
			write: func(w http.ResponseWriter) {
				// As distribution's manifest handler serves an errcode.Error from Put.
				var e errcode.Error
				if !errors.As(tagErr(), &e) {
					t.Fatal("TagError is not an errcode.Error")
				}
				writeError(w, e)
			},
			wantStatus: http.StatusBadRequest,
			wantBody: `{"errors":[{"code":"TAG_INVALID","message":"repository team-a/app: the image tag 'v1' already exists (at sha256:` + strings.Repeat("a", 64) +
				`) and cannot be overwritten with sha256:` + strings.Repeat("b", 64) + ` because the repository is immutable","detail":{"digest":"sha256:` + strings.Repeat("a", 64) + `","tag":"v1"}}]}`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			tc.write(rec)
			if rec.Code != tc.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tc.wantStatus)
			}
			if got := rec.Header().Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", got)
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != tc.wantChallenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tc.wantChallenge)
			}
			var got, want ociBody
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("body %q is not JSON: %v", rec.Body.String(), err)
			}
			if err := json.Unmarshal([]byte(tc.wantBody), &want); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("body mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
