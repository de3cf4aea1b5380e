#!/usr/bin/env bash
# The sandbox: a real control plane (kube-apiserver, kube-controller-manager, kube-scheduler,
# etcd) started by kwokctl from the cached binaries, with kwok nodes in three zones.
#   hack/sandbox.sh up     `make run`: create (or re-create) the cluster, install the CRDs and
#                          the chart's RBAC, run berth-controller and berth-registry here as the
#                          chart's ServiceAccounts, apply the samples, wait for them, stay in
#                          the foreground with the logs (Ctrl-C removes everything)
#   hack/sandbox.sh down   `make stop`: stop what `up` started and delete the cluster
#   hack/sandbox.sh nodes  (re)create the kwok nodes (ZONES × NODES_PER_ZONE)
#   hack/sandbox.sh cluster  only the cluster, its nodes and the CRDs, then exit (e2e tests
#                            run Berth themselves against it)
#   hack/sandbox.sh rbac   the chart's ServiceAccounts and RBAC only (what `up` installs)
#   hack/sandbox.sh components       start berth-registry and berth-controller in the
#                                    background against a cluster with Berth's RBAC (from
#                                    `rbac`, helm install or kubectl apply -k config/default)
#   hack/sandbox.sh stop-components  stop them
#   hack/sandbox.sh image [dir]      write a tiny OCI image layout to push (default .sandbox/image)
# BERTH_STORAGE=s3 (make run STORAGE=s3) stores the registry's images in SeaweedFS
# (hack/seaweedfs.sh: master, volume server, filer and S3 gateway on loopback, data under
# .sandbox/seaweedfs) through the registry's s3 driver; the default is a folder.
# BERTH_REAL_NODE=1 (make run REAL_NODE=1) adds a real node (hack/node.sh: kubelet, kube-proxy,
# containerd) in zone zone-real, tainted berth.dev/real-node=true:NoSchedule so the samples stay
# on the kwok nodes; Pods that tolerate the taint really run.
# Writes .sandbox/kubeconfig, .sandbox/env (KUBECONFIG, BERTH_REGISTRY) and, once everything
# is up, .sandbox/ready. BERTH_SANDBOX_NAME, BERTH_SANDBOX_DIR and BERTH_SANDBOX_PORTS (first of
# five loopback ports, default 15000) keep several sandboxes apart.
set -euo pipefail
cd "$(dirname "$0")/.."

