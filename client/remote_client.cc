// StoreClient over HTTP: the routes of docs/http-api.md, asked for protobuf.
#include "client/remote_client.h"

#include <algorithm>
#include <cstring>
#include <regex>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/api.pb.h"
#include "simdjson.h"
#include "store/fastcdc.h"
#include "store/json_writer.h"
#include "store/render.h"
#include "store/status_macros.h"

namespace strata {
namespace {

constexpr const char* kProtobuf = "application/x-protobuf";
constexpr const char* kOctets = "application/octet-stream";
// Content up to this size goes in one request; larger content as the chunks the
// server lacks.
constexpr size_t kSmallContent = 1 << 20;
// Bytes of chunks sent per request: well under the server's default body limit.
constexpr size_t kChunkBatchBytes = 8 << 20;

absl::StatusCode CodeFromName(absl::string_view name) {
  for (int c = 0; c <= 16; ++c) {
    const auto code = static_cast<absl::StatusCode>(c);
    if (absl::StatusCodeToString(code) == name) return code;
  }
  return absl::StatusCode::kUnknown;
}

}  // namespace

std::string UrlEncode(absl::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/' ||
        c == '@' || c == ':' || c == ',') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

absl::Status ErrorOfResponse(int status, const std::string& body) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view code, message;
  if (!parser.parse(body).get(doc) && !doc["error"]["code"].get_string().get(code) &&
      !doc["error"]["message"].get_string().get(message)) {
    return absl::Status(CodeFromName({code.data(), code.size()}),
                        absl::string_view(message.data(), message.size()));
  }
  return absl::UnknownError(absl::StrCat("the server answered HTTP ", status));
}

absl::StatusOr<std::unique_ptr<RemoteClient>> RemoteClient::Connect(
    const ClientOptions& options) {
  static const std::regex kUrl(R"(^(https?)://([^/:?#]+)(:([0-9]{1,5}))?/?$)");
  std::smatch m;
  if (!std::regex_match(options.server, m, kUrl)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--server ", options.server,
                     ": expected http://HOST[:PORT] or https://HOST[:PORT]"));
  }
  auto client = std::unique_ptr<RemoteClient>(new RemoteClient());
  client->url_ = options.server;
  if (!client->url_.empty() && client->url_.back() == '/') client->url_.pop_back();
  client->http_ = std::make_unique<httplib::Client>(client->url_);
  httplib::Client& http = *client->http_;
  http.set_keep_alive(true);
  // A request's headers and body are separate writes: without this, Nagle's
  // algorithm holds the body for the server's delayed ACK (~40 ms a request).
  http.set_tcp_nodelay(true);
  http.set_connection_timeout(options.timeout_seconds, 0);
  http.set_read_timeout(options.timeout_seconds, 0);
  http.set_write_timeout(options.timeout_seconds, 0);
  if (m[1] == "https") {
    if (!options.ca_file.empty()) http.set_ca_cert_path(options.ca_file);
    http.enable_server_certificate_verification(true);
  }
  httplib::Headers headers = {{"X-Strata-Creator", options.creator}};
  if (!options.token.empty()) {
    headers.emplace("Authorization", "Bearer " + options.token);
  }
  http.set_default_headers(std::move(headers));
  return client;
}

RemoteClient::~RemoteClient() = default;

absl::StatusOr<httplib::Response> RemoteClient::Call(httplib::Request req,
                                                     ByteSink* stream) {
  httplib::Response res;
  absl::Status sink_status;
  if (stream != nullptr) {
    // The body goes to `stream` when the answer is a success, else it is kept for
    // the error.
    req.response_handler = [&res](const httplib::Response& r) {
      res.status = r.status;
      return true;
    };
    req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
      if (res.status >= 300) {
        res.body.append(data, n);
        return true;
      }
      sink_status = stream->Write(absl::string_view(data, n));
      return sink_status.ok();
    };
  }
  httplib::Error error = httplib::Error::Success;
  httplib::Response got;
  const bool ok = http_->send(req, got, error);
  RETURN_IF_ERROR(sink_status);
  if (!ok) {
    return absl::UnavailableError(
        absl::StrCat("cannot reach ", url_, " (", httplib::to_string(error), ")"));
  }
  if (stream != nullptr) got.body = std::move(res.body);
  if (got.status >= 300) return ErrorOfResponse(got.status, got.body);
  return got;
}

