#include "quality/internal/sort_numbers.h"

#include <algorithm>
#include <bit>
#include <memory>
#include <utility>

namespace strata::quality {
namespace {

// A double's bits as an unsigned key in the same order (negatives reversed, then
// above them the positives); -0 sorts just before +0, which compare equal anyway.
uint64_t OrderedKey(uint64_t bits) {
  return (bits >> 63) != 0 ? ~bits : bits | (uint64_t{1} << 63);
}

uint64_t FromOrderedKey(uint64_t key) {
  return (key >> 63) != 0 ? key & ~(uint64_t{1} << 63) : ~key;
}

// Sorts by the bits from `lo` up to `hi`, the only ones that differ between keys
// (integers' low bits are zeros, numbers of one scale share their exponent): one
// histogram pass counts every digit, then a scatter pass per digit, skipping a digit
// that is the same in every key. Returns where the sorted keys are: `keys` or
// `spare`.
template <int kBits>
uint64_t* RadixSortKeys(uint64_t* keys, uint64_t* spare, size_t n, int lo, int hi) {
  constexpr int kMaxDigits = (64 + kBits - 1) / kBits;
  constexpr size_t kBuckets = size_t{1} << kBits;
  constexpr uint64_t kMask = kBuckets - 1;
  const int digits = (hi - lo) / kBits + 1;
  std::vector<uint32_t> counts(kMaxDigits * kBuckets, 0);  // n < 2^32
  for (size_t i = 0; i < n; ++i) {
    const uint64_t k = keys[i] >> lo;
    for (int d = 0; d < digits; ++d)
      ++counts[d * kBuckets + ((k >> (d * kBits)) & kMask)];
  }
  for (int d = 0; d < digits; ++d) {
    uint32_t* count = counts.data() + d * kBuckets;
    const int shift = lo + d * kBits;
    if (count[(keys[0] >> shift) & kMask] == n) continue;
    uint32_t at = 0;
    for (size_t b = 0; b < kBuckets; ++b) at += std::exchange(count[b], at);
    for (size_t i = 0; i < n; ++i) spare[count[(keys[i] >> shift) & kMask]++] = keys[i];
    std::swap(keys, spare);
  }
  return keys;
}

}  // namespace

void SortNumbers(double* begin, double* end, std::vector<uint64_t>* spare) {
  const size_t n = static_cast<size_t>(end - begin);
  if (n >= 256 && spare->size() < 2 * n) spare->resize(2 * n);
  SortNumbers(begin, end, spare->data());
}

void SortNumbers(std::vector<double>& values) {
  // Uninitialized: every key is written before it is read.
  std::unique_ptr<uint64_t[]> spare(values.size() >= 256 ? new uint64_t[2 * values.size()]
                                                         : nullptr);
  SortNumbers(values.data(), values.data() + values.size(), spare.get());
}

void SortNumbers(double* begin, double* end, uint64_t* spare) {
  const size_t n = static_cast<size_t>(end - begin);
  if (n < 256 || n >= (size_t{1} << 32)) {
    std::sort(begin, end);
    return;
  }
  // The keys in the spare's first half, sorted between its halves.
  uint64_t* keys = spare;
  const uint64_t first = OrderedKey(std::bit_cast<uint64_t>(begin[0]));
  uint64_t differ = 0;  // the bits that differ between keys
  for (size_t i = 0; i < n; ++i) {
    keys[i] = OrderedKey(std::bit_cast<uint64_t>(begin[i]));
    differ |= keys[i] ^ first;
  }
  if (differ == 0) return;  // one value throughout
  const int lo = std::countr_zero(differ), hi = 63 - std::countl_zero(differ);
  // 16-bit digits (4 passes) once the 64K-bucket histograms are small beside the
  // input; 11-bit digits (up to 6 passes, 12K buckets in all, 48 KB) below.
  uint64_t* sorted = n >= (size_t{1} << 17)
                         ? RadixSortKeys<16>(keys, spare + n, n, lo, hi)
                         : RadixSortKeys<11>(keys, spare + n, n, lo, hi);
  for (size_t i = 0; i < n; ++i)
    begin[i] = std::bit_cast<double>(FromOrderedKey(sorted[i]));
}

}  // namespace strata::quality
