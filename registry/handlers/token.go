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
	"errors"
	"net/http"
	"time"

	"github.com/distribution/distribution/v3/registry/api/errcode"
	"github.com/go-logr/logr"

	"github.com/berth-dev/berth/registry/auth"
)

// Lifetimes the token endpoint announces (expires_in): a client asks again after it.
const (
	// anonymousTokenLifetime is the life of AnonymousToken, which is no secret.
	anonymousTokenLifetime = time.Hour
	// minTokenLifetime is the least the protocol allows (clients assume 60 s below it).
	minTokenLifetime = time.Minute
	// maxTokenLifetime caps what is announced for a Kubernetes token without exp, and for
	// long-lived ones, so clients come back and a revoked token is noticed.
	maxTokenLifetime = time.Hour
)

// Token is the token endpoint of the Docker registry token protocol (auth.TokenPath): GET
// with optional Basic credentials, and the OAuth2 POST (grant_type password or refresh_token)
// that containerd and docker try first. See auth/challenge.go for what a token is.
type Token struct {
	Authn *auth.TokenAuthenticator
	// Challenger answers bad credentials, as the gate does.
	Challenger auth.Challenger
	Log        logr.Logger
}

// tokenResponse is the endpoint's answer; token and access_token are the same, for clients
// of either generation of the protocol.
type tokenResponse struct {
	Token        string `json:"token"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ExpiresIn    int    `json:"expires_in"`
	IssuedAt     string `json:"issued_at"`
}

// ServeHTTP answers a token request.
func (h *Token) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var credential string
	offline := false
	switch r.Method {
	case http.MethodGet:
		if _, password, ok := r.BasicAuth(); ok {
			credential = password
		}
		offline = r.URL.Query().Get("offline_token") == "true"
	case http.MethodPost:
		if err := r.ParseForm(); err != nil {
			writeError(w, errcode.ErrorCodeUnsupported.WithMessage("the token request is not a form: "+err.Error()))
			return
		}
		switch grant := r.PostForm.Get("grant_type"); grant {
		case "password":
			credential = r.PostForm.Get("password")
		case "refresh_token":
			credential = r.PostForm.Get("refresh_token")
		default:
			writeError(w, errcode.ErrorCodeUnsupported.WithMessage("grant_type must be password or refresh_token, not "+grant))
			return
		}
		offline = r.PostForm.Get("access_type") == "offline"
	default:
		w.Header().Set("Allow", "GET, POST")
		writeError(w, errcode.ErrorCodeUnsupported.WithMessage("the token endpoint answers GET and POST"))
		return
	}
	now := time.Now()
	if credential == "" || credential == auth.AnonymousToken {
		h.write(w, tokenResponse{Token: auth.AnonymousToken, ExpiresIn: int(anonymousTokenLifetime.Seconds())}, now)
		return
	}
	id, err := h.Authn.Authenticate(r.Context(), credential)
	switch {
	case errors.Is(err, auth.ErrUnauthenticated):
		unauthorized(w, r, h.Challenger, "", "authentication failed: "+err.Error())
		return
	case err != nil:
		h.Log.Error(err, "cannot authenticate a token request")
		unavailable(w, "cannot authenticate the request now: "+err.Error())
		return
	}
	life := maxTokenLifetime
	if exp, ok := auth.TokenExpiry(credential); ok {
		life = min(max(exp.Sub(now), minTokenLifetime), maxTokenLifetime)
	}
	h.Log.V(1).Info("token issued", "user", id.Caller.User)
	resp := tokenResponse{Token: credential, ExpiresIn: int(life.Seconds())}
	if offline {
		resp.RefreshToken = credential
	}
	h.write(w, resp, now)
}

func (h *Token) write(w http.ResponseWriter, resp tokenResponse, now time.Time) {
	resp.AccessToken = resp.Token
	resp.IssuedAt = now.UTC().Format(time.RFC3339)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(resp) //nolint:gosec // handing the caller its own token is the endpoint's purpose
}
