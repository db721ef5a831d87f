// CatalogLookup: online lookups without the store, for `strata serve --online-only`
// replicas. A replica holds the primary's OnlineCatalog (features.proto; served by
// GET /v1/online/catalog from FeatureStore::OnlineCatalogSnapshot) and reads rows
// from the shared Redis; it keeps no row cache, so it never serves a row older than
// Redis holds.
//
//   ASSIGN_OR_RETURN(auto lookup, CatalogLookup::Make(catalog, table));
//   ASSIGN_OR_RETURN(OnlineResult r, lookup->Online({"stats:spend"}, entities, now));
#ifndef STRATA_FEATURES_ONLINE_CATALOG_H_
#define STRATA_FEATURES_ONLINE_CATALOG_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "features/feature_store.h"
#include "features/features.pb.h"
#include "features/online_table.h"

namespace strata::features {

struct ResolvedView;  // features/tables.h

// Immutable and thread-safe; a replica swaps in a new one when the catalog changes.
class CatalogLookup {
 public:
  // Errors: DataLoss naming the view of an inconsistent entry (a column id out of
  // range, or as many join key names as types).
  static absl::StatusOr<std::unique_ptr<const CatalogLookup>> Make(
      const OnlineCatalog& catalog, std::shared_ptr<const OnlineTable> table);
  ~CatalogLookup();

  // As FeatureStore::Online, from the catalog's views and the table.
  absl::StatusOr<OnlineResult> Online(const std::vector<std::string>& features,
                                      const EntityColumns& entities, Micros now) const;

  // As FeatureStore::ResolveFeatures, for the latest version of each service.
  // Errors: NotFound for an unknown service; InvalidArgument for a service pinned to
  // a version or alias (a replica knows only the latest).
  absl::StatusOr<ResolvedFeatures> ResolveFeatures(
      const std::vector<std::string>& features) const;

  const OnlineCatalog& catalog() const { return catalog_; }

 private:
  CatalogLookup() = default;
  OnlineCatalog catalog_;
  std::map<std::string, std::shared_ptr<const ResolvedView>> views_;
  std::map<std::string, const OnlineCatalogService*> services_;
  std::shared_ptr<const OnlineTable> table_;
};

}  // namespace strata::features

#endif  // STRATA_FEATURES_ONLINE_CATALOG_H_
