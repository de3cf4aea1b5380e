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

package realnode

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// busybox is Debian's busybox-static: one static binary with every applet, the whole
// userland of the test image.
const busybox = "/bin/busybox"

// HTTPServerScript is the test image's command: it says hello on stdout (kubectl logs reads
// it), then serves "served-by-real-node" on port 8080 until SIGTERM (busybox httpd as PID 1
// would ignore it and use the whole grace period).
const HTTPServerScript = `echo "hello from a real container on $(hostname)"; ` +
	`mkdir -p /www && echo served-by-real-node >/www/index.html; ` +
	`trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait $!`

// BusyboxLayout writes an OCI image layout holding one image (tag v1) of Debian's
// busybox-static whose default command is HTTPServerScript, with VARIANT=variant in its
// environment, and returns the manifest digest. padding > 0 adds a second layer of that many
// random (incompressible) bytes, for pull benchmarks. No image registry on the internet is
// reachable here: the image is made from the host's file.
func BusyboxLayout(dir, variant string, padding int) (string, error) {
	bin, err := os.ReadFile(busybox)
	if err != nil {
		return "", fmt.Errorf("reading %s (apt-get install busybox-static): %w", busybox, err)
	}
	out, err := exec.CommandContext(context.Background(), busybox, "--list").Output()
	if err != nil {
		return "", fmt.Errorf("listing busybox applets: %w", err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0)
	add := func(h *tar.Header, data []byte) error {
		h.ModTime, h.Uname, h.Gname = epoch, "root", "root"
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	for _, d := range []string{"bin/", "etc/", "tmp/"} {
		mode := int64(0o755)
		if d == "tmp/" {
			mode = 0o1777
		}
		if err := add(&tar.Header{Name: d, Typeflag: tar.TypeDir, Mode: mode}, nil); err != nil {
			return "", err
		}
	}
	if err := add(&tar.Header{Name: "bin/busybox", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(bin))}, bin); err != nil {
		return "", err
	}
	for applet := range strings.FieldsSeq(string(out)) {
		if applet == "busybox" {
			continue
		}
		if err := add(&tar.Header{Name: "bin/" + applet, Typeflag: tar.TypeSymlink, Linkname: "busybox", Mode: 0o777}, nil); err != nil {
			return "", err
		}
	}
	for name, content := range map[string]string{ //nolint:gosec // account files of the image, no password
		"etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n",
		"etc/group":  "root:x:0:\nnobody:x:65534:\n",
	} {
		if err := add(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(content))}, []byte(content)); err != nil {
			return "", err
		}
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	layer, err := layerOf(buf.Bytes())
	if err != nil {
		return "", err
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.AppendLayers(base, layer)
	if err != nil {
		return "", err
	}
	if padding > 0 {
		if img, err = appendPadding(img, padding); err != nil {
			return "", err
		}
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return "", err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", runtime.GOARCH
	cfg.Config.Entrypoint = []string{"/bin/sh", "-c"}
	cfg.Config.Cmd = []string{HTTPServerScript}
	cfg.Config.Env = []string{"PATH=/bin", "VARIANT=" + variant}
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		return "", err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return "", err
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "v1"})); err != nil {
		return "", err
	}
	var d v1.Hash
	if d, err = img.Digest(); err != nil {
		return "", err
	}
	return d.String(), nil
}

// layerOf is an OCI layer (gzipped by go-containerregistry) of the tar bytes b.
func layerOf(b []byte) (v1.Layer, error) {
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil },
		tarball.WithMediaType(types.OCILayer))
}

// appendPadding adds a layer holding /padding, n random bytes.
func appendPadding(img v1.Image, n int) (v1.Image, error) {
	data := make([]byte, n)
	if _, err := rand.Read(data); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "padding", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(n), ModTime: time.Unix(0, 0)}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(data); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	layer, err := layerOf(buf.Bytes())
	if err != nil {
		return nil, err
	}
	return mutate.AppendLayers(img, layer)
}
