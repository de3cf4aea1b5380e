#!/usr/bin/env bash
# Runs every fuzz target for a short while (FUZZTIME, default 10s each), so CI proves the
# targets still run without a crash; a developer can run longer: FUZZTIME=5m hack/fuzz.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-10s}
targets=$(grep -rl --include='*_test.go' '^func Fuzz' internal registry 2>/dev/null | xargs -r grep -H -o '^func Fuzz[A-Za-z0-9_]*' | sed 's/:func /:/' | sort -u)
[ -n "$targets" ] || { echo "no fuzz targets found" >&2; exit 1; }
n=0
while IFS=: read -r file target; do
  pkg=./$(dirname "$file")
  echo "fuzz $pkg $target for $FUZZTIME"
  go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" -parallel 2 2>&1 | tail -n 3
  n=$((n + 1))
done <<< "$targets"
echo "$n fuzz targets ran without a crash"
