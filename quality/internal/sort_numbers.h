// Sorting doubles, for the quantile sketch's lowest level (a few thousand numbers,
// sorted every time it fills) and drift's samples (millions, sorted once): Google
// Highway's vectorized quicksort (VQSort, Debian's libhwy-dev), which picks the
// widest vector instructions the processor has at run time; about twice the speed
// of a radix sort and eight times std::sort's on this machine (bench/README.md).
// Internal to quality/.
#ifndef STRATA_QUALITY_INTERNAL_SORT_NUMBERS_H_
#define STRATA_QUALITY_INTERNAL_SORT_NUMBERS_H_

#include <cstddef>
#include <vector>

namespace strata::quality {

// Sorts [begin, end) ascending, as std::sort does with operator<, for numbers
// without NaN. A -0 comes out as +0 (they compare equal; so the result is one
// sequence whatever the order a machine's vector width gives them). Thread-safe.
void SortNumbers(double* begin, double* end);
void SortNumbers(std::vector<double>& values);

// Merges the sorted a[0, na) with every other item of the sorted b (b[0], b[2], ...,
// b[2 (nb - 1)]) into out[0, na + nb), as std::merge would (of equal numbers, a's
// first): the quantile sketch's compaction. From both ends at once: a merge's steps
// wait on one another (each load on the last compare), and two independent chains
// run side by side. When one run is 8 or more times the other's length (the
// sketch's low levels, of a few hundred items, take thousands at a time), each
// item of the short one is placed by a galloping search in the long one instead,
// whose stretches in between are copied. REQUIRES: out overlaps neither input.
void MergeEveryOther(const double* a, size_t na, const double* b, size_t nb, double* out);

}  // namespace strata::quality

#endif  // STRATA_QUALITY_INTERNAL_SORT_NUMBERS_H_
