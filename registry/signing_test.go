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
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/registry/imageapi"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
)

// Signing offline, as a user with a key pair or a test certificate would: no transparency log,
// no network beyond the registry on loopback.

// referrerTypes lists subject's referrers in repo by artifact type (digest → type).
func (s *testSuite) referrerTypes(t *testing.T, token, repo, subject string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, im := range s.images(t, imageapi.ImagesPath(strings.Split(repo, "/")[0], strings.Split(repo, "/")[1]), token) {
		if im.Subject == subject {
			out[im.Digest] = im.ArtifactType
		}
	}
	listed := s.referrers(t, token, repo, subject, "")
	if !sameDigests(listed, keys(out)...) {
		t.Errorf("the referrers API lists %v, the image listing shows %v attached", listed, out)
	}
	return out
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// noFallbackTags fails the test if repo has a tag of the referrers tag schema (sha256-...).
func (s *testSuite) noFallbackTags(t *testing.T, token, repo string) {
	t.Helper()
	if tags := s.do(t, http.MethodGet, "/v2/"+repo+"/tags/list", token); strings.Contains(string(tags.body), "sha256-") {
		t.Errorf("a referrers fallback tag was written: %s", tags.body)
	}
}

// TestCosign: cosign (hack/build-cosign.sh) signs an image with a generated key pair and
// attests an SPDX SBOM, both stored as OCI 1.1 referrers (the referrers API lists them, the
// image listing shows them attached, no sha256- tag is written); verify and
// verify-attestation succeed, and fail once the signature and the attestation are deleted.
func TestCosign(t *testing.T) {
	s := needSuite(t)
	s.namespaces(t, "cosign-a")
	owner := s.serviceAccount(t, "cosign-a", "owner", "berth-registry-admin")
	s.repository(t, "cosign-a", "app", ecrv1alpha1.Immutable)
	img := randomImage(t)
	if err := push(s.ref("cosign-a/app", "v1"), img, owner.token); err != nil {
		t.Fatal(err)
	}
	subject := digestOf(t, img).String()
	ref := s.addr + "/cosign-a/app@" + subject

	// COSIGN_EXPERIMENTAL enables --registry-referrers-mode=oci-1-1 (cosign v2).
	c := newCLI(t, builtTool(t, "cosign"), owner.token, "COSIGN_PASSWORD=", "COSIGN_EXPERIMENTAL=1", "COSIGN_YES=true", "TUF_ROOT=/nonexistent")
	c.must(t, "", "generate-key-pair")
	creds := []string{"--allow-http-registry", "--registry-username", "berth", "--registry-password", owner.token}
	key, pub := filepath.Join(c.home, "cosign.key"), filepath.Join(c.home, "cosign.pub")
	// With a key there is nothing to trust beyond it: an empty trusted root stands in for
	// Sigstore's (cosign would fetch that over TUF).
	root := filepath.Join(c.home, "trusted_root.json")
	if err := os.WriteFile(root, []byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	sbom := filepath.Join(c.home, "sbom.spdx.json")
	if err := os.WriteFile(sbom, []byte(`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"app","dataLicense":"CC0-1.0","documentNamespace":"https://example.com/app","creationInfo":{"created":"2026-01-01T00:00:00Z","creators":["Tool: test"]},"packages":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}

	c.must(t, "", append([]string{"sign", "--key", key, "--tlog-upload=false", "--registry-referrers-mode=oci-1-1", ref}, creds...)...)
	c.must(t, "", append([]string{"attest", "--key", key, "--tlog-upload=false", "--new-bundle-format", "--type", "spdxjson", "--predicate", sbom, ref}, creds...)...)

	verify := func() error {
		_, err := c.run("", append([]string{"verify", "--key", pub, "--insecure-ignore-tlog", "--offline", "--trusted-root", root, "--experimental-oci11", ref}, creds...)...)
		return err
	}
	verifyAttestation := func() error {
		_, err := c.run("", append([]string{"verify-attestation", "--key", pub, "--insecure-ignore-tlog", "--offline", "--trusted-root", root, "--new-bundle-format", "--type", "spdxjson", ref}, creds...)...)
		return err
	}
	if err := verify(); err != nil {
		t.Errorf("cosign verify: %v", err)
	}
	if err := verifyAttestation(); err != nil {
		t.Errorf("cosign verify-attestation: %v", err)
	}
	attached := s.referrerTypes(t, owner.token, "cosign-a/app", subject)
	if len(attached) != 2 {
		t.Errorf("attached to the image: %v, want the signature and the SBOM attestation", attached)
	}
	s.noFallbackTags(t, owner.token, "cosign-a/app")

	for d := range attached {
		if resp := s.do(t, http.MethodDelete, "/v2/cosign-a/app/manifests/"+d, owner.token); resp.status != http.StatusAccepted {
			t.Fatalf("deleting %s: %d %s", d, resp.status, resp.body)
		}
	}
	if err := verify(); err == nil || !strings.Contains(err.Error(), "no signatures found") {
		t.Errorf("cosign verify after the signature was deleted: %v, want no signatures found", err)
	}
	if err := verifyAttestation(); err == nil || !strings.Contains(err.Error(), "no valid bundles exist") {
		t.Errorf("cosign verify-attestation after the attestation was deleted: %v, want no valid bundles exist", err)
	}
}

// TestNotation: notation (hack/build-notation.sh) signs an image with a self-signed test
// certificate into the referrers API (--force-referrers-tag=false: no sha256- tag), `notation
// list` and the image listing show the signature, verify succeeds under a trust policy for
// that certificate, and fails once the signature is deleted.
func TestNotation(t *testing.T) {
	s := needSuite(t)
	s.namespaces(t, "notation-a")
	owner := s.serviceAccount(t, "notation-a", "owner", "berth-registry-admin")
	s.repository(t, "notation-a", "app", ecrv1alpha1.Immutable)
	img := randomImage(t)
	if err := push(s.ref("notation-a/app", "v1"), img, owner.token); err != nil {
		t.Fatal(err)
	}
	subject := digestOf(t, img).String()
	ref := s.addr + "/notation-a/app@" + subject

	c := newCLI(t, builtTool(t, "notation"), owner.token)
	// notation stores logins only in a credential helper: the login is given in its
	// environment instead.
	c.env = append(c.env, "XDG_CONFIG_HOME="+filepath.Join(c.home, ".config"), "NOTATION_USERNAME=berth", "NOTATION_PASSWORD="+owner.token)
	c.must(t, "", "cert", "generate-test", "--default", "berth-test")
	policy := filepath.Join(c.home, "trustpolicy.json")
	if err := os.WriteFile(policy, []byte(`{"version":"1.0","trustPolicies":[{"name":"berth-test","registryScopes":["*"],"signatureVerification":{"level":"strict"},"trustStores":["ca:berth-test"],"trustedIdentities":["*"]}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c.must(t, "", "policy", "import", "--force", policy)

	c.must(t, "", "sign", "--insecure-registry", "--force-referrers-tag=false", ref)
	if out := c.must(t, "", "list", "--insecure-registry", ref); !strings.Contains(out, "application/vnd.cncf.notary.signature") {
		t.Errorf("notation list shows no signature:\n%s", out)
	}
	verify := func() error {
		_, err := c.run("", "verify", "--insecure-registry", ref)
		return err
	}
	if err := verify(); err != nil {
		t.Errorf("notation verify: %v", err)
	}
	attached := s.referrerTypes(t, owner.token, "notation-a/app", subject)
	if len(attached) != 1 {
		t.Fatalf("attached to the image: %v, want the signature", attached)
	}
	for d, typ := range attached {
		if typ != "application/vnd.cncf.notary.signature" {
			t.Errorf("the signature's artifact type is %q", typ)
		}
		if resp := s.do(t, http.MethodDelete, "/v2/notation-a/app/manifests/"+d, owner.token); resp.status != http.StatusAccepted {
			t.Fatalf("deleting the signature: %d %s", resp.status, resp.body)
		}
	}
	s.noFallbackTags(t, owner.token, "notation-a/app")
	if err := verify(); err == nil || !strings.Contains(err.Error(), "no signature is associated") {
		t.Errorf("notation verify after the signature was deleted: %v, want no signature is associated", err)
	}
}
