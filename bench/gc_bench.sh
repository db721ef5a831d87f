#!/usr/bin/env bash
# gc_bench.sh [BUILD_DIR]: strata gc over 1M chunks of which half are garbage (issue 5),
# with BUILD_DIR/bench/gc_bench (default BUILD_DIR: the repository's build/).
#
# The store (~2.6 GB) is built in a fresh folder under BENCH_SCRATCH (default
# bench/out/gc) and removed at the end, however the run ends. GC_VERSIONS (default
# 1000) and GC_CHUNKS_PER_VERSION (default 1000) change the workload; GC_COLD=1 drops
# the store's files from the page cache before each gc. Builds nothing.
set -- "${1:-$(dirname "${BASH_SOURCE[0]}")/../build}"
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"
GC_BENCH=$BUILD/bench/gc_bench
SCRATCH=${BENCH_SCRATCH:-$BENCH/out/gc}
[ -x "$GC_BENCH" ] || { echo "missing $GC_BENCH: build first (make build BUILD=$1)" >&2; exit 1; }
mkdir -p "$SCRATCH"
run_dir=$(mktemp -d "$SCRATCH/run.XXXXXX")
trap 'rm -rf "$run_dir"' EXIT

bash "$BENCH/machine.sh" "$SCRATCH"
echo
t0=$(date +%s.%N)
args=(--store "$run_dir/store" --versions "${GC_VERSIONS:-1000}"
  --chunks-per-version "${GC_CHUNKS_PER_VERSION:-1000}")
if [ "${GC_COLD:-0}" = 1 ]; then args+=(--cold); fi
"$GC_BENCH" "${args[@]}"
echo "  (whole benchmark, setup and verification included: $(seconds_since "$t0") s)"
