#include "quality/internal/column_sums.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testing.h"

namespace strata::quality {
namespace {

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// The lanes are the one-value-at-a-time loops they replace, bit for bit: large and
// small numbers mixed (where the compensation matters), zeros of both signs,
// infinities, and nulls.
TEST(ColumnSumsTest, LanesAreTheScalarLoopsBitForBit) {
  std::mt19937_64 rng(testing::TestSeed());
  std::uniform_real_distribution<double> unit(-1, 1);
  for (size_t n : {size_t{0}, size_t{4}, size_t{8}, size_t{4096}, size_t{65536}}) {
    std::vector<double> x(n);
    std::vector<uint8_t> present(n);
    for (size_t i = 0; i < n; ++i) {
      const uint64_t kind = rng() % 16;
      x[i] = kind == 0   ? 1.7e15 + unit(rng)  // timestamps in microseconds
             : kind == 1 ? -0.0
             : kind == 2 ? 0.0
                         : unit(rng) * std::pow(10.0, static_cast<double>(rng() % 12));
      present[i] = rng() % 7 != 0;
    }
    if (n >= 8) x[5] = std::numeric_limits<double>::infinity();
    SumLanes lanes = {{1, 1, 1, 1}, {1, 1, 1, 1}, {0.5, 0, 0, 0}, {0, 0, 1e-20, 0}};
    SumLanes expected = lanes;
    for (size_t i = 0; i < n; ++i) {
      const size_t l = i % 4;
      expected.lo[l] = std::min(expected.lo[l], x[i]);
      expected.hi[l] = std::max(expected.hi[l], x[i]);
      const double s = expected.sum[l], t = s + x[i];
      expected.error[l] +=
          std::abs(s) >= std::abs(x[i]) ? (s - t) + x[i] : (x[i] - t) + s;
      expected.sum[l] = t;
    }
    AddInLanes(x.data(), n, &lanes);
    const double mean = 12.25;
    double m2[4] = {0, 1, 0, 0}, shift[4] = {0, 0, 2, 0};
    double m2_expected[4] = {0, 1, 0, 0}, shift_expected[4] = {0, 0, 2, 0};
    std::vector<double> finite = x;
    std::replace(finite.begin(), finite.end(), std::numeric_limits<double>::infinity(),
                 3.0);
    for (size_t i = 0; i < n; ++i) {
      const double d = present[i] != 0 ? finite[i] - mean : 0.0;
      const double square = d * d;  // rounded on its own, as the lanes do
      m2_expected[i % 4] += square;
      shift_expected[i % 4] += d;
    }
    AddDeviationsInLanes(finite.data(), present.data(), n, mean, m2, shift);
    for (int l = 0; l < 4; ++l) {
      SCOPED_TRACE(::testing::Message() << "n " << n << " lane " << l);
      EXPECT_TRUE(SameBits(lanes.lo[l], expected.lo[l])) << lanes.lo[l];
      EXPECT_TRUE(SameBits(lanes.hi[l], expected.hi[l])) << lanes.hi[l];
      EXPECT_TRUE(SameBits(lanes.sum[l], expected.sum[l])) << lanes.sum[l];
      EXPECT_TRUE(SameBits(lanes.error[l], expected.error[l])) << lanes.error[l];
      EXPECT_TRUE(SameBits(m2[l], m2_expected[l])) << m2[l] << " " << m2_expected[l];
      EXPECT_TRUE(SameBits(shift[l], shift_expected[l])) << shift[l];
    }
  }
}

}  // namespace
}  // namespace strata::quality
