// ApplyRetentionWithLogs: the retention policies applied to a whole store, the
// feature views' offline logs included (strata retention apply, POST
// /v1/retention/apply). A trim's JSON form is in features/render.h.
#ifndef STRATA_FEATURES_RETENTION_H_
#define STRATA_FEATURES_RETENTION_H_

#include <string>

#include "absl/status/statusor.h"
#include "features/feature_store.h"
#include "gc/retention.h"

namespace strata::features {

// gc::ApplyRetention, each feature view with a --log-keep policy trimmed with
// FeatureStore::TrimLog (dry run: measured), never so far that a kept saved training
// set becomes unreproducible: only to the latest safe horizon, or not at all, the
// sets that held it back named in gc::LogTrim::held_back_by. Errors: as those two.
absl::StatusOr<gc::RetentionReport> ApplyRetentionWithLogs(Store& store,
                                                           FeatureStore& features,
                                                           bool dry_run,
                                                           const Actor& who);

}  // namespace strata::features

#endif  // STRATA_FEATURES_RETENTION_H_
