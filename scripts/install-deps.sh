#!/usr/bin/env bash
# Installs the Debian packages strata needs to build, test and benchmark.
# Idempotent: does nothing when every package is already present.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  librocksdb-dev libprotobuf-dev protobuf-compiler
  libssl-dev libzstd-dev libabsl-dev libcli11-dev
  libjemalloc-dev libyaml-cpp-dev libsimdjson-dev libcpp-httplib-dev
  libgtest-dev libgmock-dev libbenchmark-dev libre2-dev libhwy-dev
  restic redis-server libhiredis-dev
  libcurl4-openssl-dev ceph-mon ceph-osd ceph-mgr radosgw ceph-common
  python3-pandas python3-numpy python3-pytest python3-venv python3-pip
  python3-setuptools python3-redis python3-scipy nodejs
)

# --fuzz: also clang and libFuzzer, for `make fuzz`.
if [ "${1:-}" = "--fuzz" ]; then
  PACKAGES+=(clang-16 libfuzzer-16-dev libclang-rt-16-dev llvm-16)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# npm (bench/features_bench.sh installs DuckDB's Node package with it): Debian's
# nodejs needs the separate npm package; other builds of nodejs (NodeSource) bring
# npm themselves and conflict with Debian's.
if ! command -v npm > /dev/null; then
  missing+=(npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
