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
  date "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