absl::StatusOr<httplib::Response> RemoteClient::Request(const std::string& method,
                                                        const std::string& path,
                                                        std::string body,
                                                        const std::string& content_type,
                                                        httplib::Headers headers) {
  httplib::Request req;
  req.method = method;
  req.path = path;
  req.headers = std::move(headers);
  req.headers.emplace("Accept", kProtobuf);
  if (!content_type.empty()) req.headers.emplace("Content-Type", content_type);
  req.body = std::move(body);
  return Call(std::move(req), nullptr);
}

absl::Status RemoteClient::FetchInto(google::protobuf::MessageLite* out,
                                     const std::string& method, const std::string& path,
                                     std::string body, const std::string& content_type,
                                     httplib::Headers headers) {
  ASSIGN_OR_RETURN(httplib::Response res, Request(method, path, std::move(body),
                                                  content_type, std::move(headers)));
  if (!out->ParseFromString(res.body)) {
    return absl::DataLossError(
        absl::StrCat("the server's answer to ", method, " ", path, " is malformed"));
  }
  return absl::OkStatus();
}

// --- artifacts -------------------------------------------------------------

namespace {

// Query parameters and headers of an upload (api/artifact_routes.cc).
std::string UploadQuery(const NewVersion& r) {
  std::vector<std::string> params;
  for (const auto& [k, v] : r.metadata) {
    params.push_back(absl::StrCat("meta=", UrlEncode(absl::StrCat(k, "=", v))));
  }
  for (const auto& input : r.inputs) params.push_back("input=" + UrlEncode(input));
  if (!r.run_id.empty()) params.push_back("run=" + UrlEncode(r.run_id));
  if (!r.message.empty()) params.push_back("message=" + UrlEncode(r.message));
  if (!r.alias.empty()) params.push_back("alias=" + UrlEncode(r.alias));
  return params.empty() ? std::string() : "?" + absl::StrJoin(params, "&");
}

PutResult ToPutResult(const api::PutResponse& r) {
  PutResult out;
  out.commit.version = r.version().version();
  out.commit.created = r.created();
  out.content_id = *Digest::FromRaw(r.version().version().content_id());
  out.chunks = r.chunks();
  out.new_chunks = r.new_chunks();
  return out;
}

void AppendFrame(std::string* out, absl::string_view chunk) {
  const uint32_t n = static_cast<uint32_t>(chunk.size());
  const char len[4] = {char(n >> 24), char(n >> 16), char(n >> 8), char(n)};
  out->append(len, 4);
  out->append(chunk.data(), chunk.size());
}

}  // namespace

