// ViewCatalog: feature views by name and version, resolved to what the feature
// tables know of them (ResolvedView: definition, view id, column ids), cached.
// Internal to features/.
#ifndef STRATA_FEATURES_VIEW_CATALOG_H_
#define STRATA_FEATURES_VIEW_CATALOG_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "features/registry.h"
#include "features/tables.h"
#include "store/store.h"

namespace strata::features {

// "view:feature", split (the views point into `ref`). Errors: InvalidArgument.
absl::StatusOr<std::pair<absl::string_view, absl::string_view>> SplitFeatureRefView(
    absl::string_view ref);

// Thread-safe. Owns nothing: `store`, `registry` and `tables` must outlive it.
// A resolved view is immutable and shared: a caller may keep it after Forget.
class ViewCatalog {
 public:
  ViewCatalog(Store* store, const FeatureRegistry* registry, const FeatureTables* tables)
      : store_(store), registry_(registry), tables_(tables) {}

  // The view `name` at `version` (0: the latest), with its columns. Cached: a
  // latest-version lookup costs one artifact read when nothing changed.
  // Errors: InvalidArgument for a malformed name; NotFound for an unknown view or
  // version; DataLoss or Unavailable from the store.
  absl::StatusOr<std::shared_ptr<const ResolvedView>> View(const std::string& name,
                                                           uint64_t version) const;

  // Drops the cached versions of `name`: its column dictionary changed (an ingest
  // or push registered new columns), so the next View reads it again.
  void Forget(const std::string& name) const;

 private:
  Store* const store_;
  const FeatureRegistry* const registry_;
  const FeatureTables* const tables_;
  mutable std::mutex mu_;
  mutable std::map<std::pair<std::string, uint64_t>, std::shared_ptr<const ResolvedView>>
      cache_;  // guarded by mu_
};

}  // namespace strata::features

#endif  // STRATA_FEATURES_VIEW_CATALOG_H_
