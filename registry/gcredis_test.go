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
	"bufio"
	"context"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/testutil/envtest"
	"github.com/berth-dev/berth/registry/options"
)

// startRedis runs redis-server on a free loopback port, without persistence, until the test
// ends; the test is skipped where redis-server is not installed (.ci/run installs it).
func startRedis(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed (apt-get install redis-server)")
	}
	addr := envtest.FreeLoopbackAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.CommandContext(context.Background(), bin, "--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no") //nolint:gosec // the test's own redis
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	eventually(t, 10*time.Second, func() error {
		d := net.Dialer{Timeout: time.Second}
		c, err := d.DialContext(t.Context(), "tcp", addr)
		if err != nil {
			return err
		}
		defer func() { _ = c.Close() }()
		_, _ = c.Write([]byte("PING\r\n"))
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "+PONG") {
			return err
		}
		return nil
	})
	return addr
}

// With distribution's redis blob-descriptor cache, the collector forgets what it removes: a
// collected layer is no longer present in its repository (HEAD 404, not the cache's 200),
// and cannot be mounted into another repository (an upload starts instead), so no manifest
// can come to reference data that is gone.
func TestGCForgetsCollectedBlobsInRedis(t *testing.T) {
	s := needSuite(t)
	redisAddr := startRedis(t)
	const ns, grace = "gc-redis", 500 * time.Millisecond
	s.namespaces(t, ns)
	admin := s.serviceAccount(t, ns, "admin", "berth-registry-admin")
	srv, addr, _ := startGCServer(t, s, "gc-redis", 0, grace, time.Hour, func(o *options.Options) {
		o.Redis.Addrs = []string{redisAddr}
	})
	gcRepository(t, s, srv, ns)
	gcRepositoryNamed(t, s, srv, ns, "other")
	gone := randomImage(t)
	if err := push(refAt(addr, ns+"/app", "gone"), gone, admin.token); err != nil {
		t.Fatal(err)
	}
	layers, _ := gone.Layers()
	l0, _ := layers[0].Digest()
	// Stat the layer so that the cache holds it for the repository and globally.
	if !blobPresent(t, addr, ns+"/app", l0.String(), admin.token) {
		t.Fatal("the pushed layer is not present")
	}
	deleteImage(t, addr+"/"+ns+"/app@"+digestOf(t, gone).String(), admin.token)
	time.Sleep(grace + 100*time.Millisecond)
	rep, err := collectNow(context.Background(), srv)
	if err != nil {
		t.Fatal(err)
	}
	if rep.BlobsRemoved != 4 {
		t.Fatalf("the run removed %d blobs, want the deleted image's 4", rep.BlobsRemoved)
	}
	if blobPresent(t, addr, ns+"/app", l0.String(), admin.token) {
		t.Errorf("a collected layer is still present in its repository (answered from the redis cache)")
	}
	// A mount from the repository that held it must not succeed.
	r := doAt(t, addr, http.MethodPost, "/v2/"+ns+"/other/blobs/uploads/?mount="+l0.String()+"&from="+ns+"/app", admin.token)
	if r.status != http.StatusAccepted {
		t.Errorf("mounting a collected layer: %d %s, want 202 (an upload instead of a mount)", r.status, r.body)
	}
}
