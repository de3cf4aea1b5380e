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
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
)

// TestOrasAttachAndDiscover: with the referrers API, oras attaches an SBOM and a signature to
// an image in an IMMUTABLE repository — before it, oras fell back to the sha256-<digest> tag
// schema and the second attach failed with TAG_INVALID — and `oras discover` lists both; no
// fallback tag is written.
func TestOrasAttachAndDiscover(t *testing.T) {
	s := needSuite(t)
	oras := builtTool(t, "oras")
	s.namespaces(t, "oras-a")
	owner := s.serviceAccount(t, "oras-a", "owner", "berth-registry-poweruser")
	s.repository(t, "oras-a", "app", ecrv1alpha1.Immutable)
	img := randomImage(t)
	if err := push(s.ref("oras-a/app", "v1"), img, owner.token); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(context.Background(), oras, append(args[:1:1], append([]string{"--plain-http", "-u", "berth", "--password-stdin"}, args[1:]...)...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "HOME="+dir) // no stored logins
		cmd.Stdin = strings.NewReader(owner.token)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		b, err := cmd.Output()
		if err != nil {
			t.Fatalf("oras %s: %v\n%s%s", args[0], err, redactToken(string(b), owner.token), redactToken(stderr.String(), owner.token))
		}
		return string(b)
	}
	for name, content := range map[string]string{"sbom.spdx.json": `{"spdxVersion":"SPDX-2.3"}`, "signature.sig": "signed"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ref := s.addr + "/oras-a/app:v1"
	run("attach", "--artifact-type", "application/spdx+json", ref, "sbom.spdx.json")
	run("attach", "--artifact-type", "application/vnd.example.signature", ref, "signature.sig")

	var discovered struct {
		Referrers []struct {
			ArtifactType string `json:"artifactType"`
			Digest       string `json:"digest"`
		} `json:"referrers"`
		Manifests []struct {
			ArtifactType string `json:"artifactType"`
		} `json:"manifests"`
	}
	outJSON := run("discover", "--format", "json", ref)
	if err := json.Unmarshal([]byte(outJSON), &discovered); err != nil {
		t.Fatalf("oras discover output: %v\n%s", err, outJSON)
	}
	types := map[string]bool{}
	for _, r := range discovered.Referrers {
		types[r.ArtifactType] = true
	}
	for _, m := range discovered.Manifests {
		types[m.ArtifactType] = true
	}
	if !types["application/spdx+json"] || !types["application/vnd.example.signature"] {
		t.Errorf("oras discover lists %v, want the SBOM and the signature\n%s", types, outJSON)
	}
	resp := s.do(t, http.MethodGet, "/v2/oras-a/app/tags/list", owner.token)
	if strings.Contains(string(resp.body), "sha256-") {
		t.Errorf("a referrers fallback tag was written: %s", resp.body)
	}
}
