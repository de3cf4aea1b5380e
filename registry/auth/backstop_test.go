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
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	distauth "github.com/distribution/distribution/v3/registry/auth"

	"github.com/berth-dev/berth/internal/policy"
)

func TestBackstopCoversOnlyTheVerdict(t *testing.T) {
	c, err := NewAccessController(map[string]any{"realm": "r"})
	if err != nil {
		t.Fatal(err)
	}
	v := &Verdict{ID: NewIdentity(policy.NewCaller("alice", nil), "", nil)}
	v.Allow(http.MethodPut, "team-a/app")
	req := httptest.NewRequestWithContext(context.Background(), http.MethodPut, "/v2/team-a/app/manifests/v1", nil)
	req = req.WithContext(WithVerdict(req.Context(), v))
	repo := func(name, action string) distauth.Access {
		return distauth.Access{Resource: distauth.Resource{Type: "repository", Name: name}, Action: action}
	}
	g, err := c.Authorized(req, repo("team-a/app", "pull"), repo("team-a/app", "push"))
	if err != nil || g.User.Name != "alice" {
		t.Errorf("covered access: grant %+v, err %v", g, err)
	}
	for _, a := range []distauth.Access{
		repo("team-a/other", "pull"),
		repo("team-a/app", "delete"),
		{Resource: distauth.Resource{Type: "registry", Name: "catalog"}, Action: "*"},
	} {
		_, err := c.Authorized(req, a)
		var ch distauth.Challenge
		if !errors.As(err, &ch) {
			t.Errorf("uncovered %v: err = %v, want a challenge", a, err)
		}
	}
	if _, err := c.Authorized(httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/v2/", nil)); err == nil {
		t.Error("a request without a verdict was let through")
	}
}
