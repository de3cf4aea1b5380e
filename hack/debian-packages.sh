#!/usr/bin/env bash
# Installs Debian packages when a command or file they provide is missing; quick when all are
# there. Every apt-get of the repository's scripts goes through here.
#
#   hack/debian-packages.sh
#       the packages the tests and benchmarks run as clients or helpers: skopeo (the e2e
#       install tests, the real-node tests and P10 push task images with it), podman and
#       docker.io (the registry's client matrix; their services are not started, the
#       registry's tests start dockerd themselves) and redis-server (the registry's
#       blob-descriptor cache under garbage collection, on a port of its own), without
#       recommended packages
#   hack/debian-packages.sh [--with-recommends] PACKAGE:PROVIDES...
#       the packages named, each checked by PROVIDES: a command on PATH or an executable's
#       path (hack/setup-tools.sh node: runc, the CNI plugins, conntrack, busybox-static and
#       gcc, whose recommended libc6-dev the pause image's build needs)
set -euo pipefail

recommends=--no-install-recommends
if [ "${1:-}" = --with-recommends ]; then
  recommends=""
  shift
fi
wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=(skopeo:skopeo podman:podman docker.io:dockerd redis-server:redis-server)

need=()
for p in "${wanted[@]}"; do
  case $p in *:*) ;; *) echo "[debian-packages] $p: want PACKAGE:PROVIDES" >&2; exit 2 ;; esac
  provides=${p#*:}
  command -v "$provides" >/dev/null 2>&1 || [ -x "$provides" ] || need+=("${p%%:*}")
done
[ ${#need[@]} -eq 0 ] && exit 0

echo "[debian-packages] apt-get install ${need[*]}" >&2
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
$sudo apt-get update -qq >/dev/null
# shellcheck disable=SC2086 # $recommends is one flag or nothing
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $recommends "${need[@]}" >/dev/null
