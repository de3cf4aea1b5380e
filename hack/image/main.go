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

// Command image builds Berth's multi-arch OCI image (linux/amd64 and linux/arm64, /manager,
// /registry, /kubectl-berth and /docker-credential-berth) without a container engine, writes it to an OCI image layout and, with
// -push, pushes it to a registry. It prints the image index's digest on stdout. `make image`
// and `make image-push` run it; it is a development tool, not part of the image.
//
// The same source, Go toolchain and epoch give the same digest: the epoch is
// SOURCE_DATE_EPOCH when set, else the time of the last commit (0 outside a git checkout).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/berth-dev/berth/hack/image/build"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hack/image:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	fs.SetOutput(stderr)
	layoutDir := fs.String("oci-layout", "bin/image", "OCI image layout folder to write the index to (replaced); empty writes none.")
	push := fs.String("push", "", "Push the index to this reference (registry/repository[:tag]), with the credentials of ~/.docker/config.json.")
	insecure := fs.Bool("insecure", false, "Allow pushing to a registry that serves plain HTTP.")
	platforms := fs.String("platforms", "linux/amd64,linux/arm64/v8", "Comma-separated os/arch[/variant] to build.")
	version := fs.String("version", "", "org.opencontainers.image.version and the layout's ref name (default: git describe --tags --always --dirty).")
	source := fs.String("source", "https://github.com/berth-dev/berth", "org.opencontainers.image.source.")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: go run ./hack/image [flags]\n\n"+
			"Builds Berth's multi-arch OCI image (/manager, /registry, /kubectl-berth, /docker-credential-berth) without a container engine,\n"+
			"reproducibly, and prints the image index digest. Every timestamp is SOURCE_DATE_EPOCH\n"+
			"when set, else the last commit's time.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *layoutDir == "" && *push == "" {
		return errors.New("nothing to do: give -oci-layout, -push or both")
	}

	var ref name.Reference
	if *push != "" {
		r, err := build.ParseRef(*push, *insecure)
		if err != nil {
			return err
		}
		ref = r
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	plats, err := parsePlatforms(*platforms)
	if err != nil {
		return err
	}
	epoch, err := sourceDateEpoch(ctx, root)
	if err != nil {
		return err
	}
	if *version == "" {
		*version = git(ctx, root, "describe", "--tags", "--always", "--dirty")
		if *version == "" {
			*version = "dev"
		}
	}
	work, err := os.MkdirTemp("", "berth-image-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(work) }()

	start := time.Now()
	idx, err := build.Index(ctx, build.Options{
		Root:      root,
		WorkDir:   work,
		Platforms: plats,
		Epoch:     epoch,
		Source:    *source,
		Revision:  git(ctx, root, "rev-parse", "HEAD"),
		Version:   *version,
		Log:       stderr,
	})
	if err != nil {
		return err
	}
	digest, err := idx.Digest()
	if err != nil {
		return err
	}
	if err := describe(stderr, idx); err != nil {
		return err
	}
	if *layoutDir != "" {
		if err := build.WriteLayout(*layoutDir, idx, *version); err != nil {
			return fmt.Errorf("writing %s: %w", *layoutDir, err)
		}
		fmt.Fprintf(stderr, "wrote %s (OCI image layout, ref name %s, epoch %d)\n", *layoutDir, *version, epoch.Unix())
	}
	if ref != nil {
		if err := build.Push(ctx, ref, idx); err != nil {
			return fmt.Errorf("pushing %s: %w", ref, err)
		}
		fmt.Fprintf(stderr, "pushed %s@%s\n", ref.Context().Name(), digest)
	}
	fmt.Fprintf(stderr, "done in %s\n", time.Since(start).Round(time.Second))
	_, err = fmt.Fprintln(stdout, digest)
	return err
}

// describe prints each platform's manifest digest and compressed size.
func describe(w io.Writer, idx v1.ImageIndex) error {
	m, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	for _, d := range m.Manifests {
		img, err := idx.Image(d.Digest)
		if err != nil {
			return err
		}
		layers, err := img.Layers()
		if err != nil {
			return err
		}
		var size int64
		for _, l := range layers {
			s, err := l.Size()
			if err != nil {
				return err
			}
			size += s
		}
		fmt.Fprintf(w, "%-16s %s  %.1f MiB compressed\n", d.Platform.String(), d.Digest, float64(size)/(1<<20))
	}
	return nil
}

// moduleRoot is the folder of the go.mod at or above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod at or above the working directory")
		}
		dir = parent
	}
}

func parsePlatforms(s string) ([]v1.Platform, error) {
	var out []v1.Platform
	for _, f := range strings.Split(s, ",") {
		parts := strings.Split(strings.TrimSpace(f), "/")
		if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
			return nil, fmt.Errorf("platform %q is not os/arch[/variant]", f)
		}
		p := v1.Platform{OS: parts[0], Architecture: parts[1]}
		if len(parts) == 3 {
			p.Variant = parts[2]
		}
		out = append(out, p)
	}
	return out, nil
}

// sourceDateEpoch is SOURCE_DATE_EPOCH, else the committer time of HEAD, else 0.
func sourceDateEpoch(ctx context.Context, root string) (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		s = git(ctx, root, "log", "-1", "--format=%ct")
	}
	if s == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q is not seconds since 1970", s)
	}
	return time.Unix(n, 0).UTC(), nil
}

// git runs git in root and returns its trimmed output, or "" when it fails (no git, no
// checkout).
func git(ctx context.Context, root string, args ...string) string {
	cmd := exec.CommandContext(ctx, "git", args...) //nolint:gosec // fixed git subcommands
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
