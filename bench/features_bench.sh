#!/usr/bin/env bash
# features_bench.sh BUILD_DIR: historical retrieval (issue 3), strata side by side with
# DuckDB and pandas, on gen_features' workload: 10M feature rows (100,000 customers x
# 100 events, 5 doubles, ~1% ties on event time), a 1M-row spine, TTL 30 days.
#
# strata: REPS times, a fresh store, `init`, `apply features.yaml`, then a timed
# `ingest customer_stats features.csv`; then REPS timed `historical` runs writing
# out-strata.csv. Whole commands, process start included.
# DuckDB (bench/asof_duckdb.mjs, both of its plans) and pandas (bench/asof_pandas.py):
# REPS runs each; each run reports its load time (both CSVs into memory) and its
# join+write time (the point-in-time join and writing the result CSV).
# Every figure is the median of the runs. The results are checked against each other
# row by row (compare_csv), and on a small sample against a brute-force reference
# (asof_reference.py).
#
# Environment: BENCH_SCRATCH (default bench/out/features) holds the data, stores and
# results; BENCH_REPS (default 3) the repetitions, PANDAS_REPS (default BENCH_REPS)
# those of pandas (~16 s a run); FEATURES_GEN_ARGS extra gen_features arguments (the
# targets are for the default workload). Builds nothing: uses BUILD_DIR/tools/strata
# and BUILD_DIR/bench/{gen_features,compare_csv}. Installs bench/node_modules with
# `npm ci` when missing.
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"
STRATA=$BUILD/tools/strata
GEN=$BUILD/bench/gen_features
CMP=$BUILD/bench/compare_csv
PY=/usr/bin/python3  # Debian's, with python3-pandas (not a pyenv or venv python3)
REPS=${BENCH_REPS:-3}
PANDAS_REPS=${PANDAS_REPS:-$REPS}
SCRATCH=${BENCH_SCRATCH:-$BENCH/out/features}
GEN_ARGS=${FEATURES_GEN_ARGS:-}
VIEW=customer_stats
FEATURE_REFS=$VIEW:f1,$VIEW:f2,$VIEW:f3,$VIEW:f4,$VIEW:f5
export STRATA_NO_PROGRESS=1 STRATA_USER=bench

for bin in "$STRATA" "$GEN" "$CMP"; do
  [ -x "$bin" ] || { echo "missing $bin: build first (make build BUILD=$1)" >&2; exit 1; }
done
command -v node > /dev/null || { echo "node is not installed (scripts/install-deps.sh)" >&2; exit 1; }
"$PY" -c 'import pandas' 2> /dev/null ||
  { echo "$PY has no pandas: run scripts/install-deps.sh (python3-pandas)" >&2; exit 1; }
if [ ! -d "$BENCH/node_modules/@duckdb/node-api" ]; then
  echo "installing @duckdb/node-api into bench/node_modules (npm ci --prefix bench)"
  npm ci --prefix "$BENCH" --no-audit --no-fund --loglevel=error > /dev/null
fi
# The strata commands of issue 3; until they exist, only DuckDB and pandas are run.
STRATA_READY=1
for cmd in ingest historical; do
  "$STRATA" "$cmd" --help > /dev/null 2>&1 || STRATA_READY=0
done
mkdir -p "$SCRATCH"

bash "$BENCH/machine.sh" "$SCRATCH"
echo

# --- workload ----------------------------------------------------------------------

# The data is kept while the generator binary and its arguments are unchanged.
# shellcheck disable=SC2086  # GEN_ARGS is a list of words
generate() {
  local dir=$1 key
  shift
  key="$(sha256sum "$GEN" | cut -c1-64) $*"
  if [ -f "$dir/gen.key" ] && [ "$(cat "$dir/gen.key")" = "$key" ] &&
    [ -f "$dir/features.csv" ] && [ -f "$dir/spine.csv" ] && [ -f "$dir/features.yaml" ]; then
    return
  fi
  rm -f "$dir/gen.key"
  "$GEN" "$dir" "$@" > "$dir/gen.log"
  echo "$key" > "$dir/gen.key"
}
t0=$(date +%s.%N)
# shellcheck disable=SC2086
generate "$SCRATCH" $GEN_ARGS
GEN_S=$(seconds_since "$t0")
mkdir -p "$SCRATCH/small"
generate "$SCRATCH/small" --entities 100 --events 20 --spine 2000
FEATURES=$SCRATCH/features.csv SPINE=$SCRATCH/spine.csv DEFS=$SCRATCH/features.yaml
FEATURE_ROWS=$(($(wc -l < "$FEATURES") - 1))
SPINE_ROWS=$(($(wc -l < "$SPINE") - 1))
FEATURE_BYTES=$(stat -c %s "$FEATURES")
SPINE_BYTES=$(stat -c %s "$SPINE")
mb() { awk -v b="$1" 'BEGIN {printf "%.1f MB", b / 1e6}'; }
echo "WORKLOAD (gen_features${GEN_ARGS:+ $GEN_ARGS}, in $SCRATCH; ${GEN_S} s to generate or check)"
sed 's/^/  /' "$SCRATCH/gen.log"
printf '  features.csv %d rows, %s; spine.csv %d rows, %s\n' "$FEATURE_ROWS" \
  "$(mb "$FEATURE_BYTES")" "$SPINE_ROWS" "$(mb "$SPINE_BYTES")"
