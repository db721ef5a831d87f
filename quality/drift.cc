#include "quality/drift.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <utility>

#include "quality/internal/sort_numbers.h"

namespace strata::quality {

NumericSample::NumericSample(std::vector<double> values) : sorted_(std::move(values)) {
  SortNumbers(sorted_);
}

KolmogorovSmirnov KsTwoSample(const NumericSample& baseline,
                              const NumericSample& current) {
  const std::vector<double>& a = baseline.sorted();
  const std::vector<double>& b = current.sorted();
  const double n = static_cast<double>(a.size()), m = static_cast<double>(b.size());
  size_t i = 0, j = 0;
  double d = 0;
  // The CDFs change only at data points; past the end of either sample the gap
  // only closes, so the walk may stop there.
  while (i < a.size() && j < b.size()) {
    const double x = std::min(a[i], b[j]);
    while (i < a.size() && a[i] <= x) ++i;
    while (j < b.size() && b[j] <= x) ++j;
    d = std::max(d, std::abs(static_cast<double>(i) / n - static_cast<double>(j) / m));
  }
  KolmogorovSmirnov ks;
  ks.statistic = d;
  ks.p_value = KolmogorovSurvival(std::sqrt(n * m / (n + m)) * d);
  return ks;
}

double KolmogorovSurvival(double x) {
  if (x <= 0) return 1;
  constexpr double kPi = std::numbers::pi;
  if (x < 1) {
    // The alternating series converges slowly here; Jacobi's form of the CDF,
    // sqrt(2 pi)/x sum_{k>=1} exp(-(2k-1)^2 pi^2 / (8 x^2)), converges fast.
    double cdf = 0;
    for (int k = 1; k < 100; ++k) {
      const double term = std::exp(-(2 * k - 1) * (2 * k - 1) * kPi * kPi / (8 * x * x));
      cdf += term;
      if (term < 1e-300 || term < cdf * 1e-17) break;
    }
    return std::max(0.0, 1 - std::sqrt(2 * kPi) / x * cdf);
  }
  double sf = 0;
  for (int k = 1; k < 100; ++k) {
    const double term = std::exp(-2.0 * k * k * x * x);
    sf += (k % 2 == 1) ? term : -term;
    if (term < 1e-300 || term < sf * 1e-17) break;
  }
  return std::clamp(2 * sf, 0.0, 1.0);
}

std::vector<double> DecileEdges(const NumericSample& baseline) {
  const std::vector<double>& x = baseline.sorted();
  std::vector<double> edges;
  edges.reserve(kPsiBins - 1);
  for (int k = 1; k < kPsiBins; ++k) {
    // numpy's "linear" method, with its rounding: index (n-1) q, then a + (b-a) t
    // below t = 0.5 and b - (b-a)(1-t) from it.
    const double index = static_cast<double>(x.size() - 1) * (k / 10.0);
    const double below = std::floor(index);
    const size_t lo = static_cast<size_t>(below);
    if (lo + 1 >= x.size()) {
      edges.push_back(x.back());
      continue;
    }
    const double t = index - below, a = x[lo], b = x[lo + 1], diff = b - a;
    edges.push_back(t >= 0.5 ? b - diff * (1 - t) : a + diff * t);
  }
  return edges;
}

namespace {

double PsiTerm(double base_fraction, double current_fraction) {
  const double b = std::max(base_fraction, kPsiFloor);
  const double c = std::max(current_fraction, kPsiFloor);
  return (c - b) * std::log(c / b);
}

// Fractions of `x` in each bin [edge_{i-1}, edge_i), the first and last open.
std::vector<double> BinFractions(const std::vector<double>& x,
                                 const std::vector<double>& edges) {
  std::vector<double> fractions;
  size_t start = 0;
  for (size_t i = 0; i <= edges.size(); ++i) {
    const size_t end =
        i == edges.size()
            ? x.size()
            : static_cast<size_t>(std::lower_bound(x.begin(), x.end(), edges[i]) -
                                  x.begin());
    const size_t stop = std::max(start, end);
    fractions.push_back(static_cast<double>(stop - start) /
                        static_cast<double>(x.size()));
    start = stop;
  }
  return fractions;
}

}  // namespace

double PopulationStabilityIndex(const NumericSample& baseline,
                                const NumericSample& current) {
  const std::vector<double> edges = DecileEdges(baseline);
  const std::vector<double> b = BinFractions(baseline.sorted(), edges);
  const std::vector<double> c = BinFractions(current.sorted(), edges);
  double psi = 0;
  for (size_t i = 0; i < b.size(); ++i) psi += PsiTerm(b[i], c[i]);
  return psi;
}

namespace {

uint64_t Total(const CategoryCounts& counts) {
  uint64_t total = 0;
  for (const auto& [value, count] : counts) total += count;
  return total;
}

// Calls fn(p, q) with both sides' fractions of each category of their union.
template <typename Fn>
void ForEachCategory(const CategoryCounts& baseline, const CategoryCounts& current,
                     Fn fn) {
  const double nb = static_cast<double>(Total(baseline));
  const double nc = static_cast<double>(Total(current));
  for (const auto& [value, count] : baseline) {
    const auto it = current.find(value);
    fn(static_cast<double>(count) / nb,
       it == current.end() ? 0.0 : static_cast<double>(it->second) / nc);
  }
  for (const auto& [value, count] : current) {
    if (!baseline.contains(value)) fn(0.0, static_cast<double>(count) / nc);
  }
}

// p ln(p / q), 0 when p is 0.
double RelativeEntropy(double p, double q) { return p > 0 ? p * std::log(p / q) : 0; }

}  // namespace

double PopulationStabilityIndex(const CategoryCounts& baseline,
                                const CategoryCounts& current) {
  double psi = 0;
  ForEachCategory(baseline, current, [&](double b, double c) { psi += PsiTerm(b, c); });
  return psi;
}

double Wasserstein1(const NumericSample& baseline, const NumericSample& current) {
  const std::vector<double>& a = baseline.sorted();
  const std::vector<double>& b = current.sorted();
  const double n = static_cast<double>(a.size()), m = static_cast<double>(b.size());
  size_t i = 0, j = 0;
  double distance = 0;
  while (i < a.size() || j < b.size()) {
    const double x = (j == b.size() || (i < a.size() && a[i] <= b[j])) ? a[i] : b[j];
    while (i < a.size() && a[i] <= x) ++i;
    while (j < b.size() && b[j] <= x) ++j;
    if (i == a.size() && j == b.size()) break;
    const double next = (j == b.size() || (i < a.size() && a[i] <= b[j])) ? a[i] : b[j];
    distance +=
        std::abs(static_cast<double>(i) / n - static_cast<double>(j) / m) * (next - x);
  }
  return distance;
}

double JensenShannonDistance(const CategoryCounts& baseline,
                             const CategoryCounts& current) {
  double sum = 0;
  ForEachCategory(baseline, current, [&](double p, double q) {
    const double mid = (p + q) / 2;
    sum += RelativeEntropy(p, mid) + RelativeEntropy(q, mid);
  });
  return std::sqrt(std::max(0.0, sum / std::numbers::ln2 / 2));
}

NumericDrift CompareNumeric(const NumericSample& baseline, const NumericSample& current,
                            const DriftThresholds& thresholds) {
  NumericDrift d;
  d.ks = KsTwoSample(baseline, current);
  d.psi = PopulationStabilityIndex(baseline, current);
  d.wasserstein = Wasserstein1(baseline, current);
  d.drifted = d.psi >= thresholds.psi || (d.ks.p_value < thresholds.ks_p_value &&
                                          d.ks.statistic >= thresholds.ks_statistic);
  return d;
}

CategoricalDrift CompareCategorical(const CategoryCounts& baseline,
                                    const CategoryCounts& current,
                                    const DriftThresholds& thresholds) {
  CategoricalDrift d;
  d.psi = PopulationStabilityIndex(baseline, current);
  d.js = JensenShannonDistance(baseline, current);
  d.drifted = d.psi >= thresholds.psi;
  return d;
}

}  // namespace strata::quality
