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

// Package build assembles Berth's OCI image — one image holding /manager and /registry (and
// /kubectl-berth, the kubectl plugin, and /docker-credential-berth, the Docker credential
// helper, for users to copy out), for
// several platforms under one image index — without a container engine, and reproducibly:
// the same source, Go toolchain, epoch and labels give the same index digest.
//
// Each platform's image has two layers: a base layer shared by every platform (/etc/passwd and
// /etc/group with root and nonroot 65532, /etc/nsswitch.conf, the NSS root certificates of
// golang.org/x/crypto/x509roots/fallback as /etc/ssl/certs/ca-certificates.crt, /tmp and
// /home/nonroot), and a layer with the two binaries. Tar entries are sorted, USTAR (no PAX
// records), owned by 0:0 unless said otherwise, with fixed modes and every mtime at the epoch;
// gzip runs with a fixed level and an empty header.
package build

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// The image's fixed contents.
const (
	// UID and GID are the user the image runs as: distroless's nonroot.
	UID = 65532
	GID = 65532
	// User is the config's User field.
	User = "65532:65532"
	// Entrypoint is the config's entrypoint: berth-controller. The chart and kustomize run
	// berth-registry with command /registry.
	Entrypoint = "/manager"
	// CABundle is where the root certificates go; Go's crypto/x509 reads it first on Linux.
	CABundle = "/etc/ssl/certs/ca-certificates.crt"
	// RefNameAnnotation names the image index inside the OCI layout (skopeo's oci:DIR:NAME).
	RefNameAnnotation = "org.opencontainers.image.ref.name"
)

// Binaries are the commands under cmd/ the image holds, each at /<name>.
var Binaries = []string{"docker-credential-berth", "kubectl-berth", "manager", "registry"}

// DefaultPlatforms are the platforms `make image` builds.
var DefaultPlatforms = []v1.Platform{
	{OS: "linux", Architecture: "amd64"},
	{OS: "linux", Architecture: "arm64", Variant: "v8"},
}

// Options say what to build.
type Options struct {
	// Root is the module's root folder (where go.mod and cmd/ are).
	Root string
	// WorkDir holds the compiled binaries and the compressed layers until the index is
	// written or pushed; the caller creates it and removes it afterwards.
	WorkDir string
	// Platforms to build; DefaultPlatforms when empty.
	Platforms []v1.Platform
	// Epoch is every timestamp in the image: tar mtimes, the config's created, history.
	Epoch time.Time
	// Source, Revision and Version become the org.opencontainers.image.* labels of every
	// config and annotations of the index.
	Source, Revision, Version string
	// Compile puts the binaries for a platform into a folder and returns it; nil compiles
	// them with CompileBinaries into WorkDir. Tests use it to build twice from one compile.
	Compile func(ctx context.Context, p v1.Platform) (string, error)
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

// Index builds the image index: one image per platform, in the order of Platforms.
func Index(ctx context.Context, o Options) (v1.ImageIndex, error) {
	if o.WorkDir == "" {
		return nil, errors.New("build: no WorkDir")
	}
	if o.Epoch.Unix() < 0 {
		return nil, fmt.Errorf("build: epoch %v is before 1970", o.Epoch)
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	platforms := o.Platforms
	if len(platforms) == 0 {
		platforms = DefaultPlatforms
	}
	compile := o.Compile
	if compile == nil {
		compile = func(ctx context.Context, p v1.Platform) (string, error) {
			out := filepath.Join(o.WorkDir, PlatformDir(p))
			fmt.Fprintf(o.Log, "compiling ./cmd/... for %s\n", p.String())
			return out, CompileBinaries(ctx, o.Root, p, out)
		}
	}

	baseEntries, err := BaseEntries()
	if err != nil {
		return nil, err
	}
	base, err := writeLayer(filepath.Join(o.WorkDir, "base.tar.gz"), baseEntries, o.Epoch)
	if err != nil {
		return nil, fmt.Errorf("base layer: %w", err)
	}

	labels := map[string]string{
		"org.opencontainers.image.source":   o.Source,
		"org.opencontainers.image.revision": o.Revision,
		"org.opencontainers.image.version":  o.Version,
	}
	for k, v := range labels {
		if v == "" {
			delete(labels, k)
		}
	}

	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range platforms {
		dir, err := compile(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.String(), err)
		}
		entries := make([]Entry, 0, len(Binaries))
		for _, b := range Binaries {
			entries = append(entries, Entry{Name: b, Mode: 0o755, Source: filepath.Join(dir, b)})
		}
		files, err := writeLayer(filepath.Join(o.WorkDir, PlatformDir(p)+".tar.gz"), entries, o.Epoch)
		if err != nil {
			return nil, fmt.Errorf("%s: binaries layer: %w", p.String(), err)
		}
		img, err := image(p, base, files, labels, o.Epoch)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.String(), err)
		}
		platform := p
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{MediaType: types.OCIManifestSchema1, Platform: &platform},
		})
	}
	if len(labels) > 0 {
		idx = mutate.Annotations(idx, labels).(v1.ImageIndex)
	}
	return idx, nil
}

