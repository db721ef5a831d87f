// Sorting doubles, for the quantile sketch's lowest level (a few thousand numbers,
// sorted every time it fills) and drift's samples (millions, sorted once): Google
// Highway's vectorized quicksort (VQSort, Debian's libhwy-dev), which picks the
// widest vector instructions the processor has at run time; about twice the speed
// of a radix sort and eight times std::sort's on this machine (bench/README.md).
// Internal to quality/.
#ifndef STRATA_QUALITY_INTERNAL_SORT_NUMBERS_H_
#define STRATA_QUALITY_INTERNAL_SORT_NUMBERS_H_

#include <vector>

namespace strata::quality {

// Sorts [begin, end) ascending, as std::sort does with operator<, for numbers
// without NaN. A -0 comes out as +0 (they compare equal; so the result is one
// sequence whatever the order a machine's vector width gives them). Thread-safe.
void SortNumbers(double* begin, double* end);
void SortNumbers(std::vector<double>& values);

}  // namespace strata::quality

#endif  // STRATA_QUALITY_INTERNAL_SORT_NUMBERS_H_
