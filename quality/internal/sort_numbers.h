// Sorting doubles by their bits: a least-significant-digit radix sort over keys that
// order as the numbers do, for the quantile sketch's lowest level (a few thousand
// numbers, sorted every time it fills) and drift's samples (millions, sorted once).
// No comparisons, so no mispredicted branches: several times std::sort's speed from a
// few hundred numbers up. Internal to quality/.
#ifndef STRATA_QUALITY_INTERNAL_SORT_NUMBERS_H_
#define STRATA_QUALITY_INTERNAL_SORT_NUMBERS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace strata::quality {

// Sorts [begin, end) ascending as std::sort does with operator< on numbers without
// NaN (-0 and +0, equal, may come in either order). `spare` is scratch of at least
// 2 * (end - begin) numbers (when 256 or more).
void SortNumbers(double* begin, double* end, uint64_t* spare);
// The same, with `spare` grown as needed and kept between calls by callers that sort
// often. Thread-compatible: one spare per thread.
void SortNumbers(double* begin, double* end, std::vector<uint64_t>* spare);
void SortNumbers(std::vector<double>& values);

}  // namespace strata::quality

#endif  // STRATA_QUALITY_INTERNAL_SORT_NUMBERS_H_
