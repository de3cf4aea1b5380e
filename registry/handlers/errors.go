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
	"net/http"

	"github.com/distribution/distribution/v3/registry/api/errcode"

	"github.com/berth-dev/berth/registry/auth"
)

// The OCI error responses Berth writes itself, before a request reaches distribution. They
// use distribution's errcode package so that the body is byte for byte what distribution
// writes for its own errors: {"errors":[{"code":…,"message":…,"detail":…}]}, with the HTTP
// status of the code (UNAUTHORIZED 401, DENIED 403, NAME_UNKNOWN 404, NAME_INVALID 400,
// TAG_INVALID 400, UNSUPPORTED 405, UNAVAILABLE 503).

// writeError writes err as an OCI error response. Errors that cannot be written are the
// client's connection failing; there is nobody left to tell.
func writeError(w http.ResponseWriter, err errcode.Error) {
	_ = errcode.ServeJSON(w, err)
}

// unauthorized answers 401 UNAUTHORIZED with the challenge that makes clients log in (or ask
// the token endpoint for an anonymous token): no credentials where they are needed, or
// credentials the API server does not accept.
func unauthorized(w http.ResponseWriter, r *http.Request, ch auth.Challenger, scope, message string) {
	ch.Challenge(w, r, scope)
	writeError(w, errcode.ErrorCodeUnauthorized.WithMessage(message))
}

// denied answers 403 DENIED: the caller is known but not allowed.
func denied(w http.ResponseWriter, message string) {
	writeError(w, errcode.ErrorCodeDenied.WithMessage(message))
}

// unavailable answers 503 UNAVAILABLE with a Retry-After hint, for failures of the API server
// that say nothing about the caller (a TokenReview or SubjectAccessReview that could not be
// made). A 401 here would make clients believe their credentials are wrong.
func unavailable(w http.ResponseWriter, message string) {
	w.Header().Set("Retry-After", "1")
	writeError(w, errcode.ErrorCodeUnavailable.WithMessage(message))
}
