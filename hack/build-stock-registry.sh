#!/usr/bin/env bash
# Builds the stock distribution registry (github.com/distribution/distribution/v3/cmd/registry)
# at the version Berth's go.mod requires, for the P6 reference of bench/registry: the same
# registry code Berth embeds, as its own project ships it. Its main package pulls in storage
# drivers (azure, gcs) whose modules are not in Berth's go.sum, so it is built in a throw-away
# module that requires the same versions as Berth's go.mod (shared libraries match) and never
# touches Berth's go.mod. The binary is cached by version and reused. Prints its path on the
# last line.
#
# Environment:
#   BERTH_CACHE   cache root (default ${XDG_CACHE_HOME:-~/.cache}/berth)
set -euo pipefail
trap 'echo "[build-stock-registry] failed at line $LINENO" >&2' ERR
cd "$(dirname "$0")/.."

MOD=github.com/distribution/distribution/v3
VERSION=$(go list -m -f '{{.Version}}' "$MOD")
CACHE=${BERTH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/berth}
BIN=$CACHE/tools/distribution-registry-$VERSION

log() { printf '[build-stock-registry] %s\n' "$*" >&2; }

if [ -x "$BIN" ]; then
  echo "$BIN"
  exit 0
fi

mkdir -p "$(dirname "$BIN")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Berth's direct and indirect requirements, so that libraries both binaries use are the same
# versions (minimal version selection may still raise some for the extra drivers).
requires=$(go mod edit -json | sed -n 's/.*"Path": "\([^"]*\)",.*/\1/p; s/.*"Version": "\([^"]*\)".*/\1/p' | paste - - | grep -v '^github.com/berth-dev/' || true)
log "building $MOD/cmd/registry $VERSION in a throw-away module"
start=$(date +%s)
(
  cd "$work"
  go mod init berth.local/stockregistry >/dev/null 2>&1
  go mod edit -go="$(cd - >/dev/null && go mod edit -json | sed -n 's/.*"Go": "\([^"]*\)".*/\1/p')"
  while read -r path version; do
    [ -n "$path" ] && go mod edit -require="$path@$version"
  done <<<"$requires"
  go mod edit -require="$MOD@$VERSION"
  cat >tools.go <<'GO'
//go:build tools

package tools

import _ "github.com/distribution/distribution/v3/cmd/registry"
GO
  GOFLAGS=-mod=mod go mod tidy -e >/dev/null 2>&1 || true
  # Same build settings as the Berth binary the benchmark builds (go build, CGO off).
  GOFLAGS=-mod=mod CGO_ENABLED=0 go build -o "$BIN.tmp" "$MOD/cmd/registry"
)
mv "$BIN.tmp" "$BIN"
log "built in $(( $(date +%s) - start ))s: $BIN"
echo "$BIN"
