#!/usr/bin/env bash
# Provides the control-plane binaries the tests and the sandbox need, offline:
# kube-apiserver, kube-controller-manager, kube-scheduler and kubectl (built from
# k8s.io/kubernetes through the Go module proxy), etcd (built from go.etcd.io/etcd),
# kwok / kwokctl, and helm (built from helm.sh/helm/v3). Everything is cached outside the
# work tree, keyed by version, and reused when present. Prints the directory holding the
# binaries on its last line.
#
#   hack/setup-tools.sh        the control plane (what `make test`, `make run` need)
#   hack/setup-tools.sh node   also a real node's pieces (hack/node.sh, `make test-node`):
#                              kubelet and kube-proxy (same module as the control plane),
#                              containerd v2 with its runc shim and ctr, CoreDNS with the
#                              plugins a cluster DNS needs, and the pause image built from
#                              Kubernetes' pause.c; Debian's runc, CNI plugins, conntrack,
#                              busybox-static and gcc (apt-get)
#
# Environment:
#   BERTH_CACHE          cache root (default ${XDG_CACHE_HOME:-~/.cache}/berth)
#   KUBEBUILDER_ASSETS   when it already holds kube-apiserver and etcd, those are used
set -euo pipefail
trap 'echo "[setup-tools] failed at line $LINENO" >&2' ERR

K8S_VERSION=${K8S_VERSION:-v1.37.0}
K8S_STAGING_VERSION=${K8S_STAGING_VERSION:-v0.37.0}
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}
KWOK_VERSION=${KWOK_VERSION:-v0.8.0}
HELM_VERSION=${HELM_VERSION:-v3.22.0}
CONTAINERD_VERSION=${CONTAINERD_VERSION:-v2.4.2}
COREDNS_VERSION=${COREDNS_VERSION:-v1.14.7}
CRICTL_VERSION=${CRICTL_VERSION:-v1.37.0}
# The pause image containerd $CONTAINERD_VERSION pins as its sandbox image (built here, imported
# under this name: registry.k8s.io is not reachable).
PAUSE_IMAGE=${PAUSE_IMAGE:-registry.k8s.io/pause:3.10.2}
NODE=false
[ "${1:-}" = node ] && NODE=true

CACHE=${BERTH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/berth}
BIN=$CACHE/k8s/$K8S_VERSION
mkdir -p "$BIN"

log() { printf '[setup-tools] %s\n' "$*" >&2; }

HACK=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# K8S_BUILD names how the Kubernetes binaries are built; a cache built otherwise is relinked
# (the Go build cache keeps the compiled packages, so that takes a minute, not fifteen).
# 2: the version is stamped in, so the API server reports v1.37.0 (Helm's kubeVersion checks,
# kubectl's version skew) instead of v0.0.0-master.
K8S_BUILD=2

have_k8s() {
  [ -x "$BIN/$1" ] && [ "$(cat "$BIN/.build-$1" 2>/dev/null)" = "$K8S_BUILD" ]
}

# k8s_components: the Kubernetes binaries this run needs.
k8s_components() {
  echo kube-apiserver kube-controller-manager kube-scheduler kubectl
  if $NODE; then echo kubelet kube-proxy; fi
}

NODE_BIN=$CACHE/node/containerd-$CONTAINERD_VERSION-coredns-$COREDNS_VERSION-crictl-$CRICTL_VERSION

have_node() {
  local f
  for f in containerd containerd-shim-runc-v2 ctr crictl coredns pause.tar; do
    [ -e "$NODE_BIN/$f" ] || return 1
  done
  for f in runc conntrack gcc; do command -v "$f" >/dev/null 2>&1 || return 1; done
  [ -x /usr/lib/cni/bridge ] && [ -x /bin/busybox ]
}

have_all() {
  local f
  for f in $(k8s_components); do
    have_k8s "$f" || return 1
  done
  if $NODE; then have_node || return 1; fi
  for f in kwok kwokctl; do
    [ -x "$BIN/$f" ] || return 1
  done
  have_helm && have_etcd
}

