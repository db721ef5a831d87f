#!/usr/bin/env bash
# content_bench.sh BUILD_DIR: puts three versions of a ~136 MB CSV into strata and
# into restic, side by side, and reads them back.
#
# For each system and each of REPS repetitions: a fresh store (or repository), then
# `sync` and a timed put of v1, v2, v3 in turn, and its size on disk after each put.
# Then timed reads of version 1 and 3 into /dev/null, REPS times each, and a full
# verification (strata fsck --deep; restic check --read-data). Every figure
# is the median of the repetitions; stored bytes are those of the last repetition.
# Inputs are in the page cache (just generated or hashed), and so are reads.
#
# With CONTENT_BACKEND=s3, both keep their data in an S3 object store instead: a
# single-node Ceph RGW on loopback (scripts/rgw-local.sh, started here and stopped at
# the end), strata with `init --chunks s3://BUCKET/chunks`, restic with an
# s3:ENDPOINT/BUCKET repository; a fresh bucket for every repetition. Stored bytes
# are then the bucket's objects plus the local directory (strata's metadata).
#
# Environment: BENCH_SCRATCH (default bench/out/content) holds the CSVs, stores and
# repositories; BENCH_REPS (default 3); CONTENT_BACKEND (local or s3; default local).
# Builds nothing: uses BUILD_DIR/tools/strata and BUILD_DIR/bench/gen_versions.
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"
STRATA=$BUILD/tools/strata
GEN=$BUILD/bench/gen_versions
REPS=${BENCH_REPS:-3}
SCRATCH=${BENCH_SCRATCH:-$BENCH/out/content}
for bin in "$STRATA" "$GEN"; do
  [ -x "$bin" ] || { echo "missing $bin: build first (make build BUILD=$1)" >&2; exit 1; }
done
command -v restic > /dev/null || { echo "restic is not installed (scripts/install-deps.sh)" >&2; exit 1; }
mkdir -p "$SCRATCH"
echo "a,b" > "$SCRATCH/tiny.csv"

export RESTIC_PASSWORD=strata-bench
export RESTIC_CACHE_DIR=$SCRATCH/restic-cache
export STRATA_USER=bench

BACKEND=${CONTENT_BACKEND:-local}
case $BACKEND in
  local) ;;
  s3)
    RGW=$BENCH/../scripts/rgw-local.sh RGW_DIR=$SCRATCH/rgw
    bash "$RGW" stop "$RGW_DIR"
    rm -rf "$RGW_DIR"
    # RAM for every repetition's buckets (memstore keeps objects in memory).
    RGW_MEMSTORE_MB=${RGW_MEMSTORE_MB:-8192} bash "$RGW" start "$RGW_DIR" > /dev/null
    trap 'bash "$RGW" stop "$RGW_DIR"' EXIT
    set -a
    # shellcheck source=/dev/null  # written by rgw-local.sh
    . "$RGW_DIR/s3.env"
    set +a
    ;;
  *) echo "CONTENT_BACKEND must be local or s3, not '$BACKEND'" >&2; exit 2 ;;
esac
BUCKETS=0
# new_bucket DIR SYS: a fresh bucket name for the store or repository DIR, kept in
# DIR.bucket.
new_bucket() {
  BUCKETS=$((BUCKETS + 1))
  echo "bench-$2-$BUCKETS" > "$1.bucket"
}
# The bytes of the objects in bucket $1 (one listing page: the benchmark makes far
# fewer than 1,000 objects).
bucket_bytes() {
  curl -sf --aws-sigv4 aws:amz:us-east-1:s3 --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$S3_ENDPOINT/$1?list-type=2&max-keys=1000" |
    grep -o '<Size>[0-9]*</Size>' | tr -dc '0-9\n' | awk '{s += $1} END {print s + 0}'
}
# What DIR's store or repository takes: its directory, plus its bucket.
stored_bytes() {
  local local_bytes=0
  [ -e "$1" ] && local_bytes=$(du -sb "$1" | cut -f1)
  if [ "$BACKEND" = s3 ]; then
    echo $((local_bytes + $(bucket_bytes "$(cat "$1.bucket")")))
  else
    echo "$local_bytes"
  fi
}

