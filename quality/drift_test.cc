#include "quality/drift.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/subprocess.h"
#include "tests/testing.h"

namespace strata::quality {
namespace {

// Reads cases from argv[1] and prints scipy's and numpy's measures, one line a case:
//   num: D, kstwobign.sf(sqrt(n m / (n + m)) D), PSI at numpy's deciles, W1
//   cat: PSI over the union of categories, Jensen-Shannon distance base 2
constexpr const char* kReference = R"(
import sys
import numpy as np
from scipy import stats
from scipy.spatial import distance

def psi(b, c):
    b = np.maximum(b, 0.0001)
    c = np.maximum(c, 0.0001)
    return float(np.sum((c - b) * np.log(c / b)))

lines = open(sys.argv[1]).read().split("\n")
for k in range(0, len(lines) - 1, 3):
    kind, base, cur = lines[k], lines[k + 1].split(), lines[k + 2].split()
    if kind == "num":
        b = np.array([float(v) for v in base])
        c = np.array([float(v) for v in cur])
        d = stats.ks_2samp(b, c).statistic
        n, m = len(b), len(c)
        p = stats.kstwobign.sf(np.sqrt(n * m / (n + m)) * d)
        edges = np.quantile(b, [i / 10 for i in range(1, 10)])
        bf = np.bincount(np.searchsorted(edges, b, side="right"), minlength=10) / n
        cf = np.bincount(np.searchsorted(edges, c, side="right"), minlength=10) / m
        w = stats.wasserstein_distance(b, c)
        print("%.17g %.17g %.17g %.17g" % (d, p, psi(bf, cf), w))
    else:
        bc = dict((v.split(":")[0], int(v.split(":")[1])) for v in base)
        cc = dict((v.split(":")[0], int(v.split(":")[1])) for v in cur)
        cats = sorted(set(bc) | set(cc))
        p = np.array([bc.get(x, 0) for x in cats], dtype=float)
        q = np.array([cc.get(x, 0) for x in cats], dtype=float)
        js = distance.jensenshannon(p, q, base=2)
        print("%.17g %.17g" % (psi(p / p.sum(), q / q.sum()), js))
)";

struct NumericCase {
  std::vector<double> baseline, current;
};
struct CategoricalCase {
  CategoryCounts baseline, current;
};

class DriftReferenceTest : public ::testing::Test {
 protected:
  // Runs the reference over the cases: one line of numbers a case.
  std::vector<std::vector<double>> Reference(const std::vector<NumericCase>& numeric,
                                             const std::vector<CategoricalCase>& cats) {
    const std::string file = dir_.Sub("cases.txt");
    {
      std::ofstream out(file);
      out.precision(17);
      for (const NumericCase& c : numeric) {
        out << "num\n";
        for (const auto* side : {&c.baseline, &c.current}) {
          for (double v : *side) out << v << ' ';
          out << '\n';
        }
      }
      for (const CategoricalCase& c : cats) {
        out << "cat\n";
        for (const auto* side : {&c.baseline, &c.current}) {
          for (const auto& [value, count] : *side) out << value << ':' << count << ' ';
          out << '\n';
        }
      }
    }
    const auto python = testing::RunProcess({"/usr/bin/python3", "-c", kReference, file});
    EXPECT_EQ(python.exit_code, 0) << python.err;
    std::vector<std::vector<double>> rows;
    std::istringstream in(python.out);
    for (std::string line; std::getline(in, line);) {
      std::istringstream fields(line);
      std::vector<double>& row = rows.emplace_back();
      for (double v; fields >> v;) row.push_back(v);
    }
    return rows;
  }

