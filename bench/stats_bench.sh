#!/usr/bin/env bash
# stats_bench.sh BUILD_DIR: statistics of a dataset version (issue 17), strata side by
# side with DuckDB and pandas, on features_bench.sh's workload: gen_features' 10M-row
# CSV (100,000 customers x 100 events: customer_id, two epoch timestamps, 5 doubles).
#
# strata: a fresh store, the CSV put as dataset/features; then REPS timed
# `strata stats dataset/features@N` runs, each on a new version of the same content
# (put under a new name, so no stored profile is read back), types inferred, and REPS
# with `--view featureview/customer_stats` (types declared). Whole commands, process
# start included; one profile per run is stored. DuckDB (bench/summarize_duckdb.mjs,
# @duckdb/node-api): REPS runs of read_csv into an in-memory table (types detected),
# then SUMMARIZE of it, timed apart. pandas (Debian's /usr/bin/python3): REPS runs of
# read_csv, then describe() (count, mean, std, min, quartiles, max) of every column,
# timed apart. Each figure is the median of the runs; the page cache is warm.
#
# Environment: BENCH_SCRATCH (default bench/out/features, as features_bench.sh)
# holds the data (generated when missing) and the store; BENCH_REPS (default 3).
# Builds nothing: uses BUILD_DIR/tools/strata and BUILD_DIR/bench/gen_features.
# Installs bench/node_modules with `npm ci --prefix bench` when missing.
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"
STRATA=$BUILD/tools/strata
GEN=$BUILD/bench/gen_features
PY=/usr/bin/python3
REPS=${BENCH_REPS:-3}
SCRATCH=${BENCH_SCRATCH:-$BENCH/out/features}
export STRATA_NO_PROGRESS=1 STRATA_USER=bench

for bin in "$STRATA" "$GEN"; do
  [ -x "$bin" ] || { echo "missing $bin: build first (make build BUILD=$1)" >&2; exit 1; }
done
"$PY" -c 'import pandas' 2> /dev/null ||
  { echo "$PY has no pandas: run scripts/install-deps.sh (python3-pandas)" >&2; exit 1; }
command -v node > /dev/null || { echo "node is not installed (scripts/install-deps.sh)" >&2; exit 1; }
if [ ! -d "$BENCH/node_modules/@duckdb/node-api" ]; then
  npm ci --prefix "$BENCH" --no-audit --no-fund --loglevel=error > /dev/null
fi
mkdir -p "$SCRATCH"
if [ ! -f "$SCRATCH/features.csv" ] || [ ! -f "$SCRATCH/features.yaml" ]; then
  "$GEN" "$SCRATCH" > "$SCRATCH/gen.log"
fi
FEATURES=$SCRATCH/features.csv
ROWS=$(($(wc -l < "$FEATURES") - 1))

bash "$BENCH/machine.sh" "$SCRATCH"
echo
echo "WORKLOAD"
printf '  features.csv: %d rows, 8 columns, %s MB (gen_features, in %s)\n' "$ROWS" \
  "$(awk -v b="$(stat -c %s "$FEATURES")" 'BEGIN {printf "%.1f", b / 1e6}')" "$SCRATCH"
echo "  strata stats: count, nulls, distinct (HLL), min, max, mean, stddev, 7 quantiles"
echo "  (KLL), 20-bin histogram per column; DuckDB: read_csv + SUMMARIZE (min, max,"
echo "  approx_unique, avg, std, q25/50/75, count, null %: no histogram); pandas:"
echo "  read_csv + describe() (count, mean, std, min, 25/50/75%, max: no distinct, no"
echo "  histogram)"
echo "  each figure: median of $REPS runs; page cache warm"
echo

