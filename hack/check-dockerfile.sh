#!/usr/bin/env bash
# Checks the Dockerfile's build stage without an image builder (none runs on the CI machines):
# copies exactly what its COPY lines copy into an empty folder and runs its RUN commands
# there, so a package the binaries need but the image does not copy fails CI, not a release.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src"

# The build stage: from the first FROM to the next.
stage=$(awk '/^FROM /{n++} n==1' Dockerfile)
while read -r _ src dst; do
  [ "$dst" = "./" ] || [ "$dst" = "$src" ] || { echo "unexpected COPY $src $dst" >&2; exit 1; }
  for s in $src; do
    mkdir -p "$work/src/$(dirname "$s")"
    cp -r "$s" "$work/src/$s"
  done
done < <(printf '%s\n' "$stage" | awk '/^COPY / && !/--from/ {dst=$NF; $NF=""; sub(/^COPY /, ""); print "COPY", $0, dst}' |
  awk '{dst=$NF; $1=""; $NF=""; gsub(/^ +| +$/, ""); n=split($0, a, " "); for (i=1;i<=n;i++) print "COPY", a[i], dst}')
# .dockerignore drops test data from the context.
find "$work/src" -type d -name testdata -prune -exec rm -rf {} +

printf '%s\n' "$stage" | sed -n 's/^RUN //p' | while read -r cmd; do
  cmd=${cmd//\/out\//$work/out/}
  echo "[check-dockerfile] $cmd" >&2
  (cd "$work/src" && bash -c "$cmd")
done
for bin in manager registry; do
  [ -x "$work/out/$bin" ] || { echo "the build stage made no /$bin" >&2; exit 1; }
  if file "$work/out/$bin" 2>/dev/null | grep -q 'dynamically linked'; then
    echo "/$bin is dynamically linked; the distroless static image cannot run it" >&2
    exit 1
  fi
done
echo "[check-dockerfile] the build stage builds /manager and /registry from what the Dockerfile copies" >&2
