#!/usr/bin/env bash
# Runs every fuzz target for a short while (FUZZTIME, default 10s each), so CI proves the
# targets still run without a crash; a developer can run longer: FUZZTIME=5m hack/fuzz.sh.
# A crash leaves its input in the package's testdata/fuzz folder (commit it as a regression
# seed once fixed) and fails the script with the whole output.
#
# The fuzzing engine runs on FUZZ_GOTOOLCHAIN (default go1.27.3, fetched through the Go module
# proxy once, about 76 MB): Go 1.26's coordinator can fail a target that found nothing with a
# bare "context deadline exceeded" as -fuzztime ends (golang/go#75804: it compares the
# deadline's error with its child context's before the child is cancelled; seen on a loaded
# 2-core machine), which Go 1.27 fixed. A run that still fails without writing an input is
# tried once more, and fails the script if it fails again.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-10s}
export GOTOOLCHAIN=${FUZZ_GOTOOLCHAIN:-go1.27.3}
targets=$(grep -rl --include='*_test.go' '^func Fuzz' internal registry 2>/dev/null | xargs -r grep -H -o '^func Fuzz[A-Za-z0-9_]*' | sed 's/:func /:/' | sort -u)
[ -n "$targets" ] || { echo "no fuzz targets found" >&2; exit 1; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
n=0
while IFS=: read -r file target; do
  pkg=./$(dirname "$file")
  corpus=$(dirname "$file")/testdata/fuzz/$target
  for attempt in 1 2; do
    echo "fuzz $pkg $target for $FUZZTIME"
    before=$({ ls "$corpus" 2>/dev/null || true; } | wc -l)
    if go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" -parallel 2 >"$out" 2>&1; then
      tail -n 2 "$out"
      break
    fi
    cat "$out"
    after=$({ ls "$corpus" 2>/dev/null || true; } | wc -l)
    if [ "$after" -gt "$before" ]; then
      echo "FAIL: $target (see the output above; a new input in $corpus reproduces it)" >&2
      exit 1
    fi
    if [ "$attempt" = 2 ]; then
      echo "FAIL: $target failed twice without a crashing input (see the output above)" >&2
      exit 1
    fi
    echo "the fuzzing engine failed without a crashing input; trying $target once more" >&2
  done
  n=$((n + 1))
done <<< "$targets"
echo "$n fuzz targets ran without a crash ($(go env GOVERSION))"
