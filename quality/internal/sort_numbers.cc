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

namespace {

// The merges of MergeEveryOther where one run is many times the other's length:
// the short run's items are placed by a search in the long one, whose stretches in
// between are copied, at a fraction of a compare's cost an item.

// The first index in [from, n) that `before` (true of a prefix of the range, false
// after) is false of, n if none: a galloping search from `from`, short steps first,
// as the next short-run item usually lands near the last.
template <typename Before>
size_t FirstNotBefore(const Before& before, size_t from, size_t n) {
  size_t lo = from, hi = from, step = 1;
  while (hi < n && before(hi)) {
    lo = hi + 1;
    hi = from + step;
    step *= 2;
  }
  hi = std::min(hi, n);
  while (lo < hi) {  // before(lo - 1) (or lo == from); !before(hi) (or hi == n)
    const size_t mid = lo + (hi - lo) / 2;
    if (before(mid)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

// a short: each a item after the halves below it (a's first on ties).
void MergeShortA(const double* a, size_t na, const double* b, size_t nb, double* out) {
  size_t j = 0;
  for (size_t i = 0; i < na; ++i) {
    const double x = a[i];
    const size_t end = FirstNotBefore([&](size_t k) { return b[2 * k] < x; }, j, nb);
    for (; j < end; ++j) *out++ = b[2 * j];
    *out++ = x;
  }
  for (; j < nb; ++j) *out++ = b[2 * j];
}

// b's halves short: each after the a items at or below it (a's first on ties).
void MergeShortB(const double* a, size_t na, const double* b, size_t nb, double* out) {
  size_t i = 0;
  for (size_t j = 0; j < nb; ++j) {
    const double x = b[2 * j];
    const size_t end = FirstNotBefore([&](size_t k) { return a[k] <= x; }, i, na);
    out = std::copy(a + i, a + end, out);
    i = end;
    *out++ = x;
  }
  std::copy(a + i, a + na, out);
}

// How many times one run's length the other's must be for the searches to pay.
constexpr size_t kSkew = 8;

}  // namespace

void MergeEveryOther(const double* a, size_t na, const double* b, size_t nb,
                     double* out) {
  if (na * kSkew <= nb) return MergeShortA(a, na, b, nb, out);
  if (nb * kSkew <= na) return MergeShortB(a, na, b, nb, out);
  // Indexes of the items still to be placed: a[alo..ahi], b[2 blo..2 bhi]; out is
  // filled from olo up and from ohi down.
  ptrdiff_t alo = 0, ahi = static_cast<ptrdiff_t>(na) - 1;
  ptrdiff_t blo = 0, bhi = static_cast<ptrdiff_t>(nb) - 1;
  ptrdiff_t olo = 0, ohi = static_cast<ptrdiff_t>(na + nb) - 1;
  // While each side has two or more items left, both steps read only items still
  // to be placed. Without branches on the comparisons: they are coin flips here.
  while (ahi - alo >= 1 && bhi - blo >= 1) {
    const bool low_b = b[2 * blo] < a[alo];  // the smallest; a's first on ties
    out[olo++] = low_b ? b[2 * blo] : a[alo];
    alo += low_b ? 0 : 1;
    blo += low_b ? 1 : 0;
    const bool high_a = b[2 * bhi] < a[ahi];  // the largest; b's last on ties
    out[ohi--] = high_a ? a[ahi] : b[2 * bhi];
    ahi -= high_a ? 1 : 0;
    bhi -= high_a ? 0 : 1;
  }
  while (alo <= ahi && blo <= bhi) {
    const bool low_b = b[2 * blo] < a[alo];
    out[olo++] = low_b ? b[2 * blo] : a[alo];
    alo += low_b ? 0 : 1;
    blo += low_b ? 1 : 0;
  }
  for (; alo <= ahi; ++alo) out[olo++] = a[alo];
  for (; blo <= bhi; ++blo) out[olo++] = b[2 * blo];
}

}  // namespace strata::quality