echo "  point-in-time join: per spine row the newest event <= t (ties: newest created),"
echo "  if event >= t - 30 days, else empty features; TTL bounds inclusive"
echo "  each figure: median of $REPS runs (pandas: $PANDAS_REPS); page cache warm"
[ "$STRATA_READY" = 1 ] ||
  echo "  NOTE: $STRATA has no ingest/historical command yet: strata is not measured"
echo

# --- measuring ---------------------------------------------------------------------

# timed LOG CMD...: runs CMD with its output in LOG; sets ELAPSED (s) and PEAK_KB.
timed() {
  local log=$1 t0
  shift
  t0=$(date +%s.%N)
  if ! /usr/bin/time -f %M -o "$SCRATCH/rss" "$@" > "$log" 2>&1; then
    echo "failed: $* (output in $log):" >&2
    tail -5 "$log" >&2
    exit 1
  fi
  ELAPSED=$(seconds_since "$t0")
  PEAK_KB=$(tail -1 "$SCRATCH/rss")
}
# field LOG NAME: the number after "NAME " in a script's report.
field() { awk -v n="$2" '$1 == n {print $2}' "$1"; }

declare -A R RUNS
echo "RUNS"
if [ "$STRATA_READY" = 1 ]; then
  store=$SCRATCH/store
  for ((rep = 1; rep <= REPS; rep++)); do
    rm -rf "$store"
    "$STRATA" --store "$store" init > /dev/null
    "$STRATA" --store "$store" apply "$DEFS" > /dev/null
    sync
    timed "$SCRATCH/ingest.log" "$STRATA" --store "$store" ingest "$VIEW" "$FEATURES"
    RUNS[strata,load]+=" $ELAPSED"
    R[strata,rss_load]=$PEAK_KB
  done
  sync
  R[strata,stored]=$(du -sb "$store" | cut -f1)
  for ((rep = 1; rep <= REPS; rep++)); do
    timed "$SCRATCH/historical.log" "$STRATA" --store "$store" historical --spine "$SPINE" \
      --features "$FEATURE_REFS" -o "$SCRATCH/out-strata.csv"
    RUNS[strata,join]+=" $ELAPSED"
    R[strata,rss_join]=$PEAK_KB
  done
  for what in load join; do
    # shellcheck disable=SC2086  # the runs are one word each
    R[strata,$what]=$(median ${RUNS[strata,$what]})
  done
  echo "  strata ingest runs (s):${RUNS[strata,load]}"
  echo "  strata historical runs (s):${RUNS[strata,join]}"
fi

# run_script SYS REPS CMD...: REPS runs of a script that reports load and join+write.
run_script() {
  local sys=$1 reps=$2 rep
  shift 2
  for ((rep = 1; rep <= reps; rep++)); do
    timed "$SCRATCH/$sys.log" "$@"
    RUNS[$sys,load]+=" $(field "$SCRATCH/$sys.log" load)"
    RUNS[$sys,join]+=" $(field "$SCRATCH/$sys.log" join+write)"
    RUNS[$sys,wall]+=" $ELAPSED"
    R[$sys,rss]=$PEAK_KB
  done
  R[$sys,version]=$(awk '$1 == "version" {print $2 " " $3}' "$SCRATCH/$sys.log")
  for what in load join wall; do
    # shellcheck disable=SC2086
    R[$sys,$what]=$(median ${RUNS[$sys,$what]})
  done
  echo "  $sys load runs (s):${RUNS[$sys,load]}; join+write runs (s):${RUNS[$sys,join]}"
}
for plan in dedupe asof-first; do
  run_script "duckdb-$plan" "$REPS" node "$BENCH/asof_duckdb.mjs" "$FEATURES" "$SPINE" \
    "$SCRATCH/out-duckdb-$plan.csv" --plan "$plan"
done
run_script pandas "$PANDAS_REPS" "$PY" "$BENCH/asof_pandas.py" "$FEATURES" "$SPINE" \
  "$SCRATCH/out-pandas.csv"
echo

# --- checking ----------------------------------------------------------------------

echo "CHECKS (compare_csv: same rows, spine columns as text, features as doubles)"
FAILED=0
check() {  # check NAME A B
  local out
  if out=$("$CMP" "$2" "$3"); then
    printf '  %-34s OK    %s\n' "$1" "$(tail -1 <<< "$out")"
  else
    printf '  %-34s FAIL\n' "$1"
    printf '%s\n' "$out" | sed 's/^/    /'
    FAILED=1
  fi
}
small=$SCRATCH/small
"$PY" "$BENCH/asof_reference.py" "$small/features.csv" "$small/spine.csv" "$small/reference.csv"
node "$BENCH/asof_duckdb.mjs" "$small/features.csv" "$small/spine.csv" "$small/duckdb.csv" \
  > /dev/null