NAME=${BERTH_SANDBOX_NAME:-berth}
# BERTH_ZONES="" makes no kwok node (a sandbox for a real node only: make test-node).
ZONES=${BERTH_ZONES-"zone-a zone-b zone-c"}
NODES_PER_ZONE=${BERTH_NODES_PER_ZONE:-2}
# Pods each kwok node accepts (bench/cluster raises it for 20,000 tasks).
NODE_PODS=${BERTH_NODE_PODS:-500}
# kube-scheduler's client QPS (burst twice it); empty keeps its default, 50 / 100, which binds
# at most 50 Pods a second (bench/cluster raises it: 3,000 tasks would wait a minute for it).
SCHEDULER_QPS=${BERTH_SANDBOX_SCHEDULER_QPS:-}
# An audit policy file for the API server (bench/cluster counts the controller's writes).
AUDIT_POLICY=${BERTH_SANDBOX_AUDIT_POLICY:-}
# An extra kwokctl configuration file (bench/cluster raises kwok's pod parallelism).
EXTRA_KWOK_CONFIG=${BERTH_SANDBOX_KWOK_CONFIG:-}
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
  allocatable: {cpu: \"64\", memory: 256Gi, pods: \"$NODE_PODS\", ephemeral-storage: 1Ti}
  capacity: {cpu: \"64\", memory: 256Gi, pods: \"$NODE_PODS\", ephemeral-storage: 1Ti}
  nodeInfo: {architecture: amd64, operatingSystem: linux, kubeletVersion: fake, kubeProxyVersion: fake}
  phase: Running
"
    done
  done
  [ "$n" = 0 ] || printf '%s' "$manifest" | kc apply -f - >/dev/null
  log "$n kwok nodes in zones: ${ZONES:-none}"
}

# Berth as `make run` starts it: berth-controller and berth-registry as local processes that
# authenticate as the chart's ServiceAccounts by client impersonation (a kubeconfig whose user
# has `as: system:serviceaccount:…`), so the chart's RBAC is exactly what they get. The
# registry serves plain HTTP on a loopback port and stores images under $DIR/registry-data.
BERTH_NS=${BERTH_NAMESPACE:-berth-system}
CONTROLLER_SA=${BERTH_CONTROLLER_SA:-berth-controller}
REGISTRY_SA=${BERTH_REGISTRY_SA:-berth-registry}
# Where bin/manager and bin/registry are (`make build`).
COMPONENTS_BIN=${BERTH_SANDBOX_BIN:-bin}
# More flags for berth-controller (make test-node: --pull-token-lifetime), word-split.
# Six ports from this one: registry, registry metrics, controller metrics, controller probes,
# the controller's receiver of registry notifications (all on loopback), and the registry's
# AuthorizationToken API (on this machine's address: the API server's aggregation layer
# calls it through endpoints, which may not be loopback).
PORT_BASE=${BERTH_SANDBOX_PORTS:-15000}
REGISTRY_HOST=127.0.0.1:$PORT_BASE
PROBES_PORT=$((PORT_BASE + 3))
EVENTS_PORT=$((PORT_BASE + 4))
TOKEN_API_PORT=$((PORT_BASE + 5))

# rbac installs what the chart gives both components to run with: its ServiceAccounts,
# Roles, ClusterRoles and bindings (helm template of charts/berth, those kinds only) in
# $BERTH_NS. The chart's Deployments are left out: kwok has no container runtime.
rbac() {
  log "installing the chart's ServiceAccounts and RBAC (namespace $BERTH_NS)"
  kc apply -f config/manager/namespace.yaml >/dev/null
  [ "$BERTH_NS" = berth-system ] || kc create namespace "$BERTH_NS" --dry-run=client -o yaml | kc apply -f - >/dev/null
  chart_objects 'ServiceAccount|Role|ClusterRole|RoleBinding|ClusterRoleBinding' | kc apply -f - >/dev/null
}

# chart_objects prints the objects of the given kinds (an extended regex) that the chart
# renders for release berth in $BERTH_NS, without its CRDs.
chart_objects() {
  helm template berth charts/berth --namespace "$BERTH_NS" --set crds.install=false | awk -v kinds="^kind: ($1)$" '
    function flush() { if (keep) printf "---\n%s", doc; doc = ""; keep = 0 }
    /^---/ { flush(); next }
    { doc = doc $0 "\n" }
    $0 ~ kinds { keep = 1 }
    END { flush() }'
}

# host_ip is this machine's first non-loopback IPv4 address.
host_ip() {
  hostname -I 2>/dev/null | tr ' ' '\n' | grep -m1 -E '^[0-9]+\.' || { log "no non-loopback IPv4 address for the token API"; return 1; }
}

# token_api points the APIService v1alpha1.registry.berth.dev at the registry process: the
# APIService as the chart renders it (unless an installation made it), and a Service without a
# selector whose endpoints are this machine's address (an installation's Service selects the
# registry's Pods, which do not run here: its selector is removed). berth-registry writes the
# APIService's caBundle when it starts. stop_components removes the endpoints again, and what
# token_api made (listed in $DIR/token-api-made), so an installation can make its own.
token_api() {
  rm -f "$DIR/token-api-made"
  if ! kc get apiservice v1alpha1.registry.berth.dev >/dev/null 2>&1; then
    echo apiservice/v1alpha1.registry.berth.dev >>"$DIR/token-api-made"
    chart_objects APIService | kc apply -f - >/dev/null
  fi
  if kc get service berth-registry-api -n "$BERTH_NS" >/dev/null 2>&1; then
    if [ -n "$(kc get service berth-registry-api -n "$BERTH_NS" -o jsonpath='{.spec.selector}')" ]; then
      kc patch service berth-registry-api -n "$BERTH_NS" --type=json -p '[{"op":"remove","path":"/spec/selector"}]' >/dev/null
    fi
  else
    echo service/berth-registry-api >>"$DIR/token-api-made"
    kc apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Service
metadata: {name: berth-registry-api, namespace: $BERTH_NS}
spec:
  ports: [{name: https, port: 443, targetPort: $TOKEN_API_PORT}]
YAML
  fi
  kc apply -f - >/dev/null 2>&1 <<YAML
apiVersion: v1
kind: Endpoints
metadata: {name: berth-registry-api, namespace: $BERTH_NS}
subsets:
- addresses: [{ip: $(host_ip)}]
  ports: [{name: https, port: $TOKEN_API_PORT}]
YAML
  local port
  port=$(kc get service berth-registry-api -n "$BERTH_NS" -o jsonpath='{.spec.ports[0].name}')
  [ "$port" = https ] || { log "Service $BERTH_NS/berth-registry-api has port $port, want https"; return 1; }
}

# kubeconfig_as writes a copy of the sandbox's kubeconfig whose user impersonates a
# ServiceAccount of $BERTH_NS: the admin certificate only authenticates the request, RBAC
# sees the ServiceAccount.
kubeconfig_as() {
  local sa=$1 file=$2 user
  kc config view --raw --minify --flatten >"$file"
  user=$(kubectl --kubeconfig "$file" config view -o jsonpath='{.users[0].name}')
  kubectl --kubeconfig "$file" config set "users.$user.act-as" "system:serviceaccount:$BERTH_NS:$sa" >/dev/null
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_http waits up to 60s for url to answer 2xx while pid lives.
wait_http() {
  local url=$1 name=$2 logfile=$3 pid=$4 i
  for i in $(seq 1 120); do
    curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      log "$name exited; the end of $logfile:"
      tail -n 20 "$logfile" >&2
      return 1
    fi
    sleep 0.5
  done
  log "$name did not answer $url within 60s; see $logfile"
  return 1
}

# start_components starts berth-registry and berth-controller against the sandbox, as the
# chart's ServiceAccounts (rbac, helm install or kubectl apply -k config/default must have
# created them), waits until both answer their health checks and writes $DIR/env.
start_components() {
  local p b
  for b in manager registry; do
    [ -x "$COMPONENTS_BIN/$b" ] || { log "$COMPONENTS_BIN/$b is missing: run make build"; return 1; }
  done
  for p in $(seq "$PORT_BASE" "$TOKEN_API_PORT"); do
    if port_busy "$p"; then
      log "127.0.0.1:$p is in use (another sandbox?): set BERTH_SANDBOX_PORTS to another base port"
      return 1
    fi
  done
  kubeconfig_as "$CONTROLLER_SA" "$DIR/controller.kubeconfig"
  kubeconfig_as "$REGISTRY_SA" "$DIR/registry.kubeconfig"
  rm -rf "$DIR/registry-data"
  mkdir -p "$DIR/registry-data"
  local storage=(--storage-driver=filesystem --storage-root="$DIR/registry-data") storage_env=()
  if [ "${BERTH_STORAGE:-}" = s3 ]; then
    hack/seaweedfs.sh stop "$DIR/seaweedfs"
    rm -rf "$DIR/seaweedfs"
    local S3_ENDPOINT S3_BUCKET S3_REGION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY FILER_URL
    eval "$(hack/seaweedfs.sh start "$DIR/seaweedfs")"
    storage_env=(AWS_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" AWS_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY")
    storage=(--storage-driver=s3 --storage-root=/berth --storage-s3-bucket="$S3_BUCKET" --storage-s3-region="$S3_REGION"
      --storage-s3-endpoint="$S3_ENDPOINT" --storage-s3-force-path-style)
    log "registry storage: bucket $S3_BUCKET at $S3_ENDPOINT (SeaweedFS; filer $FILER_URL)"
  fi

  token_api
  log "starting berth-registry at http://$REGISTRY_HOST as $BERTH_NS/$REGISTRY_SA (log: $DIR/registry.log)"
  env POD_NAMESPACE="$BERTH_NS" "${storage_env[@]}" "$COMPONENTS_BIN/registry" --kubeconfig="$DIR/registry.kubeconfig" \
    --listen-address="$REGISTRY_HOST" --metrics-bind-address="127.0.0.1:$((PORT_BASE + 1))" \
    "${storage[@]}" --audiences=berth-registry \
    --notification-url="http://127.0.0.1:$EVENTS_PORT/registry/events" --drain-timeout=5s \
    --token-api-address="$(host_ip):$TOKEN_API_PORT" \
    >"$DIR/registry.log" 2>&1 &
  local registry_pid=$!
  echo "$registry_pid" >>"$DIR/pids"

  log "starting berth-controller as $BERTH_NS/$CONTROLLER_SA (log: $DIR/manager.log)"
  POD_NAMESPACE=$BERTH_NS KUBECONFIG=$DIR/controller.kubeconfig "$COMPONENTS_BIN/manager" \
    --leader-elect --leader-election-namespace="$BERTH_NS" \
    --metrics-bind-address="127.0.0.1:$((PORT_BASE + 2))" --health-probe-bind-address="127.0.0.1:$PROBES_PORT" \
    --registry-url="http://$REGISTRY_HOST" --registry-host="$REGISTRY_HOST" \
    --registry-events-bind-address="127.0.0.1:$EVENTS_PORT" \
    --registry-service-account="$BERTH_NS/$CONTROLLER_SA" --registry-token-audience=berth-registry \
    ${BERTH_MANAGER_ARGS:-} >"$DIR/manager.log" 2>&1 &
  local manager_pid=$!
  echo "$manager_pid" >>"$DIR/pids"

  wait_http "http://$REGISTRY_HOST/readyz" berth-registry "$DIR/registry.log" "$registry_pid"
  wait_http "http://127.0.0.1:$PROBES_PORT/readyz" berth-controller "$DIR/manager.log" "$manager_pid"
  cat >"$DIR/env" <<ENV
export KUBECONFIG=$KUBECONFIG_PATH
export BERTH_REGISTRY=$REGISTRY_HOST
export PATH=$BIN:$(cd "$COMPONENTS_BIN" && pwd):\$PATH
ENV
}

# stop_components stops what start_components (and up's log follower) started: SIGTERM,
# then SIGKILL for anything still there after 10s.
stop_components() {
  hack/seaweedfs.sh stop "$DIR/seaweedfs"
  [ -f "$DIR/pids" ] || return 0
  kc delete endpoints berth-registry-api -n "$BERTH_NS" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  if [ -f "$DIR/token-api-made" ]; then
    # shellcheck disable=SC2046 # one object per line
    kc delete -n "$BERTH_NS" --ignore-not-found --wait=false $(cat "$DIR/token-api-made") >/dev/null 2>&1 || true
    rm -f "$DIR/token-api-made"
  fi
  local pid pids alive i
  pids=$(cat "$DIR/pids")
  rm -f "$DIR/pids"
  for pid in $pids; do kill "$pid" 2>/dev/null || true; done
  for i in $(seq 1 40); do
    alive=""
    for pid in $pids; do
      if kill -0 "$pid" 2>/dev/null; then alive+=" $pid"; fi
    done
    [ -n "$alive" ] || return 0
    sleep 0.25
  done
  log "killing what did not stop in 10s:$alive"
  for pid in $alive; do kill -9 "$pid" 2>/dev/null || true; done
}

# down removes the sandbox. When another process runs it in the foreground (`make run`),
# that process is asked to stop first, so it exits instead of reporting a crash.
down() {
  local owner i
  owner=$(cat "$DIR/owner" 2>/dev/null || true)
  if [ -n "$owner" ] && [ "$owner" != "$$" ]; then
    if kill -0 "$owner" 2>/dev/null && ps -o args= -p "$owner" 2>/dev/null | grep -q 'sandbox\.sh'; then
      log "stopping the sandbox that process $owner runs"
      kill -TERM "$owner" 2>/dev/null || true
      for i in $(seq 1 120); do
        kill -0 "$owner" 2>/dev/null || break
        sleep 0.25
      done
    fi
    rm -f "$DIR/owner"
  fi
  stop_components
  if [ -d "$DIR/node" ]; then
    BERTH_NODE_DIR=$DIR/node KUBECONFIG=$KUBECONFIG_PATH hack/node.sh down || true
    rm -rf "$DIR/node"
  fi
  kwokctl delete cluster --name "$NAME" >/dev/null 2>&1 || true
  rm -rf "$DIR/ready" "$DIR/env" "$KUBECONFIG_PATH" "$DIR/registry-data" "$DIR/controller.kubeconfig" "$DIR/registry.kubeconfig"
}

cluster() {
  mkdir -p "$DIR"
  down
  log "creating cluster $NAME (kube-apiserver, controller-manager, scheduler $KWOK_KUBE_VERSION; kwok)"
  sed "s|KWOK_PKI_DIR|$KWOK_WORKDIR/clusters/$NAME/pki|" hack/kwok/cluster.yaml >"$DIR/kwok-cluster.yaml"
  if [ -n "$SCHEDULER_QPS" ]; then
    # kwokctl reads one KwokctlConfiguration: the scheduler's patch goes into this one.
    sed -i "/^componentsPatches:/a - name: kube-scheduler\n  extraArgs:\n  - {key: kube-api-qps, value: \"$SCHEDULER_QPS\"}\n  - {key: kube-api-burst, value: \"$((2 * SCHEDULER_QPS))\"}" "$DIR/kwok-cluster.yaml"
  fi
  kwokctl create cluster --name "$NAME" --runtime binary \
    --kube-apiserver-binary "$BIN/kube-apiserver" \
    --kube-controller-manager-binary "$BIN/kube-controller-manager" \
    --kube-scheduler-binary "$BIN/kube-scheduler" \
    --kwok-controller-binary "$BIN/kwok" \
    --etcd-binary "$BIN/etcd" \
    ${AUDIT_POLICY:+"--kube-audit-policy=$AUDIT_POLICY"} \
    --config hack/kwok/stages.yaml --config "$DIR/kwok-cluster.yaml" \
    ${EXTRA_KWOK_CONFIG:+--config "$EXTRA_KWOK_CONFIG"} \
    --kubeconfig "$KUBECONFIG_PATH" \
    --wait 2m >"$DIR/kwokctl.log" 2>&1 || { cat "$DIR/kwokctl.log" >&2; exit 1; }
  nodes
  # BERTH_SANDBOX_CRDS=false: no CRDs (the e2e test of a helm install that installs them).
  if [ "${BERTH_SANDBOX_CRDS:-true}" = true ]; then
    log "installing CRDs"
    kc apply --server-side -k config/crd >/dev/null
    kc wait --for=condition=Established crd --all --timeout=60s >/dev/null 2>&1
  fi
}

# wait_samples waits until the sample Service is Ready with its 6 tasks RUNNING, spread
# evenly over the zones, and the sample Repository is Ready.
wait_samples() {
  log "waiting for the sample Service team-a/web: Ready, 6 tasks RUNNING over three zones"
  kc wait --for=condition=Ready ecssvc/web -n team-a --timeout=180s >/dev/null
  kc wait --for=condition=Ready ecrrepo/web-app -n team-a --timeout=60s >/dev/null
  local i running spread zones
  for i in $(seq 1 60); do
    running=$(kc get ecssvc web -n team-a -o jsonpath='{.status.runningCount}')
    zones=$(kc get nodes -o jsonpath='{range .items[*]}{.metadata.name} {.metadata.labels.topology\.kubernetes\.io/zone}{"\n"}{end}')
    spread=$(kc get pods -n team-a -l ecs.berth.dev/service=web --field-selector=status.phase=Running \
      -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' |
      awk -v zones="$zones" 'BEGIN { n = split(zones, l, "\n"); for (i = 1; i <= n; i++) { split(l[i], f, " "); zone[f[1]] = f[2] } }
        NF { count[zone[$1]]++ } END { for (z in count) printf "%s=%d ", z, count[z] }' | tr ' ' '\n' | sort | xargs)
    if [ "${running:-0}" = 6 ] && [ "$spread" = "zone-a=2 zone-b=2 zone-c=2" ]; then
      log "sample Service web: 6 tasks RUNNING, $spread"
      return 0
    fi
    sleep 1
  done
  log "sample Service web: runningCount ${running:-0}, Running task Pods per zone: ${spread:-none} (want 6, 2 per zone)"
  return 1
}

# image writes a tiny OCI image layout (one layer with one text file, tag v1) to $1
# (default $DIR/image), for pushing with skopeo on machines without docker or a network.
image() {
  local out=${1:-$DIR/image} tmp layer diff config manifest
  tmp=$(mktemp -d)
  rm -rf "$out"
  mkdir -p "$out/blobs/sha256" "$tmp/rootfs"
  echo "hello from the Berth sandbox" >"$tmp/rootfs/hello.txt"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$tmp/layer.tar" -C "$tmp/rootfs" hello.txt
  diff=$(sha256sum "$tmp/layer.tar" | cut -d' ' -f1)
  gzip -n -c "$tmp/layer.tar" >"$tmp/layer.tar.gz"
  layer=$(sha256sum "$tmp/layer.tar.gz" | cut -d' ' -f1)
  cp "$tmp/layer.tar.gz" "$out/blobs/sha256/$layer"
  printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["cat","/hello.txt"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$diff" >"$tmp/config.json"
  config=$(sha256sum "$tmp/config.json" | cut -d' ' -f1)
  cp "$tmp/config.json" "$out/blobs/sha256/$config"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%d}]}' \
    "$config" "$(stat -c %s "$tmp/config.json")" "$layer" "$(stat -c %s "$tmp/layer.tar.gz")" >"$tmp/manifest.json"
  manifest=$(sha256sum "$tmp/manifest.json" | cut -d' ' -f1)
  cp "$tmp/manifest.json" "$out/blobs/sha256/$manifest"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%d,"annotations":{"org.opencontainers.image.ref.name":"v1"}}]}' \
    "$manifest" "$(stat -c %s "$tmp/manifest.json")" >"$out/index.json"
  echo '{"imageLayoutVersion":"1.0.0"}' >"$out/oci-layout"
  rm -rf "$tmp"
  log "OCI image layout $out (tag v1, manifest sha256:$manifest)"
}