bash "$BENCH/machine.sh" "$SCRATCH"
echo

"$GEN" "$SCRATCH" > "$SCRATCH/gen.log"
declare -A SIZE SHA ROWS
for v in 1 2 3; do
  f=$SCRATCH/v$v.csv
  SIZE[$v]=$(stat -c %s "$f")
  ROWS[$v]=$(($(wc -l < "$f") - 1))
  SHA[$v]=$(sha256sum "$f" | cut -d' ' -f1)
done
echo "WORKLOAD"
echo "  CSV id,int,float,word,timestamp from gen_versions (fixed seed), in $SCRATCH"
for v in 1 2 3; do
  printf '  v%s.csv  %9d rows  %10d bytes (%.1f MiB)  sha256 %.16s...\n' \
    "$v" "${ROWS[$v]}" "${SIZE[$v]}" "$(awk -v b="${SIZE[$v]}" 'BEGIN {print b / 1048576}')" \
    "${SHA[$v]}"
done
echo "  v2 = v1 with a 1% block edited, a 0.5% block deleted, 2% rows appended"
echo "  v3 = v2 with 1% rows inserted after row 1000"
echo "  each figure: median of $REPS runs; MB = 10^6 bytes; page cache warm"
echo

# --- measuring ---------------------------------------------------------------------

# timed OUT: runs CMD < IN > OUT; sets ELAPSED (seconds) and PEAK_KB (max RSS).
timed() {
  local t0
  t0=$(date +%s.%N)
  /usr/bin/time -f %M -o "$SCRATCH/rss" "${CMD[@]}" < "$IN" > "$1"
  ELAPSED=$(seconds_since "$t0")
  PEAK_KB=$(tail -1 "$SCRATCH/rss")
}

mbps() { awk -v b="$1" -v s="$2" 'BEGIN {printf "%.0f", b / 1e6 / s}'; }

# Each system provides SYS_init DIR; SYS_put DIR FILE and SYS_get DIR V, which set CMD
# (and IN, its standard input) to the command to time; and SYS_check V REPORT, which
# fails when the put's report (its standard output) is not what it should be.
strata_init() {
  if [ "$BACKEND" = s3 ]; then
    new_bucket "$1" strata
    "$STRATA" --store "$1" init --chunks "s3://$(cat "$1.bucket")/chunks" \
      --s3-endpoint "$S3_ENDPOINT" > /dev/null
  else
    "$STRATA" --store "$1" init > /dev/null
  fi
}
strata_put() { CMD=("$STRATA" --store "$1" put dataset/bench "$2") IN=/dev/null; }
strata_check() {
  local want="dataset/bench@$1 sha256:${SHA[$1]}"
  [ "$(cat "$2")" = "$want" ] || { echo "strata put v$1 printed '$(cat "$2")', want '$want'" >&2; return 1; }
}
strata_get() { CMD=("$STRATA" --store "$1" get "dataset/bench@$2") IN=/dev/null; }
strata_get_tiny() { CMD=("$STRATA" --store "$1" get dataset/bench@4) IN=/dev/null; }
strata_verify() { CMD=("$STRATA" --store "$1" fsck --deep) IN=/dev/null; }

declare -A SNAPSHOT
# The repository of DIR: the directory, or its bucket.
repo() {
  if [ "$BACKEND" = s3 ]; then echo "s3:$S3_ENDPOINT/$(cat "$1.bucket")"; else echo "$1"; fi
}
restic_init() {
  [ "$BACKEND" = s3 ] && new_bucket "$1" restic
  restic -r "$(repo "$1")" init --repository-version 2 -q > /dev/null
}
restic_put() {
  CMD=(restic -r "$(repo "$1")" backup -q --json --stdin --stdin-filename bench.csv) IN=$2
}
restic_check() {
  SNAPSHOT[$1]=$(grep -o '"snapshot_id":"[0-9a-f]*"' "$2" | cut -d'"' -f4)
  grep -q "\"total_bytes_processed\":${SIZE[$1]}," "$2" ||
    { echo "restic backup v$1 did not read ${SIZE[$1]} bytes: $(cat "$2")" >&2; return 1; }
}
restic_get() { CMD=(restic -r "$(repo "$1")" dump "${SNAPSHOT[$2]}" bench.csv) IN=/dev/null; }
restic_get_tiny() { CMD=(restic -r "$(repo "$1")" dump latest bench.csv) IN=/dev/null; }
restic_verify() { CMD=(restic -r "$(repo "$1")" check --read-data -q) IN=/dev/null; }

