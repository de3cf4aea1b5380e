#!/usr/bin/env bash
# Builds the regctl CLI (github.com/regclient/regclient/cmd/regctl, pinned below) from its module,
# cached by version under ~/.cache/berth/tools, and prints its path. regctl is one of the
# registry's client matrix: login, copy, index and artifact round trips.
set -euo pipefail
version=v0.11.7
cache="${BERTH_CACHE:-$HOME/.cache/berth}/tools"
bin="$cache/regctl-$version"
if [ ! -x "$bin" ]; then
  mkdir -p "$cache"
  GOBIN="$cache/regctl-build" go install "github.com/regclient/regclient/cmd/regctl@$version" >&2
  mv "$cache/regctl-build/regctl" "$bin"
  rmdir "$cache/regctl-build" 2>/dev/null || true
fi
echo "$bin"
