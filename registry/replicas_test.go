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
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	"github.com/berth-dev/berth/internal/testutil/regproc"
	"github.com/berth-dev/berth/internal/testutil/replicasoak"
	"github.com/berth-dev/berth/internal/testutil/s3test"
)

// Three berth-registry processes on one SeaweedFS bucket behind one address, as the chart
// runs them with registry.replicas=3 and S3 storage: an upload continues on whichever
// replica a request reaches, and replicas killed (SIGKILL) during pushes and pulls lose no
// push that was reported done, while interrupted pushes and pulls succeed when retried.
// bench/registry's R8 runs the same soak for a minute.
func TestReplicasOnS3(t *testing.T) {
	s := needSuite(t)
	store := s3test.Start(t)
	dir := t.TempDir()
	bin, err := regproc.BuildBerth(dir)
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := regproc.WriteKubeconfig(kubeconfig, s.registryConfig, s.registryConfig.BearerToken); err != nil {
		t.Fatal(err)
	}
	s.namespaces(t, "rep-a")
	builder := s.serviceAccount(t, "rep-a", "builder", "berth-registry-poweruser")
	s.repository(t, "rep-a", "app", ecrv1alpha1.Mutable)

	flags, env := regproc.S3Flags(store, "/berth")
	replicas, procs := regproc.StartReplicas(t, regproc.Berth{Bin: bin, Kubeconfig: kubeconfig, Storage: flags, Env: env}, 3)
	addrs := regproc.Addrs(replicas)

	t.Run("an upload started on one replica continues and ends on the others", func(t *testing.T) {
		uploadAcrossReplicas(t, addrs, "rep-a/app", builder.token)
	})

	t.Run("replicas killed during pushes and pulls lose nothing", func(t *testing.T) {
		front, err := replicasoak.StartFront(addrs...)
		if err != nil {
			t.Fatal(err)
		}
		defer front.Close()
		res, err := replicasoak.Run(t.Context(), replicasoak.Config{
			Addr: front.Addr(), Repository: "rep-a/app", Token: builder.token,
			Duration: 20 * time.Second, Pushers: 3, Pullers: 3, Layers: 2, LayerSize: 1 << 20, Attempts: 5,
			DisruptEvery: 5 * time.Second,
			Disrupt: func(_ context.Context, n int) error {
				i := n % len(procs)
				procs[i].Stop(syscall.SIGKILL, 0)
				time.Sleep(500 * time.Millisecond) // the kubelet's restart, quicker
				procs[i] = regproc.StartBerthUnready(t, replicas[i])
				return nil
			},
			Logf: t.Logf,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("R8 (20 s, a replica killed every 5 s): %s; connections per replica %v", res, front.Connections())
		for _, p := range res.Problems() {
			t.Error(p)
		}
		for i, n := range front.Connections() {
			if n == 0 {
				t.Errorf("replica %d served no connection: the front did not spread the clients", i)
			}
		}
	})
}

// uploadAcrossReplicas uploads one blob in two chunks, each request to another replica
// (POST to the first, PATCH to the second, PATCH to the third, PUT to the first), then reads
// it back from every replica: the upload's state (signed with the shared HTTP secret) and
// its data (in the bucket) are the replicas' common ground.
func uploadAcrossReplicas(t *testing.T, addrs []string, repo, token string) {
	t.Helper()
	// Chunks of at least S3's 5 MiB minimum part, as clients that upload in chunks send.
	data := make([]byte, 9<<20)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	dgst := "sha256:" + hex.EncodeToString(sum[:])
	chunks := [][]byte{data[:6<<20], data[6<<20:]}

	// send sends one request to the replica at addr (location's path and query) and returns
	// its Location header, failing unless it answers status.
	send := func(addr, method, location string, body []byte, header http.Header, status int, what string) string {
		t.Helper()
		u, err := url.Parse(location)
		if err != nil {
			t.Fatal(err)
		}
		req, err := http.NewRequestWithContext(t.Context(), method, "http://"+addr+u.RequestURI(), bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			req.Header[k] = v
		}
		req.SetBasicAuth("berth", token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != status {
			t.Fatalf("%s: %d %s, want %d", what, resp.StatusCode, b, status)
		}
		return resp.Header.Get("Location")
	}
	loc := send(addrs[0], http.MethodPost, "/v2/"+repo+"/blobs/uploads/", nil, nil, http.StatusAccepted, "starting the upload on replica 0")
	offset := 0
	for i, c := range chunks {
		h := http.Header{"Content-Type": {"application/octet-stream"},
			"Content-Range": {fmt.Sprintf("%d-%d", offset, offset+len(c)-1)}}
		loc = send(addrs[1+i], http.MethodPatch, loc, c, h, http.StatusAccepted, fmt.Sprintf("chunk %d on replica %d", i, 1+i))
		offset += len(c)
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("digest", dgst)
	u.RawQuery = q.Encode()
	send(addrs[0], http.MethodPut, u.String(), nil, http.Header{"Content-Length": {"0"}}, http.StatusCreated, "completing the upload on replica 0")
	for i, a := range addrs {
		r := doAt(t, a, http.MethodGet, "/v2/"+repo+"/blobs/"+dgst, token)
		if r.status != http.StatusOK || !bytes.Equal(r.body, data) {
			t.Errorf("replica %d serves the blob with %d, %d bytes; want 200 and the %d bytes uploaded", i, r.status, len(r.body), len(data))
		}
	}
}