absl::StatusOr<PutResult> RemoteClient::Put(const NewVersion& request,
                                            ByteSource& content,
                                            const ProgressFn& progress) {
  const std::string path = absl::StrCat("/v1/artifacts/", request.artifact.ToString());
  const std::string query = UploadQuery(request);
  // Refuse a bad request before reading any content.
  RETURN_IF_ERROR(Request("POST",
                          path + query + (query.empty() ? "?" : "&") + "dry_run=true", "",
                          kOctets, {})
                      .status());

  // Read up to kSmallContent + 1 bytes: smaller content goes in one request.
  std::string head;
  head.resize(kSmallContent + 1);
  size_t have = 0;
  bool eof = false;
  while (have < head.size()) {
    ASSIGN_OR_RETURN(size_t n, content.Read(head.data() + have, head.size() - have));
    if (n == 0) {
      eof = true;
      break;
    }
    have += n;
  }
  head.resize(have);
  if (eof) {
    if (progress) progress(have);
    ASSIGN_OR_RETURN(auto r, Fetch<api::PutResponse>("POST", path + query,
                                                     std::move(head), kOctets, {}));
    return ToPutResult(r);
  }

  // Larger content: cut and hash it here, send the chunks the server lacks in
  // batches, then commit the list of chunk ids.
  FastCdc chunker;
  Sha256 whole;
  std::string ids;                                    // every chunk id, in order
  std::vector<std::pair<Digest, std::string>> batch;  // not yet offered to the server
  size_t batch_bytes = 0;
  uint64_t total = 0, sent_chunks = 0;
  const auto flush = [&]() -> absl::Status {
    if (batch.empty()) return absl::OkStatus();
    std::string offered;
    for (const auto& [id, bytes] : batch) offered.append(id.Raw().data(), 32);
    ASSIGN_OR_RETURN(httplib::Response missing,
                     Request("POST", "/v1/chunks/missing", offered, kOctets, {}));
    // The missing ids come in the batch's order, each once: one walk matches them.
    std::string frames;
    size_t next = 0;
    for (const auto& [id, bytes] : batch) {
      if (next + 32 <= missing.body.size() &&
          std::memcmp(missing.body.data() + next, id.Raw().data(), 32) == 0) {
        AppendFrame(&frames, bytes);
        ++sent_chunks;
        next += 32;
      }
    }
    if (!frames.empty()) {
      RETURN_IF_ERROR(
          Request("POST", "/v1/chunks", std::move(frames), kOctets, {}).status());
    }
    batch.clear();
    batch_bytes = 0;
    return absl::OkStatus();
  };
  std::string buf = std::move(head);
  size_t begin = 0;
  const size_t max_chunk = chunker.max_size();
  while (true) {
    if (!eof && buf.size() - begin < max_chunk) {
      buf.erase(0, begin);
      begin = 0;
      const size_t old = buf.size();
      buf.resize(old + 4 * max_chunk);
      ASSIGN_OR_RETURN(size_t n, content.Read(buf.data() + old, buf.size() - old));
      buf.resize(old + n);
      if (n == 0) eof = true;
      continue;
    }
    if (begin == buf.size()) break;
    const absl::string_view rest(buf.data() + begin, buf.size() - begin);
    const size_t cut = chunker.NextCut(rest);
    const absl::string_view chunk = rest.substr(0, cut);
    whole.Update(chunk);
    const Digest id = Sha256::Of(chunk);
    ids.append(id.Raw().data(), 32);
    batch.emplace_back(id, std::string(chunk));
    batch_bytes += cut;
    begin += cut;
    total += cut;
    if (progress) progress(total);
    if (batch_bytes >= kChunkBatchBytes) RETURN_IF_ERROR(flush());
  }
  RETURN_IF_ERROR(flush());
  const Digest content_id = whole.Finish();
  ASSIGN_OR_RETURN(
      auto r, Fetch<api::PutResponse>("POST", path + query, std::move(ids),
                                      "application/x-strata-chunk-ids",
                                      {{"X-Strata-Content-Sha256", content_id.Hex()}}));
  PutResult out = ToPutResult(r);
  out.new_chunks = sent_chunks;
  return out;
}

absl::StatusOr<store::Version> RemoteClient::Resolve(const Ref& ref) {
  const std::string text = ref.is_latest() ? ref.ToString() + "@latest" : ref.ToString();
  ASSIGN_OR_RETURN(auto view,
                   Fetch<api::VersionView>("GET", "/v1/artifacts/" + UrlEncode(text)));
  return view.version();
}

