#!/usr/bin/env bash
# Builds SeaweedFS's `weed` (master, volume server, filer and S3 gateway in one binary) from
# its module, cached by version under ~/.cache/berth/tools, and prints its path: the real,
# distributed S3-compatible object store the registry's s3 driver is tested against
# (hack/seaweedfs.sh runs it). SeaweedFS tags its releases without a Go module version, so
# the module proxy serves a commit as a pseudo-version (below: the commit of 2026-11-09); its
# go.mod has a replace directive, which `go install pkg@version` refuses, so the binary is
# built inside the downloaded module.
set -euo pipefail
version=v0.0.0-20261109003541-7506e5f91cd6
cache="${BERTH_CACHE:-$HOME/.cache/berth}/tools"
bin="$cache/weed-$version"
if [ ! -x "$bin" ]; then
  mkdir -p "$cache"
  dir=$(go mod download -json "github.com/seaweedfs/seaweedfs@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$dir" ] || { echo "build-seaweedfs: module github.com/seaweedfs/seaweedfs@$version not downloaded" >&2; exit 1; }
  (cd "$dir" && GOFLAGS=-mod=readonly go build -trimpath -ldflags='-s -w' -o "$bin.tmp" ./weed) >&2
  mv "$bin.tmp" "$bin"
fi
echo "$bin"
