// FeatureTables: the bookkeeping records of the feature tables in the feature_meta
// column family (view ids and column dictionaries, ingest sequence numbers, pending
// and committed ingests). Internal to features/.
#ifndef STRATA_FEATURES_TABLES_H_
#define STRATA_FEATURES_TABLES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "features/feature_store.h"
#include "features/features.pb.h"
#include "features/online_table.h"
#include "store/internal/db.h"

namespace strata::features {

// A view as the tables see it: its definition at one version, its id, and the
// column id and type of every feature.
struct ResolvedView {
  FeatureView def;
  uint64_t version = 0;
  uint32_t id = 0;                      // 0: nothing ingested yet
  std::vector<ValueType> column_types;  // by column id
  // Column id of each feature of `def`, in order; UINT32_MAX when never ingested.
  std::vector<uint32_t> feature_columns;
  std::vector<ValueType> join_key_types;  // every entity's join keys, in order
  std::vector<std::string> join_key_names;

  // Index of `feature` in def.features(), or -1.
  int FeatureIndex(absl::string_view feature) const;
  absl::flat_hash_map<std::string, int> feature_index;  // filled by Load
  // The key prefix of every row of this view: VIEW(4).
  std::string Prefix() const;
};

// The feature_meta key of `view`'s OnlinePushRecord: "o/" NAME.
inline std::string OnlinePushKey(absl::string_view view) {
  return "o/" + std::string(view);
}

class FeatureTables {
 public:
  // `online` receives the online rows of ingest commits; neither is owned.
  FeatureTables(internal::Db* db, OnlineTable* online) : db_(db), online_(online) {}

  // Fills `view` (def and version set) with its id and columns from the stored
  // dictionary, without writing.
  absl::Status Load(ResolvedView* view) const;

  // As Load, but first gives the view an id and its new features column ids. A
  // column is a name and a type: a feature re-added with another type gets a new
  // column, and rows stored under the old type do not read as it.
  absl::Status Register(ResolvedView* view);

  // Takes the next ingest number and records it as pending.
  absl::StatusOr<uint64_t> Reserve(const std::string& view);

  // As one change: the ingest's records (WriteCommitRecords) and its online rows,
  // upserted into the online table (OnlineTable::Write).
  absl::Status Commit(const IngestRecord& record, const std::string& view_node,
                      const std::vector<OnlineRow>& online);

  // Writes with `txn` the ingest record, the fed lineage edges from its dataset
  // version and each of its inputs (lineage node ids) to `view_node`, the committed
  // position, and removes the pending record: an ingest commit's records, for
  // OnlineTable::Write.
  absl::Status WriteCommitRecords(rocksdb::Transaction* txn, const IngestRecord& record,
                                  const std::string& view_node);

  // The records of the committed ingests numbered `from` and up, in ingest order.
  // Errors: DataLoss for a malformed record.
  absl::StatusOr<std::vector<IngestRecord>> Ingests(uint64_t from) const;

  // What the store had received: at `snapshot` when given, else now.
  absl::StatusOr<IngestPosition> Position(
      const rocksdb::Snapshot* snapshot = nullptr) const;

  // The view's log retention horizon record ("h/" NAME), at `snapshot` when given;
  // nullopt when its log was never trimmed. Errors: DataLoss for a malformed record.
  absl::StatusOr<std::optional<LogHorizon>> Horizon(
      const std::string& view, const rocksdb::Snapshot* snapshot = nullptr) const;

  // Raises the view's recorded horizon to `horizon` (never lowers it) and, when
  // `dropped` > 0, records `at` as the position the trim read and adds `dropped` to
  // the rows dropped; one transaction.
  absl::StatusOr<LogHorizon> RecordHorizon(const std::string& view, Micros horizon,
                                           const IngestPosition& at, uint64_t dropped);

 private:
  internal::Db* db_;
  OnlineTable* online_;
};

}  // namespace strata::features

#endif  // STRATA_FEATURES_TABLES_H_
