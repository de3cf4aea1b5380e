#!/usr/bin/env bash
# Installs the Debian packages the tests and benchmarks run as clients or helpers, when one
# is missing: skopeo (the e2e install tests, the real-node tests and P10 push task images with
# it), podman and docker.io (the registry's client matrix; their services are not started,
# the registry's tests start dockerd themselves) and redis-server (the registry's
# blob-descriptor cache under garbage collection, on a port of its own). Quick when all are
# there. The real node's own packages (runc, CNI plugins, conntrack) are
# hack/setup-tools.sh node's.
set -euo pipefail

need=()
for p in skopeo:skopeo podman:podman docker.io:dockerd redis-server:redis-server; do
  command -v "${p#*:}" >/dev/null 2>&1 || need+=("${p%%:*}")
done
[ ${#need[@]} -eq 0 ] && exit 0

echo "[debian-packages] apt-get install ${need[*]}" >&2
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
$sudo apt-get update -qq >/dev/null
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
