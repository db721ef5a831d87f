#include "features/rocks_online_table.h"

#include <memory>
#include <vector>

#include "features/codec.h"
#include "store/internal/keys.h"
#include "store/internal/records.h"
#include "store/internal/rocks_status.h"
#include "store/status_macros.h"

namespace strata::features {

// The merge operator store/ installs compares exactly the online header.
static_assert(kOnlineVersionBytes == internal::kMergeVersionBytes);
static_assert(kOnlineVersionBytes == codec::kOnlineHeaderBytes);

using internal::Cf;

absl::Status RocksOnlineTable::Lookup(absl::Span<const absl::string_view> keys,
                                      FoundRow found) const {
  if (keys.empty()) return absl::OkStatus();
  std::vector<rocksdb::Slice> slices(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) slices[i] = {keys[i].data(), keys[i].size()};
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db_->raw()->MultiGet(rocksdb::ReadOptions(), db_->cf(Cf::kFeatureOnline), keys.size(),
                       slices.data(), values.data(), statuses.data());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    RETURN_IF_ERROR(internal::FromRocks(statuses[i], "reading the online table"));
    RETURN_IF_ERROR(found(i, absl::string_view(values[i].data(), values[i].size())));
  }
  return absl::OkStatus();
}

absl::Status RocksOnlineTable::Write(const OnlineWrite& write, Change change,
                                     StoreRecords records) {
  rocksdb::ColumnFamilyHandle* cf = db_->cf(Cf::kFeatureOnline);
  return internal::CommitChange(
             *db_, change,
             [&](rocksdb::Transaction* txn) -> absl::StatusOr<bool> {
               RETURN_IF_ERROR(records(txn));
               // Merge operands keep the newest row whatever their order: no lock
               // needed. Puts and deletes of a repair are serialized by its caller.
               for (const auto& [key, value] : write.upserts) {
                 RETURN_IF_ERROR(
                     internal::FromRocks(txn->MergeUntracked(cf, key, value), "write"));
               }
               for (const auto& [key, value] : write.puts) {
                 RETURN_IF_ERROR(
                     internal::FromRocks(txn->PutUntracked(cf, key, value), "write"));
               }
               for (const std::string& key : write.deletes) {
                 RETURN_IF_ERROR(
                     internal::FromRocks(txn->DeleteUntracked(cf, key), "write"));
               }
               return true;
             })
      .status();
}

absl::StatusOr<OnlinePage> RocksOnlineTable::Scan(uint32_t view, absl::string_view from,
                                                  size_t limit) const {
  const std::string prefix = OnlineViewPrefix(view);
  const std::string end = OnlineViewPrefix(view + 1);
  const rocksdb::Slice upper(end);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->raw()->NewIterator(ro, db_->cf(Cf::kFeatureOnline)));
  OnlinePage page;
  it->Seek(from.empty() ? rocksdb::Slice(prefix) : rocksdb::Slice(from.data(), from.size()));
  for (; it->Valid(); it->Next()) {
    if (page.size() == limit) {
      page.resume = it->key().ToString();
      break;
    }
    page.Add({it->key().data(), it->key().size()}, {it->value().data(), it->value().size()});
  }
  RETURN_IF_ERROR(internal::FromRocks(it->status(), "reading the online table"));
  return page;
}

void RocksOnlineTable::CompactView(uint32_t view) {
  // A lookup of a merge operand searches every level for a base value and merges
  // it; compacting the view's range leaves one plain value per entity.
  const std::string begin = OnlineViewPrefix(view), end = OnlineViewPrefix(view + 1);
  const rocksdb::Slice b(begin), e(end);
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  db_->raw()->CompactRange(compact, db_->cf(Cf::kFeatureOnline), &b, &e)
      .PermitUncheckedError();
}

}  // namespace strata::features
