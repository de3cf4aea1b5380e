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

// Command pause builds the pause image a real node's containerd needs for every Pod sandbox,
// from Kubernetes' own build/pause/linux/pause.c compiled statically with the host's gcc, and
// writes it as an image tarball that `ctr images import` reads. hack/setup-tools.sh node runs
// it: registry.k8s.io, where the published pause image lives, cannot be reached here.
package main

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func main() {
	src := flag.String("src", "", "Path of Kubernetes' build/pause/linux/pause.c.")
	tag := flag.String("tag", "registry.k8s.io/pause:3.10.2", "Name the image is imported under (containerd's pinned sandbox image).")
	out := flag.String("o", "pause.tar", "Image tarball to write.")
	flag.Parse()
	if err := run(context.Background(), *src, *tag, *out); err != nil {
		fmt.Fprintln(os.Stderr, "hack/image/pause:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, src, tag, out string) error {
	if src == "" {
		return errors.New("-src is required")
	}
	ref, err := name.NewTag(tag)
	if err != nil {
		return fmt.Errorf("-tag: %w", err)
	}
	dir, err := os.MkdirTemp("", "pause")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	bin := filepath.Join(dir, "pause")
	cc := exec.CommandContext(ctx, "gcc", "-Os", "-static", "-DVERSION="+ref.TagStr()+"-berth", "-o", bin, src) //nolint:gosec // the caller's source path and a parsed tag
	cc.Stdout, cc.Stderr = os.Stderr, os.Stderr
	if err := cc.Run(); err != nil {
		return fmt.Errorf("gcc: %w", err)
	}
	if err := exec.CommandContext(ctx, "strip", bin).Run(); err != nil { //nolint:gosec // a file in our temporary folder
		return fmt.Errorf("strip: %w", err)
	}
	data, err := os.ReadFile(bin) //nolint:gosec // a file in our temporary folder
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "pause", Mode: 0o755, Size: int64(len(data)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	if _, err := tw.Write(data); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
	if err != nil {
		return err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", runtime.GOARCH
	cfg.Config.Entrypoint = []string{"/pause"}
	cfg.Config.User = "65535:65535"
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		return err
	}
	return tarball.WriteToFile(out, ref, img)
}