# finish is the EXIT trap of `up`: Ctrl-C, `make stop`, a failed step or a component that
# exits all end here, and the sandbox is removed, unless another `up` has taken it over.
finish() {
  local code=$?
  trap - EXIT INT TERM
  if [ "$(cat "$DIR/owner" 2>/dev/null || true)" = "$$" ]; then
    [ "$code" = 0 ] || log "make run failed; the components' logs are in $DIR"
    down
    rm -f "$DIR/owner"
    log "sandbox removed"
  fi
  exit "$code"
}

up() {
  mkdir -p "$DIR"
  # Take the sandbox over: down stops a previous `up` of the same directory, and that one's
  # clean-up, should it come late, leaves this one alone.
  local previous
  previous=$(cat "$DIR/owner" 2>/dev/null || true)
  if [ -n "$previous" ] && [ "$previous" != "$$" ]; then down; fi
  echo "$$" >"$DIR/owner"
  trap finish EXIT
  trap 'exit 0' INT TERM
  cluster
  if [ "${BERTH_REAL_NODE:-0}" = 1 ]; then
    BERTH_NODE_DIR=$DIR/node KUBECONFIG=$KUBECONFIG_PATH \
      BERTH_NODE_TAINT=${BERTH_NODE_TAINT-berth.dev/real-node=true:NoSchedule} hack/node.sh up
  fi
  rbac
  start_components
  log "checking the samples with a server-side dry run, then applying them"
  kc apply -f config/samples/namespace.yaml >/dev/null
  kc apply --dry-run=server -k config/samples >/dev/null
  kc apply -k config/samples >&2
  wait_samples
  touch "$DIR/ready"
  local rel=$DIR
  case "$DIR" in "$PWD"/*) rel=${DIR#"$PWD"/} ;; esac
  cat >&2 <<MSG

The sandbox is up: a kube-apiserver, scheduler and controller-manager with $(kc get nodes --no-headers | wc -l) kwok nodes in three zones,
Berth's CRDs and RBAC (namespace $BERTH_NS), berth-controller and berth-registry running here as
the chart's ServiceAccounts, and the samples in namespace team-a (Service web: 6 tasks, 2 per zone).

  source $rel/env               # or: export KUBECONFIG=$KUBECONFIG_PATH BERTH_REGISTRY=$REGISTRY_HOST
  kubectl get nodes -L topology.kubernetes.io/zone
  kubectl get berth -n team-a    # every Berth kind (category berth)
  kubectl get ecssvc,taskdef,ecrrepo,repopolicy -n team-a
  kubectl get pods -n team-a -o wide
  kubectl explain taskdefinition.spec.containerDefinitions

Push an image to the sample repository team-a/web-app as yourself (the sandbox's admin): login
configures docker-credential-berth (bin/), which gets registry tokens through your kubeconfig:

  kubectl berth login \$BERTH_REGISTRY -n team-a
  hack/sandbox.sh image $rel/image   # a tiny OCI image (or push any image of yours)
  skopeo copy --dest-tls-verify=false oci:$rel/image:v1 docker://\$BERTH_REGISTRY/team-a/web-app:v1
  kubectl get ecrrepo web-app -n team-a    # Images: 1

or as the sample ServiceAccount team-a/builder (bound to berth-registry-poweruser), whose
password is a Kubernetes token:

  TOKEN=\$(kubectl create token builder -n team-a --audience berth-registry)
  skopeo copy --dest-tls-verify=false --dest-creds "berth:\$TOKEN" oci:$rel/image:v1 docker://\$BERTH_REGISTRY/team-a/web-app:v2
  # with docker: echo "\$TOKEN" | docker login \$BERTH_REGISTRY -u berth --password-stdin

berth-controller and berth-registry run in the foreground (their logs follow); Ctrl-C stops
them and removes the sandbox. From another terminal, \`make stop\` does the same.
MSG
  local manager_pid registry_pid
  registry_pid=$(sed -n 1p "$DIR/pids")
  manager_pid=$(sed -n 2p "$DIR/pids")
  tail -n +1 -f "$DIR/registry.log" "$DIR/manager.log" &
  echo $! >>"$DIR/pids"
  # Stay in the foreground while both components run.
  while kill -0 "$manager_pid" 2>/dev/null && kill -0 "$registry_pid" 2>/dev/null; do sleep 1; done
  log "a component exited; see $DIR/manager.log and $DIR/registry.log"
  exit 1
}

case "${1:-up}" in
  up) up ;;
  cluster) cluster ;;
  components) start_components ;;
  stop-components) stop_components ;;
  rbac) rbac ;;
  image) image "${2:-}" ;;
  down) down; log "sandbox removed" ;;
  nodes) nodes ;;
  *) echo "usage: $0 up|down|nodes|cluster|rbac|components|stop-components|image [dir]" >&2; exit 2 ;;
esac
