#include "features/retention.h"

#include "store/json_writer.h"
#include "store/status_macros.h"

namespace strata::features {

absl::StatusOr<gc::RetentionReport> ApplyRetentionWithLogs(Store& store,
                                                           FeatureStore& features,
                                                           bool dry_run,
                                                           const Actor& who) {
  gc::RetentionOptions options;
  options.dry_run = dry_run;
  options.who = who;
  options.trim_log = [&features](
                         gc::LogTrim* trim, bool dry,
                         const std::vector<std::string>& expiring) -> absl::Status {
    LogTrimOptions trim_options;
    trim_options.dry_run = dry;
    // A policy never breaks a kept training set: it trims as far as they allow.
    trim_options.stop_at_safe_horizon = true;
    trim_options.expiring = expiring;
    ASSIGN_OR_RETURN(LogTrimReport r,
                     features.TrimLog(trim->view, trim->horizon_us, trim_options));
    trim->rows_before = r.rows_before;
    trim->rows_dropped = r.rows_dropped;
    trim->bytes_before = r.bytes_before;
    trim->bytes_after = r.bytes_after;
    for (const BrokenTrainingSet& b : r.breaks) trim->held_back_by.push_back(b.dataset);
    if (!r.breaks.empty() && !r.skipped) trim->trimmed_to_us = r.horizon;
    return absl::OkStatus();
  };
  return gc::ApplyRetention(store, options);
}

}  // namespace strata::features