# etcd is cached unversioned too. kube-apiserver serves RequestWatchProgress only from etcd
# 3.5.13 or later (3.4.31 for 3.4); a cache holding an older one (Debian's 3.4.23, the old
# fallback) is rebuilt, unless that fallback was taken because building failed.
have_etcd() {
  [ -x "$BIN/etcd" ] || return 1
  [ -f "$BIN/.etcd-fallback" ] && return 0
  local v
  v=$("$BIN/etcd" --version 2>/dev/null | sed -n 's/^etcd Version: //p')
  case "$v" in
    3.[6-9].*|3.[1-9][0-9].*) return 0 ;;
    3.5.*) [ "${v#3.5.}" -ge 13 ] 2>/dev/null ;;
    *) return 1 ;;
  esac
}

# helm is cached unversioned next to the others, so check it is the pinned version.
have_helm() {
  [ -x "$BIN/helm" ] && [ "$("$BIN/helm" version --template '{{ .Version }}' 2>/dev/null)" = "$HELM_VERSION" ]
}

if have_all; then
  echo "$BIN"
  exit 0
fi

# Reuse binaries a developer already has from setup-envtest.
if [ -n "${KUBEBUILDER_ASSETS:-}" ] && [ -x "$KUBEBUILDER_ASSETS/kube-apiserver" ] && [ -x "$KUBEBUILDER_ASSETS/etcd" ]; then
  for f in kube-apiserver etcd kubectl; do
    # setup-envtest's binaries are release builds: they carry their version.
    [ -x "$BIN/$f" ] || { [ -x "$KUBEBUILDER_ASSETS/$f" ] && ln -sf "$KUBEBUILDER_ASSETS/$f" "$BIN/$f" && echo "$K8S_BUILD" > "$BIN/.build-$f"; } || true
  done
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- Kubernetes components --------------------------------------------------
need_k8s=()
for f in $(k8s_components); do
  have_k8s "$f" || need_k8s+=("$f")
