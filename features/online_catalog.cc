#include "features/online_catalog.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "features/online_serving.h"
#include "features/registry.h"
#include "features/tables.h"
#include "features/view_catalog.h"
#include "store/artifacts.h"
#include "store/status_macros.h"

namespace strata::features {
namespace {

constexpr absl::string_view kServicePrefix = "featureservice/";

// The ResolvedView a catalog entry describes. Errors: DataLoss when inconsistent.
absl::StatusOr<std::shared_ptr<const ResolvedView>> ViewOf(const OnlineCatalogView& entry) {
  auto view = std::make_shared<ResolvedView>();
  view->def = entry.def();
  view->version = entry.version();
  view->id = entry.id();
  for (int t : entry.column_types()) view->column_types.push_back(static_cast<ValueType>(t));
  view->feature_columns.assign(entry.feature_columns().begin(),
                               entry.feature_columns().end());
  for (int t : entry.join_key_types()) {
    view->join_key_types.push_back(static_cast<ValueType>(t));
  }
  view->join_key_names.assign(entry.join_key_names().begin(), entry.join_key_names().end());
  const auto damaged = [&](absl::string_view what) {
    return absl::DataLossError(
        absl::StrCat("the online catalog's entry of feature view ", entry.def().name(), " ",
                     what));
  };
  if (view->feature_columns.size() != static_cast<size_t>(view->def.features_size())) {
    return damaged("has a column per feature of another definition");
  }
  for (uint32_t c : view->feature_columns) {
    if (c != UINT32_MAX && c >= view->column_types.size()) {
      return damaged("names a column it does not type");
    }
  }
  if (view->join_key_names.size() != view->join_key_types.size()) {
    return damaged("has as many join key names as types");
  }
  for (int i = 0; i < view->def.features_size(); ++i) {
    view->feature_index[view->def.features(i).name()] = i;
  }
  return std::shared_ptr<const ResolvedView>(std::move(view));
}

}  // namespace

absl::StatusOr<OnlineCatalog> FeatureStore::OnlineCatalogSnapshot() const {
  OnlineCatalog catalog;
  ASSIGN_OR_RETURN(auto views, store_->artifacts().List(Kind::kFeatureView));
  for (const ArtifactSummary& summary : views) {
    absl::StatusOr<std::shared_ptr<const ResolvedView>> view =
        views_->View(summary.artifact.name, 0);
    if (absl::IsFailedPrecondition(view.status())) continue;  // latest deleted
    RETURN_IF_ERROR(view.status());
    OnlineCatalogView* entry = catalog.add_views();
    *entry->mutable_def() = (*view)->def;
    entry->set_version((*view)->version);
    entry->set_id((*view)->id);
    for (ValueType t : (*view)->column_types) entry->add_column_types(t);
    for (uint32_t c : (*view)->feature_columns) entry->add_feature_columns(c);
    for (ValueType t : (*view)->join_key_types) entry->add_join_key_types(t);
    for (const std::string& k : (*view)->join_key_names) entry->add_join_key_names(k);
  }
  ASSIGN_OR_RETURN(auto services, store_->artifacts().List(Kind::kFeatureService));
  for (const ArtifactSummary& summary : services) {
    auto found = registry_.GetService(summary.artifact.name);
    if (absl::IsFailedPrecondition(found.status())) continue;
    RETURN_IF_ERROR(found.status());
    OnlineCatalogService* entry = catalog.add_services();
    entry->set_name(summary.artifact.name);
    entry->set_version(found->second.number());
    for (const std::string& f : found->first.features()) entry->add_features(f);
  }
  return catalog;
}

CatalogLookup::~CatalogLookup() = default;

absl::StatusOr<std::unique_ptr<const CatalogLookup>> CatalogLookup::Make(
    const OnlineCatalog& catalog, std::shared_ptr<const OnlineTable> table) {
  std::unique_ptr<CatalogLookup> lookup(new CatalogLookup());
  lookup->catalog_ = catalog;
  lookup->table_ = std::move(table);
  for (const OnlineCatalogView& entry : lookup->catalog_.views()) {
    ASSIGN_OR_RETURN(lookup->views_[entry.def().name()], ViewOf(entry));
  }
  for (const OnlineCatalogService& service : lookup->catalog_.services()) {
    lookup->services_[service.name()] = &service;
  }
  return std::unique_ptr<const CatalogLookup>(std::move(lookup));
}

absl::StatusOr<OnlineResult> CatalogLookup::Online(const std::vector<std::string>& features,
                                                   const EntityColumns& entities,
                                                   Micros now) const {
  const ViewResolver views =
      [this](const std::string& name) -> absl::StatusOr<std::shared_ptr<const ResolvedView>> {
    auto it = views_.find(name);
    if (it == views_.end()) {
      return absl::NotFoundError(absl::StrCat("no feature view ", name));
    }
    return it->second;
  };
  return LookupOnline(views, *table_, nullptr, nullptr, features, entities, now);
}

absl::StatusOr<ResolvedFeatures> CatalogLookup::ResolveFeatures(
    const std::vector<std::string>& features) const {
  return ExpandServices(features, [this](const std::string& entry)
                                      -> absl::StatusOr<ServiceFeatures> {
    const std::string name = entry.substr(kServicePrefix.size());
    if (absl::StrContains(name, "@")) {
      return absl::InvalidArgumentError(
          absl::StrCat(entry, ": an online-only replica serves the latest version of each "
                              "feature service only"));
    }
    auto it = services_.find(name);
    if (it == services_.end()) {
      return absl::NotFoundError(absl::StrCat("no feature service featureservice/", name));
    }
    return ServiceFeatures{{it->second->features().begin(), it->second->features().end()},
                           absl::StrCat("featureservice/", name, "@", it->second->version())};
  });
}

}  // namespace strata::features
