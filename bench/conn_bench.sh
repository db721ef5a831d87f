#!/usr/bin/env bash
# conn_bench.sh BUILD_DIR: idle and slow clients against online lookups (issue 13).
# `strata serve` on http_bench.sh's store (1M entities, 50 double features), the
# cache warmed; one keep-alive connection in a closed loop (bench/http_load.cc) times
# batch-1 online lookups (JSON) and GET /healthz, first with no other client, then
# with CONN_IDLE keep-alive connections that each made one request and stay open
# (a model server's connection pool) and CONN_SLOW clients sending a request head a
# byte every 3 s (reconnecting when cut off). With CONN_BEFORE=PATH (a strata binary
# built from the commit before the change) the same runs against it, the binaries
# alternating; a run whose request goes unanswered for 10 s is reported as such.
# Each configuration runs CONN_ROUNDS times (default 3) and is reported by its run
# of median p99.
#
# Environment: BENCH_SCRATCH (default bench/out/online) holds the store (built by
# online_bench --build-only when missing); CONN_SECONDS (default 10) per run;
# CONN_ROUNDS; CONN_IDLE (default 1000); CONN_SLOW (default 20); CONN_BEFORE;
# STRATA_PORT (default 18439).
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"
AFTER=$BUILD/tools/strata
BEFORE=${CONN_BEFORE:-}
LOAD=$BUILD/bench/http_load
SCRATCH=${BENCH_SCRATCH:-$BENCH/out/online}
SECONDS_PER_RUN=${CONN_SECONDS:-10}
ROUNDS=${CONN_ROUNDS:-3}
IDLE=${CONN_IDLE:-1000}
SLOW=${CONN_SLOW:-20}
PORT=${STRATA_PORT:-18439}
ENTITIES=1000000

for bin in "$AFTER" "$LOAD" "$BUILD/bench/online_bench" ${BEFORE:+"$BEFORE"}; do
  [ -x "$bin" ] || { echo "missing $bin: build first (make build BUILD=$1)" >&2; exit 1; }
done

bash "$BENCH/machine.sh" "$SCRATCH"
echo
mkdir -p "$SCRATCH"
"$BUILD/bench/online_bench" --dir "$SCRATCH" --entities "$ENTITIES" --build-only

SERVER_PID=""
stop_server() {
  [ -z "$SERVER_PID" ] && return 0
  kill -INT "$SERVER_PID" 2> /dev/null || true
  # A server whose threads idle connections hold may not stop in time.
  for _ in $(seq 100); do kill -0 "$SERVER_PID" 2> /dev/null || break; sleep 0.1; done
  kill -KILL "$SERVER_PID" 2> /dev/null || true
  wait "$SERVER_PID" 2> /dev/null || true
  SERVER_PID=""
}
trap stop_server EXIT

# start_server BINARY: serves the store on PORT, its cache warmed.
start_server() {
  # The per-address cap's default (2,000) allows this benchmark's connections.
  "$1" --store "$SCRATCH/store" serve --listen "127.0.0.1:$PORT" -q \
    --online-cache-mb 2048 &
  SERVER_PID=$!
  for _ in $(seq 300); do
    curl -sf "http://127.0.0.1:$PORT/healthz" > /dev/null 2>&1 && break
    sleep 0.1
  done
  "$LOAD" --target strata --port "$PORT" --entities "$ENTITIES" --warm
}

echo "WORKLOAD"
echo "  $ENTITIES entities, 1 feature view x 50 double features; strata serve"
echo "    --online-cache-mb 2048 (default threads: 8 here), cache warmed"
echo "  timed: 1 keep-alive connection, closed loop, $SECONDS_PER_RUN s per run:"
echo "    batch-1 online lookups (JSON), and GET /healthz"
echo "  load: none, or $IDLE idle keep-alive connections (each made one request) and"
echo "    $SLOW clients sending a request head a byte every 3 s, open through the run"
echo "  $ROUNDS rounds; binaries: after ($AFTER)${BEFORE:+, before ($BEFORE), alternating}"
echo

# RUNS: "binary load kind requests p50 p99 p99.9" per run; "-" figures: unanswered.
RUNS=()
run_one() {  # run_one BINARY-LABEL LOAD-LABEL KIND HTTP_LOAD-ARGS...
  local label=$1 load=$2 kind=$3 line
  shift 3
  if line=$("$LOAD" --target strata --port "$PORT" --entities "$ENTITIES" \
    --seconds "$SECONDS_PER_RUN" --batch 1 --connections 1 "$@" 2> "$SCRATCH/conn.err"); then
    read -r _ _ _ requests p50 p99 p999 _ <<< "$line"
    RUNS+=("$label $load $kind $requests $p50 $p99 $p999")
  else
    RUNS+=("$label $load $kind 0 - - -")
  fi
  grep -h "^background" "$SCRATCH/conn.err" | tail -1 | sed "s/^/  $label $load $kind: /" >&2 || true
}

BINARIES=("after $AFTER")
[ -n "$BEFORE" ] && BINARIES+=("before $BEFORE")
for round in $(seq "$ROUNDS"); do
  echo "  round $round of $ROUNDS" >&2
  for entry in "${BINARIES[@]}"; do
    read -r label binary <<< "$entry"
    for load in none idle+slow; do
      start_server "$binary"
      extra=()
      [ "$load" = idle+slow ] && extra=(--idle "$IDLE" --slow "$SLOW")
      run_one "$label" "$load" online "${extra[@]}"
      run_one "$label" "$load" healthz --healthz "${extra[@]}"
      stop_server
    done
  done
done

echo "RESULTS (latency end to end at the client, microseconds; \"-\": no answer within 10 s)"
echo "  each line: the run of median p99 of $ROUNDS rounds (unanswered runs rank last),"
echo "  with how many of the rounds were answered"
printf '  %-7s %-10s %-8s %9s %9s %9s %9s %9s\n' binary load request requests p50 p99 \
  p99.9 answered
printf '%s\n' "${RUNS[@]}" | awk '{p = ($6 == "-") ? 1e18 : $6; print $0, p}' |
  sort -k1,1 -k2,2 -k3,3 -k8,8g | awk -v rounds="$ROUNDS" '
    {key = $1 " " $2 " " $3; n[key]++; runs[key, n[key]] = $0; ok[key] += ($6 != "-")
     if (!(key in seen)) {seen[key] = 1; order[++keys] = key}}
    END {
      for (k = 1; k <= keys; k++) {
        key = order[k]; split(runs[key, int((n[key] + 1) / 2)], f)
        printf "  %-7s %-10s %-8s %9s %9s %9s %9s %6d/%d\n", f[1], f[2], f[3], f[4], f[5], f[6], f[7], ok[key], rounds
      }
    }'
