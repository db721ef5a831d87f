# shellcheck shell=bash disable=SC2034  # BENCH and BUILD are for the sourcing script
# Sourced by the benchmark scripts: `source bench/lib.sh "$@"` checks for the one
# argument BUILD_DIR and sets BENCH (this folder) and BUILD (absolute build folder).
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=$(cd "$1" && pwd)

# seconds_since T0: seconds from T0 (`date +%s.%N`) to now, to the millisecond.
seconds_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN {printf "%.3f", b - a}'; }

# median X...: the median of numbers (the lower middle one for an even count).
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
