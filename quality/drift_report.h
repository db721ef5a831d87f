// Drift between two tables (docs/quality.md, "Drift"): each side a dataset version
// (a saved training set is one) or a feature-view window, read through
// quality/table_source.h, compared feature by feature with quality/drift.h.
//
//   DriftRequest request{.baseline = "dataset/train@3",
//                        .current = "featureview/trips[2026-12-01..2026-12-02]"};
//   ASSIGN_OR_RETURN(DriftResult result, Drift(store, fs, request));
#ifndef STRATA_QUALITY_DRIFT_REPORT_H_
#define STRATA_QUALITY_DRIFT_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "features/feature_store.h"
#include "quality/drift.h"
#include "quality/table_source.h"
#include "store/store.h"

namespace strata::quality {

struct DriftRequest {
  std::string baseline, current;  // ParseSourceRef's forms
  // The columns to compare; empty: every column both sides have, except join keys
  // (of the views either side reads) and timestamps.
  std::vector<std::string> features;
};

struct FeatureDrift {
  std::string name;
  ColumnType type = ColumnType::kDouble;
  bool numeric = true;  // int64 and double; strings and bools are categories
  uint64_t baseline_count = 0, current_count = 0;  // values compared (nulls left out)
  NumericDrift numbers;                            // numeric only
  CategoricalDrift categories;                     // categorical only
  bool drifted = false;
};

struct DriftResult {
  std::string baseline, current;  // as read: "dataset/NAME@N" or the window
  // What /metrics labels the result with: the current side's view when it is a
  // window, else the baseline's, else the current dataset ("dataset/NAME").
  std::string view;
  DriftThresholds thresholds;  // the ones applied
  std::vector<FeatureDrift> features;
};

// Compares the two sides. Thresholds: the current side's view's when it is a
// window, else the baseline's, else the defaults.
// Errors: as ParseSourceRef and ReadSource; InvalidArgument when a feature's type
// differs between the sides (numbers against strings), when a requested feature
// is a timestamp, when no column is common, or when a side has no value of a feature.
absl::StatusOr<DriftResult> Drift(Store& store, features::FeatureStore& fs,
                                  const DriftRequest& request);

}  // namespace strata::quality

#endif  // STRATA_QUALITY_DRIFT_REPORT_H_
