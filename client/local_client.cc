// StoreClient over a store opened in this process.
#include <utility>

#include "absl/time/clock.h"
#include "client/client.h"
#include "features/definitions.h"
#include "features/online_store.h"
#include "features/retention.h"
#include "quality/ingest_profile.h"
#include "store/status_macros.h"
#include "store/store.h"

namespace strata {
namespace {

class Local : public StoreClient {
 public:
  // `owned` may be null: the store then belongs to the caller.
  // `ingest_profiles`: ClientOptions::ingest_profiles.
  Local(Store* store, std::unique_ptr<Store> owned, bool ingest_profiles)
      : owned_(std::move(owned)),
        store_(store),
        features_(store, Options(store, ingest_profiles)) {}

  std::string Where() const override { return store_->dir(); }

  absl::StatusOr<PutResult> Put(const NewVersion& request, ByteSource& content,
                                const ProgressFn& progress) override {
    RETURN_IF_ERROR(store_->artifacts().Check(request));
    ASSIGN_OR_RETURN(PutStats stats, store_->content().Put(content, progress));
    NewVersion commit = request;
    commit.content_id = stats.content_id;
    PutResult out;
    ASSIGN_OR_RETURN(out.commit, store_->artifacts().Commit(commit));
    out.content_id = stats.content_id;
    out.chunks = stats.chunks;
    out.new_chunks = stats.new_chunks;
    return out;
  }

  absl::StatusOr<store::Version> Resolve(const Ref& ref) override {
    return store_->artifacts().ResolveRecord(ref);
  }

  absl::Status Read(const store::Version& version, ByteSink& sink,
                    const ProgressFn& progress) override {
    RETURN_IF_ERROR(CheckNotDeleted(version));
    ASSIGN_OR_RETURN(Digest id, Digest::FromRaw(version.content_id()));
    return store_->content().Get(id, sink, progress);
  }

  absl::StatusOr<std::vector<store::Version>> Versions(
      const ArtifactId& artifact) override {
    return store_->artifacts().Versions(artifact);
  }

  absl::StatusOr<std::map<uint64_t, std::vector<std::string>>> AliasesByVersion(
      const ArtifactId& artifact) override {
    return store_->artifacts().AliasesByVersion(artifact);
  }

  absl::StatusOr<std::vector<ArtifactSummary>> List(std::optional<Kind> kind) override {
    return store_->artifacts().List(kind);
  }

  absl::StatusOr<store::AliasMove> SetAlias(const ArtifactId& artifact,
                                            const std::string& alias, uint64_t version,
                                            std::optional<uint64_t> expect,
                                            const std::string& who,
                                            const std::string& reason) override {
    return store_->artifacts().SetAlias(artifact, alias, version, expect, who, reason);
  }

  absl::StatusOr<store::AliasMove> RemoveAlias(const ArtifactId& artifact,
                                               const std::string& alias,
                                               std::optional<uint64_t> expect,
                                               const std::string& who,
                                               const std::string& reason) override {
    return store_->artifacts().RemoveAlias(artifact, alias, expect, who, reason);
  }

  absl::StatusOr<std::vector<store::AliasMove>> AliasLog(
      const ArtifactId& artifact) override {
    return store_->artifacts().AliasLog(artifact);
  }

  absl::StatusOr<gc::FsckReport> Fsck(const gc::FsckOptions& options) override {
    return gc::Fsck(*store_, options);
  }

  absl::StatusOr<gc::GcReport> Gc(const gc::GcOptions& options) override {
    return gc::CollectGarbage(*store_, options);
  }

  absl::Status SetRetention(const std::string& target,
                            const store::RetentionPolicy& policy,
                            const std::string& who) override {
    return gc::SetRetentionPolicy(*store_, target, policy, who);
  }

  absl::Status RemoveRetention(const std::string& target) override {
    return gc::RemoveRetentionPolicy(*store_, target);
  }

  absl::StatusOr<std::map<std::string, store::RetentionPolicy>> RetentionPolicies()
      override {
    return gc::RetentionPolicies(*store_);
  }

  absl::StatusOr<gc::RetentionReport> ApplyRetention(bool dry_run,
                                                     const std::string& who) override {
    return features::ApplyRetentionWithLogs(*store_, features_, dry_run, who);
  }

  absl::StatusOr<std::string> Backup(const std::string& dir) override {
    RETURN_IF_ERROR(store_->Backup(dir));
    return dir;
  }

  absl::StatusOr<store::Version> Delete(const DeleteRequest& request) override {
    return store_->artifacts().Delete(request);
  }

  absl::StatusOr<std::vector<KeptBy>> WhyKept(const ArtifactId& artifact,
                                              uint64_t version) override {
    return store_->artifacts().WhyKept(artifact, version);
  }

  absl::StatusOr<store::Run> StartRun(const NewRun& request) override {
    return store_->runs().Start(request);
  }
  absl::StatusOr<store::Run> LogMetrics(
      const std::string& run_id, const std::map<std::string, double>& metrics) override {
    return store_->runs().LogMetrics(run_id, metrics);
  }
  absl::StatusOr<store::Run> FinishRun(const std::string& run_id,
                                       store::RunStatus status) override {
    return store_->runs().Finish(run_id, status);
  }
  absl::StatusOr<store::Run> GetRun(const std::string& run_id) override {
    return store_->runs().Get(run_id);
  }
  absl::StatusOr<std::vector<store::Run>> ListRuns() override {
    return store_->runs().List();
  }

