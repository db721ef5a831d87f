// CheckOnlineAgainstLog: fsck's sample check that the online table agrees with the
// offline log (strata fsck, GET /v1/fsck; docs/operations.md).
//
//   ASSIGN_OR_RETURN(OnlineCheckReport r, CheckOnlineAgainstLog(*store, {}));
//   for (const OnlineCheckProblem& p : r.problems) ...
#ifndef STRATA_FEATURES_ONLINE_CHECK_H_
#define STRATA_FEATURES_ONLINE_CHECK_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gc/fsck.h"
#include "store/store.h"

namespace strata::features {

class OnlineTable;

struct OnlineCheckOptions {
  // Entities compared with the log per feature view. A view with at most this many
  // entities is checked whole; a larger one at entities drawn at random from the
  // log and from the online table (one seek each, so the cost does not grow with
  // the log). Default 1000; 0 compares nothing. Every online row's event time is
  // checked whatever the sample (one read of the online table).
  size_t sample = 1000;
  // Seed of the draw; 0: a fresh one, reported, so that a run can be repeated.
  uint64_t seed = 0;
  // The online table to check (the store's, as FeatureStoreOptions::online_table);
  // null: the embedded one. Must outlive the check.
  OnlineTable* table = nullptr;
};

// One disagreement, shaped like gc::FsckProblem.
struct OnlineCheckProblem {
  // "online row missing", "stale online row", "online row differs", "implausible
  // online row", "online row newer than the log".
  std::string kind;
  // One line, naming the view, the entity and the rows; for the last two kinds, the
  // command that repairs it (strata online rebuild VIEW --entity K=V).
  std::string detail;
  std::vector<std::string> versions;  // the view's latest version, "featureview/NAME@N"
  std::string view;
  std::string entity;  // its join keys, "customer_id=42"
};

struct OnlineCheckReport {
  uint64_t seed = 0;         // the draw's seed (the one given, or the fresh one)
  uint64_t views = 0;        // views with a log
  uint64_t entities = 0;     // entities checked against the log
  uint64_t online_rows = 0;  // online rows whose event time was checked: all
  // Checked entities of views that have had pushes whose online row is newer than
  // any row of the log that updates the online table: pushed online (PushOnline),
  // which the log does not hold, so there is nothing to compare.
  uint64_t online_only = 0;
  std::vector<OnlineCheckProblem> problems;
};

// Every online row of every feature view: its event time must be inside the view's
// plausible time (PlausibleTimeOf; a row outside, such as the year 58891 of an
// epoch read in the wrong unit, beats every later ingest). For sampled entities
// (drawn from the log, and from the online table, which reaches entities the log
// lacks): the online row must be the newest row (largest event, created, ingest:
// the online table's merge rule) of the log's rows from committed ingests that
// updated the online table, byte for byte. Rows of offline-only ingests
// (IngestOptions::update_online false) are not expected online; ingests recorded
// before strata kept that flag may have been either, so their rows are compared
// only when the online row has their times. An online row newer than the log is a
// push, counted, in a view that has had pushes (feature_meta "o/" NAME), and a
// problem in one that has not. Reads the log and the feature records at one
// snapshot and the online table through OnlineTable (which has none): an online row
// of an ingest the snapshot does not include is passed over, and whether a view has
// had pushes is read after its online rows, so writers running beside the check
// are not reported. Safe beside readers and writers of the same store. Thread-safe.
// Errors: only failures to read (Unavailable) or unparseable records (DataLoss);
// disagreements are problems in the report.
absl::StatusOr<OnlineCheckReport> CheckOnlineAgainstLog(
    Store& store, const OnlineCheckOptions& options = {});

// Adds `online`'s problems to fsck's `report`, each detail but an implausible row's
// (every row's time is read) ending with the sample's seed ("(sample seed S)"), so
// that `strata fsck` and GET /v1/fsck report alike.
void AddOnlineProblems(const OnlineCheckReport& online, gc::FsckReport* report);

}  // namespace strata::features

#endif  // STRATA_FEATURES_ONLINE_CHECK_H_
