#!/usr/bin/env bash
# rgw-local.sh start DIR | stop DIR: a single-node Ceph cluster with the RADOS
# Gateway (S3) on loopback, everything under DIR, for tests and benchmarks (issue 18:
# chunks in S3-compatible object storage). Debian 12's Ceph (pacific): ceph-mon,
# ceph-osd, ceph-mgr, radosgw, ceph-common (scripts/install-deps.sh installs them).
#
#   start DIR  makes DIR (which must not hold a running cluster), starts a monitor,
#              a manager, one memstore OSD (RAM, at most RGW_MEMSTORE_MB, default
#              1024) and radosgw, creates an S3 user, and prints three lines:
#                endpoint http://127.0.0.1:PORT
#                access_key KEY
#                secret_key SECRET
#              (also kept in DIR/s3.env as shell assignments). About 5 s.
#   stop DIR   stops what start started (SIGTERM, then SIGKILL after 10 s), only the
#              processes whose command line names DIR/ceph.conf.
#
# Ports: each cluster takes a window of 16 ports above 20000 (outside the ephemeral
# range), chosen under a lock until its monitor has bound: never Ceph's 6789, so that
# a second or leftover cluster cannot capture this one's daemons. Every call and wait
# is bounded by `timeout`; a failure stops what was started and exits non-zero with
# the step that failed and the log to read.
set -euo pipefail

