#!/usr/bin/env bash
# machine.sh [DIR]: prints the MACHINE block every benchmark report starts with.
# DIR is where the benchmark writes (for the free-space line); default: here.
set -euo pipefail
dir=${1:-.}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  commit="$commit (tracked files modified)"
fi
# cpu_busy: percent of CPU time spent on anything but idle and iowait over 1 s.
cpu_busy() {
  local a b
  a=$(head -1 /proc/stat)
  sleep 1
  b=$(head -1 /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN {
    n = split(a, x); split(b, y); total = 0
    for (i = 2; i <= n; i++) total += y[i] - x[i]
    idle = (y[5] - x[5]) + (y[6] - x[6])
    printf "%d", (total > 0 ? 100 * (total - idle) / total + 0.5 : 0)
  }'
}
busy=$(cpu_busy)
mem_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)

echo "MACHINE"
printf '  %-10s %s\n' \
  cpu "$(lscpu | sed -n 's/^Model name: *//p' | head -1)" \
  cores "$(nproc) ($(lscpu | sed -n 's/^Thread(s) per core: *//p') thread(s) per core)" \
  memory "$(awk -v k="$mem_kb" 'BEGIN {printf "%.1f GiB", k / 1048576}')" \
  disk "$(df -h --output=avail,fstype "$dir" | tail -1 | awk '{print $1 " free (" $2 ")"}') at $dir" \
  kernel "$(uname -sr)" \
  strata "commit $commit" \
  restic "$(restic version 2>/dev/null | head -1 || echo 'not installed')" \
  date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  busy "${busy}% of all CPUs used by other work (1 s sample, before the benchmark)"
# Other work on the CPUs makes every figure pessimistic: say so where it is read.
if [ "$busy" -gt 10 ]; then
  echo "  WARNING: other processes use the CPUs: figures below are pessimistic"
fi
