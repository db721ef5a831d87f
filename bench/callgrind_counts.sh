#!/bin/bash
# callgrind_counts.sh BUILD_DIR [LABEL]: instruction counts (valgrind's callgrind) of
# the feature store's two hot paths, deterministic whatever else the machine runs, for
# before/after comparisons of a change: an ingest of 200k rows (2,000 entities x 100
# events) and a historical join of a 50k-row spine over five features. Prints one
# line: LABEL ingest N historical N out-sha PREFIX (the join's output digest, which a
# refactoring must not change). Needs valgrind.
set -euo pipefail
BUILD=$(cd "$1" && pwd); L=${2:-$1}
BIN=$BUILD/tools/strata; D=/tmp/strata-cg-data
[ -f $D/features.csv ] || "$BUILD/bench/gen_features" $D --entities 2000 --events 100 --spine 50000 >/dev/null
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT; cd "$W"
"$BIN" --store s init >/dev/null
"$BIN" --store s apply $D/*.yaml >/dev/null
if ! valgrind --tool=callgrind --callgrind-out-file=/dev/null "$BIN" --store s ingest customer_stats $D/features.csv >/dev/null 2>ing.err; then
  if grep -q "unhandled instruction" ing.err; then
    echo "valgrind cannot run strata: it stops at an instruction it does not decode (libhwy's start-up uses RDTSCP); see bench/README.md" >&2
  else
    cat ing.err >&2
  fi
  exit 1
fi
valgrind --tool=callgrind --callgrind-out-file=/dev/null "$BIN" --store s historical --spine $D/spine.csv \
  --features customer_stats:f1,customer_stats:f2,customer_stats:f3,customer_stats:f4,customer_stats:f5 -o out.csv >/dev/null 2>his.err
echo "$L ingest $(grep -h Collected ing.err | awk '{print $NF}') historical $(grep -h Collected his.err | awk '{print $NF}') out-sha $(sha256sum out.csv | cut -c1-16)"
