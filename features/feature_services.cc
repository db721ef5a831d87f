// FeatureStore::ResolveFeatures and PushTargets: the names Feast's requests use
// (feature services, push sources), turned into what retrieval and pushes read
// (VIEW:FEATURE lists, view names) through the registry, in one place.
#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "features/feature_store.h"
#include "features/registry.h"
#include "store/ref.h"
#include "store/status_macros.h"

namespace strata::features {
namespace {

constexpr absl::string_view kServicePrefix = "featureservice/";

std::string VersionRef(const store::Version& v) {
  return absl::StrCat(v.kind(), "/", v.name(), "@", v.number());
}

}  // namespace

absl::StatusOr<ResolvedFeatures> ExpandServices(
    const std::vector<std::string>& features,
    const std::function<absl::StatusOr<ServiceFeatures>(const std::string& entry)>& expand) {
  ResolvedFeatures out;
  out.features.reserve(features.size());
  bool any_service = false;
  for (const std::string& f : features) {
    any_service = any_service || absl::StartsWith(f, kServicePrefix);
  }
  if (!any_service) {  // the common case: nothing to read
    out.features = features;
    return out;
  }
  std::set<std::string> held, from_services;
  for (const std::string& f : features) {
    if (!absl::StartsWith(f, kServicePrefix)) {
      // Twice by name is the caller's mistake (Online says so); also in a service, not.
      if (!from_services.count(f)) out.features.push_back(f);
      held.insert(f);
      continue;
    }
    ASSIGN_OR_RETURN(ServiceFeatures service, expand(f));
    if (std::find(out.services.begin(), out.services.end(), service.version) ==
        out.services.end()) {
      out.services.push_back(service.version);
    }
    for (const std::string& feature : service.features) {
      from_services.insert(feature);
      if (held.insert(feature).second) out.features.push_back(feature);
    }
  }
  return out;
}

absl::StatusOr<ResolvedFeatures> FeatureStore::ResolveFeatures(
    const std::vector<std::string>& features) const {
  return ExpandServices(features, [this](const std::string& entry)
                                      -> absl::StatusOr<ServiceFeatures> {
    ASSIGN_OR_RETURN(Ref ref, ParseRef(entry));
    ASSIGN_OR_RETURN(auto found, registry_.GetService(ref.ToString()));
    const auto& [service, version] = found;
    return ServiceFeatures{{service.features().begin(), service.features().end()},
                           VersionRef(version)};
  });
}

absl::StatusOr<std::vector<std::string>> FeatureStore::PushTargets(
    const std::string& name) const {
  if (absl::Status s = ValidateArtifactName(name); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("push source ", s.message()));
  }
  ASSIGN_OR_RETURN(auto views, store_->artifacts().List(Kind::kFeatureView));
  std::vector<std::string> targets;
  bool view_named = false;
  for (const ArtifactSummary& summary : views) {
    const std::string& view_name = summary.artifact.name;
    view_named = view_named || view_name == name;
    auto view = registry_.Get(view_name);
    // A view whose latest version was deleted feeds nothing.
    if (absl::IsFailedPrecondition(view.status())) continue;
    RETURN_IF_ERROR(view.status());
    if (view->push_source() == name) targets.push_back(view_name);
  }
  if (targets.empty() && view_named) targets.push_back(name);
  if (targets.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no push source or feature view ", name,
                     " (a push source is named by a view's `source`; apply it first)"));
  }
  return targets;
}

}  // namespace strata::features