  absl::StatusOr<LineageGraph> Lineage(const std::string& root,
                                       const LineageOptions& options) override {
    ASSIGN_OR_RETURN(std::string node, store_->LineageRoot(root));
    return store_->lineage().Walk(node, options);
  }

  absl::StatusOr<std::vector<features::AppliedView>> Apply(
      const std::string& text, const std::string& source, const std::string& creator,
      const std::string& message) override {
    ASSIGN_OR_RETURN(features::Definitions defs,
                     features::ParseDefinitions(text, source));
    return features_.registry().Apply(defs, creator, message);
  }

  absl::StatusOr<features::IngestResult> Ingest(
      const std::string& view, const std::string& path,
      const features::IngestOptions& options) override {
    return features_.Ingest(view, path, options);
  }

  absl::StatusOr<features::ValidationReport> Validate(
      const std::string& dataset, const std::string& view, const std::string& rules_file,
      const std::string& rules_source) override {
    return features::ValidateDataset(features_, dataset, view, rules_file, rules_source);
  }

  absl::StatusOr<features::HistoricalResult> Historical(
      const features::HistoricalRequest& request, const std::string& spine,
      ByteSink& out) override {
    ASSIGN_OR_RETURN(features::HistoricalRequest resolved, Resolved(request, nullptr));
    return features_.Historical(resolved, spine, out);
  }

  absl::StatusOr<features::SavedResult> SaveHistorical(
      const features::HistoricalRequest& request, const std::string& spine,
      const std::string& dataset_name, const std::string& creator,
      const std::string& message, ByteSink* out,
      const features::SaveLineage& lineage) override {
    features::SaveLineage with_services = lineage;
    ASSIGN_OR_RETURN(features::HistoricalRequest resolved,
                     Resolved(request, &with_services));
    return features_.SaveHistorical(resolved, spine, dataset_name, creator, message, out,
                                    with_services);
  }

  absl::StatusOr<features::LogTrimReport> TrimLog(
      const std::string& view, const TrimHorizon& horizon,
      const features::LogTrimOptions& options) override {
    return features_.TrimLog(view,
                             horizon.before.value_or(absl::ToUnixMicros(absl::Now()) -
                                                     horizon.keep_seconds * 1000000),
                             options);
  }

  absl::StatusOr<quality::StatsResult> Stats(
      const quality::StatsRequest& request) override {
    return quality::Stats(*store_, features_, request);
  }
  absl::StatusOr<quality::DriftResult> Drift(
      const quality::DriftRequest& request) override {
    return quality::Drift(*store_, features_, request);
  }

  absl::StatusOr<features::ReproduceResult> Reproduce(const std::string& dataset_ref,
                                                      ByteSink* out) override {
    return features_.Reproduce(dataset_ref, out);
  }

  absl::StatusOr<features::OnlineResult> Online(
      const std::vector<std::string>& features,
      const features::EntityColumns& entities) override {
    ASSIGN_OR_RETURN(features::ResolvedFeatures resolved,
                     features_.ResolveFeatures(features));
    return features_.Online(resolved.features, entities, absl::ToUnixMicros(absl::Now()));
  }

  absl::StatusOr<features::OnlineRebuildReport> RebuildOnline(
      const std::string& view, const features::OnlineRebuildOptions& options) override {
    return features_.RebuildOnline(view, options);
  }

  absl::Status RemoveOnline(const std::string& view,
                            const features::EntityColumns& entity) override {
    return features_.RemoveOnline(view, entity);
  }

  absl::StatusOr<CreatedToken> CreateToken(const NewToken& request) override {
    return TokenStore(store_).Create(request);
  }
  absl::StatusOr<std::vector<TokenInfo>> ListTokens() override {
    return TokenStore(store_).List();
  }
  absl::Status RevokeToken(const std::string& name) override {
    return TokenStore(store_).Revoke(name);
  }

 private:
  static features::FeatureStoreOptions Options(Store* store, bool ingest_profiles) {
    features::FeatureStoreOptions options;
    if (ingest_profiles)
      options.ingest_observers.push_back(quality::IngestProfiles(store));
    options.online_table = features::RecordedOnlineTable(*store);
    return options;
  }

  std::unique_ptr<Store> owned_;
  Store* store_;
  // `request` with its feature services expanded, as the server's routes do; the
  // service versions read become inputs of a saved set (`lineage`, when given).
  absl::StatusOr<features::HistoricalRequest> Resolved(
      const features::HistoricalRequest& request, features::SaveLineage* lineage) const {
    ASSIGN_OR_RETURN(features::ResolvedFeatures resolved,
                     features_.ResolveFeatures(request.features));
    features::HistoricalRequest out = request;
    out.features = std::move(resolved.features);
    if (lineage != nullptr) {
      for (std::string& s : resolved.services) lineage->inputs.push_back(std::move(s));
    }
    return out;
  }

  features::FeatureStore features_;
};

}  // namespace

std::unique_ptr<StoreClient> LocalClient(Store* store) {
  return std::make_unique<Local>(store, nullptr, true);
}

std::unique_ptr<StoreClient> OpenLocalClient(std::unique_ptr<Store> store,
                                             bool ingest_profiles) {
  Store* s = store.get();
  return std::make_unique<Local>(s, std::move(store), ingest_profiles);
}

}  // namespace strata