done
if [ ${#need_k8s[@]} -gt 0 ]; then
  log "building ${need_k8s[*]} $K8S_VERSION from source (first time on a machine: ~15 minutes on 2 cores)"
  mod=$work/k8s
  mkdir -p "$mod"
  (
    cd "$mod"
    go mod init berth.local/k8sbuild >/dev/null 2>&1
    go mod edit -go=1.26
    # k8s.io/kubernetes replaces its staging modules with local folders; replace each with
    # its published version so the module builds outside the kubernetes tree.
    gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
    [ -f "$gomod" ] || { log "cannot download k8s.io/kubernetes@$K8S_VERSION"; exit 1; }
    go mod edit -require="k8s.io/kubernetes@$K8S_VERSION"
    grep -E '^\s*k8s\.io/[^ ]+ => \./staging/' "$gomod" | awk '{print $1}' | while read -r m; do
      go mod edit -replace="$m=$m@$K8S_STAGING_VERSION"
    done
    # Carry kubernetes' own pins (for non-staging modules) across.
    { grep -E '^\s*[^ ]+ => [^ .][^ ]* v[0-9]' "$gomod" || true; } | awk '{print $1"="$3"@"$4}' | while read -r r; do
      go mod edit -replace="$r"
    done
    cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
)
GO
    log "resolving modules"
    GOFLAGS=-mod=mod go mod tidy -e >/dev/null 2>&1 || true
    minor=${K8S_VERSION#v1.}
    minor=${minor%%.*}
    ldflags="-s -w"
    for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldflags+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
    done
    for f in "${need_k8s[@]}"; do
      log "go build $f"
      start=$(date +%s)
      GOFLAGS=-mod=mod CGO_ENABLED=0 go build -ldflags="$ldflags" -o "$BIN/$f.tmp" "k8s.io/kubernetes/cmd/$f"
      mv "$BIN/$f.tmp" "$BIN/$f"
      echo "$K8S_BUILD" > "$BIN/.build-$f"
      log "built $f in $(( $(date +%s) - start ))s"
    done
  )
fi

# --- etcd -----------------------------------------------------------------
# etcd's server module has replace directives, which `go install pkg@version` refuses; a
# throwaway module that requires it builds the same binary (its own requirements pin the
# sibling modules to the same version). Debian's etcd-server (3.4.23) is only the fallback:
# with it kube-apiserver turns off RequestWatchProgress, and kwok's watches, which ask for
# it, end and re-list every few seconds — Pods waited 10-50 s for kwok to run them.
if ! have_etcd; then
  log "building etcd $ETCD_VERSION (first time on a machine: ~2 minutes on 2 cores)"
  start=$(date +%s)
  mod=$work/etcd
  mkdir -p "$mod"
  if (
    cd "$mod"
    go mod init berth.local/etcdbuild >/dev/null 2>&1
    go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2 2>&1
    CGO_ENABLED=0 go build -ldflags='-s -w' -o "$work/etcd.bin" go.etcd.io/etcd/server/v3 >&2
  ); then
    rm -f "$BIN/etcd" "$BIN/.etcd-fallback"
    mv "$work/etcd.bin" "$BIN/etcd"
    log "built etcd in $(( $(date +%s) - start ))s"
  elif [ ! -x "$BIN/etcd" ]; then
    log "building etcd failed; falling back to Debian's etcd-server"
    "$HACK/debian-packages.sh" --with-recommends etcd-server:etcd
    ln -sf "$(command -v etcd)" "$BIN/etcd"
    touch "$BIN/.etcd-fallback"
  else
    log "building etcd failed; keeping $("$BIN/etcd" --version | head -1)"
    touch "$BIN/.etcd-fallback"
  fi
fi

# --- kwok -----------------------------------------------------------------
for f in kwok kwokctl; do
  if [ ! -x "$BIN/$f" ]; then
    log "building $f $KWOK_VERSION"
    GOBIN="$work/kwokbin" CGO_ENABLED=0 go install -ldflags='-s -w' "sigs.k8s.io/kwok/cmd/$f@$KWOK_VERSION" >&2
    mv "$work/kwokbin/$f" "$BIN/$f"
  fi
done

# --- helm -----------------------------------------------------------------
if ! have_helm; then
  log "building helm $HELM_VERSION (first time on a machine: ~2 minutes on 2 cores)"
  start=$(date +%s)
  # Set what helm's own Makefile sets with -X: the full version (otherwise it reports vX.Y)
  # and the Kubernetes version of its client-go, which `helm template` and `helm lint` assume
  # (otherwise v1.20, older than the chart's kubeVersion).
  helm_gomod=$(go mod download -json "helm.sh/helm/v3@$HELM_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  kminor=$(sed -n 's/^[[:space:]]*k8s\.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "$helm_gomod" | head -1)
  [ -n "$kminor" ] || { log "cannot find client-go in helm $HELM_VERSION's go.mod"; exit 1; }
  ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
  for p in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    ldflags+=" -X $p.k8sVersionMajor=1 -X $p.k8sVersionMinor=$kminor"
  done
  GOBIN="$work/helmbin" CGO_ENABLED=0 go install -ldflags="$ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2
  mv "$work/helmbin/helm" "$BIN/helm"
  log "built helm in $(( $(date +%s) - start ))s"
fi

# --- a real node (hack/setup-tools.sh node) ----------------------------------
if $NODE && ! have_node; then
  mkdir -p "$NODE_BIN"
  # gcc's recommended libc6-dev links the pause image's pause.c.
  "$HACK/debian-packages.sh" --with-recommends runc:runc conntrack:conntrack gcc:gcc \
    containernetworking-plugins:/usr/lib/cni/bridge busybox-static:/bin/busybox
  # containerd 2.x (Kubernetes 1.37 wants 2.x; Debian 12 has 1.6). CGO off: only the btrfs,
  # zfs and devmapper snapshotters need cgo, overlayfs does not.
  if [ ! -x "$NODE_BIN/containerd" ] || [ ! -x "$NODE_BIN/containerd-shim-runc-v2" ] || [ ! -x "$NODE_BIN/ctr" ]; then
    log "building containerd $CONTAINERD_VERSION (first time on a machine: ~5 minutes on 2 cores)"
    start=$(date +%s)
    GOBIN="$work/cdbin" CGO_ENABLED=0 go install -tags no_btrfs,no_zfs,no_devmapper \
      -ldflags "-s -w -X github.com/containerd/containerd/v2/version.Version=$CONTAINERD_VERSION" \
      "github.com/containerd/containerd/v2/cmd/containerd@$CONTAINERD_VERSION" \
      "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2@$CONTAINERD_VERSION" \
      "github.com/containerd/containerd/v2/cmd/ctr@$CONTAINERD_VERSION" >&2
    mv "$work"/cdbin/* "$NODE_BIN/"
    log "built containerd in $(( $(date +%s) - start ))s"
  fi
  # crictl: hack/node.sh removes Pod sandboxes through the CRI (network and mounts torn down).
  if [ ! -x "$NODE_BIN/crictl" ]; then
    log "building crictl $CRICTL_VERSION"
    GOBIN="$work/crictlbin" CGO_ENABLED=0 go install -ldflags='-s -w' "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION" >&2
    mv "$work/crictlbin/crictl" "$NODE_BIN/"
  fi
  # CoreDNS as a library: a main with only the plugins a cluster DNS uses (the full plugin set
  # pulls every cloud SDK). Directive order is the plugin chain order of CoreDNS' plugin.cfg.
  if [ ! -x "$NODE_BIN/coredns" ]; then
    log "building CoreDNS $COREDNS_VERSION (kubernetes, forward, cache, health, ready, errors, log, loop, reload)"
    start=$(date +%s)
    mod=$work/coredns
    mkdir -p "$mod"
    (
      cd "$mod"
      go mod init berth.local/corednsbuild >/dev/null 2>&1
      cat > main.go <<'GO'
// Command coredns is CoreDNS with the plugins a Kubernetes cluster DNS needs.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
	"github.com/coredns/coredns/coremain"
)

func main() {
	dnsserver.Directives = []string{"reload", "ready", "health", "errors", "log", "cache", "kubernetes", "loop", "forward"}
	coremain.Run()
}
GO
      go get "github.com/coredns/coredns@$COREDNS_VERSION" >&2 2>&1
      GOFLAGS=-mod=mod go mod tidy >&2 2>&1
      CGO_ENABLED=0 go build -ldflags='-s -w' -o "$work/coredns.bin" . >&2
    )
    mv "$work/coredns.bin" "$NODE_BIN/coredns"
    log "built CoreDNS in $(( $(date +%s) - start ))s"
  fi
  # The pause image: Kubernetes' own pause.c, static, as a docker-archive containerd imports.
  if [ ! -f "$NODE_BIN/pause.tar" ]; then
    log "building the pause image $PAUSE_IMAGE from Kubernetes' build/pause/linux/pause.c"
    src=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')/build/pause/linux/pause.c
    (cd "$(dirname "$0")/.." && go run ./hack/image/pause -src "$src" -tag "$PAUSE_IMAGE" -o "$work/pause.tar" >&2)
    mv "$work/pause.tar" "$NODE_BIN/pause.tar"
  fi
fi

have_all || { log "some binaries are missing in $BIN"; exit 1; }
if $NODE; then
  echo "$NODE_BIN" > "$BIN/.node-bin"
  log "node binaries ready in $NODE_BIN"
fi
log "all binaries ready in $BIN"
echo "$BIN"
