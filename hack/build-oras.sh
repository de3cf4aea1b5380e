#!/usr/bin/env bash
# Builds the oras CLI (oras.land/oras, pinned below) from its module, cached by version under
# ~/.cache/berth/tools, and prints its path. The registry's tests attach and discover
# artifacts with it, as users do.
set -euo pipefail
version=v1.3.6
cache="${BERTH_CACHE:-$HOME/.cache/berth}/tools"
bin="$cache/oras-$version"
if [ ! -x "$bin" ]; then
  mkdir -p "$cache"
  GOBIN="$cache/oras-build" go install "oras.land/oras/cmd/oras@$version" >&2
  mv "$cache/oras-build/oras" "$bin"
  rmdir "$cache/oras-build" 2>/dev/null || true
fi
echo "$bin"