usage() { echo "usage: $0 start|stop|stop-gateway|start-gateway DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
CMD=$1
DIR=$(realpath -m "$2")
CONF=$DIR/ceph.conf
ACCESS_KEY=strata-test-access-key
SECRET_KEY=strata-test-secret-key
MEMSTORE_MB=${RGW_MEMSTORE_MB:-1024}

die() {
  echo "rgw-local.sh: $*" >&2
  exit 1
}

# Our daemons: pids in DIR/run/*.pid whose command line names our ceph.conf.
our_pids() {
  local f pid
  for f in "$DIR"/run/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f" 2> /dev/null || true)
    if [ -z "$pid" ] || [ ! -r "/proc/$pid/cmdline" ]; then continue; fi
    if tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "$CONF"; then echo "$pid"; fi
  done
}

stop_all() {
  local name pid deadline
  # radosgw first, then the OSD (it waits for the monitor's ack), then mgr and mon.
  for name in rgw osd mgr mon; do
    for f in "$DIR/run/"*"$name"*.pid; do
      [ -e "$f" ] || continue
      pid=$(cat "$f" 2> /dev/null || true)
      if [ -z "$pid" ] || [ ! -r "/proc/$pid/cmdline" ]; then continue; fi
      tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "$CONF" || continue
      kill -TERM "$pid" 2> /dev/null || true
      deadline=$((SECONDS + 10))
      while kill -0 "$pid" 2> /dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
      kill -KILL "$pid" 2> /dev/null || true
    done
  done
  for pid in $(our_pids); do kill -KILL "$pid" 2> /dev/null || true; done
}

if [ "$CMD" = stop ]; then
  [ -f "$CONF" ] || exit 0
  stop_all
  exit 0
fi
# stop-gateway / start-gateway: only radosgw, killed hard (a crash, for fault tests)
# and started again on the same port; the cluster and its objects stay.
if [ "$CMD" = stop-gateway ]; then
  for f in "$DIR/run/"*rgw*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f" 2> /dev/null || true)
    if [ -z "$pid" ] || [ ! -r "/proc/$pid/cmdline" ]; then continue; fi
    tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "$CONF" || continue
    kill -KILL "$pid" 2> /dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2> /dev/null || break; sleep 0.05; done
  done
  exit 0
fi
if [ "$CMD" = start-gateway ]; then
  [ -f "$DIR/s3.env" ] || die "no cluster in $DIR (start it first)"
  ENDPOINT=$(sed -n 's/^S3_ENDPOINT=//p' "$DIR/s3.env")
  timeout 30 radosgw --conf "$CONF" -n client.rgw.a >> "$DIR/log/steps.log" 2>&1 ||
    die "radosgw did not start: see $DIR/log/"
  for _ in $(seq 600); do
    if curl -s -o /dev/null "$ENDPOINT/"; then exit 0; fi
    sleep 0.1
  done
  die "radosgw did not answer on $ENDPOINT: see $DIR/log/client.rgw.a.log"
fi
[ "$CMD" = start ] || usage

for bin in ceph-mon ceph-osd ceph-mgr radosgw radosgw-admin ceph monmaptool curl; do
  command -v "$bin" > /dev/null ||
    die "$bin is not installed (Debian: ceph-mon ceph-osd ceph-mgr radosgw ceph-common; scripts/install-deps.sh)"
done
if [ -n "$(our_pids)" ]; then die "a cluster is already running in $DIR (stop it first)"; fi
rm -rf "$DIR"
mkdir -p "$DIR"/{run,log,mon,mgr,osd,rgw,crash}
# shellcheck disable=SC2154  # status is set inside the trap
trap 'status=$?; if [ $status -ne 0 ]; then stop_all; fi; exit $status' EXIT

# A free window of ports: M for the monitor, M+1..M+15 for the daemons, then the
# gateway's. Chosen under a lock, held until the monitor has bound M.
exec 9> /tmp/strata-rgw-ports.lock
flock -w 60 9 || die "could not take the port lock /tmp/strata-rgw-ports.lock"
port_free() { ! (echo > "/dev/tcp/127.0.0.1/$1") 2> /dev/null; }
MON_PORT=""
for _ in $(seq 200); do
  base=$((20000 + (RANDOM % 400) * 20))
  ok=1
  for p in $(seq "$base" $((base + 16))); do port_free "$p" || { ok=0; break; }; done
  if [ $ok = 1 ]; then MON_PORT=$base; break; fi
done
[ -n "$MON_PORT" ] || die "no free window of ports found above 20000"
RGW_PORT=$((MON_PORT + 16))

FSID=$(cat /proc/sys/kernel/random/uuid)
cat > "$CONF" << EOF
[global]
fsid = $FSID
mon host = [v1:127.0.0.1:$MON_PORT]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr2 = false
ms bind port min = $((MON_PORT + 1))
ms bind port max = $((MON_PORT + 15))
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
mon allow pool size one = true
mon allow pool delete = true
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd objectstore = memstore
memstore device bytes = $((MEMSTORE_MB * 1048576))
osd crush update on start = false
osd class update on start = false
paxos propose interval = 0.1
mon warn on pool no redundancy = false
run dir = $DIR/run
pid file = $DIR/run/\$name.pid
admin socket = $DIR/run/\$cluster-\$name.asok
log file = $DIR/log/\$name.log
mon cluster log file = $DIR/log/cluster.log
crash dir = $DIR/crash
keyring = $DIR/keyring
[mon]
mon data = $DIR/mon/\$cluster-\$id
[mgr]
mgr data = $DIR/mgr/\$cluster-\$id
[osd]
osd data = $DIR/osd/\$cluster-\$id
# A gateway killed by stop-gateway leaves its cache watches behind; notifies (a new
# bucket) wait for them to time out: 5 s instead of 30.
osd client watch timeout = 5
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw data = $DIR/rgw
rgw dns name = 127.0.0.1
EOF
export CEPH_CONF=$CONF
T=(timeout 30)
step() {  # step WHAT COMMAND...: runs it, or stops with WHAT and the logs to read
  local what=$1
  shift
  if ! "$@" >> "$DIR/log/steps.log" 2>&1; then
    die "$what failed: see $DIR/log/steps.log and $DIR/log/"
  fi
}
# Retries a CLI call that can lose the 'wrong fsid' race of a fresh client.
retry() {
  local what=$1
  shift
  for _ in $(seq 50); do
    if "${T[@]}" "$@" >> "$DIR/log/steps.log" 2>&1; then return 0; fi
    sleep 0.2
  done
  die "$what failed: see $DIR/log/steps.log"
}

step "monmaptool" "${T[@]}" monmaptool --create --fsid "$FSID" --addv a "[v1:127.0.0.1:$MON_PORT]" \
  "$DIR/monmap"
step "ceph-mon --mkfs" "${T[@]}" ceph-mon --conf "$CONF" --mkfs -i a --monmap "$DIR/monmap"
step "ceph-mon" "${T[@]}" ceph-mon --conf "$CONF" -i a
for _ in $(seq 100); do port_free "$MON_PORT" || break; sleep 0.1; done
port_free "$MON_PORT" && die "ceph-mon did not bind 127.0.0.1:$MON_PORT: see $DIR/log/mon.a.log"
flock -u 9
retry "ceph fsid" bash -c "[ \"\$(ceph --conf '$CONF' fsid)\" = '$FSID' ]"
mkdir -p "$DIR/mgr/ceph-x"
step "ceph-mgr" "${T[@]}" ceph-mgr --conf "$CONF" -i x
OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
retry "ceph osd create" ceph --conf "$CONF" osd create "$OSD_UUID" 0
retry "ceph osd crush add" ceph --conf "$CONF" osd crush add osd.0 1.0 host=localhost root=default
mkdir -p "$DIR/osd/ceph-0"
step "ceph-osd --mkfs" "${T[@]}" ceph-osd --conf "$CONF" -i 0 --mkfs --osd-uuid "$OSD_UUID"
step "ceph-osd" "${T[@]}" ceph-osd --conf "$CONF" -i 0
up=0
for _ in $(seq 300); do
  if "${T[@]}" ceph --conf "$CONF" osd stat 2> /dev/null | grep -q "1 up"; then up=1; break; fi
  sleep 0.1
done
[ $up = 1 ] || die "the OSD did not come up: see $DIR/log/osd.0.log"
step "radosgw" "${T[@]}" radosgw --conf "$CONF" -n client.rgw.a
answered=0
for _ in $(seq 600); do
  if curl -s -o /dev/null "http://127.0.0.1:$RGW_PORT/"; then answered=1; break; fi
  sleep 0.1
done
[ $answered = 1 ] || die "radosgw did not answer on 127.0.0.1:$RGW_PORT: see $DIR/log/client.rgw.a.log"
retry "radosgw-admin user create" radosgw-admin --conf "$CONF" user create --uid=strata-test \
  --display-name="strata tests" --access-key="$ACCESS_KEY" --secret="$SECRET_KEY"

cat > "$DIR/s3.env" << EOF
S3_ENDPOINT=http://127.0.0.1:$RGW_PORT
AWS_ACCESS_KEY_ID=$ACCESS_KEY
AWS_SECRET_ACCESS_KEY=$SECRET_KEY
EOF
echo "endpoint http://127.0.0.1:$RGW_PORT"
echo "access_key $ACCESS_KEY"
echo "secret_key $SECRET_KEY"
