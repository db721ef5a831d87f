// The latest drift result per (view, feature), as Prometheus gauges for a server's
// /metrics (docs/quality.md, "Drift on /metrics"). Kept in memory: a restarted
// server exports what it computes from then on.
#ifndef STRATA_QUALITY_DRIFT_GAUGES_H_
#define STRATA_QUALITY_DRIFT_GAUGES_H_

#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "quality/drift_report.h"

namespace strata::quality {

// Thread-safe: Record and Text may be called from any thread.
class DriftGauges {
 public:
  // Keeps each of `result`'s features as the latest for (result.view, feature),
  // replacing an earlier one.
  void Record(const DriftResult& result);

  // strata_drift_psi, _ks_statistic, _ks_p_value, _wasserstein, _js and _drifted
  // (0 or 1) gauges labelled {view, feature}, in Prometheus' text format; a measure
  // that does not apply to a feature's type is not written. Empty when nothing was
  // recorded.
  std::string Text() const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, FeatureDrift> latest_;  // GUARDED_BY(mu_)
};

}  // namespace strata::quality

#endif  // STRATA_QUALITY_DRIFT_GAUGES_H_
