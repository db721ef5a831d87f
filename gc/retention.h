// Retention policies: which versions `strata retention apply` deletes, per kind or
// per artifact (docs/operations.md).
//
//   store::RetentionPolicy keep;
//   keep.set_keep_last(30);
//   keep.set_keep_within_seconds(90 * 86400);
//   RETURN_IF_ERROR(SetRetentionPolicy(*store, "dataset", keep, "ana"));
//   ASSIGN_OR_RETURN(RetentionReport report, ApplyRetention(*store, {.who = "cron"}));
#ifndef STRATA_GC_RETENTION_H_
#define STRATA_GC_RETENTION_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "store/actor.h"
#include "store/store.h"

namespace strata::gc {

// Stores `policy` for `target`, a kind ("dataset") or an artifact
// ("dataset/clicks"), replacing the one it had. An artifact's policy overrides its
// kind's, whole.
// Errors: InvalidArgument for a bad target, a negative duration, a policy that
// limits nothing, or log_keep_seconds for a target that is not a feature view or
// the featureview kind.
absl::Status SetRetentionPolicy(Store& store, const std::string& target,
                                store::RetentionPolicy policy, const Actor& who);

// Errors: NotFound when `target` has no policy.
absl::Status RemoveRetentionPolicy(Store& store, const std::string& target);

// Every policy, by target.
absl::StatusOr<std::map<std::string, store::RetentionPolicy>> RetentionPolicies(
    Store& store);

// "keep last 30, within 90d, log 30d".
std::string DescribePolicy(const store::RetentionPolicy& policy);

// A feature view whose policy trims its offline log: rows before `horizon_us`.
struct LogTrim {
  std::string view;
  std::string policy;
  int64_t horizon_us = 0;
  // Filled by RetentionOptions::trim_log.
  uint64_t rows_before = 0, rows_dropped = 0, bytes_before = 0, bytes_after = 0;
  // The kept training sets ("dataset/NAME@N") that trimming to horizon_us would
  // have made unreproducible. When any, the log was trimmed only to
  // `trimmed_to_us`, the latest horizon that breaks none, or, without one, not at
  // all (counts 0).
  std::vector<std::string> held_back_by;
  std::optional<int64_t> trimmed_to_us;
};

struct RetentionOptions {
  // Only report what would be deleted (and trimmed). Default false.
  bool dry_run = false;
  // Trims (dry run: measures) one view's offline log to trim->horizon_us, or less
  // far when a kept saved training set needs more, filling its counts:
  // features::FeatureStore::TrimLog, which this module, seeing only the core store,
  // cannot call. `expiring`: the versions about to be deleted ("KIND/NAME@N"), which
  // need nothing kept. NotFound (nothing ingested) leaves the view out. Unset: logs
  // are listed, not trimmed.
  std::function<absl::Status(LogTrim* trim, bool dry_run,
                             const std::vector<std::string>& expiring)>
      trim_log;
  // Recorded as who deleted each version.
  Actor who = "retention";
  // The time policies are measured from; 0 (default): now.
  int64_t now_us = 0;
};

// A version its policy no longer keeps.
struct ExpiredVersion {
  std::string version;  // "KIND/NAME@N"
  std::string policy;   // the target whose policy applies
  uint64_t size = 0;    // bytes of content
  int64_t created_us = 0;
  // Empty when deleted (or, dry run, deletable); else what protects it
  // (DescribeKeptBy of the nearest protector), and the version stays.
  std::string kept_by;
};

struct RetentionReport {
  bool dry_run = false;
  std::vector<ExpiredVersion> deleted;     // (dry run: would be) in artifact order
  std::vector<ExpiredVersion> protected_;  // expired but protected: kept
  // Stored bytes of the chunks that only the deleted versions name: what gc frees
  // once its grace period has passed.
  uint64_t bytes_freed = 0;
  // The feature views whose logs were trimmed (dry run: would be).
  std::vector<LogTrim> logs;
};

// What ApplyRetention would delete now (`now_us`; 0: the clock), keep as protected
// and trim (the logs, their counts unset), deleting nothing; bytes_freed unset.
// Errors: as ApplyRetention.
absl::StatusOr<RetentionReport> PlanRetention(Store& store, int64_t now_us);

// Deletes (ArtifactStore::Delete, recorded with options.who and the policy) every
// live version that its policy no longer keeps and nothing protects, after trimming
// the feature views' logs (options.trim_log). A version is
// kept while it is the latest of its artifact, among the newest keep_last live
// versions, or younger than keep_within_seconds. A version that becomes protected
// meanwhile is kept (Delete re-checks). Safe beside other writers.
// Errors: Unavailable on I/O failure; DataLoss for records that do not parse.
absl::StatusOr<RetentionReport> ApplyRetention(Store& store,
                                               const RetentionOptions& options);

}  // namespace strata::gc

#endif  // STRATA_GC_RETENTION_H_
