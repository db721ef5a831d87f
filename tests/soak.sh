#!/usr/bin/env bash
# soak.sh [ROUNDS] [BUILD_DIR]: the crash tests for longer than `make test` runs them.
# Each round starts a writer (puts of every size, alias moves, deletions; and feature
# ingests), kills it with SIGKILL at a random moment, reopens the store and checks it
# (acknowledged writes present and verified, nothing half-present, fsck --deep
# clean). Default 500 rounds of each test, in BUILD_DIR (default build). Prints the
# seed of each test, so a failure can be replayed with STRATA_TEST_SEED=SEED.
set -euo pipefail
ROUNDS=${1:-500}
BUILD=${2:-build}
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "usage: soak.sh [ROUNDS] [BUILD_DIR]" >&2; exit 2; }
for test in crash_test feature_crash_test; do
  bin=$BUILD/tests/$test
  [ -x "$bin" ] || { echo "missing $bin: build first (make build)" >&2; exit 1; }
  echo "== $test: $ROUNDS rounds"
  STRATA_CRASH_ITERATIONS=$ROUNDS "$bin" --gtest_brief=1
done
