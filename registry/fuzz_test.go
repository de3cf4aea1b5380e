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

package registry

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	authzv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/berth-dev/berth/internal/testutil/authtest"
	"github.com/berth-dev/berth/registry/auth"
	"github.com/berth-dev/berth/registry/metrics"
	"github.com/berth-dev/berth/registry/options"
)

var (
	fuzzOnce    sync.Once
	fuzzHandler http.Handler
	errFuzz     error
)

// fuzzServer is the registry's whole request chain (the production handler: gate,
// distribution's App, Berth's middleware, inmemory storage) with fake API answers: token
// "admin-token" is a user RBAC allows everything, other tokens are rejected; Repositories
// fz/app and fz/other exist; there is no pull through cache rule, so a cache path is an
// ordinary repository name.
func fuzzServer() (http.Handler, error) {
	fuzzOnce.Do(func() {
		tokens := &authtest.TokenReviews{Users: map[string]string{"admin-token": "admin"}}
		cs := tokens.Clientset()
		cs.PrependReactor("create", "subjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
			sar := a.(k8stesting.CreateAction).GetObject().(*authzv1.SubjectAccessReview).DeepCopy()
			sar.Status.Allowed = sar.Spec.User == "admin"
			return true, sar, nil
		})
		st := authtest.Store{Repos: []string{"fz/app", "fz/other"}}
		o := options.DefaultOptions()
		o.Storage.Driver = options.DriverInMemory
		o.HTTPSecret = "fuzz"
		if errFuzz = registerExtensions(); errFuzz != nil {
			return
		}
		// distribution logs through a process-global logger, routed to the last server's;
		// that may be a finished test's, which must not be logged to any more.
		useDistributionLogger(logr.Discard())
		s := &Server{
			opts:       o,
			httpSecret: o.HTTPSecret,
			store:      st,
			rules:      st,
			authn:      auth.NewTokenAuthenticator(cs.AuthenticationV1().TokenReviews(), o.Auth.Audiences, time.Minute, time.Now),
			authz:      auth.NewAuthorizer(st, cs.AuthorizationV1().SubjectAccessReviews(), time.Minute, time.Now),
			metrics:    metrics.New(),
		}
		s.ready.Store(true)
		fuzzHandler, _, errFuzz = s.handler(context.Background(), logr.Discard())
	})
	return fuzzHandler, errFuzz
}

var fuzzMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions}

// FuzzHTTP sends arbitrary requests through the whole registry chain and fails on any 5xx:
// client input must never be answered with a server error (clients retry those, and they
// hide the real answer).
func FuzzHTTP(f *testing.F) {
	hex := strings.Repeat("ab", 32)
	for _, seed := range []struct {
		method uint8
		target string
		auth   uint8
		body   string
	}{
		{0, "/v2/", 1, ""},
		{0, "/v2/fz/app/tags/list?n=10&last=v1", 1, ""},
		{0, "/v2/fz/app/tags/list?last=%00", 1, ""},
		{0, "/v2/fz/app/tags/list?n=-1", 1, ""},
		{0, "/v2/_catalog?n=5&last=fz/app", 1, ""},
		{0, "/v2/_catalog?last=" + strings.Repeat("a", 300), 1, ""},
		{0, "/v2/fz/app/manifests/latest", 2, ""},
		{0, "/v2/fz/app/manifests/sha256:" + hex, 1, ""},
		{0, "/v2/fz/app/manifests/sha512:" + hex + hex, 1, ""},
		{3, "/v2/fz/app/manifests/v1", 1, `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}`},
		{3, "/v2/fz/app/manifests/v2", 1, `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.nondistributable.v1.tar","digest":"sha256:` + hex + `","size":1,"urls":["https://example.com/l"]}]}`},
		{3, "/v2/fz/app/manifests/v3", 1, `{"schemaVersion":2,"subject":{"digest":"nope"}}`},
		{3, "/v2/fz/app/manifests/v4", 1, `not json`},
		{2, "/v2/fz/app/blobs/uploads/", 1, ""},
		{2, "/v2/fz/app/blobs/uploads/?digest=sha256:" + hex, 1, "x"},
		{2, "/v2/fz/app/blobs/uploads/?mount=sha256:" + hex + "&from=fz/other", 1, ""},
		{2, "/v2/fz/app/blobs/uploads/?mount=sha512:" + hex + "&from=fz/other", 1, ""},
		{4, "/v2/fz/app/blobs/uploads/0e7c9e4a-1111-2222-3333-444455556666?_state=garbage", 1, "data"},
		{3, "/v2/fz/app/blobs/uploads/0e7c9e4a-1111-2222-3333-444455556666?digest=sha256:" + hex, 1, ""},
		{0, "/v2/fz/app/blobs/sha256:" + hex, 1, ""},
		{5, "/v2/fz/app/blobs/sha256:" + hex, 1, ""},
		{5, "/v2/fz/app/manifests/v1", 1, ""},
		{0, "/v2/fz/app/referrers/sha256:" + hex + "?artifactType=a%2Fb", 1, ""},
		{0, "/v2/fz/app/referrers/latest", 1, ""},
		{0, "/berth/v1/repositories/fz/app/images", 1, ""},
		{0, "/berth/v1/token?service=berth-registry&scope=repository:fz/app:pull", 1, ""},
		{2, "/berth/v1/token", 0, "grant_type=password&password=admin-token"},
		{2, "/berth/v1/token", 0, "grant_type=%zz"},
		{0, "/v2/fz/nope/manifests/latest", 1, ""},
		{0, "/v2/FZ/app/manifests/latest", 3, ""},
	} {
		f.Add(seed.method, seed.target, seed.auth, []byte(seed.body))
	}
	h, err := fuzzServer()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method uint8, target string, authChoice uint8, body []byte) {
		if !strings.HasPrefix(target, "/") || strings.ContainsAny(target, " \r\n\t#") {
			return // not a request line a client can send
		}
		req, err := http.NewRequestWithContext(context.Background(), fuzzMethods[int(method)%len(fuzzMethods)], "http://registry.test"+target, bytes.NewReader(body))
		if err != nil {
			return
		}
		switch authChoice % 4 {
		case 1:
			req.SetBasicAuth("berth", "admin-token")
		case 2:
			req.Header.Set("Authorization", "Basic Og==")
		case 3:
			req.Header.Set("Authorization", "Bearer wrong")
		}
		if req.Method == http.MethodPut || req.Method == http.MethodPost {
			if strings.HasPrefix(target, "/berth/v1/token") {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			} else {
				req.Header.Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
			}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Errorf("%s %s (auth %d, %d body bytes): %d %s", req.Method, target, authChoice%4, len(body), rec.Code, rec.Body.String())
		}
	})
}
