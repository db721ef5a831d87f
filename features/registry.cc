#include "features/registry.h"

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "features/definitions.h"
#include "store/json_writer.h"
#include "store/status_macros.h"

namespace strata::features {

std::string FeatureRegistry::CanonicalContent(const FeatureView& view) {
  JsonWriter w;
  w.BeginObject().Key("entities").BeginArray();
  for (const Entity& e : view.entities()) {
    w.BeginObject()
        .Key("name")
        .String(e.name())
        .Key("description")
        .String(e.description());
    w.Key("join_keys").BeginArray();
    for (const JoinKey& k : e.join_keys()) {
      w.BeginObject().Key("name").String(k.name()).Key("type").String(
          ValueTypeName(k.type()));
      w.EndObject();
    }
    w.EndArray().EndObject();
  }
  w.EndArray().Key("feature_views").BeginArray().BeginObject();
  w.Key("name").String(view.name()).Key("entities").BeginArray();
  for (const Entity& e : view.entities()) w.String(e.name());
  w.EndArray();
  w.Key("ttl").String(view.ttl_seconds() == 0 ? std::string("0")
                                              : absl::StrCat(view.ttl_seconds(), "s"));
  if (!view.timestamp_unit().empty()) {
    w.Key("timestamp_unit").String(view.timestamp_unit());
  }
  if (view.has_plausible_from_us() || view.has_plausible_until_us()) {
    w.Key("plausible_time").BeginObject();
    if (view.has_plausible_from_us()) {
      w.Key("from").String(FormatTimestamp(view.plausible_from_us()));
    }
    if (view.has_plausible_until_us()) {
      w.Key("until").String(FormatTimestamp(view.plausible_until_us()));
    }
    w.EndObject();
  }
  w.Key("description").String(view.description()).Key("owner").String(view.owner());
  w.Key("tags").BeginObject();
  for (const auto& [k, v] :
       std::map<std::string, std::string>(view.tags().begin(), view.tags().end())) {
    w.Key(k).String(v);
  }
  w.EndObject().Key("features").BeginArray();
  for (const Feature& f : view.features()) {
    w.BeginObject().Key("name").String(f.name()).Key("type").String(
        ValueTypeName(f.type()));
    w.Key("description").String(f.description()).EndObject();
  }
  w.EndArray().EndObject().EndArray().EndObject();
  return w.Take() + "\n";
}

absl::StatusOr<FeatureView> FeatureRegistry::Get(const std::string& ref) const {
  const std::string full =
      absl::StartsWith(ref, "featureview/") ? ref : absl::StrCat("featureview/", ref);
  ASSIGN_OR_RETURN(Ref parsed, ParseRef(full));
  ASSIGN_OR_RETURN(store::Version version, store_->artifacts().Resolve(parsed));
  ASSIGN_OR_RETURN(Digest id, Digest::FromRaw(version.content_id()));
  std::string content;
  auto sink = StringSink(&content);
  RETURN_IF_ERROR(store_->content().Get(id, *sink));
  const std::string where =
      absl::StrCat(version.kind(), "/", version.name(), "@", version.number());
  auto defs = ParseDefinitions(content, where);
  if (!defs.ok() || defs->feature_views_size() != 1) {
    return absl::DataLossError(
        absl::StrCat(where, " does not hold a feature view definition: ",
                     defs.ok() ? std::string("it defines ") +
                                     std::to_string(defs->feature_views_size()) + " views"
                               : std::string(defs.status().message())));
  }
  return defs->feature_views(0);
}

absl::StatusOr<std::optional<FeatureView>> FeatureRegistry::Latest(
    const std::string& name) const {
  auto view = Get(name);
  if (absl::IsNotFound(view.status())) return std::optional<FeatureView>();
  if (!view.ok()) return view.status();
  return std::optional<FeatureView>(std::move(*view));
}

absl::StatusOr<std::vector<AppliedView>> FeatureRegistry::Apply(
    const Definitions& defs, const Actor& creator, const std::string& message) {
  // Everything is checked before anything is written.
  for (const FeatureView& view : defs.feature_views()) {
    ASSIGN_OR_RETURN(auto latest, Latest(view.name()));
    if (latest.has_value()) RETURN_IF_ERROR(CheckCompatible(*latest, view));
  }
  std::vector<AppliedView> applied;
  for (const FeatureView& view : defs.feature_views()) {
    const std::string content = CanonicalContent(view);
    auto source = StringSource(content);
    ASSIGN_OR_RETURN(PutStats stats, store_->content().Put(*source));
    NewVersion request;
    request.artifact = ArtifactId{Kind::kFeatureView, view.name()};
    request.content_id = stats.content_id;
    request.creator = creator;
    request.message = message;
    ASSIGN_OR_RETURN(CommitResult result, store_->artifacts().Commit(request));
    applied.push_back({view.name(), result.version.number(), result.created});
  }
  return applied;
}

}  // namespace strata::features
