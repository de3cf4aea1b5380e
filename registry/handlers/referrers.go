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
	"encoding/json"
	"net/http"

	"github.com/distribution/distribution/v3/registry/api/errcode"
	"github.com/go-logr/logr"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/internal/policy"
	"github.com/berth-dev/berth/registry/middleware"
)

// Referrers serves the OCI 1.1 referrers API, GET /v2/<name>/referrers/<digest>[?artifactType=],
// from the index the manifest middleware keeps (middleware.ListReferrers). The gate has
// authorized the request (ecr:ListImageReferrers) and checked the Repository exists. The
// answer is always 200 with an image index, empty for a subject without referrers, as the
// spec requires of registries that support the API.
type Referrers struct {
	// Deps give the App's storage.
	Deps *middleware.Deps
	Log  logr.Logger
}

// serve answers a GET, the one method the gate lets through for the referrers API.
func (h *Referrers) serve(w http.ResponseWriter, r *http.Request, ep policy.Endpoint) {
	subject, err := digest.Parse(ep.Reference)
	if err != nil {
		writeError(w, errcode.ErrorCodeDigestInvalid.WithMessage("the referrers subject must be a digest: "+err.Error()))
		return
	}
	st := h.Deps.Storage()
	if st == nil {
		unavailable(w, "the registry's storage is not ready")
		return
	}
	artifactType := r.URL.Query().Get("artifactType")
	refs, err := middleware.ListReferrers(r.Context(), st.Driver, ep.Name, subject, artifactType)
	if err != nil {
		h.Log.Error(err, "listing referrers", "repository", ep.Name, "subject", subject.String())
		unavailable(w, "cannot list the referrers now")
		return
	}
	body, err := json.Marshal(v1.Index{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: v1.MediaTypeImageIndex,
		Manifests: refs,
	})
	if err != nil {
		unavailable(w, "cannot encode the referrers")
		return
	}
	w.Header().Set("Content-Type", v1.MediaTypeImageIndex)
	if artifactType != "" {
		w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	_, _ = w.Write(body)
}
