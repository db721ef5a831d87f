#include "features/feature_store.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "features/impl.h"
#include "store/ref.h"
#include "store/status_macros.h"

namespace strata::features {

OnlineColumn::OnlineColumn(ValueType type, size_t entities)
    : type_(type),
      statuses_(entities, FeatureStatus::kNotFound),
      words_(type == VALUE_TYPE_STRING || type == VALUE_TYPE_BYTES ? entities
                                                                   : 2 * entities) {
  if (type == VALUE_TYPE_STRING || type == VALUE_TYPE_BYTES) strings_.resize(entities);
}

OnlineValue OnlineColumn::operator[](size_t i) const {
  OnlineValue v;
  v.status = statuses_[i];
  v.event_time = event_time(i);
  if (v.status != FeatureStatus::kPresent) return v;
  if (type_ == VALUE_TYPE_STRING || type_ == VALUE_TYPE_BYTES) {
    v.value = strings_[i];
    return v;
  }
  const uint64_t bits = words_[size() + i];
  if (type_ == VALUE_TYPE_DOUBLE) {
    double d;
    std::memcpy(&d, &bits, 8);
    v.value = d;
  } else if (type_ == VALUE_TYPE_BOOL) {
    v.value = bits != 0;
  } else {  // int64, timestamp
    v.value = static_cast<int64_t>(bits);
  }
  return v;
}

absl::string_view FeatureStatusName(FeatureStatus status) {
  switch (status) {
    case FeatureStatus::kPresent:
      return "PRESENT";
    case FeatureStatus::kNotFound:
      return "NOT_FOUND";
    case FeatureStatus::kNullValue:
      return "NULL_VALUE";
    case FeatureStatus::kOutsideMaxAge:
      return "OUTSIDE_MAX_AGE";
  }
  return "UNKNOWN";
}

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

absl::StatusOr<std::shared_ptr<const ResolvedView>> FeatureStore::Impl::View(
    const std::string& name, uint64_t version) const {
  if (absl::Status s = ValidateArtifactName(name); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("feature view ", s.message()));
  }
  // The latest version's number is one read; the view itself is cached per version.
  uint64_t number = version;
  if (number == 0) {
    auto latest = store->artifacts().LatestVersion({Kind::kFeatureView, name});
    if (absl::IsNotFound(latest.status())) {
      return absl::NotFoundError(
          absl::StrCat("no feature view ", name, " (apply its definition first)"));
    }
    if (!latest.ok()) return latest.status();
    number = *latest;
  }
  const auto key = std::make_pair(name, number);
  {
    std::lock_guard lock(mu);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  Ref ref;
  ref.artifact = {Kind::kFeatureView, name};
  ref.version = number;
  auto resolved = store->artifacts().Resolve(ref);
  if (absl::IsNotFound(resolved.status())) {
    return absl::NotFoundError(absl::StrCat("no feature view ", name, "@", number));
  }
  if (!resolved.ok()) return resolved.status();
  auto view = std::make_shared<ResolvedView>();
  ASSIGN_OR_RETURN(view->def, registry->Get(absl::StrCat(name, "@", resolved->number())));
  view->version = resolved->number();
  RETURN_IF_ERROR(tables.Load(view.get()));
  std::lock_guard lock(mu);
  cache[key] = view;
  return std::shared_ptr<const ResolvedView>(view);
}

void FeatureStore::Impl::Forget(const std::string& name) const {
  std::lock_guard lock(mu);
  for (auto it = cache.begin(); it != cache.end();) {
    it = it->first.first == name ? cache.erase(it) : std::next(it);
  }
}

FeatureStore::FeatureStore(Store* store, const FeatureStoreOptions& options)
    : store_(store),
      registry_(store),
      impl_(std::make_unique<Impl>(store, &registry_, options)) {}

FeatureStore::~FeatureStore() = default;

absl::StatusOr<IngestPosition> FeatureStore::Position() const {
  return impl_->tables.Position();
}

absl::StatusOr<std::vector<IngestRecord>> FeatureStore::Ingests(uint64_t from) const {
  return impl_->tables.Ingests(from);
}

}  // namespace strata::features
