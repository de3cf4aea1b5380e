#!/usr/bin/env bash
# Builds the Prometheus server (github.com/prometheus/prometheus/cmd/prometheus, pinned below;
# module versions v0.3xx.y are Prometheus 3.xx.y) from its module, cached by version under
# ~/.cache/berth/tools, and prints its path: the real server for the tests of
# deploymentConfiguration.alarms (internal/testutil/promtest: the envtests and the e2e test of
# alarm rollbacks), scraping a target the test controls.
# Built with Prometheus's own remove_all_sd tag: the same server and HTTP API without the
# cloud service-discovery plugins (static_configs, file and http SD stay), which are most of
# the build. .ci/run builds it before the tests.
set -euo pipefail
version=v0.316.0
cache="${BERTH_CACHE:-$HOME/.cache/berth}/tools"
bin="$cache/prometheus-$version"
if [ ! -x "$bin" ]; then
  mkdir -p "$cache"
  GOBIN="$cache/prometheus-build" go install -tags remove_all_sd "github.com/prometheus/prometheus/cmd/prometheus@$version" >&2
  mv "$cache/prometheus-build/prometheus" "$bin"
  rmdir "$cache/prometheus-build" 2>/dev/null || true
fi
echo "$bin"
