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

std::string LogTrimReportJson(const LogTrimReport& r) {
  JsonWriter w;
  w.BeginObject().Key("featureview").String(r.view);
  w.Key("horizon").String(FormatTimestamp(r.horizon)).Key("dry_run").Bool(r.dry_run);
  w.Key("ingest_position").Uint(r.at.position).Key("entities").Uint(r.entities);
  w.Key("rows_before").Uint(r.rows_before).Key("rows_dropped").Uint(r.rows_dropped);
  w.Key("rows_kept_at_horizon").Uint(r.rows_kept_at_horizon);
  w.Key("chunks_dropped").Uint(r.chunks_dropped);
  w.Key("chunks_rewritten").Uint(r.chunks_rewritten);
  w.Key("bytes_before").Uint(r.bytes_before).Key("bytes_after").Uint(r.bytes_after);
  w.Key("breaks").BeginArray();
  for (const BrokenTrainingSet& b : r.breaks) {
    w.BeginObject().Key("dataset").String(b.dataset);
    w.Key("protected_by").String(b.protected_by).EndObject();
  }
  w.EndArray().Key("safe_horizon");
  if (r.safe_horizon.has_value()) {
    w.String(FormatTimestamp(*r.safe_horizon));
  } else {
    w.Null();
  }
  w.EndObject();
  return w.Take();
}

}  // namespace strata::features
