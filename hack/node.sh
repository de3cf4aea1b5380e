#!/usr/bin/env bash
# A real node for the sandbox: kubelet, kube-proxy, containerd 2 with Debian's runc and bridge
# CNI, and (BERTH_NODE_DNS=1) CoreDNS, on this machine, joined to the sandbox's API server next
# to the kwok nodes. Pods scheduled to it really run: containerd pulls their images (from
# berth-registry on 127.0.0.1 with the pull Secret Berth manages), runc starts them, probes
# run, `kubectl logs` works, ClusterIP Services answer.
#
#   hack/node.sh up       start containerd, kubelet and kube-proxy; wait until the node is Ready
#   hack/node.sh down     stop them, remove every Pod sandbox, mount, cgroup, network device and
#                         iptables rule they made, and delete the Node object
#   hack/node.sh status   what runs
#
# Root only (containers, mounts, iptables). One real node per machine: two kubelets would
# fight over the kubepods cgroups and their ports. `hack/setup-tools.sh node` builds the pieces
# (cached); docs/real-node.md explains each setting.
#
# Environment:
#   KUBECONFIG             admin kubeconfig of the cluster to join (default .sandbox/kubeconfig)
#   BERTH_NODE_NAME        node name (default berth-node-1)
#   BERTH_NODE_ZONE        its topology.kubernetes.io/zone (default zone-real)
#   BERTH_NODE_TAINT       a taint to register with, e.g. berth.dev/real-node=true:NoSchedule
#   BERTH_NODE_DIR         state: containerd's root, the kubelet's root, logs (default
#                          .sandbox/node)
#   BERTH_NODE_RUN         sockets and runtime state (default /run/berth-node; unix socket paths
#                          are limited to 108 bytes)
#   BERTH_NODE_POD_CIDR    the bridge's Pod subnet (default 10.244.250.0/24)
#   BERTH_NODE_DNS         1: run CoreDNS on the node for cluster names (kube-dns Service)
set -euo pipefail
cd "$(dirname "$0")/.."

NAME=${BERTH_NODE_NAME:-berth-node-1}
ZONE=${BERTH_NODE_ZONE:-zone-real}
TAINT=${BERTH_NODE_TAINT:-}
DIR=${BERTH_NODE_DIR:-$PWD/.sandbox/node}
RUN=${BERTH_NODE_RUN:-/run/berth-node}
POD_CIDR=${BERTH_NODE_POD_CIDR:-10.244.250.0/24}
DNS=${BERTH_NODE_DNS:-0}
export KUBECONFIG=${KUBECONFIG:-$PWD/.sandbox/kubeconfig}

BIN=$(hack/setup-tools.sh node)
NODE_BIN=$(cat "$BIN/.node-bin")
export PATH="$NODE_BIN:$BIN:$PATH"
PAUSE_IMAGE=registry.k8s.io/pause:3.10.2
SOCK=$RUN/containerd/containerd.sock
BRIDGE=berthcni0
CNI_NAME=berth-node
LOGS=$DIR/logs
PIDS=$DIR/pids

