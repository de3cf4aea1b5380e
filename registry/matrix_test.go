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
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/opencontainers/go-digest"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
)

// The client matrix: real registry clients, built from their modules by hack/build-*.sh or
// installed from Debian, against the registry on loopback.

// builtTool builds a client with its hack/build-<name>.sh (cached by version) and returns its
// path.
func builtTool(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.CommandContext(context.Background(), "../hack/build-"+name+".sh").Output()
	if err != nil {
		t.Fatalf("building %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}

// cli runs one client binary with its own HOME (its logins and settings, none stored
// elsewhere) and hides token in what it shows on failure.
type cli struct {
	bin, home, token string
	env              []string
	// args come before every command's own (global flags).
	args []string
}

func newCLI(t *testing.T, bin, token string, env ...string) *cli {
	t.Helper()
	return &cli{bin: bin, home: t.TempDir(), token: token, env: env}
}

// run runs the client with args and stdin, returning stdout, and stderr in the error.
func (c *cli) run(stdin string, args ...string) (string, error) {
	cmd := exec.CommandContext(context.Background(), c.bin, append(append([]string{}, c.args...), args...)...)
	cmd.Dir = c.home
	cmd.Env = append(append(os.Environ(), "HOME="+c.home, "DOCKER_CONFIG="+filepath.Join(c.home, ".docker"), "REGISTRY_AUTH_FILE="+filepath.Join(c.home, "auth.json")), c.env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		out := stdout.String() + stderr.String()
		if c.token != "" {
			out = redactToken(out, c.token)
		}
		return stdout.String(), &cliError{err: err, out: out}
	}
	return stdout.String(), nil
}

// must runs the client and fails the test on error.
func (c *cli) must(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, err := c.run(stdin, args...)
	if err != nil {
		t.Fatalf("%s %s: %v", filepath.Base(c.bin), strings.Join(args[:min(2, len(args))], " "), err)
	}
	return out
}

type cliError struct {
	err error
	out string
}

func (e *cliError) Error() string { return e.err.Error() + "\n" + e.out }

// platforms are the two platforms of the multi-arch index.
var platforms = []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}

// ociImage is a small OCI image (OCI media types throughout) for platform p.
func ociImage(t *testing.T, p v1.Platform) v1.Image {
	t.Helper()
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = p.OS, p.Architecture
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		t.Fatal(err)
	}
	layer, err := random.Layer(1024, types.OCILayer)
	if err != nil {
		t.Fatal(err)
	}
	if img, err = mutate.AppendLayers(img, layer); err != nil {
		t.Fatal(err)
	}
	return img
}

// multiArch is a two-platform OCI index as buildx writes one (a descriptor per image with
// its platform, no artifactType: skopeo 1.9 cannot copy an index with OCI 1.1 artifactType
// fields without rewriting it), its images, and their digests by "os/arch".
func multiArch(t *testing.T) (raw []byte, images []v1.Image, digests map[string]v1.Hash) {
	t.Helper()
	idx := v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex}
	digests = map[string]v1.Hash{}
	for _, p := range platforms {
		img := ociImage(t, p)
		m, err := img.RawManifest()
		if err != nil {
			t.Fatal(err)
		}
		d := digestOf(t, img)
		idx.Manifests = append(idx.Manifests, v1.Descriptor{MediaType: types.OCIManifestSchema1, Size: int64(len(m)), Digest: d, Platform: &p})
		images = append(images, img)
		digests[p.OS+"/"+p.Architecture] = d
	}
	raw, err := json.Marshal(idx)
	if err != nil {
		t.Fatal(err)
	}
	return raw, images, digests
}

// ociLayout writes an OCI image layout holding, under tag, the index raw with its images, or
// (raw nil) the one image, and returns its folder.
func ociLayout(t *testing.T, tag string, raw []byte, images ...v1.Image) string {
	t.Helper()
	return ociLayoutIn(t, t.TempDir(), tag, raw, images...)
}

