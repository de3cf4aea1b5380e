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
	"io"
	"strings"

	distauth "github.com/distribution/distribution/v3/registry/auth"
	"github.com/prometheus/client_golang/prometheus"

	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	authzv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/berth-dev/berth/registry/auth"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	"github.com/berth-dev/berth/internal/policy"
	"github.com/berth-dev/berth/internal/testutil/authtest"
	"github.com/berth-dev/berth/registry/metrics"
	"github.com/berth-dev/berth/registry/options"
)

// rbacTable is a fake RBAC: user → namespace ("" for cluster-wide) → verbs.
type rbacTable map[string]map[string][]string

// gateFixture is a gate over fake API answers, in front of a handler that records what
// reached it.
type gateFixture struct {
	gate      *Gate
	sarCalls  atomic.Int32
	sarFail   error
	forwarded *http.Request
}

func newGateFixture(t *testing.T, s authtest.Store, rbac rbacTable) *gateFixture {
	t.Helper()
	f := &gateFixture{}
	tokens := &authtest.TokenReviews{Users: map[string]string{
		"alice-token":  "system:serviceaccount:team-a:alice",
		"bob-token":    "system:serviceaccount:team-b:bob",
		"pusher-token": "system:serviceaccount:team-a:pusher",
		"lister-token": "lister",
	}}
	cs := tokens.Clientset()
	cs.PrependReactor("create", "subjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		f.sarCalls.Add(1)
		if f.sarFail != nil {
			return true, nil, f.sarFail
		}
		sar := a.(k8stesting.CreateAction).GetObject().(*authzv1.SubjectAccessReview).DeepCopy()
		ra := sar.Spec.ResourceAttributes
		if ra.Group != "ecr.berth.dev" || ra.Resource != "repositories" {
			t.Errorf("SubjectAccessReview for %s.%s, want repositories.ecr.berth.dev", ra.Resource, ra.Group)
		}
		sar.Status.Allowed = slices.Contains(rbac[sar.Spec.User][ra.Namespace], ra.Verb)
		return true, sar, nil
	})
	m := metrics.New()
	f.gate = &Gate{
		Authn:      auth.NewTokenAuthenticator(cs.AuthenticationV1().TokenReviews(), []string{options.DefaultAudience}, time.Minute, time.Now),
		Authz:      auth.NewAuthorizer(s, cs.AuthorizationV1().SubjectAccessReviews(), 5*time.Second, time.Now),
		Store:      s,
		Challenger: auth.Challenger{Service: "berth-registry"},
		Metrics:    m,
		Log:        logr.Discard(),
		Next: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			f.forwarded = r
			w.WriteHeader(http.StatusTeapot)
		}),
	}
	return f
}

