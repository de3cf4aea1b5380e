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

package ecr

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/event"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
)

// TestRepositoryEventReceiver: pushes and deletes of Berth repositories become requests for
// their Repository; everything readable is answered 200 at once, even when the queue is full.
func TestRepositoryEventReceiver(t *testing.T) {
	out := make(chan event.TypedGenericEvent[*ecrv1alpha1.Repository], 2)
	rc := &registryEventReceiver{token: "s3cret", out: out, log: logr.Discard()}
	post := func(auth, body string) int {
		req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, RegistryEventsPath, strings.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		rc.ServeHTTP(w, req)
		return w.Code
	}
	ev := func(action, repo string) string {
		return `{"events":[{"id":"1","action":"` + action + `","target":{"repository":"` + repo + `","digest":"sha256:00"}}]}`
	}
	for _, tc := range []struct {
		auth, body string
		status     int
		want       string // namespace/name enqueued, if any
	}{
		{"Bearer s3cret", ev("push", "team/app"), http.StatusOK, "team/app"},
		{"Bearer s3cret", ev("delete", "team/other"), http.StatusOK, "team/other"},
		{"Bearer s3cret", ev("pull", "team/app"), http.StatusOK, ""},
		{"Bearer s3cret", ev("push", "toplevel"), http.StatusOK, ""},
		{"Bearer s3cret", "not json", http.StatusOK, ""},
		{"Bearer wrong", ev("push", "team/app"), http.StatusUnauthorized, ""},
		{"", ev("push", "team/app"), http.StatusUnauthorized, ""},
	} {
		if got := post(tc.auth, tc.body); got != tc.status {
			t.Errorf("POST %s (%q): %d, want %d", tc.body, tc.auth, got, tc.status)
		}
		if tc.want == "" {
			continue
		}
		e := <-out
		if got := e.Object.Namespace + "/" + e.Object.Name; got != tc.want {
			t.Errorf("enqueued %s, want %s", got, tc.want)
		}
	}
	if len(out) != 0 {
		t.Errorf("%d unexpected requests", len(out))
	}
	// A full queue drops the event but still answers 200.
	for range cap(out) + 1 {
		if got := post("Bearer s3cret", ev("push", "team/app")); got != http.StatusOK {
			t.Fatalf("full queue: %d", got)
		}
	}
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, RegistryEventsPath, nil)
	w := httptest.NewRecorder()
	rc.ServeHTTP(w, req)
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", w.Code)
	}
}