// ociLayoutIn is ociLayout in folder dir.
func ociLayoutIn(t *testing.T, dir, tag string, raw []byte, images ...v1.Image) string {
	t.Helper()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	ann := map[string]string{"org.opencontainers.image.ref.name": tag}
	if raw == nil {
		if err := p.AppendImage(images[0], layout.WithAnnotations(ann)); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	for _, img := range images {
		if err := p.WriteImage(img); err != nil {
			t.Fatal(err)
		}
	}
	h, size, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.WriteBlob(h, io.NopCloser(bytes.NewReader(raw))); err != nil {
		t.Fatal(err)
	}
	if err := p.AppendDescriptor(v1.Descriptor{MediaType: types.OCIImageIndex, Size: size, Digest: h, Annotations: ann}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// layoutIndex is the image index in the OCI image layout at dir (its first entry).
func layoutIndex(t *testing.T, dir string) v1.ImageIndex {
	t.Helper()
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	top, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	m, err := top.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	idx, err := top.ImageIndex(m.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	return idx
}

// pushMultiArch pushes a two-platform index to repo:multi with crane and returns the config
// digest of its linux/arm64 image.
func (s *testSuite) pushMultiArch(t *testing.T, token, repo string) string {
	t.Helper()
	raw, images, _ := multiArch(t)
	r, err := name.ParseReference(refAt(s.addr, repo, "multi"), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(r, layoutIndex(t, ociLayout(t, "multi", raw, images...)), remoteOptions(token)...); err != nil {
		t.Fatal(err)
	}
	cfg, err := images[1].ConfigName() // platforms[1]: linux/arm64
	if err != nil {
		t.Fatal(err)
	}
	return cfg.String()
}

// layoutDigest is the digest of the one manifest in the OCI image layout at dir.
func layoutDigest(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var idx struct {
		Manifests []struct {
			Digest string `json:"digest"`
		} `json:"manifests"`
	}
	if err := json.Unmarshal(b, &idx); err != nil || len(idx.Manifests) != 1 {
		t.Fatalf("the pulled layout's index.json: %v %s", err, b)
	}
	return idx.Manifests[0].Digest
}

// TestMultiArchIndexRoundTrip: each client of the matrix pushes a two-platform OCI index (its
// images with it), gets it back byte for byte by digest, and pulls one platform's image.
func TestMultiArchIndexRoundTrip(t *testing.T) {
	s := needSuite(t)
	s.namespaces(t, "multi-a")
	owner := s.serviceAccount(t, "multi-a", "owner", "berth-registry-poweruser")

	type client struct {
		// push pushes the layout's index (tag "multi") to repo:multi.
		push func(t *testing.T, layoutDir, repo string)
		// raw fetches the manifest repo@digest as stored.
		raw func(t *testing.T, repo, digest string) []byte
		// pullPlatform pulls repo:multi's image for platform into an OCI layout and returns
		// the pulled manifest's digest.
		pullPlatform func(t *testing.T, repo, platform string) string
	}
	clients := map[string]func(t *testing.T) client{
		"skopeo": func(t *testing.T) client {
			t.Helper()
			skopeo, err := exec.LookPath("skopeo")
			if err != nil {
				t.Fatal("skopeo is needed (apt-get install skopeo)")
			}
			c := newCLI(t, skopeo, owner.token)
			creds := "berth:" + owner.token
			return client{
				push: func(t *testing.T, dir, repo string) {
					t.Helper()
					c.must(t, "", "copy", "--all", "--preserve-digests", "--retry-times=0", "--dest-tls-verify=false", "--dest-creds", creds, "oci:"+dir+":multi", "docker://"+s.addr+"/"+repo+":multi")
				},
				raw: func(t *testing.T, repo, d string) []byte {
					t.Helper()
					return []byte(c.must(t, "", "inspect", "--raw", "--tls-verify=false", "--creds", creds, "docker://"+s.addr+"/"+repo+"@"+d))
				},
				pullPlatform: func(t *testing.T, repo, platform string) string {
					t.Helper()
					os, arch, _ := strings.Cut(platform, "/")
					out := filepath.Join(t.TempDir(), "out")
					c.must(t, "", "copy", "--override-os", os, "--override-arch", arch, "--retry-times=0", "--src-tls-verify=false", "--src-creds", creds, "docker://"+s.addr+"/"+repo+":multi", "oci:"+out+":pulled")
					return layoutDigest(t, out)
				},
			}
		},
		"crane": func(*testing.T) client {
			ref := func(t *testing.T, repo, tagOrDigest string) name.Reference {
				t.Helper()
				r, err := name.ParseReference(refAt(s.addr, repo, tagOrDigest), name.Insecure)
				if err != nil {
					t.Fatal(err)
				}
				return r
			}
			return client{
				push: func(t *testing.T, dir, repo string) {
					t.Helper()
					if err := remote.WriteIndex(ref(t, repo, "multi"), layoutIndex(t, dir), remoteOptions(owner.token)...); err != nil {
						t.Fatal(err)
					}
				},
				raw: func(t *testing.T, repo, d string) []byte {
					t.Helper()
					desc, err := remote.Get(ref(t, repo, d), remoteOptions(owner.token)...)
					if err != nil {
						t.Fatal(err)
					}
					return desc.Manifest
				},
				pullPlatform: func(t *testing.T, repo, platform string) string {
					t.Helper()
					os, arch, _ := strings.Cut(platform, "/")
					d, err := pull(refAt(s.addr, repo, "multi"), owner.token, remote.WithPlatform(v1.Platform{OS: os, Architecture: arch}))
					if err != nil {
						t.Fatal(err)
					}
					return d.String()
				},
			}
		},
		"oras": func(t *testing.T) client {
			t.Helper()
			c := newCLI(t, builtTool(t, "oras"), owner.token)
			c.must(t, owner.token, "login", "--plain-http", "-u", "berth", "--password-stdin", s.addr)
			return client{
				push: func(t *testing.T, dir, repo string) {
					t.Helper()
					c.must(t, "", "cp", "--no-tty", "--from-oci-layout", dir+":multi", "--to-plain-http", s.addr+"/"+repo+":multi")
				},
				raw: func(t *testing.T, repo, d string) []byte {
					t.Helper()
					return []byte(c.must(t, "", "manifest", "fetch", "--plain-http", s.addr+"/"+repo+"@"+d))
				},
				pullPlatform: func(t *testing.T, repo, platform string) string {
					t.Helper()
					out := filepath.Join(t.TempDir(), "out")
					c.must(t, "", "cp", "--no-tty", "--platform", platform, "--from-plain-http", s.addr+"/"+repo+":multi", "--to-oci-layout", out+":pulled")
					return layoutDigest(t, out)
				},
			}
		},
		"regctl": func(t *testing.T) client {
			t.Helper()
			c := regctlLogin(t, s.addr, owner.token)
			return client{
				push: func(t *testing.T, dir, repo string) {
					t.Helper()
					c.must(t, "", "image", "copy", "ocidir://"+dir+":multi", s.addr+"/"+repo+":multi")
				},
				raw: func(t *testing.T, repo, d string) []byte {
					t.Helper()
					return []byte(c.must(t, "", "manifest", "get", "--format", "raw-body", s.addr+"/"+repo+"@"+d))
				},
				pullPlatform: func(t *testing.T, repo, platform string) string {
					t.Helper()
					out := filepath.Join(t.TempDir(), "out")
					c.must(t, "", "image", "copy", "--platform", platform, s.addr+"/"+repo+":multi", "ocidir://"+out+":pulled")
					return layoutDigest(t, out)
				},
			}
		},
	}
	for clientName, setup := range clients {
		t.Run(clientName, func(t *testing.T) {
			s.repository(t, "multi-a", clientName, ecrv1alpha1.Mutable)
			repo := "multi-a/" + clientName
			c := setup(t)
			want, images, digests := multiArch(t)
			idxDigest := digest.FromBytes(want)
			c.push(t, ociLayout(t, "multi", want, images...), repo)
			if got := c.raw(t, repo, idxDigest.String()); !bytes.Equal(bytes.TrimSpace(got), want) {
				t.Errorf("the index pulled back by digest differs from the one pushed:\n got %s\nwant %s", got, want)
			}
			if tagged := s.do(t, "HEAD", "/v2/"+repo+"/manifests/multi", owner.token); tagged.header.Get("Docker-Content-Digest") != idxDigest.String() {
				t.Errorf("tag multi names %q, want the index %s", tagged.header.Get("Docker-Content-Digest"), idxDigest)
			}
			if got := c.pullPlatform(t, repo, "linux/arm64"); got != digests["linux/arm64"].String() {
				t.Errorf("pulling linux/arm64 gave %s, want %s", got, digests["linux/arm64"])
			}
		})
	}
}

// regctlLogin builds regctl, turns TLS off for the loopback registry and logs in with token
// (none: anonymous).
func regctlLogin(t *testing.T, addr, token string) *cli {
	t.Helper()
	c := newCLI(t, builtTool(t, "regctl"), token)
	c.must(t, "", "registry", "set", "--skip-check", "--tls", "disabled", addr)
	if token != "" {
		c.must(t, token, "registry", "login", "-u", "berth", "--pass-stdin", addr)
	}
	return c
}

// TestRegctl: regctl (github.com/regclient/regclient) logs in, pushes an image (image copy
// from an OCI layout), pulls it back, pulls anonymously where a policy allows it and is
// refused with 401 where none does, and attaches an SBOM that `regctl artifact list` finds
// through the referrers API (no sha256- fallback tag).
func TestRegctl(t *testing.T) {
	s := needSuite(t)
	s.namespaces(t, "regctl-a")
	owner := s.serviceAccount(t, "regctl-a", "owner", "berth-registry-poweruser")
	s.repository(t, "regctl-a", "app", ecrv1alpha1.Immutable)
	s.repository(t, "regctl-a", "public", ecrv1alpha1.Mutable)
	c := regctlLogin(t, s.addr, owner.token)

	img := ociImage(t, platforms[0])
	want := digestOf(t, img).String()
	src := ociLayout(t, "v1", nil, img)
	for _, repo := range []string{"regctl-a/app", "regctl-a/public"} {
		c.must(t, "", "image", "copy", "ocidir://"+src+":v1", s.addr+"/"+repo+":v1")
	}
	if got := strings.TrimSpace(c.must(t, "", "image", "digest", s.addr+"/regctl-a/app:v1")); got != want {
		t.Errorf("regctl image digest after the push: %s, want %s", got, want)
	}
	out := filepath.Join(t.TempDir(), "out")
	c.must(t, "", "image", "copy", s.addr+"/regctl-a/app:v1", "ocidir://"+out+":v1")
	if got := layoutDigest(t, out); got != want {
		t.Errorf("regctl pulled %s, want %s", got, want)
	}

	t.Run("anonymous", func(t *testing.T) {
		anon := regctlLogin(t, s.addr, "")
		s.policy(t, "regctl-a", "public", "public", ecrv1alpha1.EffectAllow, ecrv1alpha1.Principal{Kind: ecrv1alpha1.PrincipalGroup, Name: "*"}, pullActions...)
		eventually(t, 5*time.Second, func() error {
			_, err := anon.run("", "image", "digest", s.addr+"/regctl-a/public:v1")
			return err
		})
		out := filepath.Join(t.TempDir(), "out")
		anon.must(t, "", "image", "copy", s.addr+"/regctl-a/public:v1", "ocidir://"+out+":v1")
		if got := layoutDigest(t, out); got != want {
			t.Errorf("anonymous regctl pull: %s, want %s", got, want)
		}
		_, err := anon.run("", "manifest", "get", s.addr+"/regctl-a/app:v1")
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), "unauthorized") {
			t.Errorf("anonymous regctl pull of a private repository: %v, want unauthorized", err)
		}
	})

	t.Run("artifact", func(t *testing.T) {
		sbom := filepath.Join(c.home, "sbom.spdx.json")
		if err := os.WriteFile(sbom, []byte(`{"spdxVersion":"SPDX-2.3"}`), 0o600); err != nil {
			t.Fatal(err)
		}
		subject := s.addr + "/regctl-a/app:v1"
		for _, typ := range []string{"application/spdx+json", "application/vnd.example.signature"} {
			c.must(t, "", "artifact", "put", "--subject", subject, "--artifact-type", typ, "--file-media-type", "application/json", "--file", sbom)
		}
		var listed struct {
			Descriptors []struct {
				ArtifactType string `json:"artifactType"`
				Digest       string `json:"digest"`
			} `json:"descriptors"`
		}
		js := c.must(t, "", "artifact", "list", "--format", "{{jsonPretty .}}", subject)
		if err := json.Unmarshal([]byte(js), &listed); err != nil {
			t.Fatalf("regctl artifact list: %v\n%s", err, js)
		}
		var digests []string
		for _, m := range listed.Descriptors {
			digests = append(digests, m.Digest)
		}
		if len(digests) != 2 {
			t.Errorf("regctl artifact list: %s, want the SBOM and the signature", js)
		}
		if got := s.referrers(t, owner.token, "regctl-a/app", want, ""); !sameDigests(got, digests...) {
			t.Errorf("the referrers API lists %v, regctl %v", got, digests)
		}
		if tags := s.do(t, "GET", "/v2/regctl-a/app/tags/list", owner.token); strings.Contains(string(tags.body), "sha256-") {
			t.Errorf("a referrers fallback tag was written: %s", tags.body)
		}
	})
}

// podmanCLI is podman (Debian's package) as root on its own storage (vfs: no overlay mounts,
// no container runs), with its own auth file, logged in with token (none: anonymous).
func podmanCLI(t *testing.T, addr, token string) *cli {
	t.Helper()
	bin, err := exec.LookPath("podman")
	if err != nil {
		t.Fatal("podman is needed (apt-get install podman)")
	}
	c := newCLI(t, bin, token)
	root, err := os.MkdirTemp("", "berth-podman-") // podman refuses a runroot over 50 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(root) })
	c.args = []string{"--root", filepath.Join(root, "root"), "--runroot", filepath.Join(root, "run"), "--tmpdir", filepath.Join(root, "tmp"),
		"--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file"}
	// An auth file of its own, empty until the login: no login of the machine's is used.
	if err := os.WriteFile(filepath.Join(c.home, "auth.json"), []byte(`{"auths":{}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if token != "" {
		c.must(t, token, "login", "--tls-verify=false", "-u", "berth", "--password-stdin", addr)
	}
	return c
}

// TestPodman: podman logs in, pushes an image from its storage, pulls it into another
// storage, pulls one platform of a multi-arch index, pulls anonymously where an Allow * policy allows it and is refused with 401 where
// nothing does, and `podman search` lists the repositories of the catalog to a caller with
// cluster-wide list on repositories (and is refused without it).
func TestPodman(t *testing.T) {
	s := needSuite(t)
	ctx := context.Background()
	s.namespaces(t, "podman-a")
	owner := s.serviceAccount(t, "podman-a", "owner", "berth-registry-poweruser")
	s.repository(t, "podman-a", "app", ecrv1alpha1.Mutable)
	s.repository(t, "podman-a", "public", ecrv1alpha1.Mutable)
	lister := s.serviceAccount(t, "podman-a", "lister", "berth-registry-reader")
	if err := s.c.Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "test-podman-catalog"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"ecr.berth.dev"}, Resources: []string{"repositories"}, Verbs: []string{"list"}}},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.c.Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "test-podman-lister"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "test-podman-catalog"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: "podman-a", Name: "lister"}},
	}); err != nil {
		t.Fatal(err)
	}
	s.waitForBinding(t, "", "test-podman-catalog", rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: "podman-a", Name: "lister"})

	img := ociImage(t, platforms[0])
	cfg, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	c := podmanCLI(t, s.addr, owner.token)
	// podman names an image from a layout after its path, which must be lower case.
	src, err := os.MkdirTemp("", "berth-podman-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(src) })
	c.must(t, "", "pull", "-q", "oci:"+ociLayoutIn(t, src, "v1", nil, img)+":v1")
	for _, repo := range []string{"podman-a/app", "podman-a/public"} {
		c.must(t, "", "push", "--tls-verify=false", cfg.Hex, s.addr+"/"+repo+":v1")
		if got := s.imageConfig(t, owner.token, repo, "v1"); got != cfg.String() {
			t.Errorf("%s:v1 as podman pushed it has config %s, want %s", repo, got, cfg)
		}
	}
	// pulled reports whether a podman pull of repo:v1 into c's storage gave the image.
	pulled := func(c *cli, repo string) error {
		out, err := c.run("", "pull", "-q", "--tls-verify=false", s.addr+"/"+repo+":v1")
		if err == nil && strings.TrimSpace(out) != cfg.Hex {
			t.Errorf("podman pull of %s gave image %q, want %s", repo, strings.TrimSpace(out), cfg.Hex)
		}
		return err
	}
	if err := pulled(podmanCLI(t, s.addr, owner.token), "podman-a/app"); err != nil {
		t.Errorf("podman pull: %v", err)
	}

	t.Run("one platform of an index", func(t *testing.T) {
		arm := s.pushMultiArch(t, owner.token, "podman-a/app")
		p := podmanCLI(t, s.addr, owner.token)
		out := p.must(t, "", "pull", "-q", "--tls-verify=false", "--platform", "linux/arm64", s.addr+"/podman-a/app:multi")
		if got := "sha256:" + strings.TrimSpace(out); got != arm {
			t.Errorf("podman pull --platform linux/arm64 gave image %s, want %s", got, arm)
		}
	})

	t.Run("anonymous", func(t *testing.T) {
		anon := podmanCLI(t, s.addr, "")
		s.policy(t, "podman-a", "public", "public", ecrv1alpha1.EffectAllow, ecrv1alpha1.Principal{Kind: ecrv1alpha1.PrincipalGroup, Name: "*"}, pullActions...)
		eventually(t, 5*time.Second, func() error { return pulled(anon, "podman-a/public") })
		err := pulled(anon, "podman-a/app")
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), "unauthorized") {
			t.Errorf("anonymous podman pull of a private repository: %v, want unauthorized", err)
		}
	})

	t.Run("search", func(t *testing.T) {
		out := podmanCLI(t, s.addr, lister.token).must(t, "", "search", "--tls-verify=false", "--format", "{{.Name}}", s.addr+"/podman-a")
		for _, repo := range []string{"podman-a/app", "podman-a/public"} {
			if !strings.Contains(out, s.addr+"/"+repo+"\n") {
				t.Errorf("podman search lists\n%s\nwithout %s", out, repo)
			}
		}
		_, err := c.run("", "search", "--tls-verify=false", s.addr+"/podman-a")
		if err == nil || !strings.Contains(err.Error(), "403 (Forbidden)") {
			t.Errorf("podman search without list on repositories: %v, want 403", err)
		}
	})
}

// imageConfig is the config digest of repo:tag's manifest.
func (s *testSuite) imageConfig(t *testing.T, token, repo, tag string) string {
	t.Helper()
	r, err := name.ParseReference(refAt(s.addr, repo, tag), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(r, remoteOptions(token)...)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	return cfg.String()
}
