#!/usr/bin/env bash
# Copies the generated CRDs of config/crd/bases into the Helm chart as templates, wrapped so
# that `crds.install` decides whether Helm installs them and `crds.keep` keeps them (and so
# every Repository, TaskDefinition and Service) when the release is uninstalled.
# The chart's copies are generated: edit the Go types and run `make manifests` instead.
# It then calls hack/sync-chart-rbac.sh for the controller's ClusterRole.
set -euo pipefail
cd "$(dirname "$0")/.."
out=charts/berth/templates/crds
mkdir -p "$out"
rm -f "$out"/*.yaml
for f in config/crd/bases/*.yaml; do
  name=$(basename "$f")
  {
    echo "{{- if .Values.crds.install }}"
    # Insert the keep annotation and the chart's labels into the CRD's metadata.
    awk '
      /^metadata:$/ && !done {
        print
        print "  labels:"
        print "    {{- include \"berth.labels\" . | nindent 4 }}"
        print "  {{- if .Values.crds.keep }}"
        print "  annotations:"
        print "    helm.sh/resource-policy: keep"
        print "  {{- end }}"
        done = 1
        next
      }
      /^  annotations:$/ && done == 1 { skip = 1; next }
      skip && /^    / { next }
      { skip = 0; print }
    ' "$f"
    echo "{{- end }}"
  } > "$out/$name"
done

# The controller's ClusterRole is generated the same way.
hack/sync-chart-rbac.sh
