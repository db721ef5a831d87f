#!/usr/bin/env bash
# stats_bench.sh BUILD_DIR: statistics of a dataset version (issue 17), strata side by
# side with pandas, on features_bench.sh's workload: gen_features' 10M-row CSV
# (100,000 customers x 100 events: customer_id, two epoch timestamps, 5 doubles).
#
# strata: a fresh store, the CSV put as dataset/features; then REPS timed
# `strata stats dataset/features@N` runs, each on a new version of the same content
# (put under a new name, so no stored profile is read back), types inferred (the
# file is read twice), and REPS with `--view featureview/customer_stats` (types
# declared: read once). Whole commands, process start included; one profile per run
# is stored. pandas (Debian's /usr/bin/python3): REPS runs of read_csv, then
# describe() (count, mean, std, min, quartiles, max) of every column, timed apart.
# Each figure is the median of the runs; the page cache is warm.
#
# Environment: BENCH_SCRATCH (default bench/out/features, as features_bench.sh)
# holds the data (generated when missing) and the store; BENCH_REPS (default 3).
# Builds nothing: uses BUILD_DIR/tools/strata and BUILD_DIR/bench/gen_features.
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
echo "  (KLL), 20-bin histogram per column; pandas: read_csv + describe() (count, mean,"
echo "  std, min, 25/50/75%, max: no distinct, no histogram)"
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
print("%.3f %.3f %s %s" % (statistics.median(load), statistics.median(describe),
                           " ".join("%.3f" % x for x in load),
                           " ".join("%.3f" % x for x in describe)))
PYEOF
)
read -r P_LOAD P_DESC P_RUNS <<< "$PANDAS"

echo "RUNS"
echo "  strata stats, types inferred (s): ${inferred[*]}"
echo "  strata stats --view, types declared (s): ${declared[*]}"
echo "  pandas (s): $PANDAS"
echo
echo "RESULTS (median of $REPS)"
printf '  %-44s %8s s   (target <= 2.5 s)\n' "strata stats dataset/features (inferred)" "$(median "${inferred[@]}")"
printf '  %-44s %8s s\n' "strata stats --view customer_stats (declared)" "$(median "${declared[@]}")"
printf '  %-44s %8s s\n' "strata stats, stored profile read back" "$READ_BACK"
printf '  %-44s %8s s   (+ describe %s s = %s s)\n' "pandas read_csv" "$P_LOAD" "$P_DESC" \
  "$(awk -v a="$P_LOAD" -v b="$P_DESC" 'BEGIN {printf "%.3f", a + b}')"
: "$P_RUNS"
echo
echo "PROFILE (the last inferred run)"
sed 's/^/  /' "$SCRATCH/stats-inferred$REPS.txt"
