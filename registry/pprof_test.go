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
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/go-logr/logr/testr"

	"github.com/berth-dev/berth/internal/testutil/envtest"
)

// TestPprofServedBesideTheRegistry starts the registry with --pprof-bind-address: the
// profiles answer there, and the registry port, usually public, does not serve them.
func TestPprofServedBesideTheRegistry(t *testing.T) {
	s := needSuite(t)
	opts := testOptions()
	opts.PprofAddr = envtest.FreeLoopbackAddr(t)
	srv, err := New(opts, s.registryConfig)
	if err != nil {
		t.Fatal(err)
	}
	addr, stop, err := serveOn(srv, opts.Addr, testr.New(t))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	get := func(url string) (int, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := get("http://" + opts.PprofAddr + "/debug/pprof/"); code != http.StatusOK || !strings.Contains(body, "heap") {
		t.Errorf("GET /debug/pprof/ on the pprof address: %d %.200q, want 200 with the profile index", code, body)
	}
	if code, body := get("http://" + opts.PprofAddr + "/debug/pprof/heap?debug=1"); code != http.StatusOK || !strings.Contains(body, "heap profile") {
		t.Errorf("GET /debug/pprof/heap on the pprof address: %d %.200q, want 200 with a heap profile", code, body)
	}
	if code, _ := get("http://" + addr + "/debug/pprof/"); code == http.StatusOK {
		t.Errorf("GET /debug/pprof/ on the registry port: 200, want it not served there")
	}
}