// image is one platform's image: config, then the base and the binaries layers.
func image(p v1.Platform, base, files v1.Layer, labels map[string]string, epoch time.Time) (v1.Image, error) {
	created := v1.Time{Time: epoch.UTC()}
	cfg := &v1.ConfigFile{
		Created:      created,
		Architecture: p.Architecture,
		OS:           p.OS,
		Variant:      p.Variant,
		Config: v1.Config{
			User:       User,
			Entrypoint: []string{Entrypoint},
			WorkingDir: "/",
			Env:        []string{"PATH=/", "SSL_CERT_FILE=" + CABundle},
			Labels:     labels,
		},
		RootFS: v1.RootFS{Type: "layers"},
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err := mutate.ConfigFile(img, cfg)
	if err != nil {
		return nil, err
	}
	return mutate.Append(img,
		mutate.Addendum{Layer: base, MediaType: types.OCILayer, History: v1.History{
			Created: created, CreatedBy: "berth hack/image: passwd, group, nsswitch.conf, CA bundle, /tmp, /home/nonroot",
		}},
		mutate.Addendum{Layer: files, MediaType: types.OCILayer, History: v1.History{
			Created: created, CreatedBy: "berth hack/image: /docker-credential-berth /kubectl-berth /manager /registry (CGO_ENABLED=0 go build -trimpath)",
		}},
	)
}

// PlatformDir names the folder inside WorkDir that a platform's binaries are compiled into:
// linux_amd64, linux_arm64_v8.
func PlatformDir(p v1.Platform) string {
	return strings.Join(strings.Fields(strings.Join([]string{p.OS, p.Architecture, p.Variant}, " ")), "_")
}

// CompileBinaries cross-compiles ./cmd/... of root for p into out, statically and
// reproducibly: no cgo, -trimpath, no VCS stamp, no build ID, symbols stripped, and GOFLAGS
// cleared and GOAMD64/GOARM64 at their defaults so the caller's environment does not change
// the binaries.
func CompileBinaries(ctx context.Context, root string, p v1.Platform, out string) error {
	if p.OS != "linux" {
		return fmt.Errorf("only linux images are built, not %s", p.OS)
	}
	if err := os.MkdirAll(out, 0o750); err != nil {
		return err
	}
	goCmd := os.Getenv("GO")
	if goCmd == "" {
		goCmd = "go"
	}
	// The arguments are fixed but the platform, which comes from the flag or DefaultPlatforms.
	cmd := exec.CommandContext(ctx, goCmd, "build", "-trimpath", "-buildvcs=false", //nolint:gosec // see above
		"-ldflags=-s -w -buildid=", "-o", out+string(filepath.Separator), "./cmd/...")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Architecture,
		"GOFLAGS=", "GOAMD64=v1", "GOARM64=v8.0", "GOARM=7", "GOEXPERIMENT=")
	var stderr bytes.Buffer
	cmd.Stdout = &stderr
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build: %w\n%s", err, stderr.String())
	}
	for _, b := range Binaries {
		if _, err := os.Stat(filepath.Join(out, b)); err != nil {
			return fmt.Errorf("go build made no %s: %w", b, err)
		}
	}
	return nil
}

// Entry is one file or folder of a layer.
type Entry struct {
	// Name is the path inside the image, without a leading slash; folders end in a slash.
	Name string
	// Mode holds the permission bits, plus os.ModeSticky for /tmp.
	Mode os.FileMode
	// UID and GID own the entry (0 unless set).
	UID, GID int
	// Data is a file's content, or Source names a file on disk to copy.
	Data   []byte
	Source string
}

// BaseEntries are the contents of the base layer.
func BaseEntries() ([]Entry, error) {
	var certs bytes.Buffer
	n := 0
	for root := range bundle.Roots() {
		// A PEM bundle cannot carry a distrust-after date: such roots are left out rather
		// than trusted for every certificate they ever issue.
		if root.Constraint != nil {
			continue
		}
		if err := pem.Encode(&certs, &pem.Block{Type: "CERTIFICATE", Bytes: root.Certificate}); err != nil {
			return nil, err
		}
		n++
	}
	if n == 0 {
		return nil, errors.New("x509roots/fallback holds no root certificate")
	}
	return []Entry{
		{Name: "etc/", Mode: 0o755},
		{Name: "etc/passwd", Mode: 0o644, Data: []byte(
			"root:x:0:0:root:/root:/sbin/nologin\n" +
				"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n" +
				"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")},
		{Name: "etc/group", Mode: 0o644, Data: []byte(
			"root:x:0:\n" +
				"nobody:x:65534:\n" +
				"nonroot:x:65532:\n")},
		{Name: "etc/nsswitch.conf", Mode: 0o644, Data: []byte("hosts: files dns\n")},
		{Name: "etc/ssl/", Mode: 0o755},
		{Name: "etc/ssl/certs/", Mode: 0o755},
		{Name: strings.TrimPrefix(CABundle, "/"), Mode: 0o644, Data: certs.Bytes()},
		{Name: "home/", Mode: 0o755},
		{Name: "home/nonroot/", Mode: 0o700, UID: UID, GID: GID},
		{Name: "root/", Mode: 0o700},
		{Name: "tmp/", Mode: 0o777 | os.ModeSticky},
	}, nil
}