absl::Status RemoteClient::Read(const store::Version& version, ByteSink& sink,
                                const ProgressFn& progress) {
  ASSIGN_OR_RETURN(Digest id, Digest::FromRaw(version.content_id()));
  // Verified here as it streams: the server verifies each chunk, and this checks
  // the whole against the version's content id.
  struct Verifying : ByteSink {
    Verifying(ByteSink& out, const ProgressFn& progress) : out(out), progress(progress) {}
    absl::Status Write(absl::string_view data) override {
      hash.Update(data);
      done += data.size();
      if (progress) progress(done);
      return out.Write(data);
    }
    ByteSink& out;
    const ProgressFn& progress;
    Sha256 hash;
    uint64_t done = 0;
  } verifying(sink, progress);
  httplib::Request req;
  req.method = "GET";
  req.path = absl::StrCat("/v1/artifacts/", VersionRef(version), "/content");
  RETURN_IF_ERROR(Call(std::move(req), &verifying).status());
  if (verifying.done != version.size() || verifying.hash.Finish() != id) {
    return absl::DataLossError(absl::StrCat("the content of ", VersionRef(version),
                                            " arrived incomplete or corrupt"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<store::Version>> RemoteClient::Versions(
    const ArtifactId& artifact) {
  ASSIGN_OR_RETURN(auto list, Fetch<api::VersionList>(
                                  "GET", absl::StrCat("/v1/artifacts/",
                                                      artifact.ToString(), "/versions")));
  std::vector<store::Version> out;
  for (auto it = list.versions().rbegin(); it != list.versions().rend(); ++it) {
    out.push_back(it->version());
  }
  return out;
}

absl::StatusOr<std::map<uint64_t, std::vector<std::string>>>
RemoteClient::AliasesByVersion(const ArtifactId& artifact) {
  ASSIGN_OR_RETURN(auto list, Fetch<api::VersionList>(
                                  "GET", absl::StrCat("/v1/artifacts/",
                                                      artifact.ToString(), "/versions")));
  std::map<uint64_t, std::vector<std::string>> out;
  for (const auto& v : list.versions()) {
    if (v.aliases_size() == 0) continue;
    out[v.version().number()].assign(v.aliases().begin(), v.aliases().end());
  }
  return out;
}

absl::StatusOr<std::vector<ArtifactSummary>> RemoteClient::List(
    std::optional<Kind> kind) {
  std::string path = "/v1/artifacts";
  if (kind.has_value()) absl::StrAppend(&path, "?kind=", KindName(*kind));
  ASSIGN_OR_RETURN(auto list, Fetch<api::ArtifactList>("GET", path));
  std::vector<ArtifactSummary> out;
  for (const auto& e : list.artifacts()) {
    ArtifactSummary& s = out.emplace_back();
    ASSIGN_OR_RETURN(s.artifact, ParseArtifactId(e.artifact()));
    s.head = e.head();
    s.aliases.insert(e.aliases().begin(), e.aliases().end());
  }
  return out;
}

absl::StatusOr<store::AliasMove> RemoteClient::MoveAlias(
    const std::string& method, const ArtifactId& artifact, const std::string& alias,
    const std::string& query, std::optional<uint64_t> expect, const std::string& who) {
  httplib::Headers headers;
  if (expect.has_value()) headers.emplace("If-Match", absl::StrCat(*expect));
  headers.emplace("X-Strata-Creator", who);
  auto move = Fetch<store::AliasMove>(method,
                                      absl::StrCat("/v1/artifacts/", artifact.ToString(),
                                                   "/aliases/", UrlEncode(alias), query),
                                      "", "", std::move(headers));
  return move;
}

absl::StatusOr<store::AliasMove> RemoteClient::SetAlias(
    const ArtifactId& artifact, const std::string& alias, uint64_t version,
    std::optional<uint64_t> expect, const std::string& who, const std::string& reason) {
  return MoveAlias("PUT", artifact, alias,
                   absl::StrCat("?version=", version, "&reason=", UrlEncode(reason)),
                   expect, who);
}

absl::StatusOr<store::AliasMove> RemoteClient::RemoveAlias(const ArtifactId& artifact,
                                                           const std::string& alias,
                                                           std::optional<uint64_t> expect,
                                                           const std::string& who,
                                                           const std::string& reason) {
  return MoveAlias("DELETE", artifact, alias, "?reason=" + UrlEncode(reason), expect,
                   who);
}

absl::StatusOr<std::vector<store::AliasMove>> RemoteClient::AliasLog(
    const ArtifactId& artifact) {
  ASSIGN_OR_RETURN(
      auto list,
      Fetch<api::AliasMoveList>(
          "GET", absl::StrCat("/v1/artifacts/", artifact.ToString(), "/alias-log")));
  return std::vector<store::AliasMove>(list.moves().begin(), list.moves().end());
}

absl::StatusOr<gc::FsckReport> RemoteClient::Fsck(const gc::FsckOptions& options) {
  ASSIGN_OR_RETURN(auto view,
                   Fetch<api::FsckReportView>(
                       "GET", options.deep ? "/v1/fsck?deep=true" : "/v1/fsck"));
  gc::FsckReport report;
  report.versions = view.versions();
  report.contents = view.contents();
  report.chunks = view.chunks();
  report.bytes_read = view.bytes_read();
  report.edges = view.edges();
  report.aliases = view.aliases();
  for (const auto& p : view.problems()) {
    report.problems.push_back(
        {p.kind(), p.detail(),
         std::vector<std::string>(p.versions().begin(), p.versions().end())});
  }
  return report;
}

absl::StatusOr<gc::GcReport> RemoteClient::Gc(const gc::GcOptions& options) {
  ASSIGN_OR_RETURN(auto view,
                   Fetch<api::GcReportView>(
                       "POST", absl::StrCat("/v1/gc?grace_seconds=",
                                            absl::ToInt64Seconds(options.grace),
                                            options.dry_run ? "&dry_run=true" : "",
                                            options.reclaim ? "" : "&reclaim=false")));
  gc::GcReport report;
  report.dry_run = view.dry_run();
  report.grace = absl::Seconds(view.grace_seconds());
  const auto* descriptor = view.GetDescriptor();
  for (const auto& [name, value] : gc::GcReportCounters(report)) {
    const auto* field = descriptor->FindFieldByName(std::string(name));
    if (field != nullptr) *value = view.GetReflection()->GetUInt64(view, field);
  }
  return report;
}

absl::Status RemoteClient::SetRetention(const std::string& target,
                                        const store::RetentionPolicy& policy,
                                        const std::string& who) {
  httplib::Headers headers;
  headers.emplace("X-Strata-Creator", who);
  return Request("PUT",
                 absl::StrCat("/v1/retention/", target, "?keep_last=", policy.keep_last(),
                              "&keep_within_seconds=", policy.keep_within_seconds(),
                              "&log_keep_seconds=", policy.log_keep_seconds()),
                 "", "", std::move(headers))
      .status();
}

absl::Status RemoteClient::RemoveRetention(const std::string& target) {
  return Request("DELETE", "/v1/retention/" + target, "", "", {}).status();
}

absl::StatusOr<std::map<std::string, store::RetentionPolicy>>
RemoteClient::RetentionPolicies() {
  ASSIGN_OR_RETURN(auto list, Fetch<api::RetentionPolicyList>("GET", "/v1/retention"));
  return std::map<std::string, store::RetentionPolicy>(list.policies().begin(),
                                                       list.policies().end());
}

absl::StatusOr<gc::RetentionReport> RemoteClient::ApplyRetention(bool dry_run,
                                                                 const std::string& who) {
  httplib::Headers headers;
  headers.emplace("X-Strata-Creator", who);
  ASSIGN_OR_RETURN(
      auto view,
      Fetch<api::RetentionReportView>(
          "POST", dry_run ? "/v1/retention/apply?dry_run=true" : "/v1/retention/apply",
          "", "", std::move(headers)));
  gc::RetentionReport report;
  report.dry_run = view.dry_run();
  report.bytes_freed = view.bytes_freed();
  for (const auto& [from, to] :
       {std::make_pair(&view.deleted(), &report.deleted),
        std::make_pair(&view.protected_(), &report.protected_)}) {
    for (const auto& e : *from) {
      to->push_back({e.version(), e.policy(), e.size(), e.created_us(), e.kept_by()});
    }
  }
  for (const auto& t : view.logs()) {
    gc::LogTrim& trim = report.logs.emplace_back();
    trim.view = t.view();
    trim.policy = t.policy();
    trim.horizon_us = t.horizon_us();
    trim.rows_before = t.rows_before();
    trim.rows_dropped = t.rows_dropped();
    trim.bytes_before = t.bytes_before();
    trim.bytes_after = t.bytes_after();
    trim.held_back_by.assign(t.held_back_by().begin(), t.held_back_by().end());
    if (t.has_trimmed_to_us()) trim.trimmed_to_us = t.trimmed_to_us();
  }
  return report;
}

absl::StatusOr<std::string> RemoteClient::Backup(const std::string& dir) {
  ASSIGN_OR_RETURN(auto created, Fetch<api::BackupCreated>(
                                     "POST", "/v1/backups?name=" + UrlEncode(dir)));
  return created.path();
}

absl::StatusOr<store::Version> RemoteClient::Delete(const DeleteRequest& request) {
  httplib::Headers headers;
  headers.emplace("X-Strata-Creator", request.who);
  ASSIGN_OR_RETURN(
      auto view, Fetch<api::VersionView>(
                     "DELETE",
                     absl::StrCat("/v1/artifacts/", request.artifact.ToString(), "@",
                                  request.version, "?reason=", UrlEncode(request.reason),
                                  request.force ? "&force=true" : ""),
                     "", "", std::move(headers)));
  return view.version();
}

absl::StatusOr<std::vector<KeptBy>> RemoteClient::WhyKept(const ArtifactId& artifact,
                                                          uint64_t version) {
  ASSIGN_OR_RETURN(
      auto list,
      Fetch<api::KeptByList>("GET", absl::StrCat("/v1/artifacts/", artifact.ToString(),
                                                 "@", version, "/why-kept")));
  std::vector<KeptBy> out;
  for (const api::KeptByView& view : list.kept_by()) {
    KeptBy& kept = out.emplace_back();
    kept.node = view.node();
    kept.aliases.assign(view.aliases().begin(), view.aliases().end());
    kept.current_definition = view.current_definition();
    kept.path.assign(view.path().begin(), view.path().end());
  }
  return out;
}

// --- runs ------------------------------------------------------------------

absl::StatusOr<store::Run> RemoteClient::StartRun(const NewRun& request) {
  JsonWriter w;
  w.BeginObject().Key("name").String(request.name).Key("params").BeginObject();
  for (const auto& [k, v] : request.params) w.Key(k).String(v);
  w.EndObject().Key("inputs").BeginArray();
  for (const auto& input : request.inputs) w.String(input);
  w.EndArray().EndObject();
  return Fetch<store::Run>("POST", "/v1/runs", w.Take(), "application/json",
                           {{"X-Strata-Creator", request.creator}});
}

absl::StatusOr<store::Run> RemoteClient::LogMetrics(
    const std::string& run_id, const std::map<std::string, double>& metrics) {
  RETURN_IF_ERROR(ValidateRunId(run_id));  // as the store would, before the path
  JsonWriter w;
  w.BeginObject();
  for (const auto& [k, v] : metrics) w.Key(k).Double(v);
  w.EndObject();
  return Fetch<store::Run>("POST",
                           absl::StrCat("/v1/runs/", UrlEncode(run_id), "/metrics"),
                           w.Take(), "application/json");
}

absl::StatusOr<store::Run> RemoteClient::FinishRun(const std::string& run_id,
                                                   store::RunStatus status) {
  RETURN_IF_ERROR(ValidateRunId(run_id));  // as the store would, before the path
  const char* text = status == store::RUN_STATUS_OK       ? "ok"
                     : status == store::RUN_STATUS_FAILED ? "failed"
                                                          : "unknown";
  return Fetch<store::Run>(
      "POST", absl::StrCat("/v1/runs/", UrlEncode(run_id), "/finish?status=", text));
}

absl::StatusOr<store::Run> RemoteClient::GetRun(const std::string& run_id) {
  RETURN_IF_ERROR(ValidateRunId(run_id));  // as the store would, before the path
  return Fetch<store::Run>("GET", "/v1/runs/" + UrlEncode(run_id));
}

absl::StatusOr<std::vector<store::Run>> RemoteClient::ListRuns() {
  ASSIGN_OR_RETURN(auto list, Fetch<api::RunList>("GET", "/v1/runs"));
  return std::vector<store::Run>(list.runs().begin(), list.runs().end());
}

// --- lineage ---------------------------------------------------------------

absl::StatusOr<LineageGraph> RemoteClient::Lineage(const std::string& root,
                                                   const LineageOptions& options) {
  const char* direction = options.direction == LineageDirection::kUp     ? "up"
                          : options.direction == LineageDirection::kDown ? "down"
                                                                         : "both";
  std::string node = root;
  if (!absl::StartsWith(root, "run/")) {
    ASSIGN_OR_RETURN(Ref ref, ParseRef(root));
    node = ref.is_latest() ? ref.ToString() + "@latest" : ref.ToString();
  }
  std::string path =
      absl::StrCat("/v1/lineage/", UrlEncode(node), "?direction=", direction);
  if (options.max_depth != std::numeric_limits<int>::max()) {
    absl::StrAppend(&path, "&depth=", options.max_depth);
  }
  ASSIGN_OR_RETURN(auto view, Fetch<api::LineageGraphView>("GET", path));
  LineageGraph graph;
  graph.root = view.root();
  for (const auto& n : view.nodes()) {
    LineageNode& node = graph.nodes.emplace_back();
    node.id = n.id();
    node.depth = n.depth();
    if (n.has_version()) node.version = n.version();
    if (n.has_run()) node.run = n.run();
  }
  for (const auto& e : view.edges()) {
    graph.edges.push_back(LineageEdge{e.from(), e.to(), e.kind()});
  }
  return graph;
}

}  // namespace strata
