#!/usr/bin/env bash
# Runs the test suite (unit, golden and the envtest suites) RUNS times in a row while
# STRESS_CPUS cores are kept busy, as on a loaded CI or developer machine, and reports each
# run. A suite that fails here has a product race or a test that waits on the wrong thing.
#   hack/test-stress.sh [runs] [go test flags...]      (make test-stress RUNS=10)
# Environment: STRESS_CPUS (default 1: the other core of a 2-core machine), STRESS_LOG_DIR
# (default a temporary folder; each run's output is kept there).
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-10}
shift || true
cpus=${STRESS_CPUS:-1}
logs=${STRESS_LOG_DIR:-$(mktemp -d -t berth-stress-XXXXXX)}
mkdir -p "$logs"

if [ -z "${KUBEBUILDER_ASSETS:-}" ] || [ ! -x "${KUBEBUILDER_ASSETS}/kube-apiserver" ]; then
  KUBEBUILDER_ASSETS=$(hack/setup-tools.sh)
fi
export KUBEBUILDER_ASSETS
export PATH="$KUBEBUILDER_ASSETS:$PATH"

# Build the test binaries once, before the load starts.
go test -count=1 -run '^$' ./... >/dev/null

hogs=()
stop_hogs() { for p in "${hogs[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap stop_hogs EXIT
for _ in $(seq "$cpus"); do
  if command -v stress-ng >/dev/null 2>&1; then
    stress-ng --quiet --cpu 1 --timeout 0 &
  else
    ( while :; do :; done ) &
  fi
  hogs+=("$!")
done
echo "stress: $runs runs of the suite with $cpus busy core(s) (stress-ng or a busy loop); logs in $logs"

ok=0 bad=0
for i in $(seq "$runs"); do
  start=$(date +%s)
  if go test -count=1 -timeout 20m "$@" ./... >"$logs/run-$i.log" 2>&1; then
    ok=$((ok + 1)); verdict=PASS
  else
    bad=$((bad + 1)); verdict=FAIL
  fi
  echo "run $i: $verdict in $(( $(date +%s) - start ))s"
  if [ "$verdict" = FAIL ]; then grep -E '^(--- FAIL|FAIL|panic:)|_test.go:[0-9]+:' "$logs/run-$i.log" | head -20 | sed 's/^/    /'; fi
done
echo "stress: $ok of $runs runs passed"
[ "$bad" -eq 0 ]
