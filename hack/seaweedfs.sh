#!/usr/bin/env bash
# Runs SeaweedFS on loopback as the registry's S3-compatible object store: a master, a volume
# server, a filer and the S3 gateway, four processes as a small cluster runs them, with their
# data and logs under DIR. The S3 gateway checks signatures against one identity (its keys are
# printed); the bucket is created through the S3 API with that identity.
#
#   hack/seaweedfs.sh start DIR [BUCKET]   start (BUCKET: registry) and print, one per line:
#                                          S3_ENDPOINT, S3_BUCKET, S3_REGION, AWS_ACCESS_KEY_ID,
#                                          AWS_SECRET_ACCESS_KEY, FILER_URL
#   hack/seaweedfs.sh stop DIR             stop the processes started in DIR
#
# The binary comes from hack/build-seaweedfs.sh (cached by version).
set -euo pipefail
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR [BUCKET]" >&2; exit 2; }
log() { printf '[seaweedfs] %s\n' "$*" >&2; }

stop() {
  [ -f "$dir/pids" ] || return 0
  # The S3 gateway and filer first, the master last.
  for pid in $(tac "$dir/pids"); do kill "$pid" 2>/dev/null || true; done
  for pid in $(cat "$dir/pids"); do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -f "$dir/pids"
}

# free_port prints a loopback port that is free, with port+10000 (its gRPC port) free too,
# both below the kernel's ephemeral range, so no outgoing connection takes one of them between
# this check and the bind.
free_port() {
  local p low hi
  low=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  hi=$(( low - 10001 ))
  [ "$hi" -gt 12000 ] || hi=22000
  for _ in $(seq 200); do
    p=$(( 10000 + RANDOM % (hi - 10000) ))
    if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && ! (exec 3<>/dev/tcp/127.0.0.1/$((p + 10000))) 2>/dev/null \
       && ! grep -qx "$p" "$dir/ports" 2>/dev/null; then
      echo "$p" >>"$dir/ports"
      echo "$p"
      return
    fi
  done
  log "no free port"; return 1
}

# wait_http waits until url answers (any HTTP status).
wait_http() {
  for _ in $(seq 300); do
    if curl -s -o /dev/null "$1"; then return 0; fi
    sleep 0.1
  done
  log "$2 did not answer at $1 within 30s; logs in $dir"; return 1
}

start() {
  local bucket=${3:-registry} weed
  weed=$("$(dirname "$0")/build-seaweedfs.sh")
  rm -rf "$dir"/{master,volume,filer}
  mkdir -p "$dir"/{master,volume,filer}
  rm -f "$dir/ports"
  local master volume filer s3
  master=$(free_port); volume=$(free_port); filer=$(free_port); s3=$(free_port)
  local key=berth-test secret
  secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  cat >"$dir/s3.json" <<JSON
{"identities": [{"name": "berth", "credentials": [{"accessKey": "$key", "secretKey": "$secret"}],
  "actions": ["Admin", "Read", "List", "Tagging", "Write"]}]}
JSON
  : >"$dir/pids"
  # -logtostderr: glog would also write files under $TMPDIR that outlive the folder; stderr
  # goes to $dir/<process>.log.
  "$weed" -logtostderr master -ip=127.0.0.1 -ip.bind=127.0.0.1 -port="$master" -mdir="$dir/master" \
    -volumeSizeLimitMB=256 >"$dir/master.log" 2>&1 &
  echo $! >>"$dir/pids"
  wait_http "http://127.0.0.1:$master/cluster/status" master || return 1
  "$weed" -logtostderr volume -ip=127.0.0.1 -ip.bind=127.0.0.1 -port="$volume" -dir="$dir/volume" -max=100 \
    -master="127.0.0.1:$master" >"$dir/volume.log" 2>&1 &
  echo $! >>"$dir/pids"
  wait_http "http://127.0.0.1:$volume/status" "volume server" || return 1
  # Writes fail until the volume server's heartbeat reached the elected master: wait until the
  # master assigns a file id.
  local assigned=""
  for _ in $(seq 300); do
    if curl -s "http://127.0.0.1:$master/dir/assign" | grep -q '"fid"'; then assigned=1; break; fi
    sleep 0.1
  done
  [ -n "$assigned" ] || { log "the master assigns no file id within 30s; logs in $dir"; return 1; }
  "$weed" -logtostderr filer -ip=127.0.0.1 -ip.bind=127.0.0.1 -port="$filer" -master="127.0.0.1:$master" \
    -defaultStoreDir="$dir/filer" >"$dir/filer.log" 2>&1 &
  echo $! >>"$dir/pids"
  wait_http "http://127.0.0.1:$filer/" filer || return 1
  "$weed" -logtostderr s3 -ip.bind=127.0.0.1 -port="$s3" -port.grpc="$((s3 + 10000))" -port.iceberg=0 -port.lance=0 \
    -filer="127.0.0.1:$filer" -config="$dir/s3.json" >"$dir/s3.log" 2>&1 &
  echo $! >>"$dir/pids"
  wait_http "http://127.0.0.1:$s3/" "S3 gateway" || return 1
  # CreateBucket, signed with the identity (SigV4): the gateway refuses unsigned requests.
  local code
  for _ in $(seq 50); do
    code=$(curl -s -o "$dir/create-bucket.out" -w '%{http_code}' -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" \
      --user "$key:$secret" "http://127.0.0.1:$s3/$bucket")
    [ "$code" = 200 ] && break
    sleep 0.2
  done
  [ "$code" = 200 ] || { log "creating bucket $bucket: HTTP $code: $(cat "$dir/create-bucket.out")"; return 1; }
  log "SeaweedFS up in $dir: master :$master, volume :$volume, filer :$filer, S3 :$s3, bucket $bucket"
  printf 'S3_ENDPOINT=http://127.0.0.1:%s\nS3_BUCKET=%s\nS3_REGION=us-east-1\nAWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\nFILER_URL=http://127.0.0.1:%s\n' \
    "$s3" "$bucket" "$key" "$secret" "$filer"
}

case $cmd in
  start)
    # A port taken between the check and the bind fails a process: start again, other ports.
    for attempt in 1 2 3; do
      if start "$@"; then exit 0; fi
      stop
      log "attempt $attempt failed"
    done
    exit 1 ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop DIR [BUCKET]" >&2; exit 2 ;;
esac
