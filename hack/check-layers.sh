#!/usr/bin/env bash
# Fails when a package imports one from a higher layer. Layers, lowest first:
#   api ← internal ← registry ← controllers ← cmd
# and inside registry/: options, store, metrics, imageapi, nodeproxy, authtoken, gc ← auth ← middleware, pullthrough ← handlers ←
# registry (the root package) and registry/client. Test files are not checked (tests may use
# anything below their package's layer and the real registry).
set -euo pipefail
cd "$(dirname "$0")/.."
module=$(go list -m)

layer() { # the rank of a package path within the module
  local p=${1#"$module"/}
  case "$p" in
    api/*) echo 0 ;;
    internal/*) echo 1 ;;
    registry/options|registry/store|registry/metrics|registry/imageapi|registry/nodeproxy|registry/authtoken|registry/gc) echo 2 ;;
    registry/auth) echo 3 ;;
    registry/middleware|registry/pullthrough) echo 4 ;;
    registry/handlers) echo 5 ;;
    registry|registry/client) echo 6 ;;
    controllers/*/*|controllers/internal/*) echo 7 ;;
    controllers/ecs|controllers/ecr) echo 8 ;;
    controllers) echo 9 ;;
    cmd/*) echo 10 ;;
    *) echo 11 ;; # bench, test, charts, hack: may import anything
  esac
}

status=0
while read -r pkg imports; do
  from=$(layer "$pkg")
  for imp in $imports; do
    case "$imp" in "$module"/*|"$module") ;; *) continue ;; esac
    to=$(layer "$imp")
    # controllers/ecs/revisions sits below controllers/ecs; same-rank imports inside
    # registry's bottom layer are fine.
    if [ "$to" -gt "$from" ]; then
      echo "layering: ${pkg#"$module"/} imports ${imp#"$module"/}, a higher layer" >&2
      status=1
    fi
  done
done < <(go list -f '{{.ImportPath}} {{join .Imports " "}}' ./...)
if [ "$status" = 0 ]; then echo "layering: no package imports a higher layer"; fi
exit $status
