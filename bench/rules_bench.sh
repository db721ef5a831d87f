#!/usr/bin/env bash
# rules_bench.sh BUILD_DIR: the cost of validation rules and ingest profiles on
# ingest (issue 17; target: an ingest with rules and profiles at most 10% slower
# than one without either). gen_features' rows (default 20,000 customers x 100
# events = 2M rows, five doubles f1..f5) with two string columns added, `seg` (one
# of 4 values) and `code` (two letters and digits), ingested REPS times into a fresh
# store in four ways, interleaved: definitions without rules, then with rules (min
# and max on f1..f5, `allowed` on seg, `pattern` on code; every row keeps them: the
# checks run, nothing is dropped), each with ingest profiles off
# (STRATA_INGEST_PROFILES=0) and on (the default). Whole `strata ingest` commands,
# process start included; the median of the runs, wall clock and CPU (user + sys).
#
# Environment: BENCH_SCRATCH (default bench/out/rules), BENCH_REPS (default 15),
# RULES_GEN_ARGS (default "--entities 20000 --events 100 --spine 10").
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"
STRATA=$BUILD/tools/strata
GEN=$BUILD/bench/gen_features
REPS=${BENCH_REPS:-15}
SCRATCH=${BENCH_SCRATCH:-$BENCH/out/rules}
GEN_ARGS=${RULES_GEN_ARGS:---entities 20000 --events 100 --spine 10}
export STRATA_NO_PROGRESS=1 STRATA_USER=bench
for bin in "$STRATA" "$GEN"; do
  [ -x "$bin" ] || { echo "missing $bin: build first" >&2; exit 1; }
done
mkdir -p "$SCRATCH"
# shellcheck disable=SC2086  # GEN_ARGS is a list of words
"$GEN" "$SCRATCH" $GEN_ARGS > "$SCRATCH/gen.log"
awk -F, 'BEGIN {OFS = ","; split("gold silver bronze iron", s, " ")}
  NR == 1 {print $0, "seg", "code"; next}
  {print $0, s[NR % 4 + 1], "AB" NR}' "$SCRATCH/features.csv" > "$SCRATCH/rows.csv"
ROWS=$(($(wc -l < "$SCRATCH/rows.csv") - 1))

plain=$SCRATCH/plain.yaml ruled=$SCRATCH/ruled.yaml
sed -e 's/      - {name: f5, type: double}/&\n      - {name: seg, type: string}\n      - {name: code, type: string}/' \
  "$SCRATCH/features.yaml" > "$plain"
sed -e 's/{name: \(f[1-5]\), type: double}/{name: \1, type: double, min: -1000, max: 1000}/' \
  -e 's/{name: seg, type: string}/{name: seg, type: string, allowed: [gold, silver, bronze, iron]}/' \
  -e 's/{name: code, type: string}/{name: code, type: string, pattern: "[A-Z]{2}[0-9]+"}/' \
  "$plain" > "$ruled"
grep -q 'pattern' "$ruled" || { echo "rules were not added to $ruled" >&2; exit 1; }

run() {  # run DEFS PROFILES: one timed ingest into a fresh store; prints "WALL CPU"
  local store=$SCRATCH/store
  rm -rf "$store"
  "$STRATA" --store "$store" init > /dev/null
  "$STRATA" --store "$store" apply "$1" > /dev/null
  sync
  STRATA_INGEST_PROFILES=$2 /usr/bin/time -f "%e %U %S" -o "$SCRATCH/time.txt" \
    "$STRATA" --store "$store" ingest customer_stats "$SCRATCH/rows.csv" > "$SCRATCH/ingest.log"
  awk '{printf "%.3f %.3f", $1, $2 + $3}' "$SCRATCH/time.txt"
}

