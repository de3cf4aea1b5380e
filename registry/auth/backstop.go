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

package auth

import (
	"errors"
	"fmt"
	"net/http"

	distauth "github.com/distribution/distribution/v3/registry/auth"
)

// AccessController is the backstop registered with distribution; see the top of the file.
type AccessController struct {
	challenger Challenger
}

// NewAccessController is the backstop's factory, registered with distribution: options carry
// the service name of challenges ("realm") and the registry's external URL ("host", optional).
func NewAccessController(options map[string]any) (distauth.AccessController, error) {
	realm, _ := options["realm"].(string)
	if realm == "" {
		return nil, errors.New(`the berth access controller needs option "realm"`)
	}
	host, _ := options["host"].(string)
	return AccessController{challenger: Challenger{Service: realm, Host: host}}, nil
}

// Authorized lets a request through when the gate's Verdict covers every access record.
func (c AccessController) Authorized(r *http.Request, access ...distauth.Access) (*distauth.Grant, error) {
	v := VerdictFrom(r.Context())
	if v == nil {
		return nil, backstopChallenge{challenger: c.challenger, reason: "the request was not authorized by the registry's gate"}
	}
	for _, a := range access {
		if !v.Covers(a) {
			return nil, backstopChallenge{challenger: c.challenger, reason: fmt.Sprintf("%s %s:%s was not authorized by the registry's gate", a.Type, a.Name, a.Action)}
		}
	}
	return &distauth.Grant{User: distauth.UserInfo{Name: v.ID.Caller.User}}, nil
}

// backstopChallenge is the backstop's refusal. It must be an distauth.Challenge: distribution
// answers any other error with a bare 400.
type backstopChallenge struct {
	challenger Challenger
	reason     string
}

func (e backstopChallenge) Error() string { return e.reason }

// SetHeaders adds the challenge to distribution's 401.
func (e backstopChallenge) SetHeaders(r *http.Request, w http.ResponseWriter) {
	e.challenger.Challenge(w, r, "")
}