"$PY" "$BENCH/asof_pandas.py" "$small/features.csv" "$small/spine.csv" "$small/pandas.csv" \
  > /dev/null
if [ "$STRATA_READY" = 1 ]; then
  rm -rf "$small/store"
  {
    "$STRATA" --store "$small/store" init
    "$STRATA" --store "$small/store" apply "$small/features.yaml"
    "$STRATA" --store "$small/store" ingest "$VIEW" "$small/features.csv"
    "$STRATA" --store "$small/store" historical --spine "$small/spine.csv" \
      --features "$FEATURE_REFS" -o "$small/strata.csv"
  } > "$small/strata.log" 2>&1 || { echo "strata failed on the small sample: $small/strata.log" >&2; exit 1; }
  check "small sample: reference vs strata" "$small/reference.csv" "$small/strata.csv"
fi
check "small sample: reference vs duckdb" "$small/reference.csv" "$small/duckdb.csv"
check "small sample: reference vs pandas" "$small/reference.csv" "$small/pandas.csv"
if [ "$STRATA_READY" = 1 ]; then
  check "strata vs duckdb" "$SCRATCH/out-strata.csv" "$SCRATCH/out-duckdb-dedupe.csv"
  check "strata vs pandas" "$SCRATCH/out-strata.csv" "$SCRATCH/out-pandas.csv"
fi
check "duckdb dedupe vs duckdb asof-first" "$SCRATCH/out-duckdb-dedupe.csv" \
  "$SCRATCH/out-duckdb-asof-first.csv"
check "duckdb vs pandas" "$SCRATCH/out-duckdb-dedupe.csv" "$SCRATCH/out-pandas.csv"
echo

# --- report ------------------------------------------------------------------------

or_dash() { if [ "$STRATA_READY" = 1 ]; then echo "$1"; else echo -; fi; }
row() { printf '  %-32s %12s %18s %18s %14s\n' "$@"; }
echo "RESULTS (seconds, median of runs; ${R[duckdb-dedupe,version]}, ${R[pandas,version]})"
row "" strata "DuckDB dedupe" "DuckDB asof-first" pandas
row "ingest / load" "$(or_dash "${R[strata,load]:-}")" "${R[duckdb-dedupe,load]}" \
  "${R[duckdb-asof-first,load]}" "${R[pandas,load]}"
row "retrieval: join+write" "$(or_dash "${R[strata,join]:-}")" "${R[duckdb-dedupe,join]}" \
  "${R[duckdb-asof-first,join]}" "${R[pandas,join]}"
row "whole process (load+join+write)" - "${R[duckdb-dedupe,wall]}" \
  "${R[duckdb-asof-first,wall]}" "${R[pandas,wall]}"
kib_to_mib() { if [ -n "${1:-}" ]; then echo $(($1 / 1024)); else echo -; fi; }
row "peak RSS (MiB)" \
  "$(or_dash "$(kib_to_mib "${R[strata,rss_load]:-}") / $(kib_to_mib "${R[strata,rss_join]:-}")")" \
  "$(kib_to_mib "${R[duckdb-dedupe,rss]}")" "$(kib_to_mib "${R[duckdb-asof-first,rss]}")" \
  "$(kib_to_mib "${R[pandas,rss]}")"
[ "$STRATA_READY" = 1 ] && row "store on disk after ingest" "$(mb "${R[strata,stored]}")" "" "" ""
echo "  strata: whole commands, process start included (peak RSS: ingest / historical);"
echo "  DuckDB, pandas: timed inside the script, in memory (load: both CSVs)"
echo

verdict() { if awk "BEGIN {exit !($1)}"; then echo PASS; else echo MISS; fi; }
best_duck=$(printf '%s\n' "${R[duckdb-dedupe,join]}" "${R[duckdb-asof-first,join]}" | sort -g | head -1)
echo "TARGETS"
if [ "$STRATA_READY" = 1 ]; then
  speedup=$(awk -v d="$best_duck" -v s="${R[strata,join]}" 'BEGIN {printf "%.1f", d / s}')
  printf '  %-52s %-5s %s\n' \
    "strata ingest of 10M rows <= 4.5 s" "$(verdict "${R[strata,load]} <= 4.5")" \
    "${R[strata,load]} s" \
    "strata retrieval (1M spine rows) <= 1.0 s" "$(verdict "${R[strata,join]} <= 1.0")" \
    "${R[strata,join]} s" \
    "strata retrieval >= 2x faster than DuckDB join+write" \
    "$(verdict "${R[strata,join]} * 2 <= $best_duck")" \
    "${speedup}x (DuckDB's faster plan: $best_duck s)"
else
  echo "  not judged: strata has no ingest/historical command yet"
fi
[ -z "$GEN_ARGS" ] || echo "  NOTE: non-default workload ($GEN_ARGS): the targets are for the default"
if [ "$FAILED" = 1 ]; then
  echo "CHECK FAILED: the results differ (see CHECKS)" >&2
  exit 1
fi