func TestGate(t *testing.T) {
	s := authtest.Store{
		Repos: []string{"team-a/app", "team-a/base", "team-b/src"},
		PolicySet: []ecrv1alpha1.RepositoryPolicy{
			// bob (team-b) may pull team-a/app through a policy; RBAC gives him nothing there.
			authtest.Policy("team-a", "app", "bob-pulls", ecrv1alpha1.EffectAllow, authtest.ServiceAccount("team-b", "bob"), "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"),
			// pusher may never delete in team-a, whatever RBAC says.
			authtest.Policy("team-a", "*", "no-delete", ecrv1alpha1.EffectDeny, authtest.ServiceAccount("team-a", "pusher"), "ecr:BatchDeleteImage"),
		},
	}
	rbac := rbacTable{
		"system:serviceaccount:team-a:alice":  {"team-a": {"pull", "push"}},
		"system:serviceaccount:team-a:pusher": {"team-a": {"pull", "push", "delete"}},
		"lister":                              {"": {"list"}, "team-a": {"pull"}},
	}
	type want struct {
		status    int    // 418 = forwarded to distribution
		code      string // OCI error code when refused
		challenge bool
		query     string // forwarded raw query
		access    []distauth.Access
		catalog   bool
	}
	pull := func(repo string) []distauth.Access {
		return []distauth.Access{{Resource: distauth.Resource{Type: "repository", Name: repo}, Action: "pull"}}
	}
	push := func(repo string) []distauth.Access {
		return []distauth.Access{
			{Resource: distauth.Resource{Type: "repository", Name: repo}, Action: "pull"},
			{Resource: distauth.Resource{Type: "repository", Name: repo}, Action: "push"},
		}
	}
	cases := []struct {
		name          string
		method, path  string
		authorization string
		want          want
	}{
		{"anonymous ping is challenged", "GET", "/v2/", "", want{status: 401, code: "UNAUTHORIZED", challenge: true}},
		{"authenticated ping", "GET", "/v2/", basic("alice-token"), want{status: 418}},
		{"bearer ping", "GET", "/v2/", "Bearer alice-token", want{status: 418}},
		{"unknown token", "GET", "/v2/", basic("stolen"), want{status: 401, code: "UNAUTHORIZED", challenge: true}},
		{"empty password", "GET", "/v2/", basic(""), want{status: 401, code: "UNAUTHORIZED", challenge: true}},
		{"other scheme", "GET", "/v2/", "Digest x", want{status: 401, code: "UNAUTHORIZED", challenge: true}},
		{"owner pulls via RBAC", "GET", "/v2/team-a/app/manifests/v1", basic("alice-token"), want{status: 418, access: pull("team-a/app")}},
		{"owner pushes via RBAC", "PUT", "/v2/team-a/app/manifests/v1", basic("alice-token"), want{status: 418, access: push("team-a/app")}},
		{"push-only cannot delete", "DELETE", "/v2/team-a/app/manifests/v1", basic("alice-token"), want{status: 403, code: "DENIED"}},
		{"explicit Deny beats RBAC", "DELETE", "/v2/team-a/app/manifests/v1", basic("pusher-token"), want{status: 403, code: "DENIED"}},
		{"policy grants another namespace", "GET", "/v2/team-a/app/blobs/sha256:" + hex64, basic("bob-token"), want{status: 418, access: pull("team-a/app")}},
		{"policy grants only what it names", "HEAD", "/v2/team-a/app/blobs/sha256:" + hex64, basic("bob-token"), want{status: 403, code: "DENIED"}},
		{"policy is per repository", "GET", "/v2/team-a/base/manifests/v1", basic("bob-token"), want{status: 403, code: "DENIED"}},
		{"anonymous pull is challenged", "GET", "/v2/team-a/app/manifests/v1", "", want{status: 401, code: "UNAUTHORIZED", challenge: true}},
		{
			"denied mount source becomes an upload", "POST", "/v2/team-a/app/blobs/uploads/?mount=sha256:" + hex64 + "&from=team-b/src", basic("alice-token"),
			want{status: 418, query: "", access: push("team-a/app")},
		},
		{
			"allowed mount source is kept", "POST", "/v2/team-a/app/blobs/uploads/?from=team-a/base&mount=sha256:" + hex64, basic("alice-token"),
			want{status: 418, query: "from=team-a/base&mount=sha256:" + hex64, access: append(push("team-a/app"), pull("team-a/base")...)},
		},
		{
			"mount source without a Repository becomes an upload", "POST", "/v2/team-a/app/blobs/uploads/?from=team-a/gone&mount=sha256:" + hex64, basic("alice-token"),
			want{status: 418, query: "", access: push("team-a/app")},
		},
		{"missing repository", "GET", "/v2/team-a/nope/manifests/v1", basic("alice-token"), want{status: 404, code: "NAME_UNKNOWN"}},
		{"missing repository without rights", "GET", "/v2/team-a/nope/manifests/v1", basic("bob-token"), want{status: 403, code: "DENIED"}},
		{"name that cannot be a Repository", "GET", "/v2/team-a/app/nested/manifests/v1", basic("alice-token"), want{status: 404, code: "NAME_UNKNOWN"}},
		{"catalog needs list", "GET", "/v2/_catalog", basic("alice-token"), want{status: 403, code: "DENIED"}},
		{"catalog with list", "GET", "/v2/_catalog?n=10", basic("lister-token"), want{status: 418, query: "n=10", catalog: true}},
		{"invalid name", "GET", "/v2/Team-A/app/manifests/v1", basic("alice-token"), want{status: 400, code: "NAME_INVALID"}},
		{"unsupported method", "POST", "/v2/team-a/app/manifests/v1", basic("alice-token"), want{status: 405, code: "UNSUPPORTED"}},
		{"unknown path passes to distribution", "GET", "/v2/team-a/app/nonsense", basic("alice-token"), want{status: 418}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newGateFixture(t, s, rbac)
			var body io.Reader
			if tc.method == http.MethodPut && strings.Contains(tc.path, "/manifests/") {
				body = strings.NewReader(`{"schemaVersion":2}`) // the gate checks the body's shape
			}
			req := httptest.NewRequestWithContext(context.Background(), tc.method, tc.path, body)
			if tc.authorization != "" {
				req.Header.Set("Authorization", tc.authorization)
			}
			rec := httptest.NewRecorder()
			f.gate.ServeHTTP(rec, req)
			if rec.Code != tc.want.status {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tc.want.status, rec.Body)
			}
			if got := rec.Header().Get("WWW-Authenticate") != ""; got != tc.want.challenge {
				t.Errorf("challenge sent = %v, want %v", got, tc.want.challenge)
			}
			if tc.want.status != http.StatusTeapot {
				if f.forwarded != nil {
					t.Error("a refused request reached distribution")
				}
				var body ociBody
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body.Errors) != 1 {
					t.Fatalf("body %q is not one OCI error: %v", rec.Body, err)
				}
				if body.Errors[0].Code != tc.want.code {
					t.Errorf("code = %s, want %s (%s)", body.Errors[0].Code, tc.want.code, body.Errors[0].Message)
				}
				return
			}
			if f.forwarded.URL.RawQuery != tc.want.query {
				t.Errorf("forwarded query = %q, want %q", f.forwarded.URL.RawQuery, tc.want.query)
			}
			v := auth.VerdictFrom(f.forwarded.Context())
			if v == nil {
				if tc.path == "/v2/team-a/app/nonsense" {
					return // distribution answers 404; the backstop would refuse anything else
				}
				t.Fatal("forwarded without a verdict")
			}
			if diff := cmp.Diff(tc.want.access, v.Access); diff != "" {
				t.Errorf("verdict access mismatch (-want +got):\n%s", diff)
			}
			if v.Catalog != tc.want.catalog {
				t.Errorf("verdict catalog = %v, want %v", v.Catalog, tc.want.catalog)
			}
		})
	}
}

