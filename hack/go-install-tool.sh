#!/usr/bin/env bash
# go-install-tool.sh TARGET PACKAGE VERSION: installs a Go tool at a versioned path outside
# the work tree (the Makefile's cache), so a fresh clone reuses what an earlier run built.
set -euo pipefail
target=$1 pkg=$2 version=$3
[ -x "$target" ] && exit 0
dir=$(dirname "$target")
mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "[go-install-tool] installing $pkg@$version" >&2
GOBIN=$tmp CGO_ENABLED=0 go install "$pkg@$version"
mv "$tmp/$(basename "$pkg")" "$target"
