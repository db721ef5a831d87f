#include "store/internal/records.h"

#include "store/internal/keys.h"
#include "store/internal/rocks_status.h"

namespace strata::internal {

absl::Status PutRecord(rocksdb::Transaction* txn, const Db& db, Cf cf,
                       absl::string_view key,
                       const google::protobuf::MessageLite& record) {
  return FromRocks(txn->Put(db.cf(cf), ToSlice(key), record.SerializeAsString()),
                   "write");
}

absl::Status PutEdge(rocksdb::Transaction* txn, const Db& db, absl::string_view from,
                     absl::string_view to, store::EdgeKind kind, int64_t now_us) {
  store::Edge edge;
  edge.set_kind(kind);
  edge.set_created_us(now_us);
  const std::string value = edge.SerializeAsString();
  // Edge keys are unique to this pair and never rewritten: no lock needed.
  rocksdb::Status s = txn->PutUntracked(db.cf(Cf::kEdges),
                                        EdgeKey(EdgeDirection::kDown, from, to), value);
  if (s.ok()) {
    s = txn->PutUntracked(db.cf(Cf::kEdges), EdgeKey(EdgeDirection::kUp, to, from),
                          value);
  }
  return FromRocks(s, "write edge");
}

}  // namespace strata::internal
