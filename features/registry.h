// FeatureRegistry: feature view definitions as versions of `featureview` artifacts.
//
// A view's version content is a canonical JSON definitions document holding the view
// and its entities, readable with `strata get` and by ParseDefinitions. Identical
// definitions make identical content, so applying an unchanged file adds nothing.
#ifndef STRATA_FEATURES_REGISTRY_H_
#define STRATA_FEATURES_REGISTRY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "features/features.pb.h"
#include "store/store.h"

namespace strata::features {

struct AppliedView {
  std::string name;
  uint64_t version = 0;
  bool changed = false;  // false: identical to the latest version
};

// Thread-compatible; `store` must outlive it.
class FeatureRegistry {
 public:
  explicit FeatureRegistry(Store* store) : store_(store) {}

  // Stores each feature view of `defs` that differs from its latest version as a new
  // version. Every view is checked (CheckCompatible against its latest version)
  // before any is written, so a refused change writes nothing. Views are committed
  // one by one: a crash part-way leaves some applied, and applying again completes.
  // Errors: FailedPrecondition for an incompatible change (naming it); DataLoss for
  // an unreadable stored definition.
  absl::StatusOr<std::vector<AppliedView>> Apply(const Definitions& defs,
                                                 const Actor& creator,
                                                 const std::string& message);

  // The definition stored in `ref` ("featureview/NAME[@N|@ALIAS]" or a bare NAME).
  // Errors: NotFound; InvalidArgument for a bad reference; DataLoss when the stored
  // content does not parse.
  absl::StatusOr<FeatureView> Get(const std::string& ref) const;

  // The canonical content of `view`: deterministic JSON, keys in a fixed order.
  static std::string CanonicalContent(const FeatureView& view);

 private:
  absl::StatusOr<std::optional<FeatureView>> Latest(const std::string& name) const;
  Store* store_;
};

}  // namespace strata::features

#endif  // STRATA_FEATURES_REGISTRY_H_
