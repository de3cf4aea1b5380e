#!/usr/bin/env bash
# Runs the whole test suite: pure table/golden/fuzz-seed tests and the envtest suites that
# start a real kube-apiserver and etcd. `make test` calls it after building the tools.
#   hack/test.sh [-e2e|-node] [go test flags...]
# -e2e runs test/e2e against the kwok sandbox; -node runs test/node against a sandbox joined by
# a real node (root; hack/setup-tools.sh node builds its pieces).
set -euo pipefail
cd "$(dirname "$0")/.."

e2e=false
node=false
case "${1:-}" in
  -e2e) e2e=true; shift ;;
  -node) node=true; shift ;;
esac

# The clients the registry's, e2e and node tests run (skopeo, podman, docker, redis-server).
hack/debian-packages.sh

# Honour KUBEBUILDER_ASSETS when it already holds the binaries (setup-envtest users).
if [ -z "${KUBEBUILDER_ASSETS:-}" ] || [ ! -x "${KUBEBUILDER_ASSETS}/kube-apiserver" ]; then
  KUBEBUILDER_ASSETS=$(hack/setup-tools.sh)
fi
export KUBEBUILDER_ASSETS
export PATH="$KUBEBUILDER_ASSETS:$PATH"

if $node; then
  hack/setup-tools.sh node >/dev/null
  exec go test -tags node -count=1 -timeout 30m ./test/node/... "$@"
fi

if $e2e; then
  exec go test -tags e2e -count=1 -timeout 30m ./test/e2e/... "$@"
fi

start=$(date +%s)
go test -count=1 -timeout 20m "$@" ./...
echo "test suite finished in $(( $(date +%s) - start ))s"
