// Drift results as the CLI prints them and the HTTP API answers them
// (docs/quality.md, "Drift", and docs/http-api.md, "Drift").
#ifndef STRATA_QUALITY_DRIFT_RENDER_H_
#define STRATA_QUALITY_DRIFT_RENDER_H_

#include <string>
#include <vector>

#include "quality/drift.pb.h"
#include "quality/drift_report.h"

namespace strata::quality {

// {"baseline","current","thresholds":{"psi","ks_p_value","ks_statistic"},
//  "features":[{"name","type","baseline_count","current_count",
//  "ks":{"statistic","p_value"},"psi","wasserstein","js","drifted"}]}; ks and
// wasserstein for numbers only, js for categories only.
std::string DriftJson(const DriftResult& result);
// A header row, then a row per feature: feature, type, ks D, ks p, psi, w1, js,
// verdict ("-" where a measure does not apply).
std::vector<std::vector<std::string>> DriftRows(const DriftResult& result);

DriftAnswer ToAnswer(const DriftResult& result);
DriftResult FromAnswer(const DriftAnswer& answer);

}  // namespace strata::quality

#endif  // STRATA_QUALITY_DRIFT_RENDER_H_
