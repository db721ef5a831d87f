// Drift measures between a baseline sample and a current one (docs/quality.md,
// "Drift"): the two-sample Kolmogorov-Smirnov test, the Population Stability Index,
// the Wasserstein-1 distance and the Jensen-Shannon distance, and the verdict drawn
// from them. Pure functions of their samples; nulls are left out by the caller.
//
//   NumericSample base(std::move(train_values)), now(std::move(served_values));
//   NumericDrift d = CompareNumeric(base, now, DriftThresholds{});
//   if (d.drifted) ...
#ifndef STRATA_QUALITY_DRIFT_H_
#define STRATA_QUALITY_DRIFT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace strata::quality {

// When a feature counts as drifted. Defaults as issue 17 states them; a feature view
// may declare its own (`drift:` in the definitions file).
struct DriftThresholds {
  // Drifted when PSI >= psi (numbers and categories). Default 0.2: the usual
  // "significant shift" line of credit scoring, where PSI comes from.
  double psi = 0.2;
  // Numbers are also drifted when the KS p-value < ks_p_value and D >= ks_statistic.
  // Defaults 0.05 and 0.1: on large samples p alone flags differences too small to
  // matter, so a shift of at least 10 points of CDF is required as well.
  double ks_p_value = 0.05;
  double ks_statistic = 0.1;
};

// A sample of numbers, sorted once for every measure. Value type.
class NumericSample {
 public:
  // REQUIRES: no NaN in values.
  explicit NumericSample(std::vector<double> values);
  const std::vector<double>& sorted() const { return sorted_; }
  size_t size() const { return sorted_.size(); }

 private:
  std::vector<double> sorted_;
};

// Category -> number of rows holding it.
using CategoryCounts = absl::flat_hash_map<std::string, uint64_t>;

struct KolmogorovSmirnov {
  double statistic = 0;  // D = max over x of |F_baseline(x) - F_current(x)|
  double p_value = 1;    // Q_KS(sqrt(n m / (n + m)) D), Kolmogorov's limit
};

// The exact two-sample statistic D over right-continuous empirical CDFs (ties
// counted as scipy.stats.ks_2samp counts them) and its asymptotic two-sided p-value
// (scipy.stats.kstwobign.sf). REQUIRES: both samples non-empty.
KolmogorovSmirnov KsTwoSample(const NumericSample& baseline,
                              const NumericSample& current);

// Kolmogorov's survival function Q_KS(x) = 2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 x^2)
// (1 for x <= 0), to about 1e-15 absolute.
double KolmogorovSurvival(double x);

// The baseline's deciles as numpy.quantile computes them (linear interpolation
// between order statistics): the 9 cut points of PSI's 10 bins.
// REQUIRES: baseline non-empty.
std::vector<double> DecileEdges(const NumericSample& baseline);

// PSI = sum_i (c_i - b_i) ln(c_i / b_i) over the 10 bins cut at the baseline's
// deciles (bin i holds values x with edge_i <= x < edge_{i+1}), b_i and c_i each
// side's fraction of its rows in bin i, floored at kPsiFloor.
// REQUIRES: both samples non-empty.
double PopulationStabilityIndex(const NumericSample& baseline,
                                const NumericSample& current);
// The same sum over the union of both sides' categories.
// REQUIRES: both sides count at least one row.
double PopulationStabilityIndex(const CategoryCounts& baseline,
                                const CategoryCounts& current);
inline constexpr double kPsiFloor = 0.0001;
inline constexpr int kPsiBins = 10;

// W1 = integral over x of |F_baseline(x) - F_current(x)| (scipy's
// wasserstein_distance without weights). REQUIRES: both samples non-empty.
double Wasserstein1(const NumericSample& baseline, const NumericSample& current);

// sqrt((KL(p || m) + KL(q || m)) / 2) in bits, m = (p + q) / 2, over the union of
// categories (scipy.spatial.distance.jensenshannon with base=2): 0 for the same
// distribution, 1 for disjoint ones. REQUIRES: both sides count at least one row.
double JensenShannonDistance(const CategoryCounts& baseline,
                             const CategoryCounts& current);

struct NumericDrift {
  KolmogorovSmirnov ks;
  double psi = 0;
  double wasserstein = 0;
  bool drifted =
      false;  // psi >= t.psi || (ks.p_value < t.ks_p_value && D >= t.ks_statistic)
};
// Every numeric measure and the verdict. REQUIRES: both samples non-empty.
NumericDrift CompareNumeric(const NumericSample& baseline, const NumericSample& current,
                            const DriftThresholds& thresholds);

struct CategoricalDrift {
  double psi = 0;
  double js = 0;
  bool drifted = false;  // psi >= t.psi
};
// Every categorical measure and the verdict. REQUIRES: both sides count a row.
CategoricalDrift CompareCategorical(const CategoryCounts& baseline,
                                    const CategoryCounts& current,
                                    const DriftThresholds& thresholds);

}  // namespace strata::quality

#endif  // STRATA_QUALITY_DRIFT_H_
