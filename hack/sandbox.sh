#!/usr/bin/env bash
# The sandbox: a real control plane (kube-apiserver, kube-controller-manager, kube-scheduler,
# etcd) started by kwokctl from the cached binaries, with kwok nodes in three zones.
#   hack/sandbox.sh up     create (or re-create) the cluster, install the CRDs and samples
#   hack/sandbox.sh down   delete the cluster and what `up` started
#   hack/sandbox.sh nodes  (re)create the kwok nodes (ZONES × NODES_PER_ZONE)
#   hack/sandbox.sh cluster  only the cluster, its nodes and the CRDs, then exit (e2e tests
#                            run Berth themselves against it)
# Writes .sandbox/kubeconfig, .sandbox/env and, once everything is up, .sandbox/ready.
set -euo pipefail
cd "$(dirname "$0")/.."

NAME=${BERTH_SANDBOX_NAME:-berth}
ZONES=${BERTH_ZONES:-"zone-a zone-b zone-c"}
NODES_PER_ZONE=${BERTH_NODES_PER_ZONE:-2}
DIR=${BERTH_SANDBOX_DIR:-$PWD/.sandbox}
KUBECONFIG_PATH=$DIR/kubeconfig

log() { printf '[sandbox] %s\n' "$*" >&2; }

BIN=$(hack/setup-tools.sh)
export PATH="$BIN:$PATH"
export KWOK_KUBECTL_BINARY=$BIN/kubectl
export KWOK_KUBE_VERSION=${KWOK_KUBE_VERSION:-v1.37.0}
# kwokctl keeps its clusters here; keep them apart from a developer's own ~/.kwok.
export KWOK_WORKDIR=${KWOK_WORKDIR:-${BERTH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/berth}/kwok}

kc() { kubectl --kubeconfig "$KUBECONFIG_PATH" "$@"; }

nodes() {
  local zone i n=0 manifest=""
  for zone in $ZONES; do
    for i in $(seq 1 "$NODES_PER_ZONE"); do
      n=$((n + 1))
      manifest+="---
apiVersion: v1
kind: Node
metadata:
  name: node-$zone-$i
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: \"0\"
  labels:
    kubernetes.io/arch: amd64
    kubernetes.io/os: linux
    kubernetes.io/hostname: node-$zone-$i
    node.kubernetes.io/instance-type: m5.xlarge
    topology.kubernetes.io/zone: $zone
    topology.kubernetes.io/region: sandbox
    type: kwok
status:
  allocatable: {cpu: \"64\", memory: 256Gi, pods: \"500\", ephemeral-storage: 1Ti}
  capacity: {cpu: \"64\", memory: 256Gi, pods: \"500\", ephemeral-storage: 1Ti}
  nodeInfo: {architecture: amd64, operatingSystem: linux, kubeletVersion: fake, kubeProxyVersion: fake}
  phase: Running
"
    done
  done
  printf '%s' "$manifest" | kc apply -f - >/dev/null
  log "$n kwok nodes in zones: $ZONES"
}

# start_components runs berth-controller as a local process against the sandbox and waits
# for the sample TaskDefinition to register its first revision.
start_components() {
  log "starting berth-controller (logs: $DIR/manager.log)"
  KUBECONFIG=$KUBECONFIG_PATH bin/manager --metrics-bind-address=127.0.0.1:18080 \
    --health-probe-bind-address=127.0.0.1:18081 --registry-events-bind-address=127.0.0.1:19090 \
    >"$DIR/manager.log" 2>&1 &
  echo $! >> "$DIR/pids"
  kc wait --for=condition=Ready taskdefinition/web -n team-a --timeout=60s >/dev/null
}

down() {
  if [ -f "$DIR/pids" ]; then
    while read -r pid; do kill "$pid" 2>/dev/null || true; done < "$DIR/pids"
    rm -f "$DIR/pids"
  fi
  kwokctl delete cluster --name "$NAME" >/dev/null 2>&1 || true
  rm -f "$DIR/ready" "$DIR/env" "$KUBECONFIG_PATH"
}

cluster() {
  mkdir -p "$DIR"
  down
  log "creating cluster $NAME (kube-apiserver, controller-manager, scheduler $KWOK_KUBE_VERSION; kwok)"
  kwokctl create cluster --name "$NAME" --runtime binary \
    --kube-apiserver-binary "$BIN/kube-apiserver" \
    --kube-controller-manager-binary "$BIN/kube-controller-manager" \
    --kube-scheduler-binary "$BIN/kube-scheduler" \
    --kwok-controller-binary "$BIN/kwok" \
    --etcd-binary "$BIN/etcd" \
    --kubeconfig "$KUBECONFIG_PATH" \
    --wait 2m >"$DIR/kwokctl.log" 2>&1 || { cat "$DIR/kwokctl.log" >&2; exit 1; }
  nodes
  log "installing CRDs"
  kc apply --server-side -k config/crd >/dev/null
  kc wait --for=condition=Established crd --all --timeout=60s >/dev/null 2>&1
}

up() {
  cluster
  log "checking the samples with a server-side dry run, then applying them"
  kc apply -f config/samples/namespace.yaml >/dev/null
  kc apply --dry-run=server -k config/samples >/dev/null
  kc apply -k config/samples >&2
  start_components
  cat > "$DIR/env" <<ENV
export KUBECONFIG=$KUBECONFIG_PATH
export PATH=$BIN:\$PATH
ENV
  touch "$DIR/ready"
  cat >&2 <<MSG

The sandbox is up: a kube-apiserver, scheduler and controller-manager with $(kc get nodes --no-headers | wc -l) kwok nodes in three zones,
Berth's CRDs, and the samples in namespace team-a.

  source .sandbox/env            # or: export KUBECONFIG=$KUBECONFIG_PATH
  kubectl get nodes -L topology.kubernetes.io/zone
  kubectl get berth -n team-a    # every Berth kind (category berth)
  kubectl get ecssvc,taskdef,ecrrepo,repopolicy -n team-a
  kubectl explain taskdefinition.spec.containerDefinitions

berth-controller runs in the foreground (its log follows); Ctrl-C stops it and removes the
sandbox. From another terminal, \`make stop\` does the same.
MSG
  trap 'down; log "sandbox removed"; exit 0' INT TERM
  tail -n +1 -f "$DIR/manager.log" &
  echo $! >> "$DIR/pids"
  # Stay in the foreground while the controller runs.
  while kill -0 "$(head -n 1 "$DIR/pids")" 2>/dev/null; do sleep 1; done
  log "berth-controller exited; see $DIR/manager.log"
  down
  exit 1
}

case "${1:-up}" in
  up) up ;;
  cluster) cluster ;;
  down) down; log "sandbox removed" ;;
  nodes) nodes ;;
  *) echo "usage: $0 up|down|nodes|cluster" >&2; exit 2 ;;
esac
