// FeatureRegistry: feature view definitions as versions of `featureview` artifacts,
// feature services as versions of `featureservice` artifacts.
//
// A view's version content is a canonical JSON definitions document holding the view
// and its entities (and its push source), readable with `strata get` and by
// ParseDefinitions; a service's holds the service with its features expanded to
// "VIEW:FEATURE". Identical definitions make identical content, so applying an
// unchanged file adds nothing.
#ifndef STRATA_FEATURES_REGISTRY_H_
#define STRATA_FEATURES_REGISTRY_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "features/features.pb.h"
#include "store/store.h"

namespace strata::features {

// One feature view or feature service an apply stored or found unchanged.
struct AppliedView {
  std::string name;
  uint64_t version = 0;
  bool changed = false;            // false: identical to the latest version
  Kind kind = Kind::kFeatureView;  // or kFeatureService
};

// Thread-compatible; `store` must outlive it.
class FeatureRegistry {
 public:
  explicit FeatureRegistry(Store* store) : store_(store) {}

  // Stores each feature view of `defs` that differs from its latest version as a new
  // version, then each feature service likewise, its features expanded (a whole view:
  // its features, from the view in `defs` or else its latest stored version) and with
  // a lineage edge from each view version it reads (so a service also gets a new
  // version when one of its views does). Returns the views, then the services. Every
  // view is checked (CheckCompatible against its latest version) and every service
  // expanded before anything is written, so a refused change writes nothing.
  // Definitions are committed one by one: a crash part-way leaves some applied, and
  // applying again completes.
  // Errors: FailedPrecondition for an incompatible change (naming it);
  // InvalidArgument at the entry's place ("defs.yaml:12:9: ...") for a service entry
  // naming a view that neither `defs` nor the store has, or a feature the view lacks;
  // DataLoss for an unreadable stored definition.
  absl::StatusOr<std::vector<AppliedView>> Apply(const Definitions& defs,
                                                 const Actor& creator,
                                                 const std::string& message);

  // The definition stored in `ref` ("featureview/NAME[@N|@ALIAS]" or a bare NAME).
  // Errors: NotFound; InvalidArgument for a bad reference; DataLoss when the stored
  // content does not parse.
  absl::StatusOr<FeatureView> Get(const std::string& ref) const;

  // The feature service stored in `ref` ("featureservice/NAME[@N|@ALIAS]" or a bare
  // NAME), its features expanded ("VIEW:FEATURE"), and the version read.
  // Errors: NotFound; InvalidArgument for a bad reference; DataLoss when the stored
  // content does not parse.
  absl::StatusOr<std::pair<FeatureService, store::Version>> GetService(
      const std::string& ref) const;

  // The canonical content of `view`: deterministic JSON, keys in a fixed order.
  static std::string CanonicalContent(const FeatureView& view);
  // The same for a service whose features are expanded.
  static std::string CanonicalContent(const FeatureService& service);

 private:
  absl::StatusOr<std::optional<FeatureView>> Latest(const std::string& name) const;
  // InvalidArgument when, once `defs` is applied, a push source would have the name
  // of a feature view (a push to that name would be ambiguous). A file that does
  // this itself is refused when read; this catches the names of different files.
  absl::Status CheckPushNames(const Definitions& defs) const;
  // `service` with its entries expanded against `defs`' views, else the stored ones;
  // `inputs` gets the views' references ("featureview/NAME", pinned at commit; a view
  // of `defs` named without a version: it is committed first).
  absl::StatusOr<FeatureService> Expand(const FeatureService& service,
                                        const Definitions& defs,
                                        std::vector<std::string>* inputs) const;
  Store* store_;
};

}  // namespace strata::features

#endif  // STRATA_FEATURES_REGISTRY_H_
