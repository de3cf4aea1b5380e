#!/usr/bin/env bash
# Builds the OCI distribution-spec conformance suite (github.com/opencontainers/distribution-spec/conformance,
# pinned below) into a binary, cached by version under ~/.cache/berth/conformance, and
# prints its path. registry/conformance_test.go runs it against berth-registry.
set -euo pipefail
version=v0.0.0-20260831232431-97274622c111
cache="${BERTH_CACHE:-$HOME/.cache/berth}/conformance"
bin="$cache/conformance-${version##*-}"
if [ ! -x "$bin" ]; then
  mkdir -p "$cache/src"
  cd "$cache/src"
  [ -f go.mod ] || go mod init berth.local/conformance >/dev/null 2>&1
  go get "github.com/opencontainers/distribution-spec/conformance@$version" >/dev/null 2>&1
  go build -o "$bin.tmp" github.com/opencontainers/distribution-spec/conformance
  mv "$bin.tmp" "$bin"
fi
echo "$bin"
