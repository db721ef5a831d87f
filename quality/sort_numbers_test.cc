#include "quality/internal/sort_numbers.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace strata::quality {
namespace {

// Every size sorts as std::sort does: negatives, zeros of both signs (which come
// out as +0), infinities, denormals, repeats, and numbers of one scale.
TEST(SortNumbersTest, SortsLikeStdSortAtEverySize) {
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE(testing::Message() << "seed " << seed);
  std::mt19937_64 rng(seed);
  for (size_t n : {size_t{0}, size_t{1}, size_t{255}, size_t{256}, size_t{5000},
                   size_t{131071}, size_t{131072}, size_t{300000}}) {
    for (int shape = 0; shape < 3; ++shape) {
      std::vector<double> values(n);
      std::normal_distribution<double> normal(0, 1e3);
      std::uniform_real_distribution<double> unit(0.5, 1);
      for (double& v : values) {
        v = shape == 0 ? normal(rng) : shape == 1 ? unit(rng) : double(rng() % 7);
      }
      for (double special : {0.0, -0.0, 1e-310, -1e-310, HUGE_VAL, -HUGE_VAL}) {
        if (shape == 0 && n > 0) values[rng() % n] = special;
      }
      std::vector<double> expected = values;
      std::sort(expected.begin(), expected.end());
      SortNumbers(values.data(), values.data() + values.size());
      ASSERT_EQ(values.size(), expected.size());
      for (size_t i = 0; i < n; ++i) {
        ASSERT_EQ(values[i], expected[i])
            << "n " << n << " shape " << shape << " at " << i;
        ASSERT_FALSE(values[i] == 0 && std::signbit(values[i])) << "a -0 at " << i;
        if (i > 0) {
          ASSERT_LE(values[i - 1], values[i]);
        }
      }
    }
  }
}

// Merging with every other item of a second run gives std::merge's numbers, at
// every pair of sizes (either empty, one item, odd and even; one run short against
// the other, searched in it, on either side of the 8x where that starts) and with
// many ties.
TEST(SortNumbersTest, MergeEveryOtherMergesAsStdMerge) {
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE(testing::Message() << "seed " << seed);
  std::mt19937_64 rng(seed);
  for (size_t na : {0, 1, 2, 3, 10, 24, 25, 1000, 4097}) {
    for (size_t nb : {0, 1, 2, 3, 11, 23, 24, 999, 8192}) {
      for (int values = 0; values < 2; ++values) {
        const auto draw = [&] {
          return values == 0 ? double(rng() % 5) : double(rng() % 1000000) / 7;
        };
        std::vector<double> a(na), b(2 * nb + 1);
        for (double& v : a) v = draw();
        for (double& v : b) v = draw();
        std::sort(a.begin(), a.end());
        std::sort(b.begin(), b.end());
        std::vector<double> halves;
        for (size_t i = 0; i < nb; ++i) halves.push_back(b[2 * i]);
        std::vector<double> expected(na + nb), got(na + nb, -1);
        std::merge(a.begin(), a.end(), halves.begin(), halves.end(), expected.begin());
        MergeEveryOther(a.data(), na, b.data(), nb, got.data());
        ASSERT_EQ(got, expected) << "na " << na << " nb " << nb << " values " << values;
      }
    }
  }
}

}  // namespace
}  // namespace strata::quality
