#include "features/view_catalog.h"

#include "absl/strings/str_cat.h"
#include "store/ref.h"
#include "store/status_macros.h"

namespace strata::features {

absl::StatusOr<std::pair<absl::string_view, absl::string_view>> SplitFeatureRefView(
    absl::string_view ref) {
  const size_t colon = ref.find(':');
  if (colon == absl::string_view::npos || colon == 0 || colon + 1 == ref.size() ||
      ref.find(':', colon + 1) != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("feature reference \"", ref, "\" is not VIEW:FEATURE"));
  }
  return std::make_pair(ref.substr(0, colon), ref.substr(colon + 1));
}

absl::StatusOr<std::shared_ptr<const ResolvedView>> ViewCatalog::View(
    const std::string& name, uint64_t version) const {
  if (absl::Status s = ValidateArtifactName(name); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("feature view ", s.message()));
  }
  // The latest version's number is one read; the view itself is cached per version.
  uint64_t number = version;
  if (number == 0) {
    auto latest = store_->artifacts().LatestVersion({Kind::kFeatureView, name});
    if (absl::IsNotFound(latest.status())) {
      return absl::NotFoundError(
          absl::StrCat("no feature view ", name, " (apply its definition first)"));
    }
    if (!latest.ok()) return latest.status();
    number = *latest;
  }
  const auto key = std::make_pair(name, number);
  {
    std::lock_guard lock(mu_);
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  }
  Ref ref;
  ref.artifact = {Kind::kFeatureView, name};
  ref.version = number;
  auto resolved = store_->artifacts().Resolve(ref);
  if (absl::IsNotFound(resolved.status())) {
    return absl::NotFoundError(absl::StrCat("no feature view ", name, "@", number));
  }
  if (!resolved.ok()) return resolved.status();
  auto view = std::make_shared<ResolvedView>();
  ASSIGN_OR_RETURN(view->def, registry_->Get(absl::StrCat(name, "@", resolved->number())));
  view->version = resolved->number();
  RETURN_IF_ERROR(tables_->Load(view.get()));
  std::lock_guard lock(mu_);
  cache_[key] = view;
  return std::shared_ptr<const ResolvedView>(view);
}

void ViewCatalog::Forget(const std::string& name) const {
  std::lock_guard lock(mu_);
  for (auto it = cache_.begin(); it != cache_.end();) {
    it = it->first.first == name ? cache_.erase(it) : std::next(it);
  }
}

}  // namespace strata::features
