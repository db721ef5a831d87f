#include "store/database.h"
#include "store/testing/raw_records.h"

#include "rocksdb/options.h"
#include "store/internal/db.h"
#include "store/internal/keys.h"
#include "store/internal/rocks_status.h"

namespace strata::testing {
namespace {

using internal::Cf;

std::string RawEdgeKey(LineageDirection direction, const std::string& node,
                       const std::string& other) {
  return internal::EdgeKey(direction == LineageDirection::kDown
                               ? internal::EdgeDirection::kDown
                               : internal::EdgeDirection::kUp,
                           node, other);
}

}  // namespace

absl::Status PutRawAlias(Store& store, const std::string& artifact,
                         const std::string& alias, const store::AliasTarget& target) {
  internal::Db& db = DatabaseOf(store);
  return internal::FromRocks(
      db.raw()->Put(rocksdb::WriteOptions(), db.cf(Cf::kAliases),
                    internal::AliasKey(artifact, alias), target.SerializeAsString()),
      "writing a raw alias");
}

absl::Status PutRawEdge(Store& store, LineageDirection direction,
                        const std::string& node, const std::string& other) {
  internal::Db& db = DatabaseOf(store);
  return internal::FromRocks(db.raw()->Put(rocksdb::WriteOptions(), db.cf(Cf::kEdges),
                                           RawEdgeKey(direction, node, other), ""),
                             "writing a raw edge");
}

absl::Status DeleteRawEdge(Store& store, LineageDirection direction,
                           const std::string& node, const std::string& other) {
  internal::Db& db = DatabaseOf(store);
  return internal::FromRocks(db.raw()->Delete(rocksdb::WriteOptions(), db.cf(Cf::kEdges),
                                              RawEdgeKey(direction, node, other)),
                             "deleting a raw edge");
}

absl::Status FlushChunks(Store& store) {
  internal::Db& db = DatabaseOf(store);
  return internal::FromRocks(
      db.raw()->Flush(rocksdb::FlushOptions(), db.cf(Cf::kChunks)), "flushing chunks");
}

}  // namespace strata::testing
