// Compiled with -ffp-contract=off (quality/CMakeLists.txt): a clone for a
// processor with fused multiply-add would otherwise round d * d + m2 once instead
// of twice, and profiles would differ in their last bits between machines.
#include "quality/internal/column_sums.h"

#include <cmath>
#include <cstring>

namespace strata::quality {
namespace {

using V4 = double __attribute__((vector_size(32)));
using M4 = int64_t __attribute__((vector_size(32)));

V4 Load(const double* p) {
  V4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
void Store(V4 v, double* p) { std::memcpy(p, &v, sizeof v); }
V4 Abs(V4 v) {
  return reinterpret_cast<V4>(reinterpret_cast<M4>(v) & 0x7fffffffffffffffLL);
}

}  // namespace

__attribute__((target_clones("arch=x86-64-v3", "default"))) void AddInLanes(
    const double* x, size_t n, SumLanes* lanes) {
  V4 lo = Load(lanes->lo), hi = Load(lanes->hi);
  V4 sum = Load(lanes->sum), error = Load(lanes->error);
  const size_t whole = n / 4 * 4;
  for (size_t i = 0; i < whole; i += 4) {
    const V4 v = Load(x + i);
    lo = v < lo ? v : lo;  // std::min(lo, v)
    hi = hi < v ? v : hi;  // std::max(hi, v)
    const V4 t = sum + v;
    error += Abs(sum) >= Abs(v) ? (sum - t) + v : (v - t) + sum;
    sum = t;
  }
  Store(lo, lanes->lo);
  Store(hi, lanes->hi);
  Store(sum, lanes->sum);
  Store(error, lanes->error);
  for (size_t i = whole; i < n; ++i) {  // the last few, to lane 0
    const double v = x[i], s = lanes->sum[0], t = s + v;
    lanes->lo[0] = v < lanes->lo[0] ? v : lanes->lo[0];
    lanes->hi[0] = lanes->hi[0] < v ? v : lanes->hi[0];
    lanes->error[0] += std::abs(s) >= std::abs(v) ? (s - t) + v : (v - t) + s;
    lanes->sum[0] = t;
  }
}

__attribute__((target_clones("arch=x86-64-v3", "default"))) void AddDeviationsInLanes(
    const double* x, const uint8_t* present, size_t n, double mean, double m2[4],
    double shift[4]) {
  V4 squares = Load(m2), sum = Load(shift);
  const V4 means = {mean, mean, mean, mean};
  const V4 zero = {0, 0, 0, 0};
  const size_t whole = n / 4 * 4;
  for (size_t i = 0; i < whole; i += 4) {
    const M4 here = {present[i], present[i + 1], present[i + 2], present[i + 3]};
    const V4 d = here != 0 ? Load(x + i) - means : zero;
    squares += d * d;
    sum += d;
  }
  Store(squares, m2);
  Store(sum, shift);
  for (size_t i = whole; i < n; ++i) {  // the last few, to lane 0
    const double d = present[i] != 0 ? x[i] - mean : 0.0;
    m2[0] += d * d;
    shift[0] += d;
  }
}

}  // namespace strata::quality
