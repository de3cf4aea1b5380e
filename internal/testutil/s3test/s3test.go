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

// Package s3test runs SeaweedFS (master, volume server, filer, S3 gateway: hack/seaweedfs.sh)
// on loopback for tests of the registry's s3 storage driver against a real, distributed
// S3-compatible object store.
package s3test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/testutil/envtest"
)

// Store is a running SeaweedFS with one bucket.
type Store struct {
	// Endpoint is the S3 gateway's URL; Bucket the bucket; Region any region (SigV4 needs one).
	Endpoint, Bucket, Region string
	// AccessKeyID and SecretAccessKey are the gateway's one identity.
	AccessKeyID, SecretAccessKey string
	// FilerURL is the filer's HTTP API, where the bucket's objects can be listed.
	FilerURL string
	// Dir holds the processes' data and logs.
	Dir string
}

// Start runs SeaweedFS until the test ends.
func Start(t testing.TB) *Store {
	t.Helper()
	dir := t.TempDir()
	script := filepath.Join(envtest.RepoRoot(), "hack", "seaweedfs.sh")
	cmd := exec.CommandContext(context.Background(), script, "start", dir) //nolint:gosec // the repository's own script
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	t.Cleanup(func() {
		_ = exec.CommandContext(context.Background(), script, "stop", dir).Run() //nolint:gosec // the repository's own script
		if t.Failed() {
			for _, f := range []string{"master.log", "volume.log", "filer.log", "s3.log"} {
				if b, err := os.ReadFile(filepath.Join(dir, f)); err == nil { //nolint:gosec // our temp dir
					t.Logf("seaweedfs %s (last 4 KiB):\n%s", f, tail(b, 4096))
				}
			}
		}
	})
	if err != nil {
		t.Fatalf("starting SeaweedFS: %v\n%s", err, stderr.String())
	}
	env := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			env[k] = v
		}
	}
	s := &Store{Endpoint: env["S3_ENDPOINT"], Bucket: env["S3_BUCKET"], Region: env["S3_REGION"],
		AccessKeyID: env["AWS_ACCESS_KEY_ID"], SecretAccessKey: env["AWS_SECRET_ACCESS_KEY"], FilerURL: env["FILER_URL"], Dir: dir}
	if s.Endpoint == "" || s.Bucket == "" || s.AccessKeyID == "" {
		t.Fatalf("hack/seaweedfs.sh printed %q", out)
	}
	return s
}

// Objects counts the objects under a key prefix of the bucket (a folder, such as
// "berth/docker/registry/v2/blobs"), and their bytes, as the filer lists them.
func (s *Store) Objects(t testing.TB, prefix string) (count int, size int64) {
	t.Helper()
	var walk func(path string)
	walk = func(path string) {
		last := ""
		for {
			url := fmt.Sprintf("%s/buckets/%s/%s/?limit=1000&lastFileName=%s", s.FilerURL, s.Bucket, strings.Trim(path, "/"), last)
			req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Accept", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("listing %s: %v", url, err)
			}
			var page struct {
				Entries []struct {
					FullPath string `json:"FullPath"`
					Mode     uint32 `json:"Mode"`
					FileSize int64  `json:"FileSize"`
				} `json:"Entries"`
				ShouldDisplayLoadMore bool   `json:"ShouldDisplayLoadMore"`
				LastFileName          string `json:"LastFileName"`
			}
			err = json.NewDecoder(resp.Body).Decode(&page)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusNotFound {
				return
			}
			if err != nil {
				t.Fatalf("listing %s: HTTP %d: %v", url, resp.StatusCode, err)
			}
			for _, e := range page.Entries {
				if os.FileMode(e.Mode).IsDir() {
					walk(strings.TrimPrefix(e.FullPath, "/buckets/"+s.Bucket+"/"))
					continue
				}
				count++
				size += e.FileSize
			}
			if !page.ShouldDisplayLoadMore || page.LastFileName == "" {
				return
			}
			last = page.LastFileName
		}
	}
	walk(prefix)
	return count, size
}

func tail(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	return b[len(b)-n:]
}
