// The passes of a number column's profile over its values (quality/profile.cc):
// min, max, a compensated sum and squared deviations, in four interleaved lanes
// (lane l takes the values at i % 4 == l), as vectors of four where the processor
// has them (AVX2, chosen at run time). Every lane does the same floating-point
// operations in the same order whatever the processor (no fused multiply-add), so
// a profile is the same number for number on every machine. Internal to quality/.
#ifndef STRATA_QUALITY_INTERNAL_COLUMN_SUMS_H_
#define STRATA_QUALITY_INTERNAL_COLUMN_SUMS_H_

#include <cstddef>
#include <cstdint>

namespace strata::quality {

struct SumLanes {
  double lo[4], hi[4];      // each lane's least and greatest value
  double sum[4], error[4];  // Neumaier's compensated sum: sum + error
};

// Adds x[0, n) to `lanes` (x[i] to lane i % 4, and the items past the last whole
// four to lane 0): lo and hi as std::min and std::max would keep them, the sums as
// Neumaier's summation.
void AddInLanes(const double* x, size_t n, SumLanes* lanes);

// For x[0, n), with d = x[i] - mean where present[i] != 0 and 0 where not: adds
// d * d (rounded, then added) to m2[i % 4] and d to shift[i % 4] (to lane 0 past the
// last whole four).
void AddDeviationsInLanes(const double* x, const uint8_t* present, size_t n, double mean,
                          double m2[4], double shift[4]);

}  // namespace strata::quality

#endif  // STRATA_QUALITY_INTERNAL_COLUMN_SUMS_H_
