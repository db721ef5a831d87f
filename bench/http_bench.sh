#!/usr/bin/env bash
# http_bench.sh BUILD_DIR: online lookups over HTTP (issue 4). `strata serve`, in JSON
# and in protobuf (api/online.proto), and Redis (Debian's redis-server, one hash per
# entity, one field per feature, pipelined HMGET through hiredis) side by side, on
# online_bench's workload: 1M entities, one feature view of 50 doubles, batches of 1
# and of 100 random entities, closed loop over keep-alive connections
# (bench/http_load.cc), with 1 connection (latency without queueing behind the
# benchmark's own requests) and with 4 (throughput). Each configuration runs in
# HTTP_ROUNDS rounds (default 3), the targets alternating, and is reported by its
# run of median p99: on a shared virtual machine one 10 s run can fall in a slow
# spell. The load generator runs on the same machine as the server and shares its
# CPUs; HTTP_PIN=1 puts the server on CPU 0 and the load generator on the others
# instead (slower here: every request then crosses CPUs).
#
# Environment: BENCH_SCRATCH (default bench/out/online) holds the store (built by
# online_bench --build-only when missing); HTTP_SECONDS (default 10) per run;
# HTTP_ROUNDS (default 3); HTTP_CONNECTIONS (default "1 4"); HTTP_PIN (default 0);
# STRATA_PORT, REDIS_PORT (default 18437, 18438).
#
# HTTP_REDIS_BACKEND=1 adds a fourth target, strata-redis (issue 18): `strata serve`
# of a backup of the same store whose online table is a second redis-server
# (`--online-store redis://...`, filled with `strata online sync`), without the
# online cache (--online-cache-mb 0), so that every lookup reads Redis: what the Redis
# backend itself costs. Its ports: STRATA_REDIS_PORT, REDIS_BACKEND_PORT (default
# 18439, 18440).
#
# HTTP_REPLICAS=1 (with HTTP_REDIS_BACKEND=1) then starts 4 online-only replicas of
# strata-redis (`strata serve --online-only --primary ...`, ports REPLICA_PORT to +3,
# default 18450) and runs one load generator (8 connections, spread over the replicas) against
# 1, 2 and 4 of them, batch 1 and 100, reporting rows/s and the machine's CPU use.
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"
STRATA=$BUILD/tools/strata
LOAD=$BUILD/bench/http_load
SCRATCH=${BENCH_SCRATCH:-$BENCH/out/online}
SECONDS_PER_RUN=${HTTP_SECONDS:-10}
ROUNDS=${HTTP_ROUNDS:-3}
CONNECTIONS=${HTTP_CONNECTIONS:-1 4}
PIN=${HTTP_PIN:-0}
STRATA_PORT=${STRATA_PORT:-18437}
REDIS_PORT=${REDIS_PORT:-18438}
ENTITIES=1000000

for bin in "$STRATA" "$LOAD" "$BUILD/bench/online_bench"; do
  [ -x "$bin" ] || { echo "missing $bin: build first (make build BUILD=$1)" >&2; exit 1; }
done
command -v redis-server > /dev/null ||
  { echo "redis-server is not installed (scripts/install-deps.sh)" >&2; exit 1; }

SERVER_CPUS="" LOAD_CPUS="" PINNING="none: the server and the load generator share every CPU"
if [ "$PIN" = 1 ] && [ "$(nproc)" -ge 2 ]; then
  SERVER_CPUS="taskset -c 0" LOAD_CPUS="taskset -c 1-$(($(nproc) - 1))"
  PINNING="the server (strata or redis) on CPU 0, the load generator on CPUs 1-$(($(nproc) - 1)) (taskset)"
fi

bash "$BENCH/machine.sh" "$SCRATCH"
echo
mkdir -p "$SCRATCH"
"$BUILD/bench/online_bench" --dir "$SCRATCH" --entities "$ENTITIES" --build-only