STORE=$SCRATCH/stats-store
rm -rf "$STORE"
"$STRATA" --store "$STORE" init > /dev/null
"$STRATA" --store "$STORE" apply "$SCRATCH/features.yaml" > /dev/null
run_stats() {  # run_stats NAME [FLAGS...]: seconds of one stats of a new version
  local name=$1 t0
  shift
  "$STRATA" --store "$STORE" put "dataset/$name" "$FEATURES" > /dev/null
  t0=$(date +%s.%N)
  "$STRATA" --store "$STORE" stats "dataset/$name" "$@" > "$SCRATCH/stats-$name.txt"
  seconds_since "$t0"
}
inferred=() declared=()
for i in $(seq "$REPS"); do
  inferred+=("$(run_stats "inferred$i")")
  declared+=("$(run_stats "declared$i" --view featureview/customer_stats)")
done
# The second request reads the stored profile back.
t0=$(date +%s.%N)
"$STRATA" --store "$STORE" stats dataset/inferred1 > /dev/null
READ_BACK=$(seconds_since "$t0")

DUCKDB_OUT=$SCRATCH/stats-duckdb.txt
node "$BENCH/summarize_duckdb.mjs" "$FEATURES" "$REPS" > "$DUCKDB_OUT"
D_VERSION=$(sed -n 's/^version //p' "$DUCKDB_OUT")
mapfile -t D_LOAD < <(awk '$1 == "run" {print $2}' "$DUCKDB_OUT")
mapfile -t D_SUM < <(awk '$1 == "run" {print $3}' "$DUCKDB_OUT")

PANDAS=$("$PY" - "$FEATURES" "$REPS" <<'PYEOF'
import statistics, sys, time
import pandas as pd
path, reps = sys.argv[1], int(sys.argv[2])
load, describe = [], []
for _ in range(reps):
    t0 = time.perf_counter()
    df = pd.read_csv(path)
    t1 = time.perf_counter()
    df.describe()
    t2 = time.perf_counter()
    load.append(t1 - t0)
    describe.append(t2 - t1)
    del df
print("%.3f %.3f %s; describe() (s): %s" % (
    statistics.median(load), statistics.median(describe),
    " ".join("%.3f" % x for x in load), " ".join("%.3f" % x for x in describe)))
PYEOF
)
read -r P_LOAD P_DESC P_RUNS <<< "$PANDAS"

sum() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a + b}'; }
D_LOAD_M=$(median "${D_LOAD[@]}")
D_SUM_M=$(median "${D_SUM[@]}")

echo "RUNS"
echo "  strata stats, types inferred (s): ${inferred[*]}"
echo "  strata stats --view, types declared (s): ${declared[*]}"
echo "  DuckDB read_csv (s): ${D_LOAD[*]}; SUMMARIZE (s): ${D_SUM[*]}"
echo "  pandas read_csv (s): $P_RUNS"
echo
echo "RESULTS (median of $REPS; $D_VERSION; pandas $("$PY" -c 'import pandas; print(pandas.__version__)'))"
printf '  %-46s %9s %9s %9s
' "" "read" "profile" "total"
printf '  %-46s %9s %9s %9s   (target <= 2.5 s)
' "strata stats dataset/features (types inferred)" \
  - - "$(median "${inferred[@]}")"
printf '  %-46s %9s %9s %9s
' "strata stats --view customer_stats (declared)" \
  - - "$(median "${declared[@]}")"
printf '  %-46s %9s %9s %9s
' "strata stats, the stored profile read back" - - "$READ_BACK"
printf '  %-46s %9s %9s %9s
' "DuckDB read_csv + SUMMARIZE" "$D_LOAD_M" "$D_SUM_M" \
  "$(sum "$D_LOAD_M" "$D_SUM_M")"
printf '  %-46s %9s %9s %9s
' "pandas read_csv + describe()" "$P_LOAD" "$P_DESC" \
  "$(sum "$P_LOAD" "$P_DESC")"
echo "  (strata's figures are whole commands, read and profile in one pass, process"
echo "  start included; the peers' are timed inside one process each)"
echo
echo "PROFILE (the last inferred run)"
sed 's/^/  /' "$SCRATCH/stats-inferred$REPS.txt"
echo
echo "DUCKDB SUMMARIZE (the last run: column type min max approx_unique avg std q25 q50 q75 count)"
awk '$1 == "summary" {$1 = ""; print " " $0}' "$DUCKDB_OUT"
