#include "store/change.h"

namespace strata {

absl::string_view ChangeKindName(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kCommitVersion: return "commit-version";
    case ChangeKind::kDeleteVersion: return "delete-version";
    case ChangeKind::kMoveAlias: return "move-alias";
    case ChangeKind::kStartRun: return "start-run";
    case ChangeKind::kLogMetrics: return "log-metrics";
    case ChangeKind::kFinishRun: return "finish-run";
    case ChangeKind::kInsertToken: return "insert-token";
    case ChangeKind::kDeleteToken: return "delete-token";
    case ChangeKind::kSetRetention: return "set-retention";
    case ChangeKind::kDeleteRetention: return "delete-retention";
    case ChangeKind::kRegisterView: return "register-view";
    case ChangeKind::kReserveIngest: return "reserve-ingest";
    case ChangeKind::kCommitIngest: return "commit-ingest";
    case ChangeKind::kRecordHorizon: return "record-horizon";
    case ChangeKind::kPushOnline: return "push-online";
    case ChangeKind::kRebuildOnline: return "rebuild-online";
    case ChangeKind::kRemoveOnline: return "remove-online";
  }
  return "unknown";
}

}  // namespace strata
