// OnlineServing: the online side of a FeatureStore. The online table (OnlineTable,
// the RocksDB one) that every online read and write goes through, the OnlineCache
// in front of it for processes that serve lookups, and the lock that keeps pushes
// out of an online repair's step. Internal to features/.
#ifndef STRATA_FEATURES_ONLINE_SERVING_H_
#define STRATA_FEATURES_ONLINE_SERVING_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "features/feature_store.h"
#include "features/online_cache.h"
#include "features/online_table.h"
#include "features/tables.h"
#include "store/change.h"
#include "store/internal/db.h"

namespace strata::features {

// The online table's keys (VIEW ENTITY) of `entities` for `view`, one per entity;
// int64 join keys given as decimal strings are parsed in place. Columns of other
// views' join keys are ignored. REQUIRES: the columns have one length.
// Errors: InvalidArgument for a missing join key or a value of the wrong type.
absl::Status EntityKeys(const ResolvedView& view, EntityColumns& entities,
                        std::vector<std::string>* keys);

// A feature view's latest version by name. Errors: NotFound for an unknown view.
using ViewResolver =
    std::function<absl::StatusOr<std::shared_ptr<const ResolvedView>>(const std::string&)>;

class ServedLog;  // features/served_log.h

// FeatureStore::Online over any source of views: a store's (ViewCatalog) or an
// online-only replica's (features/online_catalog.h). `cache` and `served` may be
// null.
absl::StatusOr<OnlineResult> LookupOnline(const ViewResolver& views,
                                          const OnlineTable& table, OnlineCache* cache,
                                          ServedLog* served,
                                          const std::vector<std::string>& features,
                                          const EntityColumns& entities, Micros now);

// Thread-safe. Does not own `db`, which must outlive it.
//
// The cache stays in step with the table because every write of this process goes
// through Write or Committed (only one process opens a store).
class OnlineServing {
 public:
  // `cache_bytes` 0: no cache (FeatureStoreOptions::online_cache_bytes). `table`:
  // the online table (FeatureStoreOptions::online_table); null: the embedded one in
  // `db`.
  OnlineServing(internal::Db* db, size_t cache_bytes,
                std::shared_ptr<OnlineTable> table = nullptr);

  // The online table. Reads here bypass the cache (checks and repairs read what is
  // stored); writes must go through Write, or be reported to Committed.
  OnlineTable& table() { return *table_; }
  const OnlineTable& table() const { return *table_; }
  // The cache in front of the table; null without one.
  OnlineCache* cache() const { return cache_.get(); }

  // Writes `write` and the store's `records` as one change (OnlineTable::Write),
  // then brings the cache up to date: upserted rows weigh against the cached ones,
  // replaced and removed rows leave it. Errors: as OnlineTable::Write.
  absl::Status Write(const OnlineWrite& write, Change change,
                     OnlineTable::StoreRecords records);
  absl::Status Write(const OnlineWrite& write, Change change) {
    return Write(write, std::move(change),
                 [](rocksdb::Transaction*) { return absl::OkStatus(); });
  }

  // An ingest's commit upserted `rows` (each entity's newest row) into `view`'s
  // online rows in its own transaction (FeatureTables::Commit): the cache learns
  // them, and a large update is compacted. The table holds a merge operand per
  // entity then; a lookup of an operand searches every level for a base value and
  // merges it. Compacting the view's range leaves one plain value per entity.
  void Committed(const ResolvedView& view, const std::vector<OnlineRow>& rows);

  // Held shared by a push while it writes and alone by an online repair's step
  // from its snapshot to its write, so that no push lands between the two.
  std::shared_lock<std::shared_mutex> LockForPush() { return std::shared_lock(repair_); }
  std::unique_lock<std::shared_mutex> LockForRepair() {
    return std::unique_lock(repair_);
  }

  // The cache's hits and misses; zeros without a cache.
  OnlineCacheStats cache_stats() const;

 private:
  std::shared_ptr<OnlineTable> table_;
  std::unique_ptr<OnlineCache> cache_;  // null: none
  std::shared_mutex repair_;
};

}  // namespace strata::features

#endif  // STRATA_FEATURES_ONLINE_SERVING_H_
