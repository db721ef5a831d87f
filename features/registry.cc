#include "features/registry.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "features/definitions.h"
#include "features/render.h"
#include "store/excerpt.h"
#include "store/json_writer.h"
#include "store/status_macros.h"

namespace strata::features {
namespace {

// A feature's rules, as the definitions file writes them (ParseDefinitions reads
// them back): only those set, so a feature without rules keeps its old content.
void WriteRules(const FeatureRule& rules, JsonWriter& w) {
  if (rules.has_min()) w.Key("min").String(rules.min());
  if (rules.has_max()) w.Key("max").String(rules.max());
  if (rules.allowed_size() > 0) {
    w.Key("allowed").BeginArray();
    for (const std::string& value : rules.allowed()) w.String(value);
    w.EndArray();
  }
  if (rules.not_null()) w.Key("not_null").Bool(true);
  if (rules.has_max_null_fraction()) {
    w.Key("max_null_fraction").Double(rules.max_null_fraction());
  }
  if (!rules.pattern().empty()) w.Key("pattern").String(rules.pattern());
}

}  // namespace

std::string FeatureRegistry::CanonicalContent(const FeatureView& view) {
  JsonWriter w;
  w.BeginObject().Key("entities").BeginArray();
  WriteEntities(view, w);
  w.EndArray();
  if (!view.push_source().empty()) {
    // The document must parse alone: the push source a view names is defined in it.
    w.Key("push_sources").BeginArray().BeginObject();
    w.Key("name").String(view.push_source()).EndObject().EndArray();
  }
  w.Key("feature_views").BeginArray().BeginObject();
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
  if (!view.push_source().empty()) w.Key("source").String(view.push_source());
  if (view.has_drift()) {  // only when set: a view without it keeps its content
    w.Key("drift").BeginObject();
    if (view.drift().has_psi()) w.Key("psi").Double(view.drift().psi());
    if (view.drift().has_ks_p_value()) w.Key("ks_p_value").Double(view.drift().ks_p_value());
    if (view.drift().has_ks_statistic()) {
      w.Key("ks_statistic").Double(view.drift().ks_statistic());
    }
    w.EndObject();
  }
  if (!view.on_invalid().empty()) w.Key("on_invalid").String(view.on_invalid());
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
    w.Key("description").String(f.description());
    if (f.has_rules()) WriteRules(f.rules(), w);
    w.EndObject();
  }
  w.EndArray().EndObject().EndArray().EndObject();
  return w.Take() + "\n";
}

std::string FeatureRegistry::CanonicalContent(const FeatureService& service) {
  JsonWriter w;
  w.BeginObject().Key("feature_services").BeginArray().BeginObject();
  w.Key("name").String(service.name()).Key("features").BeginArray();
  for (const std::string& f : service.features()) w.String(f);
  w.EndArray();
  w.Key("description").String(service.description()).Key("owner").String(service.owner());
  w.Key("tags").BeginObject();
  for (const auto& [k, v] :
       std::map<std::string, std::string>(service.tags().begin(), service.tags().end())) {
    w.Key(k).String(v);
  }
  w.EndObject().EndObject().EndArray().EndObject();
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

absl::StatusOr<std::pair<FeatureService, store::Version>> FeatureRegistry::GetService(
    const std::string& ref) const {
  const std::string full = absl::StartsWith(ref, "featureservice/")
                               ? ref
                               : absl::StrCat("featureservice/", ref);
  ASSIGN_OR_RETURN(Ref parsed, ParseRef(full));
  auto version = store_->artifacts().Resolve(parsed);
  if (absl::IsNotFound(version.status())) {
    return absl::NotFoundError(absl::StrCat("no feature service ", parsed.ToString(),
                                            " (", version.status().message(), ")"));
  }
  RETURN_IF_ERROR(version.status());
  ASSIGN_OR_RETURN(Digest id, Digest::FromRaw(version->content_id()));
  std::string content;
  auto sink = StringSink(&content);
  RETURN_IF_ERROR(store_->content().Get(id, *sink));
  const std::string where =
      absl::StrCat(version->kind(), "/", version->name(), "@", version->number());
  auto defs = ParseDefinitions(content, where);
  if (!defs.ok() || defs->feature_services_size() != 1) {
    return absl::DataLossError(absl::StrCat(
        where, " does not hold a feature service definition",
        defs.ok() ? std::string() : absl::StrCat(": ", defs.status().message())));
  }
  FeatureService service = defs->feature_services(0);
  service.clear_feature_places();
  return std::make_pair(std::move(service), *std::move(version));
}

absl::StatusOr<FeatureService> FeatureRegistry::Expand(
    const FeatureService& service, const Definitions& defs,
    std::vector<std::string>* inputs) const {
  FeatureService out = service;
  out.clear_features();
  out.clear_feature_places();
  std::set<std::string> seen;
  std::map<std::string, std::optional<FeatureView>> stored;  // read once each
  for (int i = 0; i < service.features_size(); ++i) {
    const std::string& entry = service.features(i);
    const std::string where = i < service.feature_places_size()
                                  ? service.feature_places(i)
                                  : absl::StrCat("feature service ", service.name());
    const size_t colon = entry.find(':');
    const std::string view_name = entry.substr(0, colon);
    const FeatureView* view = nullptr;
    for (const FeatureView& v : defs.feature_views()) {
      if (v.name() == view_name) view = &v;
    }
    if (view == nullptr) {
      auto it = stored.find(view_name);
      if (it == stored.end()) {
        ASSIGN_OR_RETURN(auto latest, Latest(view_name));
        it = stored.emplace(view_name, std::move(latest)).first;
      }
      if (!it->second.has_value()) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": feature service '", service.name(), "' reads feature view '",
            view_name, "', which neither this file nor the store defines"));
      }
      view = &*it->second;
    }
    std::vector<std::string> names;
    if (colon == std::string::npos) {
      for (const Feature& f : view->features()) names.push_back(f.name());
    } else {
      const std::string feature = entry.substr(colon + 1);
      if (std::none_of(view->features().begin(), view->features().end(),
                       [&](const Feature& f) { return f.name() == feature; })) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": feature service '", service.name(), "': feature view '", view_name,
            "' has no feature ", Excerpt(feature)));
      }
      names.push_back(feature);
    }
    for (const std::string& name : names) {
      const std::string ref = absl::StrCat(view_name, ":", name);
      if (seen.insert(ref).second) out.add_features(ref);
    }
    const std::string input = absl::StrCat("featureview/", view_name);
    if (std::find(inputs->begin(), inputs->end(), input) == inputs->end()) {
      inputs->push_back(input);
    }
  }
  return out;
}

