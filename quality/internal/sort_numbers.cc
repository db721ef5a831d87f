#include "quality/internal/sort_numbers.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "hwy/contrib/sort/vqsort.h"

namespace strata::quality {
namespace {

constexpr double kMax = std::numeric_limits<double>::max();

}  // namespace

void SortNumbers(double* begin, double* end) {
  const size_t n = static_cast<size_t>(end - begin);
  if (n < 2) {
    if (n == 1 && *begin == 0) *begin = 0;
    return;
  }
  // VQSort (Highway 1.0.3) returns an infinity as the largest finite number: such
  // input (which no parsed value is) takes std::sort.
  bool finite = true;
  for (const double* x = begin; x != end; ++x) finite &= std::abs(*x) <= kMax;
  if (!finite) {
    std::sort(begin, end);
  } else {
    // One per thread: a sorter keeps scratch memory between calls.
    thread_local const hwy::Sorter sorter;
    sorter(begin, n, hwy::SortAscending());
  }
  // Zeros of both signs are adjacent now.
  double* zero = std::lower_bound(begin, end, 0.0);
  for (; zero != end && *zero == 0; ++zero) *zero = 0;
}

void SortNumbers(std::vector<double>& values) {
  SortNumbers(values.data(), values.data() + values.size());
}

}  // namespace strata::quality