# R[SYS,what] holds the figures for the table; RUNS[SYS,what] every run's seconds.
declare -A R RUNS
bench_system() {
  local sys=$1 dir=$SCRATCH/$1 rep v what got
  for ((rep = 1; rep <= REPS; rep++)); do
    rm -rf "$dir"
    "${sys}_init" "$dir"
    for v in 1 2 3; do
      sync
      "${sys}_put" "$dir" "$SCRATCH/v$v.csv"
      timed "$SCRATCH/put.out"
      "${sys}_check" "$v" "$SCRATCH/put.out"
      RUNS[$sys,put$v]+=" $ELAPSED"
      [ "$v" = 1 ] && R[$sys,rss_put]=$PEAK_KB
      R[$sys,stored$v]=$(stored_bytes "$dir")
    done
  done
  # The fixed cost of one put (process start, opening and closing the store): a
  # 4-byte file, into the store holding v1..v3.
  for ((rep = 1; rep <= REPS; rep++)); do
    sync
    "${sys}_put" "$dir" "$SCRATCH/tiny.csv"
    timed /dev/null
    RUNS[$sys,tiny]+=" $ELAPSED"
  done
  # The fixed cost of one get, likewise: the 4-byte file just put.
  for ((rep = 1; rep <= REPS; rep++)); do
    "${sys}_get_tiny" "$dir"
    timed /dev/null
    RUNS[$sys,tinyget]+=" $ELAPSED"
  done
  sync
  for v in 1 3; do
    # Verified once, untimed: the timed reads return the right content.
    "${sys}_get" "$dir" "$v"
    got=$("${CMD[@]}" < "$IN" | sha256sum | cut -d' ' -f1)
    [ "$got" = "${SHA[$v]}" ] || { echo "$sys get v$v returned sha256 $got" >&2; return 1; }
    for ((rep = 1; rep <= REPS; rep++)); do
      timed /dev/null
      RUNS[$sys,get$v]+=" $ELAPSED"
      [ "$v" = 1 ] && R[$sys,rss_get]=$PEAK_KB
    done
  done
  # A full verification of everything stored: strata fsck --deep (reads and hashes
  # every live version's content) against restic check --read-data.
  for ((rep = 1; rep <= REPS; rep++)); do
    "${sys}_verify" "$dir"
    timed /dev/null
    RUNS[$sys,verify]+=" $ELAPSED"
  done
  for what in put1 put2 put3 tiny tinyget get1 get3 verify; do
    # shellcheck disable=SC2086  # the runs are one word each
    R[$sys,$what]=$(median ${RUNS[$sys,$what]})
    echo "  $sys $what runs (s):${RUNS[$sys,$what]}"
  done
}

echo "RUNS"
bench_system strata
bench_system restic
echo

# --- report ------------------------------------------------------------------------

row() { printf '  %-26s %16s %16s\n' "$@"; }
where="on local disk"
[ "$BACKEND" = s3 ] && where="both in Ceph RGW at $S3_ENDPOINT ($(radosgw --version | awk '{print $3}'))"
echo "RESULTS (strata vs restic $(restic version | awk '{print $2}'), $where, median of $REPS)"
row "" strata restic
for v in 1 2 3; do
  row "put v$v (s)" "${R[strata,put$v]}" "${R[restic,put$v]}"
  row "put v$v (MB/s)" "$(mbps "${SIZE[$v]}" "${R[strata,put$v]}")" \
    "$(mbps "${SIZE[$v]}" "${R[restic,put$v]}")"
