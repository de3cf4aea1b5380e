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

package build_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/x509"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/berth-dev/berth/hack/image/build"
)

var epoch = time.Unix(1767225600, 0).UTC() // 2026-01-01

func options(t *testing.T, compile func(context.Context, v1.Platform) (string, error)) build.Options {
	t.Helper()
	return build.Options{
		Root:     filepath.Join("..", "..", ".."),
		WorkDir:  t.TempDir(),
		Epoch:    epoch,
		Source:   "https://github.com/berth-dev/berth",
		Revision: "0123456789abcdef0123456789abcdef01234567",
		Version:  "v0.0.0-test",
		Compile:  compile,
		Log:      tlog{t},
	}
}

type tlog struct{ t *testing.T }

func (l tlog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// buildTwice builds the index twice with o's settings (each in a work folder of its own),
// writes each to an OCI layout, reads both back and fails unless their digests are equal.
// It returns the first as read back from its layout.
func buildTwice(t *testing.T, o build.Options, second func(context.Context, v1.Platform) (string, error)) v1.ImageIndex {
	t.Helper()
	ctx := context.Background()
	var digests []v1.Hash
	var first v1.ImageIndex
	for i, compile := range []func(context.Context, v1.Platform) (string, error){o.Compile, second} {
		o := o
		if i > 0 {
			o.WorkDir = t.TempDir()
		}
		o.Compile = compile
		idx, err := build.Index(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(t.TempDir(), "image")
		if err := build.WriteLayout(dir, idx, o.Version); err != nil {
			t.Fatal(err)
		}
		back := indexFromLayout(t, dir)
		d, err := back.Digest()
		if err != nil {
			t.Fatal(err)
		}
		if want, _ := idx.Digest(); d != want {
			t.Fatalf("layout %d holds index %s, built %s", i, d, want)
		}
		digests = append(digests, d)
		if first == nil {
			first = back
		}
	}
	t.Logf("index digest: %s, %s", digests[0], digests[1])
	if digests[0] != digests[1] {
		t.Fatalf("two builds of the same input differ: %s and %s", digests[0], digests[1])
	}
	return first
}

// indexFromLayout reads the image index that index.json of an OCI layout names.
func indexFromLayout(t *testing.T, dir string) v1.ImageIndex {
	t.Helper()
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	outer, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	m, err := outer.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != 1 || m.Manifests[0].MediaType != types.OCIImageIndex {
		t.Fatalf("index.json should name one image index: %+v", m.Manifests)
	}
	if got := m.Manifests[0].Annotations[build.RefNameAnnotation]; got == "" {
		t.Errorf("index.json gives the index no %s", build.RefNameAnnotation)
	}
	idx, err := outer.ImageIndex(m.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	return idx
}

type file struct {
	hdr  *tar.Header
	data []byte
}

// readLayer lists a layer's entries in order and fails on any header that is not
// deterministic: an mtime other than the epoch, atime, ctime, PAX records, user names.
func readLayer(t *testing.T, l v1.Layer) ([]string, map[string]file) {
	t.Helper()
	if mt, err := l.MediaType(); err != nil || mt != types.OCILayer {
		t.Errorf("layer media type %s (%v), want %s", mt, err, types.OCILayer)
	}
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rc.Close() }()
	tr := tar.NewReader(rc)
	var names []string
	files := map[string]file{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if !hdr.ModTime.Equal(epoch) || !hdr.AccessTime.IsZero() || !hdr.ChangeTime.IsZero() ||
			len(hdr.PAXRecords) > 0 || hdr.Uname != "" || hdr.Gname != "" {
			t.Errorf("%s: header not deterministic: mtime %v atime %v ctime %v pax %v uname %q gname %q",
				hdr.Name, hdr.ModTime, hdr.AccessTime, hdr.ChangeTime, hdr.PAXRecords, hdr.Uname, hdr.Gname)
		}
		names = append(names, hdr.Name)
		files[hdr.Name] = file{hdr, data}
	}
	if !slices.IsSorted(names) {
		t.Errorf("entries not sorted: %q", names)
	}
	return names, files
}

// checkIndex checks everything but the binaries' contents and returns, per platform, the
// binaries layer's files.
func checkIndex(t *testing.T, idx v1.ImageIndex) map[string]map[string]file {
	t.Helper()
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.MediaType != types.OCIImageIndex || m.Annotations["org.opencontainers.image.version"] != "v0.0.0-test" {
		t.Errorf("index media type %s, annotations %v", m.MediaType, m.Annotations)
	}
	if len(m.Manifests) != len(build.DefaultPlatforms) {
		t.Fatalf("%d manifests, want %d", len(m.Manifests), len(build.DefaultPlatforms))
	}
	out := map[string]map[string]file{}
	for i, d := range m.Manifests {
		want := build.DefaultPlatforms[i]
		if d.Platform == nil || !d.Platform.Equals(want) || d.MediaType != types.OCIManifestSchema1 {
			t.Fatalf("manifest %d: platform %v, media type %s; want %v, %s", i, d.Platform, d.MediaType, want, types.OCIManifestSchema1)
		}
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if mf, err := img.Manifest(); err != nil || mf.Config.MediaType != types.OCIConfigJSON {
			t.Errorf("%s: manifest %+v (%v), want an OCI config", want.String(), mf, err)
		}
		c := cf.Config
		if cf.OS != want.OS || cf.Architecture != want.Architecture || cf.Variant != want.Variant ||
			!cf.Created.Equal(epoch) || c.User != "65532:65532" || !slices.Equal(c.Entrypoint, []string{"/manager"}) ||
			c.WorkingDir != "/" || !slices.Contains(c.Env, "PATH=/") ||
			c.Labels["org.opencontainers.image.revision"] != "0123456789abcdef0123456789abcdef01234567" ||
			c.Labels["org.opencontainers.image.source"] != "https://github.com/berth-dev/berth" {
			t.Errorf("%s: config %+v", want.String(), cf)
		}
		for _, h := range cf.History {
			if !h.Created.Equal(epoch) {
				t.Errorf("%s: history %+v not at the epoch", want.String(), h)
			}
		}
		layers, err := img.Layers()
		if err != nil {
			t.Fatal(err)
		}
		if len(layers) != 2 {
			t.Fatalf("%s: %d layers, want 2", want.String(), len(layers))
		}
		checkBase(t, layers[0])
		names, files := readLayer(t, layers[1])
		if !slices.Equal(names, []string{"docker-credential-berth", "kubectl-berth", "manager", "registry"}) {
			t.Errorf("%s: binaries layer holds %q", want.String(), names)
		}
		for _, n := range names {
			h := files[n].hdr
			if h.Typeflag != tar.TypeReg || h.Mode != 0o755 || h.Uid != 0 || h.Gid != 0 {
				t.Errorf("%s: /%s: type %c mode %o owner %d:%d, want a regular file 0755 0:0", want.String(), n, h.Typeflag, h.Mode, h.Uid, h.Gid)
			}
		}
		out[want.Architecture] = files
	}
	return out
}

func checkBase(t *testing.T, l v1.Layer) {
	t.Helper()
	_, files := readLayer(t, l)
	want := map[string]struct {
		typ      byte
		mode     int64
		uid, gid int
	}{
		"etc/":                              {tar.TypeDir, 0o755, 0, 0},
		"etc/passwd":                        {tar.TypeReg, 0o644, 0, 0},
		"etc/group":                         {tar.TypeReg, 0o644, 0, 0},
		"etc/nsswitch.conf":                 {tar.TypeReg, 0o644, 0, 0},
		"etc/ssl/":                          {tar.TypeDir, 0o755, 0, 0},
		"etc/ssl/certs/":                    {tar.TypeDir, 0o755, 0, 0},
		"etc/ssl/certs/ca-certificates.crt": {tar.TypeReg, 0o644, 0, 0},
		"home/":                             {tar.TypeDir, 0o755, 0, 0},
		"home/nonroot/":                     {tar.TypeDir, 0o700, 65532, 65532},
		"root/":                             {tar.TypeDir, 0o700, 0, 0},
		"tmp/":                              {tar.TypeDir, 0o1777, 0, 0},
	}
	if len(files) != len(want) {
		t.Errorf("base layer has %d entries, want %d", len(files), len(want))
	}
	for n, w := range want {
		f, ok := files[n]
		if !ok {
			t.Errorf("base layer has no %s", n)
			continue
		}
		if f.hdr.Typeflag != w.typ || f.hdr.Mode != w.mode || f.hdr.Uid != w.uid || f.hdr.Gid != w.gid {
			t.Errorf("/%s: type %c mode %o owner %d:%d, want %c %o %d:%d", n, f.hdr.Typeflag, f.hdr.Mode, f.hdr.Uid, f.hdr.Gid, w.typ, w.mode, w.uid, w.gid)
		}
	}
	if p := string(files["etc/passwd"].data); !strings.Contains(p, "\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n") ||
		!strings.HasPrefix(p, "root:x:0:0:") {
		t.Errorf("/etc/passwd:\n%s", p)
	}
	if g := string(files["etc/group"].data); !strings.Contains(g, "\nnonroot:x:65532:\n") {
		t.Errorf("/etc/group:\n%s", g)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(files["etc/ssl/certs/ca-certificates.crt"].data) {
		t.Error("the CA bundle holds no certificate")
	}
	if n := bytes.Count(files["etc/ssl/certs/ca-certificates.crt"].data, []byte("-----BEGIN CERTIFICATE-----")); n < 100 {
		t.Errorf("the CA bundle holds %d certificates, want the NSS roots (> 100)", n)
	}
}

// fakeBinaries writes small stand-ins for the binaries, one folder per platform.
func fakeBinaries(t *testing.T) func(context.Context, v1.Platform) (string, error) {
	t.Helper()
	dir := t.TempDir()
	return func(_ context.Context, p v1.Platform) (string, error) {
		out := filepath.Join(dir, p.Architecture)
		if err := os.MkdirAll(out, 0o755); err != nil {
			return "", err
		}
		for _, b := range build.Binaries {
			if err := os.WriteFile(filepath.Join(out, b), []byte(b+" for "+p.String()+"\n"), 0o600); err != nil {
				return "", err
			}
		}
		return out, nil
	}
}

// TestIndexIsReproducible builds the image from stand-in binaries twice, checks the digests
// are equal and the contents right, and pushes it to an in-memory registry.
func TestIndexIsReproducible(t *testing.T) {
	compile := fakeBinaries(t)
	idx := buildTwice(t, options(t, compile), compile)
	files := checkIndex(t, idx)
	if got := string(files["arm64"]["registry"].data); got != "registry for linux/arm64/v8\n" {
		t.Errorf("arm64 /registry holds %q", got)
	}

	// Another epoch is another image.
	o := options(t, compile)
	o.Epoch = epoch.Add(time.Second)
	other, err := build.Index(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := digest(t, idx), digest(t, other); a == b {
		t.Errorf("a different epoch gave the same digest %s", a)
	}

	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	pushAndPull(t, strings.TrimPrefix(srv.URL, "http://"), idx)

	for ref, ok := range map[string]bool{
		"berth:dev": false, "berth": false, "team/berth:dev": false,
		"registry.example.com/berth:dev": true, "127.0.0.1:5000/berth": true, "localhost/berth@sha256:" + strings.Repeat("0", 64): true,
	} {
		if _, err := build.ParseRef(ref, false); (err == nil) != ok {
			t.Errorf("ParseRef(%q): %v, want ok %v", ref, err, ok)
		}
	}
}

func digest(t *testing.T, idx v1.ImageIndex) v1.Hash {
	t.Helper()
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// pushAndPull pushes idx to host with build.Push and reads it back by tag.
func pushAndPull(t *testing.T, host string, idx v1.ImageIndex) {
	t.Helper()
	ref, err := build.ParseRef(host+"/berth:test", true)
	if err != nil {
		t.Fatal(err)
	}
	if err := build.Push(context.Background(), ref, idx); err != nil {
		t.Fatal(err)
	}
	pulled, err := remote.Index(ref)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := digest(t, pulled), digest(t, idx); got != want {
		t.Fatalf("%s is %s after the push, want %s", ref, got, want)
	}
	arm, err := remote.Image(ref, remote.WithPlatform(v1.Platform{OS: "linux", Architecture: "arm64"}))
	if err != nil {
		t.Fatal(err)
	}
	if cf, err := arm.ConfigFile(); err != nil || cf.Architecture != "arm64" {
		t.Fatalf("pulling linux/arm64: %v, %v", cf, err)
	}
	t.Logf("pushed %s@%s and pulled it back", ref, digest(t, idx))
}

// TestImageFromSource builds the real image: cross-compiles ./cmd/... for both platforms once,
// assembles the image twice from those binaries, runs the amd64 /manager from the layer, and
// pushes the image to a registry. It compiles for linux/arm64, which takes minutes on a cold
// build cache, so it runs only with BERTH_TEST_IMAGE=1 (`make test-image`, which CI runs).
func TestImageFromSource(t *testing.T) {
	if os.Getenv("BERTH_TEST_IMAGE") == "" {
		t.Skip("cross-compiles the binaries; set BERTH_TEST_IMAGE=1 or run `make test-image`")
	}
	start := time.Now()
	o := options(t, nil)
	compiled := o.WorkDir // the first build compiles into WorkDir/PlatformDir(p)
	reuse := func(_ context.Context, p v1.Platform) (string, error) {
		return filepath.Join(compiled, build.PlatformDir(p)), nil
	}
	idx := buildTwice(t, o, reuse)
	t.Logf("compiled and assembled twice in %s", time.Since(start).Round(time.Second))
	files := checkIndex(t, idx)

	machines := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}
	for arch, fs := range files {
		for _, b := range build.Binaries {
			f, err := elf.NewFile(bytes.NewReader(fs[b].data))
			if err != nil {
				t.Fatalf("%s /%s: %v", arch, b, err)
			}
			if f.Machine != machines[arch] {
				t.Errorf("%s /%s is for %s", arch, b, f.Machine)
			}
			for _, p := range f.Progs {
				if p.Type == elf.PT_INTERP {
					t.Errorf("%s /%s is dynamically linked", arch, b)
				}
			}
		}
	}

	if runtime.GOOS == "linux" && runtime.GOARCH == "amd64" {
		bin := filepath.Join(t.TempDir(), "manager")
		if err := os.WriteFile(bin, files["amd64"]["manager"].data, 0o700); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, bin, "-h").CombinedOutput()
		// flag.ErrHelp is an error to the manager's run: it prints the usage and exits 1.
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatal(err)
		}
		if !strings.Contains(string(out), "Usage of manager") || !strings.Contains(string(out), "-leader-elect") {
			t.Errorf("/manager -h (%v) printed no usage:\n%s", err, out)
		}
		t.Logf("/manager -h from the amd64 layer: %v, %d bytes of usage", err, len(out))

		// The kubectl plugin users copy out of the image runs and knows its commands.
		plugin := filepath.Join(t.TempDir(), "kubectl-berth")
		if err := os.WriteFile(plugin, files["amd64"]["kubectl-berth"].data, 0o700); err != nil {
			t.Fatal(err)
		}
		out, err = exec.CommandContext(ctx, plugin, "--help").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "kubectl berth [command]") || !strings.Contains(string(out), "--namespace") {
			t.Errorf("/kubectl-berth --help (%v):\n%s", err, out)
		}
		t.Logf("/kubectl-berth --help from the amd64 layer: %d bytes of usage", len(out))

		// So does the credential helper.
		helper := filepath.Join(t.TempDir(), "docker-credential-berth")
		if err := os.WriteFile(helper, files["amd64"]["docker-credential-berth"].data, 0o700); err != nil {
			t.Fatal(err)
		}
		out, err = exec.CommandContext(ctx, helper, "version").CombinedOutput()
		if err != nil || !strings.HasPrefix(string(out), "docker-credential-berth ") {
			t.Errorf("/docker-credential-berth version (%v): %s", err, out)
		}
	}

	pushAndPull(t, startRegistry(t), idx)
	t.Logf("total %s", time.Since(start).Round(time.Second))
}

// startRegistry starts the stock distribution registry that hack/build-stock-registry.sh
// caches, on loopback with filesystem storage, or an in-memory registry when it is not built.
func startRegistry(t *testing.T) string {
	t.Helper()
	cache := os.Getenv("BERTH_CACHE")
	if cache == "" {
		if home, err := os.UserCacheDir(); err == nil {
			cache = filepath.Join(home, "berth")
		}
	}
	bins, _ := filepath.Glob(filepath.Join(cache, "tools", "distribution-registry-v*"))
	bins = slices.DeleteFunc(bins, func(b string) bool { return strings.HasSuffix(b, ".tmp") })
	if len(bins) == 0 {
		t.Log("no stock distribution registry in the tool cache (hack/build-stock-registry.sh); pushing to an in-memory registry")
		srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
		t.Cleanup(srv.Close)
		return strings.TrimPrefix(srv.URL, "http://")
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	l, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	dir := t.TempDir()
	config := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(config, fmt.Appendf(nil, "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n",
		filepath.Join(dir, "storage"), addr), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bins[len(bins)-1], "serve", config)
	var logs bytes.Buffer // os/exec writes to one writer from one goroutine at a time
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("registry logs:\n%s", logs.String())
		}
	})
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/v2/", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer on %s: %v", bins[len(bins)-1], addr, err)
		}
	}
	t.Logf("pushing to %s on %s", filepath.Base(bins[len(bins)-1]), addr)
	return addr
}