absl::StatusOr<std::optional<FeatureView>> FeatureRegistry::Latest(
    const std::string& name) const {
  auto view = Get(name);
  if (absl::IsNotFound(view.status())) return std::optional<FeatureView>();
  if (!view.ok()) return view.status();
  return std::optional<FeatureView>(std::move(*view));
}

absl::Status FeatureRegistry::CheckPushNames(const Definitions& defs) const {
  // The views as they will be: the file's, and the store's latest for the others.
  std::map<std::string, std::string> source_of;  // view -> its push source, if any
  std::set<std::string> in_file;
  for (const FeatureView& view : defs.feature_views()) {
    source_of[view.name()] = view.push_source();
    in_file.insert(view.name());
  }
  ASSIGN_OR_RETURN(auto stored, store_->artifacts().List(Kind::kFeatureView));
  for (const ArtifactSummary& summary : stored) {
    const std::string& name = summary.artifact.name;
    if (in_file.count(name)) continue;
    auto view = Get(name);
    // A view whose latest version was deleted feeds nothing.
    if (absl::IsFailedPrecondition(view.status())) continue;
    RETURN_IF_ERROR(view.status());
    source_of[name] = view->push_source();
  }
  for (const auto& [view, source] : source_of) {
    if (source.empty() || !source_of.count(source)) continue;
    // A clash between two stored views predates this check: not this file's doing.
    if (!in_file.count(view) && !in_file.count(source)) continue;
    if (!in_file.count(view)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "feature view '", source, "' has the name of the push source that feeds ",
          "feature view '", view, "' (applied before): a push to '", source,
          "' would be ambiguous; rename one of them"));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("push source '", source, "' of feature view '", view,
                     "' has the name of a feature view",
                     in_file.count(source) ? "" : " applied before", ": a push to '",
                     source, "' would be ambiguous; rename one of them"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<AppliedView>> FeatureRegistry::Apply(
    const Definitions& defs, const Actor& creator, const std::string& message) {
  // Everything is checked before anything is written.
  for (const FeatureView& view : defs.feature_views()) {
    ASSIGN_OR_RETURN(auto latest, Latest(view.name()));
    if (latest.has_value()) RETURN_IF_ERROR(CheckCompatible(*latest, view));
  }
  if (defs.feature_views_size() > 0) RETURN_IF_ERROR(CheckPushNames(defs));
  std::vector<std::pair<FeatureService, std::vector<std::string>>> services;
  for (const FeatureService& service : defs.feature_services()) {
    std::vector<std::string> inputs;
    ASSIGN_OR_RETURN(FeatureService expanded, Expand(service, defs, &inputs));
    services.emplace_back(std::move(expanded), std::move(inputs));
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
  for (auto& [service, inputs] : services) {
    const std::string content = CanonicalContent(service);
    auto source = StringSource(content);
    ASSIGN_OR_RETURN(PutStats stats, store_->content().Put(*source));
    NewVersion request;
    request.artifact = ArtifactId{Kind::kFeatureService, service.name()};
    request.content_id = stats.content_id;
    request.inputs = std::move(inputs);
    request.creator = creator;
    request.message = message;
    ASSIGN_OR_RETURN(CommitResult result, store_->artifacts().Commit(request));
    applied.push_back(
        {service.name(), result.version.number(), result.created, Kind::kFeatureService});
  }
  return applied;
}

}  // namespace strata::features
