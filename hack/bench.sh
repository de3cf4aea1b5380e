#!/usr/bin/env bash
# Runs the benchmarks (`make bench`, build tag "bench") or the soaks (`make soak`, build tag
# "soak") of bench/ and prints every figure line (`ID value unit reference ratio budget
# PASS|FAIL`) again at the end as a table. Exits non-zero when a test fails to run; a budget
# that is missed is reported as FAIL on its line, not as a failed run.
#   hack/bench.sh bench|soak [go test flags...]
set -euo pipefail
cd "$(dirname "$0")/.."

kind=${1:?usage: hack/bench.sh bench|soak [go test flags...]}
shift
case "$kind" in
  bench) run='^TestP' ;;
  soak) run='^TestR' ;;
  *) echo "unknown kind $kind (bench or soak)" >&2; exit 2 ;;
esac

# The clients the benchmarks run (skopeo pushes P10's images), and as root a real node's pieces
# (P10), before anything is timed: on a fresh machine the node takes about 12 minutes to build.
hack/debian-packages.sh
if [ "$(id -u)" = 0 ]; then
  hack/setup-tools.sh node >/dev/null
fi
if [ -z "${KUBEBUILDER_ASSETS:-}" ] || [ ! -x "${KUBEBUILDER_ASSETS}/kube-apiserver" ]; then
  KUBEBUILDER_ASSETS=$(hack/setup-tools.sh)
fi
export KUBEBUILDER_ASSETS
export PATH="$KUBEBUILDER_ASSETS:$PATH"

out=$(mktemp)
trap 'rm -f "$out"' EXIT
start=$(date +%s)
status=0
# -p 1: one package at a time, so a benchmark never shares the machine with another.
go test -tags "$kind" -p 1 -count=1 -timeout 40m -run "$run" -v "$@" ./bench/... 2>&1 | tee "$out" || status=$?

echo
echo "== $kind figures ($(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(go env GOVERSION), $(( $(date +%s) - start ))s)"
printf '%s\n' "ID value unit reference ratio budget verdict"
grep -h '^FIGURE ' "$out" | sed 's/^FIGURE //' || echo "(no figures)"
exit "$status"
