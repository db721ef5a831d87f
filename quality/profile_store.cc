#include "quality/profile_store.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "quality/ingest_profile.h"
#include "store/ref.h"
#include "store/status_macros.h"

namespace strata::quality {
namespace {

constexpr char kFormat[] = "1";

std::string VersionRef(const store::Version& v) {
  return absl::StrCat(v.kind(), "/", v.name(), "@", v.number());
}

// The stored profile of `dataset`'s content read with `view`, if there is one.
absl::StatusOr<std::optional<StatsResult>> FindStored(Store& store,
                                                      const ArtifactId& profiles,
                                                      const std::string& content,
                                                      const std::string& view) {
  absl::StatusOr<std::vector<store::Version>> versions =
      store.artifacts().Versions(profiles);
  if (absl::IsNotFound(versions.status())) return std::nullopt;
  RETURN_IF_ERROR(versions.status());
  for (auto v = versions->rbegin(); v != versions->rend(); ++v) {
    const auto& meta = v->metadata();
    const auto get = [&meta](const char* key) {
      auto it = meta.find(key);
      return it == meta.end() ? std::string() : it->second;
    };
    if (v->has_deleted() || get(kContentKey) != content || get(kViewKey) != view ||
        get(kFormatKey) != kFormat) {
      continue;
    }
    ASSIGN_OR_RETURN(Digest id, Digest::FromRaw(v->content_id()));
    std::string bytes;
    auto sink = StringSink(&bytes);
    RETURN_IF_ERROR(store.content().Get(id, *sink));
    absl::StatusOr<TableProfile> profile = TableProfile::Parse(bytes);
    if (!profile.ok()) {
      return absl::DataLossError(
          absl::StrCat(VersionRef(*v), ": ", profile.status().message()));
    }
    StatsResult result;
    result.profile = *std::move(profile);
    result.stored = VersionRef(*v);
    result.computed = false;
    return result;
  }
  return std::nullopt;
}

absl::StatusOr<StatsResult> DatasetStats(Store& store, features::FeatureStore& fs,
                                         const StatsRequest& request, SourceRef source,
                                         const ScanOptions& options) {
  ASSIGN_OR_RETURN(Ref ref, ParseRef(source.name));
  ASSIGN_OR_RETURN(store::Version dataset, store.artifacts().Resolve(ref));
  ASSIGN_OR_RETURN(Digest content, Digest::FromRaw(dataset.content_id()));
  const std::string described = VersionRef(dataset);
  source.name = described;  // the version read is the one described
  std::string view;
  if (!request.view.empty()) {
    const std::string name = absl::StartsWith(request.view, "featureview/")
                                 ? request.view
                                 : "featureview/" + request.view;
    ASSIGN_OR_RETURN(Ref view_ref, ParseRef(name));
    ASSIGN_OR_RETURN(store::Version v, store.artifacts().Resolve(view_ref));
    view = VersionRef(v);
    source.view = view;
  }
  const ArtifactId profiles{Kind::kProfile, dataset.name()};
  ASSIGN_OR_RETURN(std::optional<StatsResult> stored,
                   FindStored(store, profiles, content.Hex(), view));
  if (stored.has_value()) {
    stored->source = described;
    return *std::move(stored);
  }
  StatsResult result;
  result.source = described;
  ASSIGN_OR_RETURN(result.profile, ComputeProfile(store, fs, source, options));
  if (!request.store) return result;

  const std::string bytes = result.profile.Serialize();
  auto bytes_source = StringSource(bytes);
  ASSIGN_OR_RETURN(PutStats put, store.content().Put(*bytes_source));
  NewVersion version;
  version.artifact = profiles;
  version.content_id = put.content_id;
  version.metadata = {{kDescribesKey, described},
                      {kContentKey, content.Hex()},
                      {kViewKey, view},
                      {kFormatKey, kFormat}};
  version.inputs.push_back(described);
  if (!view.empty()) version.inputs.push_back(view);
  version.message = absl::StrCat("profile of ", described);
  version.creator = request.creator;
  ASSIGN_OR_RETURN(CommitResult commit, store.artifacts().Commit(version));
  result.stored = VersionRef(commit.version);
  return result;
}

}  // namespace

absl::StatusOr<StatsResult> Stats(Store& store, features::FeatureStore& fs,
                                  const StatsRequest& request) {
  ASSIGN_OR_RETURN(SourceRef source, ParseSourceRef(request.ref));
  ScanOptions options;
  options.progress = request.progress;
  if (source.kind == SourceRef::Kind::kDataset) {
    if (request.from.has_value() || request.to.has_value() || request.as_of.has_value()) {
      return absl::InvalidArgumentError(
          "from, to and as_of are for feature-view windows, not datasets");
    }
    return DatasetStats(store, fs, request, std::move(source), options);
  }
  if (!request.view.empty()) {
    return absl::InvalidArgumentError(
        "a view gives a dataset's column types; a window has its view's own");
  }
  if (request.from.has_value()) source.from = *request.from;
  if (request.to.has_value()) source.to = *request.to;
  if (request.as_of.has_value()) source.as_of = request.as_of;
  if (source.from > source.to) {
    return absl::InvalidArgumentError("the window starts after it ends");
  }
  StatsResult result;
  result.source = source.ToString();
  ASSIGN_OR_RETURN(std::optional<TableProfile> merged,
                   MergedWindowProfile(store, fs, source, &result.merged));
  if (merged.has_value()) {
    result.profile = *std::move(merged);
    result.computed = false;
    return result;
  }
  ASSIGN_OR_RETURN(result.profile, ComputeProfile(store, fs, source, options));
  return result;
}

StatsAnswer ToAnswer(const StatsResult& result) {
  StatsAnswer answer;
  answer.set_source(result.source);
  answer.set_stored(result.stored);
  answer.set_computed(result.computed);
  answer.set_merged(result.merged);
  result.profile.ToProto(answer.mutable_profile());
  return answer;
}

absl::StatusOr<StatsResult> FromAnswer(const StatsAnswer& answer) {
  StatsResult result;
  result.source = answer.source();
  result.stored = answer.stored();
  result.computed = answer.computed();
  result.merged = answer.merged();
  ASSIGN_OR_RETURN(result.profile, TableProfile::FromProto(answer.profile()));
  return result;
}

}  // namespace strata::quality
