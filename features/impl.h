// FeatureStore's shared internals: resolving views (cached) and the tables.
// Internal to features/.
#ifndef STRATA_FEATURES_IMPL_H_
#define STRATA_FEATURES_IMPL_H_

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "features/feature_store.h"
#include "features/online_cache.h"
#include "features/tables.h"

namespace strata::features {

struct FeatureStore::Impl {
  Impl(Store* store, FeatureRegistry* registry, const FeatureStoreOptions& options)
      : store(store), registry(registry), tables(&store->internal_db()) {
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

  Store* store;
  FeatureRegistry* registry;
  FeatureTables tables;
  std::unique_ptr<OnlineCache> online_cache;  // null: none
  mutable std::mutex mu;
  mutable std::map<std::pair<std::string, uint64_t>, std::shared_ptr<const ResolvedView>>
      cache;
};

// "view:feature", split (the views point into `ref`). Errors: InvalidArgument.
absl::StatusOr<std::pair<absl::string_view, absl::string_view>> SplitFeatureRefView(
    absl::string_view ref);

}  // namespace strata::features

#endif  // STRATA_FEATURES_IMPL_H_