bash "$BENCH/machine.sh" "$SCRATCH"
echo "  load       $(uptime | sed 's/.*load average: //') (1, 5, 15 min, before the runs)"
KINDS=("neither:$plain:0" "rules:$ruled:0" "profiles:$plain:1" "rules+profiles:$ruled:1")
declare -A WALL CPU
# Interleaved, so that drifts of the machine hit every kind, and in rotated order
# (repetition r starts with kind r mod 4): this VM slows down over a few seconds of
# full load, which in a fixed order always favoured the kind run first.
for ((rep = 1; rep <= REPS; rep++)); do
  for ((k = 0; k < ${#KINDS[@]}; k++)); do
    kind=${KINDS[$(((rep - 1 + k) % ${#KINDS[@]}))]}
    IFS=: read -r name defs profiles <<< "$kind"
    read -r wall cpu <<< "$(run "$defs" "$profiles")"
    WALL[$name]+="$wall " CPU[$name]+="$cpu "
  done
done
echo
echo "ingest of $ROWS rows (8 features), median of $REPS runs; wall and CPU seconds"
declare -A MW MC
for kind in "${KINDS[@]}"; do
  name=${kind%%:*}
  # shellcheck disable=SC2086  # the lists are words
  MW[$name]=$(median ${WALL[$name]}) MC[$name]=$(median ${CPU[$name]})
  printf '  %-15s wall %s-> %s   cpu %s-> %s\n' "$name" "${WALL[$name]}" "${MW[$name]}" \
    "${CPU[$name]}" "${MC[$name]}"
done
# Each kind against `neither` of the same repetition (run within seconds of it): the
# median of those ratios is steadier than the ratio of the medians on a noisy machine,
# and the ratios' order statistics bound it: the k-th and (n+1-k)-th smallest of n,
# k = (n+1)/2 - 0.98 sqrt(n), hold the median between them with about 95% confidence
# whatever the ratios' distribution (the sign test's interval). The verdict is the
# median's; "clear" when the whole interval meets the target.
pairwise() {  # pairwise KIND: "MEDIAN LOW HIGH", the ratios (KIND / neither - 1) in %
  paste <(tr ' ' '\n' <<< "${WALL[$1]}") <(tr ' ' '\n' <<< "${WALL[neither]}") |
    awk 'NF == 2 {print ($1 / $2 - 1) * 100}' | sort -g |
    awk '{v[NR] = $1} END {
      m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      k = int((NR + 1) / 2 - 0.98 * sqrt(NR)); if (k < 1) k = 1
      printf "%.1f %.1f %.1f", m, v[k], v[NR + 1 - k]
    }'
}
best() {  # best KIND: the fastest run of KIND against the fastest of neither, in %
  awk -v a="$(tr ' ' '\n' <<< "${WALL[$1]}" | sort -g | grep . | head -1)" \
    -v b="$(tr ' ' '\n' <<< "${WALL[neither]}" | sort -g | grep . | head -1)" \
    'BEGIN {printf "%+.1f%%", (a / b - 1) * 100}'
}
for name in rules profiles rules+profiles; do
  read -r m lo hi <<< "$(pairwise "$name")"
  awk -v n="$name" -v reps="$REPS" -v m="$m" -v lo="$lo" -v hi="$hi" -v best="$(best "$name")" \
    -v p="${MW[neither]}" -v r="${MW[$name]}" -v pc="${MC[neither]}" -v rc="${MC[$name]}" 'BEGIN {
    printf "  %s / neither: wall %+.1f%% (median of the %d per-repetition ratios; ", n, m, reps
    printf "95%% interval %+.1f%% .. %+.1f%%)", lo, hi
    if (n == "rules+profiles") {
      printf " target <= +10%%: %s", m <= 10 ? (hi <= 10 ? "PASS (clear)" : "PASS (within noise)") : "MISS"
    }
    printf "\n      medians %+.1f%% wall, %+.1f%% cpu; best runs %s wall\n", (r / p - 1) * 100, (rc / pc - 1) * 100, best
  }'
done
