#!/usr/bin/env bash
# Builds the notation CLI (github.com/notaryproject/notation/cmd/notation, pinned below) from
# its module, cached by version under ~/.cache/berth/tools, and prints its path. The
# registry's tests sign and verify images with it (a self-signed test certificate) through
# the referrers API.
#
# `go install ...@version` cannot be used: it asks the module proxy for the module's version
# list (to check for a deprecation), and the proxy refuses that list with 403 for this module,
# while it serves the pinned version itself. So the version is downloaded and built inside
# its own module, with its own go.sum.
set -euo pipefail
version=v1.3.2
cache="${BERTH_CACHE:-$HOME/.cache/berth}/tools"
bin="$cache/notation-$version"
if [ ! -x "$bin" ]; then
  mkdir -p "$cache"
  dir=$(cd / && go mod download -json "github.com/notaryproject/notation@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  (cd "$dir" && go build -trimpath -o "$bin.tmp" ./cmd/notation) >&2
  mv "$bin.tmp" "$bin"
fi
echo "$bin"
