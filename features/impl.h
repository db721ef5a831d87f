// FeatureStore's shared internals: resolving views (cached) and the tables.
// Internal to features/.
#ifndef STRATA_FEATURES_IMPL_H_
#define STRATA_FEATURES_IMPL_H_

#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "store/database.h"
#include "features/feature_store.h"
#include "features/online_cache.h"
#include "features/online_table.h"
#include "features/rocks_online_table.h"
#include "features/tables.h"

namespace strata::features {

struct FeatureStore::Impl {
  Impl(Store* store, FeatureRegistry* registry, const FeatureStoreOptions& options)
      : store(store),
        registry(registry),
        online(std::make_unique<RocksOnlineTable>(&DatabaseOf(*store))),
        tables(&DatabaseOf(*store), online.get()) {
    if (options.online_cache_bytes > 0) {
      online_cache = std::make_unique<OnlineCache>(options.online_cache_bytes);
    }
  }

  // The view `name` at `version` (0: the latest), with its columns. Cached: a
  // latest-version lookup costs one artifact read when nothing changed.
  // Errors: NotFound for an unknown view or version.
  absl::StatusOr<std::shared_ptr<const ResolvedView>> View(const std::string& name,
                                                           uint64_t version) const;
  // Drops cached entries of `name` (its columns changed).
  void Forget(const std::string& name) const;

  // Writes `write` and the store's `records` as one change (OnlineTable::Write),
  // then brings the online cache up to date: upserted rows weigh against the cached
  // ones, replaced and removed rows leave it. Errors: as OnlineTable::Write.
  absl::Status WriteOnline(const OnlineWrite& write, Change change,
                           OnlineTable::StoreRecords records);
  absl::Status WriteOnline(const OnlineWrite& write, Change change) {
    return WriteOnline(write, std::move(change),
                       [](rocksdb::Transaction*) { return absl::OkStatus(); });
  }

  Store* store;
  FeatureRegistry* registry;
  std::unique_ptr<OnlineTable> online;  // every online read and write
  FeatureTables tables;
  std::unique_ptr<OnlineCache> online_cache;  // null: none; in front of `online`
  // Held shared by pushes while they write, alone by an online rebuild's step
  // from its snapshot to its write, so that no push lands between the two.
  std::shared_mutex online_repair;
  mutable std::mutex mu;
  mutable std::map<std::pair<std::string, uint64_t>, std::shared_ptr<const ResolvedView>>
      cache;
};

// The online table's keys (VIEW ENTITY) of `entities` for `view`, one per entity;
// int64 join keys given as decimal strings are parsed in place. Columns of other
// views' join keys are ignored. REQUIRES: the columns have one length.
// Errors: InvalidArgument for a missing join key or a value of the wrong type.
absl::Status EntityKeys(const ResolvedView& view, EntityColumns& entities,
                        std::vector<std::string>* keys);

// The feature_meta key of `view`'s OnlinePushRecord: "o/" NAME.
inline std::string OnlinePushKey(absl::string_view view) {
  return "o/" + std::string(view);
}

// "view:feature", split (the views point into `ref`). Errors: InvalidArgument.
absl::StatusOr<std::pair<absl::string_view, absl::string_view>> SplitFeatureRefView(
    absl::string_view ref);

}  // namespace strata::features

#endif  // STRATA_FEATURES_IMPL_H_
