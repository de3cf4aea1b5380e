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
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"

	"github.com/distribution/distribution/v3/registry/api/errcode"
	"github.com/opencontainers/go-digest"

	"github.com/berth-dev/berth/internal/conditions"
	"github.com/berth-dev/berth/internal/policy"
	"github.com/berth-dev/berth/registry/middleware"
)

// Request checks the gate makes before distribution sees a request, for input distribution
// would answer with 500 UNKNOWN (and a storage path in the detail) or handle wrongly.

// tagPattern is the distribution spec's tag grammar.
var tagPattern = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)

// validateRequest returns the 400 answer for a request whose parameters berth-registry
// cannot serve, or nil.
func validateRequest(r *http.Request, ep policy.Endpoint) *errcode.Error {
	q := r.URL.Query()
	switch ep.Route {
	case policy.RouteTags:
		if last := q.Get("last"); last != "" && !tagPattern.MatchString(last) {
			e := errcode.ErrorCodeTagInvalid.WithMessage(fmt.Sprintf("last must be a tag (%s), not %q", tagPattern, conditions.Truncate(last, 80)))
			return &e
		}
	case policy.RouteCatalog:
		if last := q.Get("last"); last != "" {
			if err := policy.ValidateName(last); err != nil {
				e := errcode.ErrorCodeNameInvalid.WithMessage("last must be a repository name: " + err.Error())
				return &e
			}
		}
	case policy.RouteManifest, policy.RouteBlob, policy.RouteReferrers:
		if strings.Contains(ep.Reference, ":") {
			if e := unsupportedDigest(ep.Reference); e != nil {
				return e
			}
		}

	case policy.RouteBlobUpload:
		for _, p := range []string{"digest", "mount"} {
			if v := q.Get(p); v != "" {
				if e := unsupportedDigest(v); e != nil {
					return e
				}
			}
		}
	}
	return nil
}

// unsupportedDigest refuses malformed digests and algorithms other than sha256 and sha512
// (digest aliases serve sha512: digests.go).
func unsupportedDigest(s string) *errcode.Error {
	d, err := digest.Parse(s)
	if err != nil {
		e := errcode.ErrorCodeDigestInvalid.WithMessage(fmt.Sprintf("%q is not a digest: %v", conditions.Truncate(s, 80), err))
		return &e
	}
	if d.Algorithm() != digest.SHA256 && d.Algorithm() != digest.SHA512 {
		e := errcode.ErrorCodeDigestInvalid.WithMessage(fmt.Sprintf("digest algorithm %s is not supported: use sha256 or sha512", d.Algorithm()))
		return &e
	}
	return nil
}

// maxManifestSize is distribution's limit on a manifest body (4 MiB).
const maxManifestSize = 4 << 20

// checkManifestBody reads a manifest PUT's body and refuses what distribution would answer
// with 500 (a body that is not a JSON object, a schemaVersion other than 2, a descriptor
// whose digest is malformed or of an algorithm it cannot verify) as 400 MANIFEST_INVALID;
// the body is put back for distribution.
func checkManifestBody(r *http.Request) *errcode.Error {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxManifestSize+1))
	_ = r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(b))
	switch {
	case err != nil:
		e := errcode.ErrorCodeManifestInvalid.WithMessage("reading the manifest: " + err.Error())
		return &e
	case len(b) > maxManifestSize:
		e := errcode.ErrorCodeManifestInvalid.WithMessage(fmt.Sprintf("the manifest is larger than %d bytes", maxManifestSize))
		return &e
	}
	var head struct {
		SchemaVersion int `json:"schemaVersion"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		e := errcode.ErrorCodeManifestInvalid.WithMessage("the manifest is not a JSON object: " + err.Error())
		return &e
	}
	if head.SchemaVersion != 2 {
		e := errcode.ErrorCodeManifestInvalid.WithMessage(fmt.Sprintf("schemaVersion %d is not supported: OCI and Docker v2 manifests have schemaVersion 2", head.SchemaVersion))
		return &e
	}
	return checkDescriptors(b)
}

// checkDescriptors refuses a manifest whose descriptors (middleware.Descriptors: config,
// layers, manifests, subject) cannot be decoded, or whose digests are malformed or of another
// algorithm than sha256 and sha512, naming the field.
func checkDescriptors(b []byte) *errcode.Error {
	descs, err := middleware.Descriptors(b)
	if err != nil {
		e := errcode.ErrorCodeManifestInvalid.WithMessage(err.Error())
		return &e
	}
	for _, d := range descs {
		if d.Digest == "" {
			continue // distribution answers a descriptor without a digest itself (4xx)
		}
		if bad := unsupportedDigest(d.Digest.String()); bad != nil {
			e := errcode.ErrorCodeManifestInvalid.WithMessage(d.Field + ".digest: " + bad.Message)
			return &e
		}
	}
	return nil
}
