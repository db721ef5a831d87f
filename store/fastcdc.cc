#include "store/fastcdc.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdlib>

namespace strata {
namespace {

// splitmix64 with a fixed seed: a deterministic, well-mixed Gear table.
constexpr std::array<uint64_t, 256> MakeGearTable() {
  std::array<uint64_t, 256> table{};
  uint64_t state = 0x5354524154414344ULL;  // "STRATACD"
  for (auto& entry : table) {
    state += 0x9e3779b97f4a7c15ULL;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    entry = z ^ (z >> 31);
  }
  return table;
}

constexpr std::array<uint64_t, 256> kGear = MakeGearTable();

// A mask of `bits` one-bits spread evenly over the top 48 bits of the hash. With the
// left-shifting Gear hash, bit i depends on the last i+1 bytes, so high bits give the
// match a window of about 48 bytes.
uint64_t SpreadMask(int bits) {
  uint64_t mask = 0;
  for (int i = 0; i < bits; ++i) {
    int pos = 63 - (i * 48) / bits;
    mask |= uint64_t{1} << pos;
  }
  return mask;
}

}  // namespace

const uint64_t* FastCdc::GearTable() { return kGear.data(); }

FastCdc::FastCdc(const ChunkerOptions& options) : options_(options) {
  if (!(options.min_size < options.avg_size && options.avg_size < options.max_size) ||
      !std::has_single_bit(options.avg_size) || options.avg_size < 256) {
    std::abort();  // A programming error: options are compile-time choices.
  }
  const int bits = std::countr_zero(options.avg_size);
  // Normalization level 2 (the paper's recommendation).
  mask_small_ = SpreadMask(bits + 2);
  mask_large_ = SpreadMask(bits - 2);
}

size_t FastCdc::NextCut(absl::string_view data) const {
  size_t n = data.size();
  if (n <= options_.min_size) return n;
  n = std::min(n, options_.max_size);
  const size_t normal = std::min(n, options_.avg_size);
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  uint64_t fp = 0;
  size_t i = options_.min_size;
  for (; i < normal; ++i) {
    fp = (fp << 1) + kGear[p[i]];
    if ((fp & mask_small_) == 0) return i + 1;
  }
  for (; i < n; ++i) {
    fp = (fp << 1) + kGear[p[i]];
    if ((fp & mask_large_) == 0) return i + 1;
  }
  return n;
}

}  // namespace strata
