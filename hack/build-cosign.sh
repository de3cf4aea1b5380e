#!/usr/bin/env bash
# Builds the cosign CLI (github.com/sigstore/cosign/v2/cmd/cosign, pinned below) from its module,
# cached by version under ~/.cache/berth/tools, and prints its path. The registry's tests sign
# images and attest SBOMs with it offline (a generated key pair, no transparency log) through
# the referrers API. Its cold build is long (docs/decisions.md): .ci/run builds it before the
# tests.
set -euo pipefail
version=v2.6.5
cache="${BERTH_CACHE:-$HOME/.cache/berth}/tools"
bin="$cache/cosign-$version"
if [ ! -x "$bin" ]; then
  mkdir -p "$cache"
  GOBIN="$cache/cosign-build" go install "github.com/sigstore/cosign/v2/cmd/cosign@$version" >&2
  mv "$cache/cosign-build/cosign" "$bin"
  rmdir "$cache/cosign-build" 2>/dev/null || true
fi
echo "$bin"
