// Change: one atomic change of the store's records, named for what it does.
//
// Every writer of records (versions, deletions, alias moves, runs, tokens,
// retention policies, feature views, ingests, trims, online pushes and repairs)
// commits through one path in store/ (store/internal/commit.h), handing it the
// Change it makes. Whatever must join every change's atomic write, such as an
// event describing it, is added there once. A ChangeObserver given in
// StoreOptions sees each change inside its transaction and can refuse it.
#ifndef STRATA_STORE_CHANGE_H_
#define STRATA_STORE_CHANGE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace strata {

enum class ChangeKind : uint8_t {
  kCommitVersion,     // a new version of an artifact (a put, an ingest's dataset, a saved set)
  kDeleteVersion,     // a version deleted (its record kept as a tombstone)
  kMoveAlias,         // an alias set, moved or removed
  kStartRun,
  kLogMetrics,
  kFinishRun,
  kInsertToken,
  kDeleteToken,
  kSetRetention,      // a retention policy set
  kDeleteRetention,   // a retention policy removed
  kRegisterView,      // a feature view's columns registered (apply)
  kReserveIngest,     // an ingest numbered and marked pending
  kCommitIngest,      // an ingest's rows made visible
  kRecordHorizon,     // a trim's horizon recorded
  kPushOnline,        // rows pushed to the online table
  kRebuildOnline,     // online rows recomputed from the log
  kRemoveOnline,      // one online row removed
};

// "commit-version", "move-alias", ...: stable names, for logs and events.
absl::string_view ChangeKindName(ChangeKind kind);

struct Change {
  ChangeKind kind;
  // What it changes, as a reference or record name: "dataset/x@3", "run/ID",
  // "featureview/v", "token/NAME", "ingest/7". May be set by the writer once it
  // knows it (a new version's number), before the change commits.
  std::string subject;
};

// Sees every change inside its atomic write, after the writer has made its
// changes and before they commit. A non-OK status aborts the change: nothing of it
// is written, and the writer returns that status. Called once per attempt (a
// transaction retried after a conflict calls it again). Thread-safe: changes
// commit from many threads.
class ChangeObserver {
 public:
  virtual ~ChangeObserver() = default;
  virtual absl::Status OnChange(const Change& change) = 0;
};

}  // namespace strata

#endif  // STRATA_STORE_CHANGE_H_
