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
	"fmt"
	"strings"
)

// Route is the kind of OCI distribution endpoint a request addresses; with the HTTP method it
// decides which ECR action the request needs. The zero value is no route, so a forgotten
// assignment is refused rather than mapped.
type Route int

// Routes of the OCI distribution API.
const (
	// RouteInvalid is the zero Route; RequiredActions refuses it.
	RouteInvalid Route = iota
	// RouteBase is /v2/, which only authenticates (docker login, client pings).
	RouteBase
	// RouteCatalog is /v2/_catalog, a registry-level listing.
	RouteCatalog
	// RouteTags is /v2/<name>/tags/list.
	RouteTags
	// RouteManifest is /v2/<name>/manifests/<tag or digest>.
	RouteManifest
	// RouteBlob is /v2/<name>/blobs/<digest>.
	RouteBlob
	// RouteBlobUpload is /v2/<name>/blobs/uploads/ (start) and /v2/<name>/blobs/uploads/<id>
	// (status, chunk, completion, cancellation).
	RouteBlobUpload
	// RouteReferrers is /v2/<name>/referrers/<digest> (OCI 1.1).
	RouteReferrers
)

var routeNames = [...]string{
	RouteInvalid:    "invalid",
	RouteBase:       "base",
	RouteCatalog:    "catalog",
	RouteTags:       "tags",
	RouteManifest:   "manifest",
	RouteBlob:       "blob",
	RouteBlobUpload: "blob-upload",
	RouteReferrers:  "referrers",
}

// String names the route for logs and error messages.
func (r Route) String() string {
	if r < 0 || int(r) >= len(routeNames) {
		return fmt.Sprintf("Route(%d)", int(r))
	}
	return routeNames[r]
}

// RouteFromDistribution maps a route name of distribution's router (registry/api/v2:
// "base", "catalog", "tags", "manifest", "blob", "blob-upload", "blob-upload-chunk"), as the
// access controller reads it from mux.CurrentRoute, to a Route. ok is false for any other name.
func RouteFromDistribution(name string) (route Route, ok bool) {
	switch name {
	case "base":
		return RouteBase, true
	case "catalog":
		return RouteCatalog, true
	case "tags":
		return RouteTags, true
	case "manifest":
		return RouteManifest, true
	case "blob":
		return RouteBlob, true
	case "blob-upload", "blob-upload-chunk":
		return RouteBlobUpload, true
	default:
		return RouteInvalid, false
	}
}

// apiPrefix starts every OCI distribution API path.
const apiPrefix = "/v2/"

// ErrInvalidPath reports a URL path that is not an OCI distribution endpoint.
var ErrInvalidPath = errors.New("not an OCI distribution API path")

// Endpoint is a parsed OCI distribution URL path.
type Endpoint struct {
	// Route is the kind of endpoint.
	Route Route
	// Name is the repository name (any number of components); empty for RouteBase and
	// RouteCatalog.
	Name string
	// Reference is the tag or digest of a manifest, the digest of a blob or referrers subject,
	// or the upload id of an upload in progress; empty where the path has none (including the
	// upload-starting POST path /v2/<name>/blobs/uploads/).
	Reference string
}

// Path renders the endpoint as the URL path it was parsed from, so that ParsePath(p).Path() == p
// for every accepted p.
func (e Endpoint) Path() string {
	switch e.Route {
	case RouteBase:
		return apiPrefix
	case RouteCatalog:
		return apiPrefix + "_catalog"
	case RouteTags:
		return apiPrefix + e.Name + "/tags/list"
	case RouteManifest:
		return apiPrefix + e.Name + "/manifests/" + e.Reference
	case RouteBlob:
		return apiPrefix + e.Name + "/blobs/" + e.Reference
	case RouteBlobUpload:
		return apiPrefix + e.Name + "/blobs/uploads/" + e.Reference
	case RouteReferrers:
		return apiPrefix + e.Name + "/referrers/" + e.Reference
	default:
		return ""
	}
}

// ParsePath parses the path of an OCI distribution request (without the query string) into its
// route, repository name and reference. Repository names may have any number of components:
// the route is recognised from the end of the path, where names cannot reach, so a component
// named "manifests" or "blobs" is no trouble. Only the canonical forms distribution serves are
// accepted (for example "/v2/", not "/v2"). Errors wrap ErrInvalidPath, and ErrInvalidName or
// ErrInvalidReference when the path has the right shape but a bad part.
func ParsePath(path string) (Endpoint, error) {
	rest, ok := strings.CutPrefix(path, apiPrefix)
	if !ok {
		return Endpoint{}, fmt.Errorf("%w: %q does not start with /v2/", ErrInvalidPath, path)
	}
	switch rest {
	case "":
		return Endpoint{Route: RouteBase}, nil
	case "_catalog":
		return Endpoint{Route: RouteCatalog}, nil
	}
	if name, ok := strings.CutSuffix(rest, "/tags/list"); ok {
		return endpoint(path, RouteTags, name, "")
	}
	if name, ok := strings.CutSuffix(rest, "/blobs/uploads/"); ok {
		return endpoint(path, RouteBlobUpload, name, "")
	}
	head, ref, ok := cutLast(rest)
	if !ok {
		return Endpoint{}, fmt.Errorf("%w: %q names no endpoint", ErrInvalidPath, path)
	}
	name, kind, ok := cutLast(head)
	if !ok {
		return Endpoint{}, fmt.Errorf("%w: %q names no endpoint", ErrInvalidPath, path)
	}
	switch kind {
	case "manifests":
		if !validTag(ref) && !validDigest(ref) {
			return Endpoint{}, fmt.Errorf("%w: %w: %q is neither a tag nor a digest", ErrInvalidPath, ErrInvalidReference, ref)
		}
		return endpoint(path, RouteManifest, name, ref)
	case "blobs", "referrers":
		if !validDigest(ref) {
			return Endpoint{}, fmt.Errorf("%w: %w: %q is not a digest", ErrInvalidPath, ErrInvalidReference, ref)
		}
		route := RouteBlob
		if kind == "referrers" {
			route = RouteReferrers
		}
		return endpoint(path, route, name, ref)
	case "uploads":
		name, ok := strings.CutSuffix(name, "/blobs")
		if !ok {
			return Endpoint{}, fmt.Errorf("%w: %q names no endpoint", ErrInvalidPath, path)
		}
		if !validUploadID(ref) {
			return Endpoint{}, fmt.Errorf("%w: %w: %q is not an upload id", ErrInvalidPath, ErrInvalidReference, ref)
		}
		return endpoint(path, RouteBlobUpload, name, ref)
	default:
		return Endpoint{}, fmt.Errorf("%w: %q names no endpoint", ErrInvalidPath, path)
	}
}

// endpoint validates name and assembles the parsed Endpoint.
func endpoint(path string, route Route, name, ref string) (Endpoint, error) {
	if err := ValidateName(name); err != nil {
		return Endpoint{}, fmt.Errorf("%w %q: %w", ErrInvalidPath, path, err)
	}
	return Endpoint{Route: route, Name: name, Reference: ref}, nil
}

// cutLast splits s at its last "/" into what comes before and after it.
func cutLast(s string) (before, after string, ok bool) {
	i := strings.LastIndexByte(s, '/')
	if i < 0 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}