SERVER_PID="" REDIS_PID="" SERVER2_PID="" REDIS2_PID="" REPLICA_PIDS=()
cleanup() {
  for pid in "${REPLICA_PIDS[@]}"; do kill -INT "$pid" 2> /dev/null && wait "$pid" 2> /dev/null; done
  [ -n "$SERVER_PID" ] && kill -INT "$SERVER_PID" 2> /dev/null && wait "$SERVER_PID" 2> /dev/null
  [ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2> /dev/null && wait "$REDIS_PID" 2> /dev/null
  [ -n "$SERVER2_PID" ] && kill -INT "$SERVER2_PID" 2> /dev/null && wait "$SERVER2_PID" 2> /dev/null
  [ -n "$REDIS2_PID" ] && kill "$REDIS2_PID" 2> /dev/null && wait "$REDIS2_PID" 2> /dev/null
  true
}
trap cleanup EXIT

wait_for() {  # wait_for COMMAND...: retries for 30 s
  for _ in $(seq 300); do "$@" > /dev/null 2>&1 && return 0; sleep 0.1; done
  echo "gave up waiting for: $*" >&2
  exit 1
}

# busy_ticks: CPU ticks spent on anything but idle and iowait, and all ticks, so far.
busy_ticks() { awk 'NR == 1 {t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t}' /proc/stat; }
# proc_ticks PID: the process's CPU ticks (user and system, all threads) so far.
proc_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

echo "WORKLOAD"
echo "  $ENTITIES entities, 1 feature view x 50 double features; random entities per request"
echo "  keep-alive connections: ${CONNECTIONS// /, } (a run each); closed loop, $SECONDS_PER_RUN s per run,"
echo "    $ROUNDS rounds alternating strata JSON, strata protobuf and Redis"
echo "  CPUs: $PINNING"
echo "  strata: strata serve --online-cache-mb 2048, cache warmed with every entity once;"
echo "    JSON (Feast's request and response) and protobuf (api/online.proto) both ways"
echo "  redis: redis-server (no persistence), HSET user:ID f0..f49, pipelined HMGET"
echo "  http_load: one send per request; checks each answer's status and size, and one"
echo "    in 16 in full (every value PRESENT) off the clock"
echo

# run_one PID ARGS...: one timed run of http_load against the server PID. Keeps its
# line with the CPU used during the run by the server and by other work (neither the
# server nor the load generator), in percent of one CPU, appended.
RUNS=()
run_one() {
  local pid=$1 line b0 t0 b1 t1 s0 s1 server other
  shift
  read -r b0 t0 <<< "$(busy_ticks)"
  s0=$(proc_ticks "$pid")
  line=$($LOAD_CPUS "$LOAD" --entities "$ENTITIES" --seconds "$SECONDS_PER_RUN" "$@")
  read -r b1 t1 <<< "$(busy_ticks)"
  s1=$(proc_ticks "$pid")
  server=$(awk -v s=$((s1 - s0)) -v t=$((t1 - t0)) -v n="$(nproc)" \
    'BEGIN {printf "%d", 100 * n * s / t}')
  other=$(awk -v b=$((b1 - b0)) -v s=$((s1 - s0)) -v t=$((t1 - t0)) -v n="$(nproc)" \
    -v c="$(awk '{print $9}' <<< "$line")" 'BEGIN {o = 100 * n * (b - s) / t - c; printf "%d", o < 0 ? 0 : o}')
  [ -n "${LABEL:-}" ] && line="$LABEL ${line#* }"
  RUNS+=("$line $server $other")
}

REDIS_BACKEND=${HTTP_REDIS_BACKEND:-0}
STRATA_REDIS_PORT=${STRATA_REDIS_PORT:-18439}
REDIS_BACKEND_PORT=${REDIS_BACKEND_PORT:-18440}
if [ "$REDIS_BACKEND" = 1 ]; then
  # Before the first server holds the store: a backup of it (hard links) to point at
  # the second Redis.
  rm -rf "$SCRATCH/store-redis"
  "$STRATA" --store "$SCRATCH/store" backup "$SCRATCH/store-redis" > /dev/null
  $SERVER_CPUS redis-server --port "$REDIS_BACKEND_PORT" --save "" --appendonly no \
    --daemonize no --loglevel warning > "$SCRATCH/redis-backend.log" 2>&1 &
  REDIS2_PID=$!
  wait_for redis-cli -p "$REDIS_BACKEND_PORT" ping
  $SERVER_CPUS "$STRATA" --store "$SCRATCH/store-redis" serve -q \
    --listen "127.0.0.1:$STRATA_REDIS_PORT" --online-cache-mb 0 \
    --online-store "redis://127.0.0.1:$REDIS_BACKEND_PORT" &
  SERVER2_PID=$!
  wait_for curl -sf "http://127.0.0.1:$STRATA_REDIS_PORT/healthz"
  SYNC_START=$(date +%s.%N)
  "$STRATA" --server "http://127.0.0.1:$STRATA_REDIS_PORT" online sync > "$SCRATCH/sync.log"
  echo "  strata-redis: $(tail -1 "$SCRATCH/sync.log") in $(awk -v s="$SYNC_START" \
    -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}') s; Redis holds \
$(redis-cli -p "$REDIS_BACKEND_PORT" info memory | awk -F: '/^used_memory_human/ {print $2}' | tr -d '\r')"
fi

# Both servers run throughout, idle when not measured, so that the rounds can
# alternate between them: a slow spell of the machine then touches every target.
$SERVER_CPUS "$STRATA" --store "$SCRATCH/store" serve --listen "127.0.0.1:$STRATA_PORT" -q \
  --online-cache-mb 2048 &
SERVER_PID=$!
$SERVER_CPUS redis-server --port "$REDIS_PORT" --save "" --appendonly no --daemonize no \
  --loglevel warning > "$SCRATCH/redis.log" 2>&1 &
REDIS_PID=$!
wait_for curl -sf "http://127.0.0.1:$STRATA_PORT/healthz"
wait_for redis-cli -p "$REDIS_PORT" ping
"$LOAD" --target strata --port "$STRATA_PORT" --entities "$ENTITIES" --warm
"$LOAD" --target redis --port "$REDIS_PORT" --entities "$ENTITIES" --load
REDIS_VERSION=$(redis-server --version | awk '{sub(/^v=/, "", $3); print $3}')
for round in $(seq "$ROUNDS"); do
  echo "  round $round of $ROUNDS" >&2
  for batch in 1 100; do
    for connections in $CONNECTIONS; do
      common=(--batch "$batch" --connections "$connections")
      run_one "$SERVER_PID" --target strata --port "$STRATA_PORT" "${common[@]}"
      run_one "$SERVER_PID" --target strata --port "$STRATA_PORT" "${common[@]}" --protobuf
      if [ "$REDIS_BACKEND" = 1 ]; then
        LABEL=strata-redis run_one "$SERVER2_PID" --target strata --port "$STRATA_REDIS_PORT" \
          "${common[@]}"
      fi
      run_one "$REDIS_PID" --target redis --port "$REDIS_PORT" "${common[@]}"
    done
  done
done

# The run of median p99 of each target, batch and connection count (the lower
# middle one of an even count), with the lowest and highest p99 of its rounds.
RESULTS=()
while IFS= read -r line; do RESULTS+=("$line"); done < <(
  printf '%s\n' "${RUNS[@]}" | sort -k1,1 -k2,2n -k3,3n -k6,6n | awk '
    {key = $1 " " $2 " " $3; n[key]++; runs[key, n[key]] = $0; if (!(key in first)) {first[key] = NR; order[++keys] = key}}
    END {
      for (k = 1; k <= keys; k++) {
        key = order[k]; c = n[key]; split(runs[key, 1], lo); split(runs[key, c], hi)
        print runs[key, int((c + 1) / 2)], lo[6], hi[6]
      }
    }')

echo "RESULTS (latency end to end at the client, microseconds; Redis $REDIS_VERSION)"
echo "  each line: the run of median p99 of $ROUNDS rounds, with the lowest and highest"
echo "  p99 of the rounds; CPU during that run, % of one CPU: the server's, the load"
echo "  generator's, and other work's (anything else on the machine)"
printf '  %-13s %5s %5s %9s %9s %9s %9s %13s %7s %7s %7s %15s\n' target batch conns \
  requests p50 p99 p99.9 entity-rows/s server client other "p99 of rounds"
for line in "${RESULTS[@]}"; do
  read -r target batch conns requests p50 p99 p999 rows cpu server other low high <<< "$line"
  printf '  %-13s %5s %5s %9s %9s %9s %9s %13s %6s%% %6s%% %6s%% %15s\n' "$target" "$batch" \
    "$conns" "$requests" "$p50" "$p99" "$p999" "$rows" "$server" "$cpu" "$other" \
    "$low-$high"
done
echo
# field TARGET BATCH CONNECTIONS N: field N of that configuration's median run.
field() {
  printf '%s\n' "${RESULTS[@]}" |
    awk -v t="$1" -v b="$2" -v c="$3" -v f="$4" '$1 == t && $2 == b && $3 == c {print $f}'
}
verdict() { awk -v v="$1" -v l="$2" 'BEGIN {print (v <= l) ? "PASS" : "FAIL"}'; }
echo "TARGETS"
for connections in $CONNECTIONS; do
  ROWS_R=$(field redis 100 "$connections" 8)
  for target in strata-json strata-proto; do
    P99_1=$(field "$target" 1 "$connections" 6) P99_100=$(field "$target" 100 "$connections" 6)
    ROWS_S=$(field "$target" 100 "$connections" 8)
    RATIO=$(awk -v s="$ROWS_S" -v r="$ROWS_R" 'BEGIN {printf "%.2f", s / r}')
    printf '  %-13s %2s conn  %-42s %s  %s us\n' "$target" "$connections" \
      "p99 at batch 1 <= 150 us" "$(verdict "$P99_1" 150)" "$P99_1"
    printf '  %-13s %2s conn  %-42s %s  %s us\n' "$target" "$connections" \
      "p99 at batch 100 <= 1500 us" "$(verdict "$P99_100" 1500)" "$P99_100"
    printf '  %-13s %2s conn  %-42s %s  %sx\n' "$target" "$connections" \
      "entity-rows/s at batch 100 >= 2x Redis's" \
      "$(awk -v x="$RATIO" 'BEGIN {print (x >= 2) ? "PASS" : "FAIL"}')" "$RATIO"
  done
done

# --- online-only replicas (HTTP_REPLICAS=1) ------------------------------------------
if [ "${HTTP_REPLICAS:-0}" = 1 ]; then
  [ "$REDIS_BACKEND" = 1 ] || { echo "HTTP_REPLICAS=1 needs HTTP_REDIS_BACKEND=1" >&2; exit 1; }
  RPORTS=()
  for i in 1 2 3 4; do
    RPORTS+=($((${REPLICA_PORT:-18450} + i - 1)))
    $SERVER_CPUS "$STRATA" serve --online-only -q --primary "http://127.0.0.1:$STRATA_REDIS_PORT" \
      --listen "127.0.0.1:${RPORTS[-1]}" &
    REPLICA_PIDS+=($!)
  done
  for port in "${RPORTS[@]}"; do wait_for curl -sf "http://127.0.0.1:$port/healthz"; done
  echo
  echo "REPLICAS (online-only, reading the strata-redis Redis; one load generator, 8"
  echo "  connections spread over the replicas; each line the median of $ROUNDS runs by rows/s;"
  echo "  CPU: the whole machine's busy time, % of one CPU, of $(($(nproc) * 100))%)"
  printf '  %-9s %5s %9s %9s %13s %7s %8s\n' replicas batch p50 p99 entity-rows/s client machine
  for batch in 1 100; do
    for n in 1 2 4; do
      args=(--port "${RPORTS[0]}")
      for ((i = 1; i < n; i++)); do args+=(--also-port "${RPORTS[$i]}"); done
      lines=()
      for round in $(seq "$ROUNDS"); do
        read -r b0 t0 <<< "$(busy_ticks)"
        line=$($LOAD_CPUS "$LOAD" --target strata --entities "$ENTITIES" \
          --seconds "$SECONDS_PER_RUN" --batch "$batch" --connections 8 "${args[@]}")
        read -r b1 t1 <<< "$(busy_ticks)"
        lines+=("$line $(awk -v b=$((b1 - b0)) -v t=$((t1 - t0)) -v n="$(nproc)" \
          'BEGIN {printf "%d", 100 * n * b / t}')")
      done
      read -r _ _ _ _ p50 p99 _ rows cpu machine <<< "$(printf '%s\n' "${lines[@]}" |
        sort -k8,8n | awk '{l[NR] = $0} END {print l[int((NR + 1) / 2)]}')"
      printf '  %-9s %5s %9s %9s %13s %6s%% %7s%%\n' "$n" "$batch" "$p50" "$p99" "$rows" \
        "$cpu" "$machine"
    done
  done
fi
