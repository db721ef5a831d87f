// StoreClient: everything the command line does to a store, against either a store
// opened in this process or a `strata serve` over HTTP. Both implementations give
// the same results and the same errors (code and message), so every command prints
// the same output whichever it talks to; tests/client_test.cc holds the conformance
// suite that runs against both.
//
//   ASSIGN_OR_RETURN(auto client, ConnectClient({.server = "http://host:8080"}));
//   ASSIGN_OR_RETURN(store::Version v, client->Resolve(*ParseRef("model/churn")));
#ifndef STRATA_CLIENT_CLIENT_H_
#define STRATA_CLIENT_CLIENT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "features/feature_store.h"
#include "features/registry.h"
#include "features/rules.h"
#include "gc/fsck.h"
#include "gc/gc.h"
#include "gc/retention.h"
#include "quality/drift_report.h"
#include "quality/profile_store.h"
#include "store/artifacts.h"
#include "store/content_store.h"
#include "store/io.h"
#include "store/lineage.h"
#include "store/runs.h"
#include "store/store.pb.h"
#include "store/tokens.h"

namespace strata {

// What a put stored and committed.
struct PutResult {
  CommitResult commit;
  Digest content_id;
  uint64_t chunks = 0;      // chunks in the content
  uint64_t new_chunks = 0;  // chunks the store did not have (and, remotely, were sent)
};

// Where a trim cuts a view's log: at `before`, or, when unset, `keep_seconds` (> 0)
// before now by the clock where the store is (the server's, remotely).
struct TrimHorizon {
  std::optional<features::Micros> before;
  int64_t keep_seconds = 0;
};

// Not thread-safe: one client per thread (a remote client holds one keep-alive
// connection).
class StoreClient {
 public:
  virtual ~StoreClient() = default;

  // Where the client points: the store's directory or the server's URL.
  virtual std::string Where() const = 0;

  // Artifacts: as ArtifactStore and ContentStore. Put checks the request before it
  // reads any content; remotely, content larger than one chunk is sent as the
  // chunks the server lacks.
  virtual absl::StatusOr<PutResult> Put(const NewVersion& request, ByteSource& content,
                                        const ProgressFn& progress) = 0;
  // The version record, deleted or not (ArtifactStore::ResolveRecord).
  virtual absl::StatusOr<store::Version> Resolve(const Ref& ref) = 0;
  // Writes the content of `version` to `sink`, verified. FailedPrecondition for a
  // deleted version.
  virtual absl::Status Read(const store::Version& version, ByteSink& sink,
                            const ProgressFn& progress) = 0;
  virtual absl::StatusOr<std::vector<store::Version>> Versions(
      const ArtifactId& artifact) = 0;  // oldest first
  virtual absl::StatusOr<std::map<uint64_t, std::vector<std::string>>> AliasesByVersion(
      const ArtifactId& artifact) = 0;
  virtual absl::StatusOr<std::vector<ArtifactSummary>> List(std::optional<Kind> kind) = 0;
  virtual absl::StatusOr<store::AliasMove> SetAlias(const ArtifactId& artifact,
                                                    const std::string& alias,
                                                    uint64_t version,
                                                    std::optional<uint64_t> expect,
                                                    const std::string& who,
                                                    const std::string& reason) = 0;
  virtual absl::StatusOr<store::AliasMove> RemoveAlias(const ArtifactId& artifact,
                                                       const std::string& alias,
                                                       std::optional<uint64_t> expect,
                                                       const std::string& who,
                                                       const std::string& reason) = 0;
  virtual absl::StatusOr<std::vector<store::AliasMove>> AliasLog(
      const ArtifactId& artifact) = 0;
  // Maintenance. Fsck: as gc::Fsck (remotely GET /v1/fsck, scope admin). Backup:
  // as Store::Backup into `dir` and returns it; remotely `dir` names a backup under
  // the server's --backup-dir, and the path on the server is returned.
  virtual absl::StatusOr<gc::FsckReport> Fsck(const gc::FsckOptions& options) = 0;
  virtual absl::StatusOr<std::string> Backup(const std::string& dir) = 0;
  // As gc::CollectGarbage (remotely POST /v1/gc, scope admin; progress and
  // after_mark stay local).
  virtual absl::StatusOr<gc::GcReport> Gc(const gc::GcOptions& options) = 0;
  // Retention: as gc::SetRetentionPolicy, RemoveRetentionPolicy, RetentionPolicies
  // and ApplyRetention, the feature views' logs trimmed by the feature store
  // (remotely /v1/retention; setting, removing and applying need scope admin).
  virtual absl::Status SetRetention(const std::string& target,
                                    const store::RetentionPolicy& policy,
                                    const std::string& who) = 0;
  virtual absl::Status RemoveRetention(const std::string& target) = 0;
  virtual absl::StatusOr<std::map<std::string, store::RetentionPolicy>>
  RetentionPolicies() = 0;
  virtual absl::StatusOr<gc::RetentionReport> ApplyRetention(bool dry_run,
                                                             const std::string& who) = 0;

  // Deletion: as ArtifactStore::Delete and WhyKept.
  virtual absl::StatusOr<store::Version> Delete(const DeleteRequest& request) = 0;
  virtual absl::StatusOr<std::vector<KeptBy>> WhyKept(const ArtifactId& artifact,
                                                      uint64_t version) = 0;

  // Runs: as RunStore.
  virtual absl::StatusOr<store::Run> StartRun(const NewRun& request) = 0;
  virtual absl::StatusOr<store::Run> LogMetrics(
      const std::string& run_id, const std::map<std::string, double>& metrics) = 0;
  virtual absl::StatusOr<store::Run> FinishRun(const std::string& run_id,
                                               store::RunStatus status) = 0;
  virtual absl::StatusOr<store::Run> GetRun(const std::string& run_id) = 0;
  virtual absl::StatusOr<std::vector<store::Run>> ListRuns() = 0;

