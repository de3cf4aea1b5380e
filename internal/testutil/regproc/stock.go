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

package regproc

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/time/rate"

	"github.com/berth-dev/berth/internal/testutil/envtest"
	"github.com/berth-dev/berth/internal/testutil/s3test"
)

// StockBinary returns the stock distribution registry of the version Berth embeds, built by
// hack/build-stock-registry.sh (cached by version).
func StockBinary(t testing.TB) string {
	t.Helper()
	script := filepath.Join(envtest.RepoRoot(), "hack", "build-stock-registry.sh")
	cmd := exec.CommandContext(context.Background(), script) //nolint:gosec // the repository's own script
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("hack/build-stock-registry.sh: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// FilesystemStorage is the stock registry's storage section for a folder.
func FilesystemStorage(dir string) string {
	return fmt.Sprintf("  filesystem:\n    rootdirectory: %s\n", dir)
}

// S3Storage is the stock registry's storage section for store's bucket under the key prefix
// root: the parameters berth-registry's S3Flags set, and, as berth-registry's default,
// blob downloads served by the registry (distribution's default redirects a blob GET to a
// presigned URL of the bucket, so its client would read from the object store directly).
func S3Storage(store *s3test.Store, root string) string {
	return fmt.Sprintf("  s3:\n    bucket: %s\n    region: %s\n    regionendpoint: %s\n    forcepathstyle: true\n    rootdirectory: %s\n    accesskey: %s\n    secretkey: %s\n  redirect:\n    disable: true\n",
		store.Bucket, store.Region, store.Endpoint, root, store.AccessKeyID, store.SecretAccessKey)
}

// Stock is a stock registry to start: its storage section (FilesystemStorage, S3Storage) and,
// when User is set, htpasswd authentication of User with Password.
type Stock struct {
	Bin, Storage   string
	User, Password string
}

// StartStock runs the stock distribution registry on a free loopback port and waits until
// /v2/ answers (200, or 401 with htpasswd). The configuration is distribution's own minimal
// one plus what berth-registry also sets (delete enabled, storage health check, validation
// defaults); access logs are off, as berth-registry has none.
func StartStock(t testing.TB, s Stock) *Process {
	t.Helper()
	dir := t.TempDir()
	addr := envtest.FreeLoopbackAddr(t)
	auth := ""
	if s.User != "" {
		hash, err := bcrypt.GenerateFromPassword([]byte(s.Password), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		htpasswd := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(htpasswd, []byte(s.User+":"+string(hash)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		auth = fmt.Sprintf("auth:\n  htpasswd:\n    realm: upstream\n    path: %s\n", htpasswd)
	}
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
%s  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: true
      age: 168h
      interval: 24h
      dryrun: false
http:
  addr: %s
  secret: %s
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
%s`, s.Storage, addr, HTTPSecret, auth)
	path := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	p := Start(t, "stock-registry", s.Bin, []string{"serve", path}, addr)
	if s.User == "" {
		p.WaitReady(t, "http://"+addr+"/v2/")
	} else {
		p.WaitStatus(t, "http://"+addr+"/v2/", http.StatusUnauthorized)
	}
	return p
}

// RequestLog is a reverse proxy in front of a registry that logs every request it forwards
// ("GET /v2/<name>/manifests/<ref>"): how a test tells what a client fetched from it.
type RequestLog struct {
	// Addr is the proxy's host:port.
	Addr string
	mu   sync.Mutex
	log  []string
}

// StartRequestLog starts a logging proxy in front of the registry at target (host:port).
func StartRequestLog(t testing.TB, target string) *RequestLog {
	t.Helper()
	return StartShapedRequestLog(t, target, 0)
}

// StartShapedRequestLog is StartRequestLog with the responses' bodies paced to bytesPerSecond
// in all (0: as fast as loopback goes), as a network link to a remote registry would.
func StartShapedRequestLog(t testing.TB, target string, bytesPerSecond int) *RequestLog {
	t.Helper()
	u, err := url.Parse("http://" + target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	if bytesPerSecond > 0 {
		link := rate.NewLimiter(rate.Limit(bytesPerSecond), linkBurst)
		rp.ModifyResponse = func(resp *http.Response) error {
			resp.Body = &pacedBody{ReadCloser: resp.Body, link: link}
			return nil
		}
	}
	l := &RequestLog{}
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.log = append(l.log, r.Method+" "+r.URL.Path)
		l.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	l.Addr = strings.TrimPrefix(front.URL, "http://")
	return l
}

// Take returns the requests logged since the last Take and clears the log.
func (l *RequestLog) Take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.log
	l.log = nil
	return out
}

// Content are the requests of reqs for manifests or blobs (not the /v2/ pings).
func Content(reqs []string) []string {
	var out []string
	for _, r := range reqs {
		if strings.Contains(r, "/manifests/") || strings.Contains(r, "/blobs/") {
			out = append(out, r)
		}
	}
	return out
}

// linkBurst is how many bytes a shaped link sends at once.
const linkBurst = 256 << 10

// pacedBody reads no faster than its link allows.
type pacedBody struct {
	io.ReadCloser
	link *rate.Limiter
}

func (b *pacedBody) Read(p []byte) (int, error) {
	if len(p) > linkBurst {
		p = p[:linkBurst]
	}
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		if werr := b.link.WaitN(context.Background(), n); werr != nil && err == nil {
			err = werr
		}
	}
	return n, err
}
