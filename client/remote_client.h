// The StoreClient of a `strata serve` (client.h). Internal to client/: callers use
// ConnectClient.
#ifndef STRATA_CLIENT_REMOTE_CLIENT_H_
#define STRATA_CLIENT_REMOTE_CLIENT_H_

#include <memory>
#include <string>

#include "client/client.h"
#include "google/protobuf/message_lite.h"
#include "httplib.h"

namespace strata {

class RemoteClient : public StoreClient {
 public:
  // Errors: InvalidArgument for a malformed URL. Does not connect yet.
  static absl::StatusOr<std::unique_ptr<RemoteClient>> Connect(
      const ClientOptions& options);
  ~RemoteClient() override;

  std::string Where() const override { return url_; }

  absl::StatusOr<PutResult> Put(const NewVersion& request, ByteSource& content,
                                const ProgressFn& progress) override;
  absl::StatusOr<store::Version> Resolve(const Ref& ref) override;
  absl::Status Read(const store::Version& version, ByteSink& sink,
                    const ProgressFn& progress) override;
  absl::StatusOr<std::vector<store::Version>> Versions(
      const ArtifactId& artifact) override;
  absl::StatusOr<std::map<uint64_t, std::vector<std::string>>> AliasesByVersion(
      const ArtifactId& artifact) override;
  absl::StatusOr<std::vector<ArtifactSummary>> List(std::optional<Kind> kind) override;
  absl::StatusOr<store::AliasMove> SetAlias(const ArtifactId& artifact,
                                            const std::string& alias, uint64_t version,
                                            std::optional<uint64_t> expect,
                                            const std::string& who,
                                            const std::string& reason) override;
  absl::StatusOr<store::AliasMove> RemoveAlias(const ArtifactId& artifact,
                                               const std::string& alias,
                                               std::optional<uint64_t> expect,
                                               const std::string& who,
                                               const std::string& reason) override;
  absl::StatusOr<std::vector<store::AliasMove>> AliasLog(
      const ArtifactId& artifact) override;
  absl::StatusOr<gc::FsckReport> Fsck(const gc::FsckOptions& options) override;
  absl::StatusOr<std::string> Backup(const std::string& dir) override;
  absl::StatusOr<gc::GcReport> Gc(const gc::GcOptions& options) override;
  absl::Status SetRetention(const std::string& target,
                            const store::RetentionPolicy& policy,
                            const std::string& who) override;
  absl::Status RemoveRetention(const std::string& target) override;
  absl::StatusOr<std::map<std::string, store::RetentionPolicy>> RetentionPolicies()
      override;
  absl::StatusOr<gc::RetentionReport> ApplyRetention(bool dry_run,
                                                     const std::string& who) override;
  absl::StatusOr<store::Version> Delete(const DeleteRequest& request) override;
  absl::StatusOr<std::vector<KeptBy>> WhyKept(const ArtifactId& artifact,
                                              uint64_t version) override;

  absl::StatusOr<store::Run> StartRun(const NewRun& request) override;
  absl::StatusOr<store::Run> LogMetrics(
      const std::string& run_id, const std::map<std::string, double>& metrics) override;
  absl::StatusOr<store::Run> FinishRun(const std::string& run_id,
                                       store::RunStatus status) override;
  absl::StatusOr<store::Run> GetRun(const std::string& run_id) override;
  absl::StatusOr<std::vector<store::Run>> ListRuns() override;

  absl::StatusOr<LineageGraph> Lineage(const std::string& root,
                                       const LineageOptions& options) override;

  absl::StatusOr<std::vector<features::AppliedView>> Apply(
      const std::string& text, const std::string& source, const std::string& creator,
      const std::string& message) override;
  absl::StatusOr<features::IngestResult> Ingest(
      const std::string& view, const std::string& path,
      const features::IngestOptions& options) override;
  absl::StatusOr<features::ValidationReport> Validate(
      const std::string& dataset, const std::string& view, const std::string& rules_file,
      const std::string& rules_source) override;
  absl::StatusOr<features::HistoricalResult> Historical(
      const features::HistoricalRequest& request, const std::string& spine,
      ByteSink& out) override;
  absl::StatusOr<features::SavedResult> SaveHistorical(
      const features::HistoricalRequest& request, const std::string& spine,
      const std::string& dataset_name, const std::string& creator,
      const std::string& message, ByteSink* out,
      const features::SaveLineage& lineage) override;
  absl::StatusOr<features::ReproduceResult> Reproduce(const std::string& dataset_ref,
                                                      ByteSink* out) override;
  absl::StatusOr<features::OnlineResult> Online(
      const std::vector<std::string>& features,
      const features::EntityColumns& entities) override;
  absl::StatusOr<features::OnlineRebuildReport> RebuildOnline(
      const std::string& view, const features::OnlineRebuildOptions& options) override;
  absl::Status RemoveOnline(const std::string& view,
                            const features::EntityColumns& entity) override;
  absl::StatusOr<features::LogTrimReport> TrimLog(
      const std::string& view, const TrimHorizon& horizon,
      const features::LogTrimOptions& options) override;

  absl::StatusOr<quality::StatsResult> Stats(
      const quality::StatsRequest& request) override;
  absl::StatusOr<quality::DriftResult> Drift(
      const quality::DriftRequest& request) override;

  absl::StatusOr<CreatedToken> CreateToken(const NewToken& request) override;
  absl::StatusOr<std::vector<TokenInfo>> ListTokens() override;
  absl::Status RevokeToken(const std::string& name) override;

 private:
  RemoteClient() = default;

  // Sends `req`. With `stream`, a successful answer's body goes there as it
  // arrives. Errors: Unavailable when the server cannot be reached; the server's
  // error (code and message) for a 4xx or 5xx answer; errors of `stream`.
  absl::StatusOr<httplib::Response> Call(httplib::Request req, ByteSink* stream);
  // A request asking for protobuf.
  absl::StatusOr<httplib::Response> Request(const std::string& method,
                                            const std::string& path, std::string body,
                                            const std::string& content_type,
                                            httplib::Headers headers);
  // A request whose answer is a `Message`. Errors: as Request; DataLoss when the
  // answer does not parse.
  template <typename Message>
  absl::StatusOr<Message> Fetch(const std::string& method, const std::string& path,
                                std::string body = "",
                                const std::string& content_type = "",
                                httplib::Headers headers = {}) {
    Message m;
    absl::Status s =
        FetchInto(&m, method, path, std::move(body), content_type, std::move(headers));
    if (!s.ok()) return s;
    return m;
  }
  absl::Status FetchInto(google::protobuf::MessageLite* out, const std::string& method,
                         const std::string& path, std::string body,
                         const std::string& content_type, httplib::Headers headers);
  absl::StatusOr<store::AliasMove> MoveAlias(
      const std::string& method, const ArtifactId& artifact, const std::string& alias,
      const std::string& query, std::optional<uint64_t> expect, const std::string& who);

  std::string url_;
  std::unique_ptr<httplib::Client> http_;
};

// Percent-encodes `text` for a URL's path or query, keeping / @ : , as they are.
std::string UrlEncode(absl::string_view text);

// The error a server's answer carries: {"error":{"code","message"}} as an
// absl::Status with that code and message; Unknown naming the HTTP status when
// the body is not such an error.
absl::Status ErrorOfResponse(int status, const std::string& body);

}  // namespace strata

#endif  // STRATA_CLIENT_REMOTE_CLIENT_H_