  testing::ScratchDir dir_;
};

// Within 1e-9, relative to the value's size when it exceeds 1.
void ExpectClose(double actual, double expected, const std::string& what) {
  EXPECT_NEAR(actual, expected, 1e-9 * std::max(1.0, std::abs(expected))) << what;
}

TEST_F(DriftReferenceTest, NumericMeasuresMatchScipyOnRandomSamples) {
  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE(absl::StrCat("seed ", seed));
  std::mt19937_64 rng(seed);
  std::vector<NumericCase> cases;
  for (int k = 0; k < 24; ++k) {
    std::uniform_int_distribution<int> size(1, k < 4 ? 8 : 3000);
    const double shift = std::uniform_real_distribution<double>(0, 0.5)(rng);
    std::normal_distribution<double> normal(0, 1);
    NumericCase c;
    const int n = size(rng), m = size(rng);
    // Every third case rounds values to a few integers: many ties, equal deciles.
    const bool ties = k % 3 == 0;
    for (int i = 0; i < n; ++i) {
      const double v = normal(rng) * 10;
      c.baseline.push_back(ties ? std::round(v / 5) : v);
    }
    for (int i = 0; i < m; ++i) {
      const double v = normal(rng) * 10 + shift * 10;
      c.current.push_back(ties ? std::round(v / 5) : v);
    }
    cases.push_back(std::move(c));
  }
  const auto reference = Reference(cases, {});
  ASSERT_EQ(reference.size(), cases.size());
  for (size_t k = 0; k < cases.size(); ++k) {
    SCOPED_TRACE(absl::StrCat("case ", k, ": ", cases[k].baseline.size(), " and ",
                              cases[k].current.size(), " values"));
    const NumericSample base(cases[k].baseline), cur(cases[k].current);
    const NumericDrift d = CompareNumeric(base, cur, {});
    ASSERT_EQ(reference[k].size(), 4u);
    ExpectClose(d.ks.statistic, reference[k][0], "KS D");
    ExpectClose(d.ks.p_value, reference[k][1], "KS p-value");
    ExpectClose(d.psi, reference[k][2], "PSI");
    ExpectClose(d.wasserstein, reference[k][3], "W1");
  }
}

TEST_F(DriftReferenceTest, CategoricalMeasuresMatchScipyOnRandomCounts) {
  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE(absl::StrCat("seed ", seed));
  std::mt19937_64 rng(seed);
  std::vector<CategoricalCase> cases;
  for (int k = 0; k < 20; ++k) {
    CategoricalCase c;
    // Categories 0..n drawn with skew; some present on one side only.
    std::uniform_int_distribution<int> categories(1, 12), count(0, 5000);
    for (auto* side : {&c.baseline, &c.current}) {
      const int n = categories(rng);
      for (int i = 0; i < n; ++i) {
        const int v = count(rng);
        if (v > 0 || side->empty()) (*side)[absl::StrCat("c", i)] = v + 1;
      }
    }
    cases.push_back(std::move(c));
  }
  const auto reference = Reference({}, cases);
  ASSERT_EQ(reference.size(), cases.size());
  for (size_t k = 0; k < cases.size(); ++k) {
    SCOPED_TRACE(absl::StrCat("case ", k));
    const CategoricalDrift d =
        CompareCategorical(cases[k].baseline, cases[k].current, {});
    ASSERT_EQ(reference[k].size(), 2u);
    ExpectClose(d.psi, reference[k][0], "PSI");
    ExpectClose(d.js, reference[k][1], "JS");
  }
}

// Large samples are radix-sorted: the order is std::sort's, negatives, zeros of
// both signs, infinities and denormals included.
TEST(NumericSampleTest, SortsLikeStdSort) {
  std::mt19937_64 rng(17);
  std::normal_distribution<double> normal(0, 1e3);
  std::vector<double> values(100000);
  for (double& v : values) v = normal(rng);
  for (double v : {0.0, -0.0, 1e-310, -1e-310, HUGE_VAL, -HUGE_VAL, -1.0, 1.0}) {
    values[rng() % values.size()] = v;
  }
  std::vector<double> expected = values;
  std::sort(expected.begin(), expected.end());
  const NumericSample sample(values);
  ASSERT_EQ(sample.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    ASSERT_EQ(sample.sorted()[i], expected[i]) << i;  // -0 == +0
  }
  std::vector<double> same(5000, 2.5);
  EXPECT_EQ(NumericSample(same).sorted(), same);
}

TEST(KolmogorovSurvival, KnownValuesAndBounds) {
  EXPECT_EQ(KolmogorovSurvival(0), 1);
  EXPECT_EQ(KolmogorovSurvival(-1), 1);
  // Q(1.3580986393225505) = 0.05: the classic 5% critical value.
  EXPECT_NEAR(KolmogorovSurvival(1.3580986393225505), 0.05, 1e-12);
  EXPECT_NEAR(KolmogorovSurvival(0.01), 1, 1e-15);
  EXPECT_GE(KolmogorovSurvival(10), 0);
  EXPECT_LT(KolmogorovSurvival(10), 1e-80);
}

TEST(DriftVerdict, SameDistributionNoDriftShiftedDrift) {
  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE(absl::StrCat("seed ", seed));
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0, 1);
  std::vector<double> a, b, shifted;
  for (int i = 0; i < 20000; ++i) {
    a.push_back(normal(rng));
    b.push_back(normal(rng));
    shifted.push_back(normal(rng) + 0.5);
  }
  const NumericSample sa(a), sb(b), ss(shifted);
  const NumericDrift same = CompareNumeric(sa, sb, {});
  EXPECT_FALSE(same.drifted) << "D " << same.ks.statistic << " psi " << same.psi;
  const NumericDrift moved = CompareNumeric(sa, ss, {});
  EXPECT_TRUE(moved.drifted);
  EXPECT_GT(moved.ks.statistic, 0.15);
  EXPECT_LT(moved.ks.p_value, 1e-10);
  EXPECT_NEAR(moved.wasserstein, 0.5, 0.05);
  // A threshold the shift stays under: no verdict from it.
  EXPECT_FALSE(
      CompareNumeric(sa, ss, {.psi = 10, .ks_p_value = 0.05, .ks_statistic = 0.5})
          .drifted);

  const CategoryCounts base = {{"red", 5000}, {"green", 3000}, {"blue", 2000}};
  const CategoryCounts near = {{"red", 4950}, {"green", 3020}, {"blue", 2030}};
  const CategoryCounts moved_cats = {{"red", 2000}, {"green", 3000}, {"blue", 5000}};
  EXPECT_FALSE(CompareCategorical(base, near, {}).drifted);
  EXPECT_TRUE(CompareCategorical(base, moved_cats, {}).drifted);
  // A category only one side has counts at the floor, not as an infinite term.
  const CategoricalDrift new_value = CompareCategorical(base, {{"purple", 10}}, {});
  EXPECT_TRUE(std::isfinite(new_value.psi));
  EXPECT_TRUE(new_value.drifted);
  EXPECT_NEAR(new_value.js, 1, 1e-12);
  EXPECT_EQ(CompareCategorical(base, base, {}).js, 0);
}

}  // namespace
}  // namespace strata::quality
