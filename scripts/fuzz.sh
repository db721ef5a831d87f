#!/usr/bin/env bash
# Runs every libFuzzer target of a STRATA_FUZZ build for a while and prints, per
# target, executions, coverage (edges), features and findings (`make fuzz`).
#   scripts/fuzz.sh BUILD_DIR [SECONDS_PER_TARGET] [TARGET...]
# Each target starts from its corpus in fuzz/corpus/NAME and grows a working copy in
# BUILD_DIR/fuzz-work/NAME (the tree's corpus is left as it is). A finding is saved
# as fuzz/findings/NAME-crash-... (or -leak-, -timeout-, -oom-); replay one with
# `BUILD_DIR/fuzz/NAME_fuzzer FILE`, fix it, and move it into fuzz/corpus/NAME as a
# regression input named by what it found.
set -uo pipefail

build=${1:?usage: scripts/fuzz.sh BUILD_DIR [SECONDS_PER_TARGET] [TARGET...]}
seconds=${2:-60}
shift $(($# < 2 ? $# : 2))
root=$(cd "$(dirname "$0")/.." && pwd)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in "$build"/fuzz/*_fuzzer; do targets+=("$(basename "$f" _fuzzer)"); done
fi
mkdir -p "$root/fuzz/findings"
# Stack traces with names and lines (llvm-16's symbolizer reads clang-16's DWARF).
if [ -x /usr/bin/llvm-symbolizer-16 ]; then
  export ASAN_SYMBOLIZER_PATH=/usr/bin/llvm-symbolizer-16
fi
printf '%-16s %12s %10s %8s %8s  %s\n' target executions exec/s cov ft findings
status=0
total=0
for name in "${targets[@]}"; do
  bin="$build/fuzz/${name}_fuzzer"
  if [ ! -x "$bin" ]; then
    echo "no fuzzer $bin (build with STRATA_FUZZ=ON: make fuzz)" >&2
    exit 2
  fi
  work="$build/fuzz-work/$name"
  mkdir -p "$work"
  log="$build/fuzz-work/$name.log"
  before=$(ls "$root/fuzz/findings" | wc -l)
  # -rss_limit_mb: the store and the server live in the fuzzer's process.
  "$bin" "$work" "$root/fuzz/corpus/$name" -max_total_time="$seconds" \
    -print_final_stats=1 -rss_limit_mb=4096 -timeout=30 \
    -artifact_prefix="$root/fuzz/findings/$name-" > "$log" 2>&1
  rc=$?
  after=$(ls "$root/fuzz/findings" | wc -l)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  findings=$((after - before))
  note=$findings
  if [ "$rc" -ne 0 ]; then
    note="$findings (exit $rc: $log)"
    status=1
  fi
  total=$((total + ${execs:-0}))
  printf '%-16s %12s %10s %8s %8s  %s\n' "$name" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
    "${ft:-?}" "$note"
done
echo "executions in all: $total"
exit $status
