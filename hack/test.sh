#!/usr/bin/env bash
# Runs the whole test suite: pure table/golden/fuzz-seed tests and the envtest suites that
# start a real kube-apiserver and etcd. `make test` calls it after building the tools.
#   hack/test.sh [-e2e] [go test flags...]
set -euo pipefail
cd "$(dirname "$0")/.."

e2e=false
if [ "${1:-}" = "-e2e" ]; then e2e=true; shift; fi

# Honour KUBEBUILDER_ASSETS when it already holds the binaries (setup-envtest users).
if [ -z "${KUBEBUILDER_ASSETS:-}" ] || [ ! -x "${KUBEBUILDER_ASSETS}/kube-apiserver" ]; then
  KUBEBUILDER_ASSETS=$(hack/setup-tools.sh)
fi
export KUBEBUILDER_ASSETS
export PATH="$KUBEBUILDER_ASSETS:$PATH"

if $e2e; then
  exec go test -tags e2e -count=1 -timeout 30m ./test/e2e/... "$@"
fi

start=$(date +%s)
go test -count=1 -timeout 20m "$@" ./...
echo "test suite finished in $(( $(date +%s) - start ))s"
