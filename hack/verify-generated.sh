#!/usr/bin/env bash
# Fails when generated files (CRDs, RBAC, deepcopy, the chart's CRD copies) differ from what
# the generators produce. Run after `make manifests generate`, as `make verify` does.
set -euo pipefail
cd "$(dirname "$0")/.."
paths=(config/crd config/rbac api charts/berth/templates/crds charts/berth/templates/controller-clusterrole.yaml)
if ! git diff --exit-code -- "${paths[@]}" || [ -n "$(git status --porcelain --untracked-files=all -- "${paths[@]}")" ]; then
  git status --porcelain -- "${paths[@]}" >&2
  echo "generated files are stale: run 'make manifests generate' and commit the result" >&2
  exit 1
fi
echo "generated files are up to date"