// WriteTar writes entries as a deterministic tar: sorted by name, USTAR headers (no PAX
// records, no atime or ctime), every mtime at epoch, no user or group names.
func WriteTar(w io.Writer, entries []Entry, epoch time.Time) error {
	sorted := append([]Entry(nil), entries...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	tw := tar.NewWriter(w)
	for i, e := range sorted {
		if i > 0 && sorted[i-1].Name == e.Name {
			return fmt.Errorf("%s twice", e.Name)
		}
		if e.Name == "" || path.IsAbs(e.Name) || path.Clean(e.Name) != strings.TrimSuffix(e.Name, "/") {
			return fmt.Errorf("entry name %q is not a clean relative path", e.Name)
		}
		hdr := &tar.Header{
			Name:    e.Name,
			Mode:    int64(e.Mode.Perm()),
			Uid:     e.UID,
			Gid:     e.GID,
			ModTime: epoch.UTC(),
			Format:  tar.FormatUSTAR,
		}
		if e.Mode&os.ModeSticky != 0 {
			hdr.Mode |= 0o1000 // tar's c_ISVTX
		}
		if err := writeEntry(tw, hdr, e); err != nil {
			return fmt.Errorf("%s: %w", e.Name, err)
		}
	}
	return tw.Close()
}

// writeEntry writes one entry's header and content.
func writeEntry(tw *tar.Writer, hdr *tar.Header, e Entry) error {
	if strings.HasSuffix(e.Name, "/") {
		hdr.Typeflag = tar.TypeDir
		return tw.WriteHeader(hdr)
	}
	hdr.Typeflag = tar.TypeReg
	if e.Source == "" {
		hdr.Size = int64(len(e.Data))
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err := tw.Write(e.Data)
		return err
	}
	f, err := os.Open(e.Source)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", e.Source)
	}
	hdr.Size = st.Size()
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if n, err := io.Copy(tw, f); err != nil {
		return err
	} else if n != hdr.Size {
		return fmt.Errorf("%s changed while it was read", e.Source)
	}
	return nil
}

// writeLayer writes entries as a gzipped tar to file and returns it as an OCI layer. The
// gzip header is empty (no name, no mtime) and the level fixed, so the same tar compresses
// to the same bytes with the same Go toolchain.
func writeLayer(file string, entries []Entry, epoch time.Time) (v1.Layer, error) {
	f, err := os.Create(file) //nolint:gosec // a file in the caller's WorkDir
	if err != nil {
		return nil, err
	}
	zw, err := gzip.NewWriterLevel(f, gzip.BestCompression)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	if err := WriteTar(zw, entries, epoch); err != nil {
		_ = f.Close()
		return nil, err
	}
	if err := zw.Close(); err != nil {
		_ = f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	// Given a gzipped stream, tarball keeps it as the compressed blob (no recompression).
	return tarball.LayerFromFile(file, tarball.WithMediaType(types.OCILayer))
}

// WriteLayout writes idx to an OCI image layout at dir, replacing what dir held, with the
// index's descriptor in index.json annotated with refName (when not empty).
func WriteLayout(dir string, idx v1.ImageIndex, refName string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	var opts []layout.Option
	if refName != "" {
		opts = append(opts, layout.WithAnnotations(map[string]string{RefNameAnnotation: refName}))
	}
	return p.AppendIndex(idx, opts...)
}

// ParseRef parses a reference to push to and refuses one without a registry host, which
// would go to Docker Hub; insecure allows a registry that serves plain HTTP.
func ParseRef(ref string, insecure bool) (name.Reference, error) {
	// Docker's rule: the first path component is a host when it has a dot or a port, or is
	// localhost; "berth:dev" would go to Docker Hub.
	if host, _, ok := strings.Cut(ref, "/"); !ok || (!strings.ContainsAny(host, ".:") && host != "localhost") {
		return nil, fmt.Errorf("%q names no registry host; push to one of yours, e.g. registry.example.com/berth:dev", ref)
	}
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	return name.ParseReference(ref, opts...)
}

// Push pushes idx to ref (from ParseRef) with the credentials of ~/.docker/config.json, the
// credential helpers it names, or podman's auth.json.
func Push(ctx context.Context, ref name.Reference, idx v1.ImageIndex) error {
	return remote.WriteIndex(ref, idx, remote.WithContext(ctx),
		remote.WithAuthFromKeychain(authn.DefaultKeychain), remote.WithUserAgent("berth-hack-image"))
}