func TestGateCachesAndCounts(t *testing.T) {
	rbac := rbacTable{"system:serviceaccount:team-a:alice": {"team-a": {"pull"}}}
	f := newGateFixture(t, authtest.Store{Repos: []string{"team-a/app"}}, rbac)
	for range 3 {
		req := httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/v2/team-a/app/manifests/v1", nil)
		req.Header.Set("Authorization", basic("alice-token"))
		f.gate.ServeHTTP(httptest.NewRecorder(), req)
	}
	if n := f.sarCalls.Load(); n != 1 {
		t.Errorf("three pulls made %d SubjectAccessReviews, want 1 (cached)", n)
	}
	req := httptest.NewRequestWithContext(context.Background(), http.MethodPut, "/v2/team-a/app/manifests/v1", nil)
	req.Header.Set("Authorization", basic("alice-token"))
	f.gate.ServeHTTP(httptest.NewRecorder(), req)

	g := f.gate.Metrics.Gatherer()
	if got := sampleValue(t, g, "berth_registry_requests_total", policy.ActionBatchGetImage, metrics.DecisionAllow); got != 3 {
		t.Errorf("allowed BatchGetImage = %v, want 3", got)
	}
	if got := sampleValue(t, g, "berth_registry_requests_total", policy.ActionPutImage, metrics.DecisionDeny); got != 1 {
		t.Errorf("denied PutImage = %v, want 1", got)
	}
	if got, err := testutil.GatherAndCount(g, "berth_registry_authorization_duration_seconds"); err != nil || got != 1 {
		t.Errorf("authorization histogram series = %d (%v), want 1", got, err)
	}
	if got, err := testutil.GatherAndCount(g, "berth_registry_api_reviews_total"); err != nil || got != 0 {
		// Observe is wired by registry.New; the fixture leaves it unset.
		t.Errorf("reviews counted without observer: %d series (%v)", got, err)
	}

	// API failures are 503, not a denial or an authentication failure.
	f.sarFail = errors.New("apiserver down")
	req = httptest.NewRequestWithContext(context.Background(), http.MethodDelete, "/v2/team-a/app/manifests/v1", nil)
	req.Header.Set("Authorization", basic("alice-token"))
	rec := httptest.NewRecorder()
	f.gate.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("SubjectAccessReview failure: %d %v, want 503 with Retry-After", rec.Code, rec.Header())
	}
}

const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func basic(password string) string {
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, "/", nil)
	req.SetBasicAuth("berth", password)
	return req.Header.Get("Authorization")
}

// sampleValue is the value of the counter name whose label values are values, in order.
func sampleValue(t *testing.T, g prometheus.Gatherer, name string, values ...string) float64 {
	t.Helper()
	families, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			labels := m.GetLabel()
			if len(labels) != len(values) {
				continue
			}
			for i, l := range labels {
				if l.GetValue() != values[i] {
					continue next
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}