log() { printf '[node] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
alive() { [ -f "$PIDS/$1" ] && kill -0 "$(cat "$PIDS/$1")" 2>/dev/null; }
crictl_() { crictl --runtime-endpoint "unix://$SOCK" --image-endpoint "unix://$SOCK" --timeout 30s "$@"; }
ready() { [ "$(kubectl get node "$NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]; }

# start NAME CMD...: run CMD in the background with its log in $LOGS/NAME.log, unless it runs.
start() {
  local name=$1
  shift
  if alive "$name"; then
    log "$name already runs (pid $(cat "$PIDS/$name"))"
    return 0
  fi
  log "starting $name (log $LOGS/$name.log)"
  nohup "$@" >>"$LOGS/$name.log" 2>&1 &
  echo $! >"$PIDS/$name"
}

# stop NAME: SIGTERM, SIGKILL after 15 s.
stop() {
  local name=$1 pid i
  [ -f "$PIDS/$name" ] || return 0
  pid=$(cat "$PIDS/$name")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for i in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$PIDS/$name"
}

# wait_for TIMEOUT_S WHAT CMD...: poll CMD every half second.
wait_for() {
  local timeout=$1 what=$2 i
  shift 2
  for i in $(seq 1 $((timeout * 2))); do
    "$@" && return 0
    sleep 0.5
  done
  die "$what not within ${timeout}s"
}

containerd_config() {
  mkdir -p "$DIR/containerd" "$DIR/certs.d" "$DIR/cni" "$RUN/containerd"
  cat >"$DIR/containerd/config.toml" <<EOF
# containerd of the real node, written by hack/node.sh. Sockets, state and runc's root are its
# own, so a Docker engine's containerd on the same machine is left alone.
version = 4
root = '$DIR/containerd/root'
state = '$RUN/containerd'
[plugins]
  [plugins.'io.containerd.server.v1.grpc']
    address = '$SOCK'
  [plugins.'io.containerd.server.v1.ttrpc']
    address = '$SOCK.ttrpc'
  [plugins.'io.containerd.server.v1.debug']
    address = '$RUN/containerd/debug.sock'
  [plugins.'io.containerd.cri.v1.images']
    snapshotter = 'overlayfs'
    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = '$PAUSE_IMAGE'
    [plugins.'io.containerd.cri.v1.images'.registry]
      # With a config_path, containerd talks plain HTTP to localhost, 127.0.0.1 and ::1 on a
      # port other than 443: berth-registry on loopback needs no hosts.toml.
      config_path = '$DIR/certs.d'
  [plugins.'io.containerd.cri.v1.runtime']
    # This VM lacks CAP_SYS_RESOURCE: nothing may lower oom_score_adj (the Pod sandbox asks
    # for -998). Clamp every container's to containerd's own instead of failing in runc.
    restrict_oom_score_adj = true
    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = 'runc'
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
        runtime_type = 'io.containerd.runc.v2'
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
          BinaryName = '$(command -v runc)'
          SystemdCgroup = false
          Root = '$RUN/runc'
    [plugins.'io.containerd.cri.v1.runtime'.cni]
      bin_dirs = ['/usr/lib/cni']
      conf_dir = '$DIR/cni'
  [plugins.'io.containerd.grpc.v1.cri']
    disable_tcp_service = true
EOF
  # A node stays NotReady without a CNI configuration. Bridge + host-local: Pod addresses are
  # reachable from the host; traffic out is masqueraded.
  cat >"$DIR/cni/10-$CNI_NAME.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$CNI_NAME",
  "plugins": [
    {
      "type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true,
      "ipam": {"type": "host-local", "ranges": [[{"subnet": "$POD_CIDR"}]], "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "$RUN/cni-ipam"}
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
}

kubelet_config() {
  mkdir -p "$DIR/kubelet/pki" "$DIR/kubelet/pod-logs"
  # The sandbox's admin credentials (a sandbox shortcut: no bootstrap token, no CSR approval).
  kubectl config view --raw --minify --flatten >"$DIR/kubelet/kubeconfig"
  kubectl --kubeconfig "$DIR/kubelet/kubeconfig" config view --raw \
    -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d >"$DIR/kubelet/pki/ca.crt"
  local dns=""
  if [ "$DNS" = 1 ]; then
    dns="clusterDNS: [$(kubectl get svc -n kube-system kube-dns -o jsonpath='{.spec.clusterIP}')]"
  fi
  cat >"$DIR/kubelet/config.yaml" <<EOF
# kubelet of the real node, written by hack/node.sh.
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# This machine has cgroup v1; kubelet 1.35+ refuses it unless told otherwise.
failCgroupV1: false
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://$SOCK
# No CAP_SYS_RESOURCE here: the default -999 cannot be set.
oomScoreAdj: 0
podLogsDir: $DIR/kubelet/pod-logs
healthzBindAddress: 127.0.0.1
readOnlyPort: 0
# kwokctl's API server presents no client certificate to kubelets (logs, exec): anonymous
# and AlwaysAllow. Sandbox only.
authentication:
  anonymous: {enabled: true}
  webhook: {enabled: false}
  x509: {clientCAFile: $DIR/kubelet/pki/ca.crt}
authorization: {mode: AlwaysAllow}
resolvConf: /etc/resolv.conf
clusterDomain: cluster.local
$dns
failSwapOn: false
serializeImagePulls: false
# The disk is shared with builds: do not let DiskPressure evict the tests' Pods.
evictionHard: {memory.available: 100Mi, nodefs.available: 2%, imagefs.available: 2%, nodefs.inodesFree: 2%}
imageGCHighThresholdPercent: 99
imageGCLowThresholdPercent: 98
nodeStatusReportFrequency: 10s
EOF
}

kube_proxy_config() {
  mkdir -p "$DIR/kube-proxy"
  cat >"$DIR/kube-proxy/config.yaml" <<EOF
# kube-proxy of the real node, written by hack/node.sh: iptables mode, so ClusterIP Services
# (and the in-cluster API address) work for Pods and for the node itself.
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection: {kubeconfig: $DIR/kubelet/kubeconfig}
hostnameOverride: $NAME
clusterCIDR: $POD_CIDR
bindAddress: 127.0.0.1
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# Leave the host's conntrack table size alone.
conntrack: {maxPerCore: 0}
EOF
}

# coredns runs CoreDNS on the node's address and points the kube-dns Service (selectorless,
# made by dns_service) at it with an EndpointSlice: Pods resolve cluster names through the
# ClusterIP kube-proxy forwards, with no Pod of its own to start first.
coredns() {
  [ "$DNS" = 1 ] || return 0
  mkdir -p "$DIR/coredns"
  local ip
  ip=$(kubectl get node "$NAME" -o jsonpath='{.status.addresses[?(@.type=="InternalIP")].address}')
  cat >"$DIR/coredns/Corefile" <<EOF
.:53 {
    errors
    ready $ip:8181
    health $ip:8180
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $DIR/kubelet/kubeconfig
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    forward . /etc/resolv.conf
    cache 30
    loop
    reload
}
EOF
  start coredns coredns -conf "$DIR/coredns/Corefile" -dns.port 53
  kubectl apply -f - >/dev/null <<EOF
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kube-dns-$NAME
  namespace: kube-system
  labels: {kubernetes.io/service-name: kube-dns, endpointslice.kubernetes.io/managed-by: berth-node}
addressType: IPv4
ports:
- {name: dns, port: 53, protocol: UDP}
- {name: dns-tcp, port: 53, protocol: TCP}
endpoints:
- addresses: ["$ip"]
  nodeName: $NAME
EOF
}

# The VM's network answers any address routed out, on any port (an empty 404 from "keryx"). A
# connection to a ClusterIP that kube-proxy has not translated (opened before its first sync)
# would reach that answer, and a keep-alive client would keep it. On a real node it would
# fail; these filter rules make it fail here too. The filter table sees a packet after
# kube-proxy's DNAT, so only what is still addressed to the service range is refused.
GUARD_COMMENT="berth-node: ClusterIP kube-proxy did not translate"
service_cidrs() {
  local cidrs
  cidrs=$(kubectl get servicecidr kubernetes -o jsonpath='{.spec.cidrs[*]}' 2>/dev/null || true)
  echo "${cidrs:-10.0.0.0/24}"
}
guard_rules() {
  local cidr chain
  for cidr in $(service_cidrs); do
    [[ $cidr == *:* ]] && continue
    for chain in OUTPUT FORWARD; do
      echo "$chain -d $cidr -p tcp -m comment --comment \"$GUARD_COMMENT\" -j REJECT --reject-with tcp-reset"
      echo "$chain -d $cidr -m comment --comment \"$GUARD_COMMENT\" -j REJECT"
    done
  done
}
guard_up() {
  local rule
  guard_rules | while read -r rule; do
    eval "iptables -t filter -C $rule" 2>/dev/null || eval "iptables -t filter -A $rule"
  done
}
guard_down() {
  local rule
  iptables -t filter -S 2>/dev/null | grep -F "\"$GUARD_COMMENT\"" | while read -r rule; do
    eval "iptables -t filter ${rule/-A /-D }" 2>/dev/null || true
  done || true
}

# The bridge plugin's masquerade rules and chains (CNI-…), one pair per Pod sandbox. CNI DEL
# removes them when containerd tears a sandbox down; these are what a killed run left. Their
# comment reads name: "berth-node" id: "…", and iptables -S prints it with escaped quotes.
cni_nat_down() {
  local mark="name: \\\"$CNI_NAME\\\"" rule chain
  iptables -t nat -S POSTROUTING 2>/dev/null | grep -F "$mark" | while read -r rule; do
    eval "iptables -t nat ${rule/-A /-D }" 2>/dev/null || true
  done || true
  for chain in $(iptables -t nat -S 2>/dev/null | grep -F "$mark" | awk '$1 == "-A" && $2 ~ /^CNI-/ { print $2 }' | sort -u); do
    iptables -t nat -F "$chain" 2>/dev/null && iptables -t nat -X "$chain" 2>/dev/null || true
  done
}

dns_service() {
  [ "$DNS" = 1 ] || return 0
  kubectl apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels: {k8s-app: kube-dns}
spec:
  ports:
  - {name: dns, port: 53, protocol: UDP}
  - {name: dns-tcp, port: 53, protocol: TCP}
EOF
}

up() {
  [ "$(id -u)" = 0 ] || die "run as root (containers, mounts, iptables)"
  [ -r "$KUBECONFIG" ] || die "no kubeconfig at $KUBECONFIG: start the sandbox first"
  kubectl get --raw /readyz >/dev/null || die "the API server of $KUBECONFIG does not answer"
  if pgrep -x kubelet >/dev/null && ! alive kubelet; then die "another kubelet runs on this machine"; fi
  mkdir -p "$LOGS" "$PIDS" "$RUN"
  local t0=$SECONDS
  dns_service
  containerd_config
  start containerd containerd --config "$DIR/containerd/config.toml"
  wait_for 30 "containerd answering" ctr -a "$SOCK" version
  if ! ctr -a "$SOCK" -n k8s.io images ls -q | grep -qx "$PAUSE_IMAGE"; then
    ctr -a "$SOCK" -n k8s.io images import --no-unpack "$NODE_BIN/pause.tar" >/dev/null
  fi
  kubelet_config
  local labels="berth.dev/real-node=true,topology.kubernetes.io/zone=$ZONE,topology.kubernetes.io/region=sandbox"
  start kubelet kubelet --config="$DIR/kubelet/config.yaml" --kubeconfig="$DIR/kubelet/kubeconfig" \
    --root-dir="$DIR/kubelet/root" --cert-dir="$DIR/kubelet/pki" --hostname-override="$NAME" \
    --node-labels="$labels" ${TAINT:+--register-with-taints="$TAINT"} --v=2
  kube_proxy_config
  guard_up
  start kube-proxy kube-proxy --config="$DIR/kube-proxy/config.yaml" --v=1
  wait_for 120 "node $NAME Ready" ready
  coredns
  log "node $NAME Ready $((SECONDS - t0))s after start (zone $ZONE)"
}

down() {
  stop kube-proxy
  stop kubelet
  stop coredns
  if alive containerd; then
    # Through the CRI, so each sandbox's network (CNI DEL) and mounts go with it; the shims
    # would outlive containerd otherwise.
    crictl_ rmp -a -f >/dev/null 2>&1 || true
  fi
  stop containerd
  pkill -f "containerd-shim-runc-v2 .*-address $SOCK" 2>/dev/null || true
  # The kubelet makes its root a shared bind mount and mounts Pod volumes under it; containerd
  # mounts snapshots and network namespaces.
  local m
  for m in $(findmnt -rn -o TARGET | grep -E "^($DIR|$RUN)(/|$)" | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  for m in $(findmnt -rn -o TARGET | grep -E '^/run/netns/cni-' | sort -r); do
    umount "$m" 2>/dev/null || true
    rm -f "$m"
  done
  ip link del "$BRIDGE" 2>/dev/null || true
  rm -rf "$RUN"
  # kube-proxy's chains (KUBE-SERVICES …) and the bridge plugin's NAT chains.
  if [ -x "$BIN/kube-proxy" ]; then "$BIN/kube-proxy" --cleanup >/dev/null 2>&1 || true; fi
  guard_down
  cni_nat_down
  if ! pgrep -x kubelet >/dev/null; then
    local ipt t c
    for ipt in iptables ip6tables; do
      $ipt -t filter -D INPUT -j KUBE-FIREWALL 2>/dev/null || true
      $ipt -t filter -D OUTPUT -j KUBE-FIREWALL 2>/dev/null || true
      for t in filter nat mangle; do
        for c in KUBE-FIREWALL KUBE-KUBELET-CANARY KUBE-IPTABLES-HINT KUBE-PROXY-CANARY; do
          $ipt -t "$t" -F "$c" 2>/dev/null && $ipt -t "$t" -X "$c" 2>/dev/null || true
        done
      done
    done
    # The kubelet's cgroups (cgroupfs driver), deepest first.
    local d
    for d in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
      [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
    done
  fi
  if [ -r "$KUBECONFIG" ]; then
    kubectl delete node "$NAME" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  fi
  log "node $NAME stopped"
}

status() {
  local p
  for p in containerd kubelet kube-proxy coredns; do
    if alive "$p"; then echo "$p: running (pid $(cat "$PIDS/$p"))"; else echo "$p: stopped"; fi
  done
  kubectl get node "$NAME" -o wide 2>/dev/null || true
  kubectl get pods -A -o wide --field-selector "spec.nodeName=$NAME" 2>/dev/null || true
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) sed -n '2,30p' "$0" >&2; exit 2 ;;
esac