  // Walks the lineage from `root`: a reference ("model/churn@production") or
  // "run/ID". Errors: NotFound for an unknown version or run; as Lineage::Walk.
  virtual absl::StatusOr<LineageGraph> Lineage(const std::string& root,
                                               const LineageOptions& options) = 0;

  // Features: as FeatureRegistry::Apply (the definitions' text, named `source` in
  // errors) and FeatureStore.
  virtual absl::StatusOr<std::vector<features::AppliedView>> Apply(
      const std::string& text, const std::string& source, const std::string& creator,
      const std::string& message) = 0;
  // Ingests the file at `path` ("-": standard input) or the stored dataset version
  // it names ("dataset/NAME[@REF]": read where the store is, nothing uploaded).
  virtual absl::StatusOr<features::IngestResult> Ingest(
      const std::string& view, const std::string& path,
      const features::IngestOptions& options) = 0;
  // Checks dataset version `dataset` against validation rules without ingesting
  // it: as features::ValidateDataset (`rules_file`: a definitions file's text,
  // named `rules_source`; empty: the rules of `view`).
  virtual absl::StatusOr<features::ValidationReport> Validate(
      const std::string& dataset, const std::string& view, const std::string& rules_file,
      const std::string& rules_source) = 0;
  // `spine` is a CSV file's path or a stored dataset ("dataset/NAME[@REF]").
  virtual absl::StatusOr<features::HistoricalResult> Historical(
      const features::HistoricalRequest& request, const std::string& spine,
      ByteSink& out) = 0;
  // As FeatureStore::SaveHistorical; remotely `lineage` goes as inputs= and
  // spine_inputs=. (The default is this declaration's: call through StoreClient.)
  virtual absl::StatusOr<features::SavedResult> SaveHistorical(
      const features::HistoricalRequest& request, const std::string& spine,
      const std::string& dataset_name, const std::string& creator,
      const std::string& message, ByteSink* out,
      const features::SaveLineage& lineage = {}) = 0;
  virtual absl::StatusOr<features::ReproduceResult> Reproduce(
      const std::string& dataset_ref, ByteSink* out) = 0;
  virtual absl::StatusOr<features::OnlineResult> Online(
      const std::vector<std::string>& features,
      const features::EntityColumns& entities) = 0;
  // Online repair: as FeatureStore::RebuildOnline and RemoveOnline (remotely POST
  // /v1/features/VIEW/online/rebuild and .../remove, scope admin; the rebuild runs
  // on the server with its default step, and `progress` is not called).
  virtual absl::StatusOr<features::OnlineRebuildReport> RebuildOnline(
      const std::string& view, const features::OnlineRebuildOptions& options) = 0;
  virtual absl::Status RemoveOnline(const std::string& view,
                                    const features::EntityColumns& entity) = 0;
  // Offline log retention of one view (FeatureStore::TrimLog) to `horizon`
  // (remotely POST /v1/features/VIEW/trim, scope admin; options.progress is not
  // called, options.expiring is the server's own).
  virtual absl::StatusOr<features::LogTrimReport> TrimLog(
      const std::string& view, const TrimHorizon& horizon,
      const features::LogTrimOptions& options) = 0;

  // Data quality (quality/). The statistics of a dataset version or a feature-view
  // window, as quality::Stats (remotely GET /v1/stats/REF: the server stores a
  // dataset's profile when the token may write; request.progress is not called).
  virtual absl::StatusOr<quality::StatsResult> Stats(
      const quality::StatsRequest& request) = 0;
  // Drift between two datasets or windows, as quality::Drift (remotely
  // GET /v1/drift). Errors: as quality::Drift.
  virtual absl::StatusOr<quality::DriftResult> Drift(
      const quality::DriftRequest& request) = 0;

  // API tokens (scope admin when remote). CreateToken returns the token, shown once;
  // remote, request.creator.who is sent as X-Strata-Creator (the server records
  // its own token's owner as the creator).
  virtual absl::StatusOr<CreatedToken> CreateToken(const NewToken& request) = 0;
  virtual absl::StatusOr<std::vector<TokenInfo>> ListTokens() = 0;
  virtual absl::Status RevokeToken(const std::string& name) = 0;
};

struct ClientOptions {
  // A server's URL ("http://host:8080", "https://host"): talk to it. Empty: open
  // the store in `store_dir`.
  std::string server;
  std::string token;      // sent as "Authorization: Bearer TOKEN" when non-empty
  std::string creator;    // sent as X-Strata-Creator: who is acting
  std::string store_dir;  // when `server` is empty
  bool create_store = false;
  // A PEM file of CA certificates to trust for https (default: the system's).
  std::string ca_file;
  // Seconds to wait for a connection, and for each read or write. Default 60.
  int timeout_seconds = 60;
  // A local store: whether each ingest profiles its rows and stores the profile
  // (quality/ingest_profile.h), which windows' statistics merge. Default true;
  // false saves the profile's cost (the CLI: STRATA_INGEST_PROFILES=0).
  bool ingest_profiles = true;
};

// Errors: as Store::Open for a local store; InvalidArgument for a malformed URL.
// A server is not contacted until the first call (Unavailable if unreachable).
absl::StatusOr<std::unique_ptr<StoreClient>> ConnectClient(const ClientOptions& options);

// The client of a store this process has open; `store` must outlive it.
std::unique_ptr<StoreClient> LocalClient(Store* store);

}  // namespace strata

#endif  // STRATA_CLIENT_CLIENT_H_