done
row "put of a 4-byte file (s)" "${R[strata,tiny]}" "${R[restic,tiny]}"
for v in 1 2 3; do
  row "stored bytes after v$v" "${R[strata,stored$v]}" "${R[restic,stored$v]}"
done
row "get of a 4-byte file (s)" "${R[strata,tinyget]}" "${R[restic,tinyget]}"
# Streaming rate: the bytes over the time a get takes beyond a 4-byte get's.
stream() { awk -v t="$1" -v f="$2" 'BEGIN {printf "%.4f", t - f}'; }
for v in 1 3; do
  row "get v$v (s)" "${R[strata,get$v]}" "${R[restic,get$v]}"
  row "get v$v end to end (MB/s)" "$(mbps "${SIZE[$v]}" "${R[strata,get$v]}")" \
    "$(mbps "${SIZE[$v]}" "${R[restic,get$v]}")"
  row "get v$v streaming (MB/s)" \
    "$(mbps "${SIZE[$v]}" "$(stream "${R[strata,get$v]}" "${R[strata,tinyget]}")")" \
    "$(mbps "${SIZE[$v]}" "$(stream "${R[restic,get$v]}" "${R[restic,tinyget]}")")"
done
# fsck --deep reads each live version's content whole: v1..v3 and the 4-byte file.
VERIFIED=$((SIZE[1] + SIZE[2] + SIZE[3] + 4))
row "verify all (s)" "${R[strata,verify]}" "${R[restic,verify]}"
row "verify all (MB/s of content)" "$(mbps "$VERIFIED" "${R[strata,verify]}")" \
  "$(mbps "$VERIFIED" "${R[restic,verify]}")"
row "peak RSS put v1 (MiB)" "$((R[strata,rss_put] / 1024))" "$((R[restic,rss_put] / 1024))"
row "peak RSS get v1 (MiB)" "$((R[strata,rss_get] / 1024))" "$((R[restic,rss_get] / 1024))"
echo

verdict() { if awk "BEGIN {exit !($1)}"; then echo PASS; else echo MISS; fi; }
echo "TARGETS"
if [ "$BACKEND" = s3 ]; then
  # Issue 18: chunks in RGW.
  printf '  %-44s %-5s %s\n' "put v1 >= 2x faster than restic (both in RGW)" \
    "$(verdict "${R[strata,put1]} * 2 <= ${R[restic,put1]}")" \
    "${R[strata,put1]} s vs ${R[restic,put1]} s"
  for v in 1 3; do
    speed=$(mbps "${SIZE[$v]}" "$(stream "${R[strata,get$v]}" "${R[strata,tinyget]}")")
    whole=$(mbps "${SIZE[$v]}" "${R[strata,get$v]}")
    printf '  %-44s %-5s %s\n' "get v$v >= 300 MB/s from RGW" "$(verdict "$whole >= 300")" \
      "$whole MB/s end to end (with process start and open), $speed MB/s streaming"
  done
  exit 0
fi
printf '  %-44s %-5s %s\n' \
  "put v1 (136 MB CSV) <= 0.5 s" "$(verdict "${R[strata,put1]} <= 0.5")" "${R[strata,put1]} s" \
  "stored bytes after v3 <= restic's repository" \
  "$(verdict "${R[strata,stored3]} <= ${R[restic,stored3]}")" \
  "${R[strata,stored3]} vs ${R[restic,stored3]}"
for v in 1 3; do
  speed=$(mbps "${SIZE[$v]}" "$(stream "${R[strata,get$v]}" "${R[strata,tinyget]}")")
  whole=$(mbps "${SIZE[$v]}" "${R[strata,get$v]}")
  printf '  %-44s %-5s %s\n' "get v$v >= 1 GB/s (streaming)" "$(verdict "$speed >= 1000")" \
    "$speed MB/s streaming, $whole MB/s end to end with process start and open"
done
printf '  %-44s %-5s %s\n' "peak RSS (bounded, not a numeric target)" "-" \
  "put v1 $((R[strata,rss_put] / 1024)) MiB, get v1 $((R[strata,rss_get] / 1024)) MiB for a $((SIZE[1] >> 20)) MiB file"
