#!/usr/bin/env bash
# run_all.sh BUILD_DIR: every benchmark, its output kept in bench/out/results-DATE.txt.
# `make bench` runs it after building. Builds nothing itself.
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"
mkdir -p "$BENCH/out"
results=$BENCH/out/results-$(date -u +%Y-%m-%dT%H%M%SZ).txt
lineage_store=$BENCH/out/lineage-store

# A model version's depth-10 upstream walk through the CLI, process start included.
cli_lineage() {
  local ref=model/m-00042@50 runs=() t0 nodes
  echo "CLI: strata lineage $ref --depth 10 --format json (3 runs, process start included)"
  for _ in 1 2 3; do
    t0=$(date +%s.%N)
    nodes=$("$BUILD/tools/strata" --store "$lineage_store/store" lineage "$ref" --depth 10 \
      --format json | grep -o '"id"' | wc -l)
    runs+=("$(seconds_since "$t0")")
  done
  echo "  median $(median "${runs[@]}") s (runs: ${runs[*]}); $nodes nodes in the output"
}

{
  echo "== content: strata vs restic (bench/content_bench.sh) =="
  bash "$BENCH/content_bench.sh" "$BUILD"
  echo
  echo "== lineage (lineage_bench) =="
  "$BUILD/bench/lineage_bench" --store "$lineage_store"
  cli_lineage
  echo
  echo "== historical retrieval: strata vs DuckDB and pandas (bench/features_bench.sh) =="
  bash "$BENCH/features_bench.sh" "$BUILD"
  echo
  echo "== statistics of a 10M-row dataset: strata vs pandas (bench/stats_bench.sh) =="
  bash "$BENCH/stats_bench.sh" "$BUILD"
  echo
  echo "== drift between two 1M-row datasets: strata vs scipy (bench/drift_bench.sh) =="
  bash "$BENCH/drift_bench.sh" "$BUILD"
  echo
  echo "== online lookups, in process (online_bench) =="
  "$BUILD/bench/online_bench" --dir "$BENCH/out/online"
  echo
  echo "== online lookups over HTTP: strata serve vs Redis (bench/http_bench.sh) =="
  BENCH_SCRATCH="$BENCH/out/online" bash "$BENCH/http_bench.sh" "$BUILD"
  echo
  echo "== the Python client: historical() and online() from Python (bench/python_bench.py) =="
  /usr/bin/python3 "$BENCH/python_bench.py" "$BUILD"
  echo
  echo "== idle and slow clients against online lookups (bench/conn_bench.sh) =="
  BENCH_SCRATCH="$BENCH/out/online" CONN_ROUNDS=1 bash "$BENCH/conn_bench.sh" "$BUILD"
  echo
  echo "== garbage collection over 1M chunks, half garbage (bench/gc_bench.sh) =="
  bash "$BENCH/gc_bench.sh" "$BUILD"
} 2>&1 | tee "$results"
echo "results kept in $results"
