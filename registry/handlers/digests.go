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
	"bytes"
	"io"
	"net/http"
	"strings"

	"github.com/distribution/distribution/v3/registry/api/errcode"
	"github.com/go-logr/logr"
	"github.com/opencontainers/go-digest"

	"github.com/berth-dev/berth/internal/policy"
	"github.com/berth-dev/berth/registry/middleware"
)

// sha512 content through digest aliases. distribution's storage addresses everything by its
// sha256 digest; it already links a sha512-verified blob upload under both digests, but answers
// with the sha256 one, links only sha256 on a mount, and refuses a manifest PUT by sha512 as a
// mismatch. Around it:
//
//   - blob uploads, gets and heads by sha512 pass through; the answer's digest headers are
//     rewritten to the digest the client asked for;
//   - a mount by sha512 becomes a plain upload (a mount is optional in the protocol);
//   - a manifest PUT by sha512 is verified against the body, stored under its sha256 digest,
//     and a sha512 revision link (an alias) is written next to it, which is all distribution
//     needs to find it by sha512 (an index referencing it, a GET, a HEAD);
//   - GET, HEAD and DELETE of a manifest by sha512 go to the sha256 digest the alias names.

// Digests serves requests that name content by a digest other than sha256.
type Digests struct {
	// Deps give the App's storage, where the aliases are written.
	Deps *middleware.Deps
	Log  logr.Logger
}

// aliased reports whether the request names content by a non-canonical digest, and which.
func aliased(r *http.Request, ep policy.Endpoint) (digest.Digest, bool) {
	var s string
	switch ep.Route {
	case policy.RouteManifest, policy.RouteBlob:
		s = ep.Reference
	case policy.RouteBlobUpload:
		if s = r.URL.Query().Get("mount"); s == "" {
			s = r.URL.Query().Get("digest")
		}
	}
	d, err := digest.Parse(s)
	if err != nil || d.Algorithm() == digest.Canonical {
		return "", false
	}
	return d, true
}

// serve hands r to next with d's aliasing around it.
func (h *Digests) serve(w http.ResponseWriter, r *http.Request, ep policy.Endpoint, d digest.Digest, next http.Handler) {
	st := h.Deps.Storage()
	if st == nil {
		unavailable(w, "the registry's storage is not ready")
		return
	}
	ctx := r.Context()
	aw := &aliasWriter{ResponseWriter: w, requested: d}
	switch ep.Route {
	case policy.RouteManifest:
		var canonical digest.Digest
		if r.Method == http.MethodPut {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				writeError(w, errcode.ErrorCodeManifestInvalid.WithMessage("reading the manifest: "+err.Error()))
				return
			}
			if d.Algorithm().FromBytes(body) != d {
				writeError(w, errcode.ErrorCodeDigestInvalid.WithMessage("the manifest's "+d.Algorithm().String()+" digest is not "+d.String()))
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			canonical = digest.FromBytes(body)
			// The alias first: if storing the manifest then fails, it names nothing and a GET
			// by it answers 404; the other order could report a push it cannot serve.
			if err := st.Driver.PutContent(ctx, middleware.RevisionLinkPath(ep.Name, d), []byte(canonical.String())); err != nil {
				h.Log.Error(err, "writing a digest alias", "repository", ep.Name, "digest", d.String())
				unavailable(w, "cannot store the manifest now")
				return
			}
		} else {
			b, err := st.Driver.GetContent(ctx, middleware.RevisionLinkPath(ep.Name, d))
			if err != nil {
				writeError(w, errcode.ErrorCodeManifestUnknown.WithMessage("manifest unknown: "+d.String()))
				return
			}
			if canonical, err = digest.Parse(string(b)); err != nil {
				writeError(w, errcode.ErrorCodeManifestUnknown.WithMessage("manifest unknown: "+d.String()))
				return
			}
		}
		next.ServeHTTP(aw, withPath(r, "/v2/"+ep.Name+"/manifests/"+canonical.String()))
		if r.Method == http.MethodDelete && aw.status/100 == 2 {
			// Left behind, the alias would name a deleted manifest: a GET by it answers 404.
			if err := st.Driver.Delete(ctx, middleware.RevisionLinkPath(ep.Name, d)); err != nil {
				h.Log.Error(err, "removing a digest alias", "repository", ep.Name, "digest", d.String())
			}
		}
	case policy.RouteBlobUpload:
		if r.URL.Query().Get("mount") == d.String() {
			// distribution mounts by the canonical digest only; a mount is optional, so the
			// client is asked to upload instead (202), which stores the blob under both.
			next.ServeHTTP(w, withoutMount(r))
			return
		}
		next.ServeHTTP(aw, r)
	default:
		next.ServeHTTP(aw, r)
	}
}

// withPath returns r for another path of the same registry.
func withPath(r *http.Request, path string) *http.Request {
	u := *r.URL
	u.Path, u.RawPath = path, ""
	return withURL(r, u)
}

// aliasWriter rewrites the digest headers of a successful answer to the digest the client
// asked for.
type aliasWriter struct {
	http.ResponseWriter
	requested digest.Digest
	status    int
	wrote     bool
}

func (w *aliasWriter) WriteHeader(code int) {
	if w.wrote {
		return
	}
	w.wrote, w.status = true, code
	h := w.Header()
	if code/100 == 2 {
		if c := h.Get("Docker-Content-Digest"); c != "" {
			h.Set("Docker-Content-Digest", w.requested.String())
			if loc := h.Get("Location"); loc != "" {
				h.Set("Location", strings.Replace(loc, c, w.requested.String(), 1))
			}
			if et := h.Get("Etag"); et != "" {
				h.Set("Etag", strings.Replace(et, c, w.requested.String(), 1))
			}
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *aliasWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}
