// Artifact and lineage routes: versions, content, aliases, alias log, lineage.
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "api/api.pb.h"
#include "api/internal/routes.h"
#include "store/digest.h"
#include "store/io.h"
#include "store/json_writer.h"
#include "store/lineage.h"
#include "store/ref.h"
#include "store/render.h"
#include "store/status_macros.h"

namespace strata::api::internal {
namespace {

constexpr const char* kChunkIds = "application/x-strata-chunk-ids";

VersionView View(const store::Version& v, const std::vector<std::string>& aliases) {
  VersionView out;
  *out.mutable_version() = v;
  for (const auto& a : aliases) out.add_aliases(a);
  return out;
}

api::LineageGraphView LineageGraphProto(const strata::LineageGraph& graph) {
  api::LineageGraphView out;
  out.set_root(graph.root);
  for (const strata::LineageNode& n : graph.nodes) {
    api::LineageNodeView& node = *out.add_nodes();
    node.set_id(n.id);
    node.set_depth(n.depth);
    if (n.version.has_value()) *node.mutable_version() = *n.version;
    if (n.run.has_value()) *node.mutable_run() = *n.run;
  }
  for (const strata::LineageEdge& e : graph.edges) {
    api::LineageEdgeView& edge = *out.add_edges();
    edge.set_from(e.from);
    edge.set_to(e.to);
    edge.set_kind(e.kind);
  }
  return out;
}

// A ByteSource that one thread reads while another fills it: the body of an upload
// as the connection delivers it, read by ContentStore::Put.
class BodyPipe : public ByteSource {
 public:
  explicit BodyPipe(size_t capacity) : capacity_(capacity) {}

  // Blocks while the pipe is full. False once the reader has stopped.
  bool Push(absl::string_view data) {
    std::unique_lock lock(mu_);
    can_push_.wait(lock, [&] { return stopped_ || buffered_.size() < capacity_; });
    if (stopped_) return false;
    buffered_.append(data.data(), data.size());
    can_read_.notify_one();
    return true;
  }
  // Ends the body: Read returns 0 after what is buffered when `status` is OK, or
  // `status` at once.
  void Finish(absl::Status status) {
    std::lock_guard lock(mu_);
    finished_ = true;
    end_ = std::move(status);
    can_read_.notify_one();
  }
  // The reader is done (it failed, or read to the end): Push returns false.
  void StopReading() {
    std::lock_guard lock(mu_);
    stopped_ = true;
    can_push_.notify_one();
  }
  bool stopped() const {
    std::lock_guard lock(mu_);
    return stopped_;
  }

  absl::StatusOr<size_t> Read(char* buf, size_t n) override {
    std::unique_lock lock(mu_);
    can_read_.wait(lock, [&] { return finished_ || read_ < buffered_.size(); });
    if (finished_ && !end_.ok()) return end_;
    const size_t got = std::min(n, buffered_.size() - read_);
    std::memcpy(buf, buffered_.data() + read_, got);
    read_ += got;
    if (read_ == buffered_.size()) {
      buffered_.clear();
      read_ = 0;
    }
    can_push_.notify_one();
    return got;
  }

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable can_push_, can_read_;
  std::string buffered_;
  size_t read_ = 0;
  bool finished_ = false, stopped_ = false;
  absl::Status end_;
};

// GET /v1/artifacts/KIND/NAME/versions: every version, newest first.
absl::Status Versions(const RouteContext& ctx, const httplib::Request& req,
                      httplib::Response& res) {
  RETURN_IF_ERROR(CheckParams(req, {}));
  ASSIGN_OR_RETURN(ArtifactId artifact, ParseArtifactId(req.matches[1].str()));
  ASSIGN_OR_RETURN(auto versions, ctx.store->artifacts().Versions(artifact));
  ASSIGN_OR_RETURN(auto aliases, ctx.store->artifacts().AliasesByVersion(artifact));
  if (WantsProtobuf(req)) {
    VersionList list;
    for (auto v = versions.rbegin(); v != versions.rend(); ++v) {
      *list.add_versions() = View(*v, aliases[v->number()]);
    }
    WriteProto(res, list);
    return absl::OkStatus();
  }
  JsonWriter w;
  w.BeginArray();
  for (auto v = versions.rbegin(); v != versions.rend(); ++v) {
    WriteVersionJson(w, *v, aliases[v->number()]);
  }
  w.EndArray();
  WriteJson(res, w.Take());
  return absl::OkStatus();
}

// Answers version `v` of `artifact` with its aliases, as show does.
absl::Status WriteVersion(const RouteContext& ctx, const httplib::Request& req,
                          httplib::Response& res, const ArtifactId& artifact,
                          const store::Version& v) {
  ASSIGN_OR_RETURN(auto aliases, ctx.store->artifacts().AliasesByVersion(artifact));
  if (WantsProtobuf(req)) {
    WriteProto(res, View(v, aliases[v.number()]));
    return absl::OkStatus();
  }
  JsonWriter w;
  WriteVersionJson(w, v, aliases[v.number()]);
  WriteJson(res, w.Take());
  return absl::OkStatus();
}

// GET /v1/artifacts/KIND/NAME[@REF]: one version, deleted or not.
absl::Status Show(const RouteContext& ctx, const httplib::Request& req,
                  httplib::Response& res) {
  RETURN_IF_ERROR(CheckParams(req, {}));
  ASSIGN_OR_RETURN(Ref ref, ParseRef(req.matches[1].str()));
  ASSIGN_OR_RETURN(store::Version v, ctx.store->artifacts().ResolveRecord(ref));
  return WriteVersion(ctx, req, res, ref.artifact, v);
}

// DELETE /v1/artifacts/KIND/NAME@N[?reason=TEXT&force=true], scope write: marks the
// version deleted (ArtifactStore::Delete, recording Who); answers the
// version as show does. 409 when it is protected or already deleted.
absl::Status Delete(const RouteContext& ctx, const httplib::Request& req,
                    httplib::Response& res) {
  RETURN_IF_ERROR(ctx.authorize(req, Scope::kWrite));
  RETURN_IF_ERROR(CheckParams(req, {"force", "reason"}));
  ASSIGN_OR_RETURN(Ref ref, ParseRef(req.matches[1].str()));
  if (ref.version == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("delete a version by its number (", ref.artifact.ToString(),
                     "@N), not ", ref.is_latest() ? "the latest" : "an alias"));
  }
  const std::string force = req.get_param_value("force");
  if (!force.empty() && force != "true" && force != "false") {
    return absl::InvalidArgumentError("force= takes true or false");
  }
  DeleteRequest request;
  request.artifact = ref.artifact;
  request.version = ref.version;
  request.who = Who(req);
  request.reason = req.get_param_value("reason");
  request.force = force == "true";
  ASSIGN_OR_RETURN(store::Version v, ctx.store->artifacts().Delete(request));
  return WriteVersion(ctx, req, res, ref.artifact, v);
}

// GET /v1/artifacts/KIND/NAME@REF/why-kept: what keeps the version from deletion.
// JSON {"version":"KIND/NAME@N","kept_by":[{"node","aliases","current_definition",
// "path"}]}.
absl::Status WhyKept(const RouteContext& ctx, const httplib::Request& req,
                     httplib::Response& res) {
  RETURN_IF_ERROR(CheckParams(req, {}));
  ASSIGN_OR_RETURN(Ref ref, ParseRef(req.matches[1].str()));
  ASSIGN_OR_RETURN(store::Version v, ctx.store->artifacts().ResolveRecord(ref));
  ASSIGN_OR_RETURN(std::vector<KeptBy> kept,
                   ctx.store->artifacts().WhyKept(ref.artifact, v.number()));
  if (WantsProtobuf(req)) {
    api::KeptByList list;
    for (const KeptBy& k : kept) {
      api::KeptByView& view = *list.add_kept_by();
      view.set_node(k.node);
      for (const auto& a : k.aliases) view.add_aliases(a);
      view.set_current_definition(k.current_definition);
      for (const auto& p : k.path) view.add_path(p);
    }
    WriteProto(res, list);
    return absl::OkStatus();
  }
  JsonWriter w;
  w.BeginObject().Key("version").String(VersionRef(v));
  WriteKeptByJson(w.Key("kept_by"), kept);
  w.EndObject();
  WriteJson(res, w.Take());
  return absl::OkStatus();
}

// GET /v1/artifacts[?kind=KIND]: every artifact, sorted by kind and name.
absl::Status List(const RouteContext& ctx, const httplib::Request& req,
                  httplib::Response& res) {
  RETURN_IF_ERROR(CheckParams(req, {"kind"}));
  std::optional<Kind> kind;
  if (req.has_param("kind")) {
    ASSIGN_OR_RETURN(kind, ParseKind(req.get_param_value("kind")));
  }
  ASSIGN_OR_RETURN(auto list, ctx.store->artifacts().List(kind));
  if (WantsProtobuf(req)) {
    ArtifactList out;
    for (const ArtifactSummary& a : list) {
      ArtifactEntry& e = *out.add_artifacts();
      e.set_artifact(a.artifact.ToString());
      *e.mutable_head() = a.head;
      e.mutable_aliases()->insert(a.aliases.begin(), a.aliases.end());
    }
    WriteProto(res, out);
    return absl::OkStatus();
  }
  JsonWriter w;
  w.BeginArray();
  for (const ArtifactSummary& a : list) WriteArtifactSummaryJson(w, a);
  w.EndArray();
  WriteJson(res, w.Take());
  return absl::OkStatus();
}

// GET /v1/artifacts/KIND/NAME[@REF]/content: the bytes, streamed and verified as
// they are read; Range requests through httplib (206, 416); ETag and Digest from
// the content id; 304 for a matching If-None-Match.
absl::Status Content(const RouteContext& ctx, const httplib::Request& req,
                     httplib::Response& res) {
  RETURN_IF_ERROR(CheckParams(req, {}));
  ASSIGN_OR_RETURN(Ref ref, ParseRef(req.matches[1].str()));
  ASSIGN_OR_RETURN(store::Version v, ctx.store->artifacts().Resolve(ref));
  ASSIGN_OR_RETURN(Digest id, Digest::FromRaw(v.content_id()));
  const std::string etag = absl::StrCat("\"sha256:", id.Hex(), "\"");
  res.set_header("ETag", etag);
  res.set_header("Digest", absl::StrCat("sha-256=", absl::Base64Escape(id.Raw())));
  if (req.get_header_value("If-None-Match") == etag) {
    res.status = 304;
    return absl::OkStatus();
  }
  res.set_header("Accept-Ranges", "bytes");
  // httplib cuts satisfiable ranges out of the stream; the others are refused here.
  for (const auto& [first, last] : req.ranges) {
    const bool ok =
        first >= 0 ? static_cast<uint64_t>(first) < v.size() : last > 0 && v.size() > 0;
    if (!ok) {
      res.status = 416;
      res.set_header("Content-Range", absl::StrCat("bytes */", v.size()));
      return absl::OkStatus();
    }
  }
  if (v.size() == 0) {  // httplib waits forever on a provider of no bytes
    res.set_content("", "application/octet-stream");
    return absl::OkStatus();
  }
  Store* s = ctx.store;
  res.set_content_provider(
      v.size(), "application/octet-stream",
      [s, id](size_t offset, size_t length, httplib::DataSink& sink) {
        struct Adapter : ByteSink {
          explicit Adapter(httplib::DataSink& s) : sink(s) {}
          absl::Status Write(absl::string_view data) override {
            return sink.write(data.data(), data.size())
                       ? absl::OkStatus()
                       : absl::UnavailableError("the client went away");
          }
          httplib::DataSink& sink;
        } out(sink);
        // A failure past the headers can only cut the response short.
        return s->content().Get(id, out, nullptr, offset, length).ok();
      });
  return absl::OkStatus();
}

// GET /v1/artifacts/KIND/NAME/aliases: {"ALIAS": version, ...}.
absl::Status Aliases(const RouteContext& ctx, const httplib::Request& req,
                     httplib::Response& res) {
  RETURN_IF_ERROR(CheckParams(req, {}));
  ASSIGN_OR_RETURN(ArtifactId artifact, ParseArtifactId(req.matches[1].str()));
  ASSIGN_OR_RETURN(auto aliases, ctx.store->artifacts().Aliases(artifact));
  JsonWriter w;
  w.BeginObject();
  for (const auto& [name, target] : aliases) w.Key(name).Uint(target.version());
  w.EndObject();
  WriteJson(res, w.Take());
  return absl::OkStatus();
}

// GET /v1/artifacts/KIND/NAME/alias-log: every alias move, oldest first.
absl::Status AliasLog(const RouteContext& ctx, const httplib::Request& req,
                      httplib::Response& res) {
  RETURN_IF_ERROR(CheckParams(req, {}));
  ASSIGN_OR_RETURN(ArtifactId artifact, ParseArtifactId(req.matches[1].str()));
  ASSIGN_OR_RETURN(auto moves, ctx.store->artifacts().AliasLog(artifact));
  if (WantsProtobuf(req)) {
    AliasMoveList list;
    for (auto& m : moves) *list.add_moves() = std::move(m);
    WriteProto(res, list);
    return absl::OkStatus();
  }
  JsonWriter w;
  w.BeginArray();
  for (const auto& m : moves) WriteAliasMoveJson(w, m);
  w.EndArray();
  WriteJson(res, w.Take());
  return absl::OkStatus();
}

// The version number an "If-Match" header expects an alias to point at (0: none).
absl::StatusOr<std::optional<uint64_t>> ExpectedVersion(const httplib::Request& req) {
  if (!req.has_header("If-Match")) return std::optional<uint64_t>();
  const std::string text(absl::StripAsciiWhitespace(
      absl::StrReplaceAll(req.get_header_value("If-Match"), {{"\"", ""}})));
  uint64_t n;
  if (!absl::SimpleAtoi(text, &n)) {
    return absl::InvalidArgumentError(
        "If-Match must be the version number the alias points at now (0: none)");
  }
  return std::optional<uint64_t>(n);
}

// Answers an alias move, or 412 when the caller's If-Match precondition failed.
absl::Status WriteMove(const httplib::Request& req, httplib::Response& res,
                       absl::StatusOr<store::AliasMove> move) {
  if (!move.ok()) {
    if (!absl::IsFailedPrecondition(move.status())) return move.status();
    WriteError(res, move.status());
    res.status = 412;
    return absl::OkStatus();
  }
  if (WantsProtobuf(req)) {
    WriteProto(res, *move);
    return absl::OkStatus();
  }
  JsonWriter w;
  WriteAliasMoveJson(w, *move);
  WriteJson(res, w.Take());
  return absl::OkStatus();
}

// PUT /v1/artifacts/KIND/NAME/aliases/ALIAS?version=N[&reason=TEXT], scope write.
// "If-Match: M" makes it a compare-and-set: 412 unless the alias now points at
// version M ("0": unless it does not exist yet).
absl::Status SetAlias(const RouteContext& ctx, const httplib::Request& req,
                      httplib::Response& res) {
  RETURN_IF_ERROR(ctx.authorize(req, Scope::kWrite));
  RETURN_IF_ERROR(CheckParams(req, {"version", "reason"}));
  ASSIGN_OR_RETURN(ArtifactId artifact, ParseArtifactId(req.matches[1].str()));
  uint64_t version = 0;
  if (!absl::SimpleAtoi(req.get_param_value("version"), &version) || version == 0) {
    return absl::InvalidArgumentError("version=N (a version number) is required");
  }
  ASSIGN_OR_RETURN(std::optional<uint64_t> expect, ExpectedVersion(req));
  return WriteMove(
      req, res,
      ctx.store->artifacts().SetAlias(artifact, req.matches[2].str(), version, expect,
                                      Who(req), req.get_param_value("reason")));
}

// DELETE /v1/artifacts/KIND/NAME/aliases/ALIAS[?reason=TEXT], scope write; If-Match
// as for PUT.
absl::Status RemoveAlias(const RouteContext& ctx, const httplib::Request& req,
                         httplib::Response& res) {
  RETURN_IF_ERROR(ctx.authorize(req, Scope::kWrite));
  RETURN_IF_ERROR(CheckParams(req, {"reason"}));
  ASSIGN_OR_RETURN(ArtifactId artifact, ParseArtifactId(req.matches[1].str()));
  ASSIGN_OR_RETURN(std::optional<uint64_t> expect, ExpectedVersion(req));
  return WriteMove(
      req, res,
      ctx.store->artifacts().RemoveAlias(artifact, req.matches[2].str(), expect, Who(req),
                                         req.get_param_value("reason")));
}

// GET /v1/lineage/KIND/NAME@REF?direction=up|down|both&depth=N&format=json|dot|mermaid
absl::Status LineageWalk(const RouteContext& ctx, const httplib::Request& req,
                         httplib::Response& res) {
  RETURN_IF_ERROR(CheckParams(req, {"direction", "depth", "format"}));
  LineageOptions options;
  const std::string direction =
      req.has_param("direction") ? req.get_param_value("direction") : "up";
  if (direction == "up") {
    options.direction = LineageDirection::kUp;
  } else if (direction == "down") {
    options.direction = LineageDirection::kDown;
  } else if (direction == "both") {
    options.direction = LineageDirection::kBoth;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("direction \"", direction, "\" is not up, down or both"));
  }
  if (req.has_param("depth")) {
    const std::string depth = req.get_param_value("depth");
    if (!absl::SimpleAtoi(depth, &options.max_depth) || options.max_depth < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("depth \"", depth, "\" is not a whole number of at least 1"));
    }
  }
  ASSIGN_OR_RETURN(
      LineageFormat format,
      ParseLineageFormat(req.has_param("format") ? req.get_param_value("format")
                                                 : std::string("json")));
  if (format == LineageFormat::kTree) {
    return absl::InvalidArgumentError(
        "format tree is for terminals: json, dot or mermaid");
  }
  ASSIGN_OR_RETURN(std::string node, ctx.store->LineageRoot(req.matches[1].str()));
  ASSIGN_OR_RETURN(LineageGraph graph, ctx.store->lineage().Walk(node, options));
  if (WantsProtobuf(req)) {
    WriteProto(res, LineageGraphProto(graph));
    return absl::OkStatus();
  }
  res.set_content(RenderLineage(graph, format, options.direction),
                  format == LineageFormat::kJson ? kJson : "text/plain; charset=utf-8");
  return absl::OkStatus();
}

// The commit fields of an upload, from query parameters or X-Strata-* headers:
// meta=KEY=VALUE (repeated), input=REF (repeated), run=ID, message=TEXT, alias=NAME.
absl::StatusOr<NewVersion> UploadRequest(const httplib::Request& req) {
  NewVersion v;
  ASSIGN_OR_RETURN(v.artifact, ParseArtifactId(req.matches[1].str()));
  const auto values = [&req](const char* param, const char* header) {
    std::vector<std::string> out;
    for (size_t i = 0; i < req.get_param_value_count(param); ++i)
      out.push_back(req.get_param_value(param, i));
    for (size_t i = 0; i < req.get_header_value_count(header); ++i)
      out.push_back(req.get_header_value(header, i));
    return out;
  };
  const auto one = [&](const char* param,
                       const char* header) -> absl::StatusOr<std::string> {
    std::vector<std::string> all = values(param, header);
    if (all.size() > 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(param, " is given ", all.size(), " times; give it once"));
    }
    return all.empty() ? std::string() : all.front();
  };
  for (const std::string& item : values("meta", "X-Strata-Meta")) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("meta expects KEY=VALUE, got '", item, "'"));
    }
    v.metadata[item.substr(0, eq)] = item.substr(eq + 1);
  }
  v.inputs = values("input", "X-Strata-Input");
  ASSIGN_OR_RETURN(v.run_id, one("run", "X-Strata-Run"));
  ASSIGN_OR_RETURN(v.message, one("message", "X-Strata-Message"));
  ASSIGN_OR_RETURN(v.alias, one("alias", "X-Strata-Alias"));
  v.creator = Who(req);
  return v;
}

// The X-Strata-Content-Sha256 header: the content the client meant to send.
absl::StatusOr<std::optional<Digest>> ExpectedContent(const httplib::Request& req) {
  if (!req.has_header("X-Strata-Content-Sha256")) return std::optional<Digest>();
  std::string hex = req.get_header_value("X-Strata-Content-Sha256");
  if (absl::StartsWith(hex, "sha256:")) hex = hex.substr(7);
  auto d = Digest::FromHex(hex);
  if (!d.ok()) {
    return absl::InvalidArgumentError(
        "X-Strata-Content-Sha256 must be 64 hex digits (optionally after sha256:)");
  }
  return std::optional<Digest>(*d);
}

// Reads a whole body of at most `limit` bytes through `reader`.
absl::StatusOr<std::string> ReadBody(const httplib::ContentReader& reader, size_t limit) {
  std::string body;
  bool too_big = false;
  const bool ok = reader([&](const char* data, size_t n) {
    if (body.size() + n > limit) {
      too_big = true;
      return false;
    }
    body.append(data, n);
    return true;
  });
  if (too_big) {
    return absl::ResourceExhaustedError(absl::StrCat("the request body is larger than ",
                                                     limit, " bytes (--max-body-bytes)"));
  }
  if (!ok) return absl::InvalidArgumentError("the request body was cut short");
  return body;
}

absl::StatusOr<std::vector<Digest>> ParseChunkIds(absl::string_view body) {
  if (body.size() % 32 != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the body is ", body.size(), " bytes, not a whole number of 32-byte chunk ids"));
  }
  std::vector<Digest> ids(body.size() / 32);
  for (size_t i = 0; i < ids.size(); ++i)
    std::memcpy(ids[i].bytes.data(), body.data() + 32 * i, 32);
  return ids;
}

// An upload over --max-body-bytes.
absl::Status UploadTooLarge(uint64_t max_body_bytes) {
  return absl::ResourceExhaustedError(
      absl::StrCat("the content is larger than ", max_body_bytes,
                   " bytes (--max-body-bytes); larger uploads go through POST /v1/chunks"));
}

// Puts the body into the store as it arrives: ContentStore::Put pulls from a pipe
// that this thread fills from the connection. Errors: ResourceExhausted over
// --max-body-bytes; InvalidArgument for a body cut short or other than `expected`;
// as ContentStore::Put.
absl::StatusOr<PutStats> PutStreamedBody(const RouteContext& ctx,
                                         const httplib::ContentReader& reader,
                                         const std::optional<Digest>& expected) {
  ContentStore& content = ctx.store->content();
  BodyPipe pipe(4 << 20);
  absl::StatusOr<PutStats> put;
  std::thread putter([&] {
    put = content.Put(pipe);
    pipe.StopReading();
  });
  uint64_t received = 0;
  bool too_big = false;
  const bool ok = reader([&](const char* data, size_t n) {
    received += n;
    if (received > ctx.options->max_body_bytes) {
      too_big = true;
      return false;
    }
    return pipe.Push(absl::string_view(data, n));
  });
  if (too_big) {
    pipe.Finish(UploadTooLarge(ctx.options->max_body_bytes));
  } else if (!ok && !pipe.stopped()) {
    pipe.Finish(absl::InvalidArgumentError(
        absl::StrCat("the upload was cut short (or is larger than ",
                     ctx.options->max_body_bytes, " bytes, --max-body-bytes)")));
  } else {
    pipe.Finish(absl::OkStatus());
  }
  putter.join();
  if (!put.ok()) return put.status();
  if (expected.has_value() && *expected != put->content_id) {
    return absl::InvalidArgumentError(
        absl::StrCat("the body is sha256:", put->content_id.Hex(),
                     ", not the X-Strata-Content-Sha256 given"));
  }
  return put;
}

// The committed version, its aliases and the content's chunk counts, as protobuf
// or JSON.
void WriteUploaded(const httplib::Request& req, httplib::Response& res,
                   const CommitResult& result, const std::vector<std::string>& aliases,
                   const PutStats& stats) {
  res.status = result.created ? 201 : 200;
  res.set_header("Location", absl::StrCat("/v1/artifacts/", VersionRef(result.version)));
  if (WantsProtobuf(req)) {
    PutResponse out;
    *out.mutable_version() = View(result.version, aliases);
    out.set_created(result.created);
    out.set_chunks(stats.chunks);
    out.set_new_chunks(stats.new_chunks);
    WriteProto(res, out);
    return;
  }
  JsonWriter w;
  w.BeginObject().Key("version");
  WriteVersionJson(w, result.version, aliases);
  w.Key("created").Bool(result.created).Key("chunks").Uint(stats.chunks);
  w.Key("new_chunks").Uint(stats.new_chunks).EndObject();
  WriteJson(res, w.Take());
}

// POST /v1/artifacts/KIND/NAME, scope write: commits a new version whose content
// is the body, streamed into the store as it arrives; or, with
// "Content-Type: application/x-strata-chunk-ids", the content made of chunks sent
// before (POST /v1/chunks), the body being their 32-byte ids in order. Answers 201
// with the version, or 200 with the latest version when it is identical. With
// dry_run=true, only checks the request (names, inputs, run, alias) and reads no
// content: {"ok":true}.
absl::Status Upload(const RouteContext& ctx, const httplib::Request& req,
                    httplib::Response& res, const httplib::ContentReader& reader) {
  RETURN_IF_ERROR(ctx.authorize(req, Scope::kWrite));
  RETURN_IF_ERROR(CheckParams(req, {"meta", "input", "run", "message", "alias", "dry_run"}));
  ASSIGN_OR_RETURN(NewVersion request, UploadRequest(req));
  if (uint64_t length = 0;
      absl::SimpleAtoi(req.get_header_value("Content-Length"), &length) &&
      length > ctx.options->max_body_bytes) {
    return UploadTooLarge(ctx.options->max_body_bytes);
  }
  ASSIGN_OR_RETURN(std::optional<Digest> expected, ExpectedContent(req));
  // Refuse a bad request before reading any content.
  RETURN_IF_ERROR(ctx.store->artifacts().Check(request));
  if (req.get_param_value("dry_run") == "true") {
    WriteJson(res, "{\"ok\":true}");
    return absl::OkStatus();
  }
  PutStats stats;
  if (req.get_header_value("Content-Type") == kChunkIds) {
    ASSIGN_OR_RETURN(std::string body, ReadBody(reader, ctx.options->max_body_bytes));
    ASSIGN_OR_RETURN(std::vector<Digest> ids, ParseChunkIds(body));
    ASSIGN_OR_RETURN(stats, ctx.store->content().Assemble(ids, expected));
  } else {
    ASSIGN_OR_RETURN(stats, PutStreamedBody(ctx, reader, expected));
  }
  request.content_id = stats.content_id;
  ASSIGN_OR_RETURN(CommitResult result, ctx.store->artifacts().Commit(request));
  ASSIGN_OR_RETURN(auto aliases,
                   ctx.store->artifacts().AliasesByVersion(request.artifact));
  WriteUploaded(req, res, result, aliases[result.version.number()], stats);
  return absl::OkStatus();
}

// POST /v1/chunks/missing, scope write: the body is 32-byte chunk ids; the answer
// is those of them the store lacks, in order, each once.
absl::Status MissingChunks(const RouteContext& ctx, const httplib::Request& req,
                           httplib::Response& res) {
  RETURN_IF_ERROR(ctx.authorize(req, Scope::kWrite));
  RETURN_IF_ERROR(CheckParams(req, {}));
  ASSIGN_OR_RETURN(std::vector<Digest> ids, ParseChunkIds(req.body));
  ASSIGN_OR_RETURN(std::vector<Digest> missing, ctx.store->content().MissingChunks(ids));
  std::string out;
  out.reserve(missing.size() * 32);
  for (const Digest& d : missing) out.append(d.Raw().data(), 32);
  res.set_content(std::move(out), "application/octet-stream");
  return absl::OkStatus();
}

// POST /v1/chunks, scope write: stores chunks, each framed as a 4-byte big-endian
// length and its bytes; answers {"chunks":N,"new":M}.
absl::Status PutChunks(const RouteContext& ctx, const httplib::Request& req,
                       httplib::Response& res) {
  RETURN_IF_ERROR(ctx.authorize(req, Scope::kWrite));
  RETURN_IF_ERROR(CheckParams(req, {}));
  std::vector<std::string> chunks;
  absl::string_view body = req.body;
  while (!body.empty()) {
    if (body.size() < 4) return absl::InvalidArgumentError("a chunk frame is cut short");
    const uint32_t n = (uint32_t(uint8_t(body[0])) << 24) |
                       (uint32_t(uint8_t(body[1])) << 16) |
                       (uint32_t(uint8_t(body[2])) << 8) | uint32_t(uint8_t(body[3]));
    body.remove_prefix(4);
    if (n > body.size()) {
      return absl::InvalidArgumentError(absl::StrCat("chunk ", chunks.size() + 1,
                                                     " says ", n, " bytes but ",
                                                     body.size(), " remain"));
    }
    chunks.emplace_back(body.substr(0, n));
    body.remove_prefix(n);
  }
  ASSIGN_OR_RETURN(uint64_t stored, ctx.store->content().PutChunks(chunks));
  JsonWriter w;
  w.BeginObject().Key("chunks").Uint(chunks.size()).Key("new").Uint(stored).EndObject();
  WriteJson(res, w.Take());
  return absl::OkStatus();
}

}  // namespace

void AddArtifactRoutes(httplib::Server& http, const RouteContext& ctx) {
  const auto route = [&ctx](std::string label, auto fn) {
    return Bind(ctx, std::move(label), fn);
  };
  http.Get(R"(/v1/artifacts/(.+)/versions)",
           route("/v1/artifacts/{artifact}/versions", Versions));
  http.Get(R"(/v1/artifacts/(.+)/aliases)",
           route("/v1/artifacts/{artifact}/aliases", Aliases));
  http.Get(R"(/v1/artifacts/(.+)/alias-log)",
           route("/v1/artifacts/{artifact}/alias-log", AliasLog));
  http.Put(R"(/v1/artifacts/(.+)/aliases/([^/]+))",
           route("/v1/artifacts/{artifact}/aliases/{alias}", SetAlias));
  http.Delete(R"(/v1/artifacts/(.+)/aliases/([^/]+))",
              route("/v1/artifacts/{artifact}/aliases/{alias}", RemoveAlias));
  http.Get("/v1/artifacts", route("/v1/artifacts", List));
  http.Post(R"(/v1/artifacts/([^@]+))", [&ctx](const httplib::Request& req,
                                               httplib::Response& res,
                                               const httplib::ContentReader& reader) {
    bool consumed = false;
    const httplib::ContentReader once(
        [&](httplib::ContentReceiver receiver) {
          consumed = true;
          return reader(std::move(receiver));
        },
        [&](httplib::MultipartContentHeader header, httplib::ContentReceiver receiver) {
          consumed = true;
          return reader(std::move(header), std::move(receiver));
        });
    Handle("/v1/artifacts/{artifact}",
           [&](const httplib::Request& rq, httplib::Response& rs) {
             return Upload(ctx, rq, rs, once);
           })(req, res);
    // A refused upload's body is read and dropped, so the connection
    // stays in step for the client's next request.
    if (!consumed) {
      size_t dropped = 0;
      reader([&](const char*, size_t n) {
        dropped += n;
        return dropped <= ctx.options->max_body_bytes;
      });
    }
  });
  http.Post("/v1/chunks/missing", route("/v1/chunks/missing", MissingChunks));
  http.Post("/v1/chunks", route("/v1/chunks", PutChunks));
  // A reference without @REF is the latest version, as in the CLI. The more
  // specific routes come first: httplib takes the first that matches.
  http.Get(R"(/v1/artifacts/([^@/]+/[^@]+?(?:@[^/@]+)?)/content)",
           route("/v1/artifacts/{ref}/content", Content));
  http.Get(R"(/v1/artifacts/([^@/]+/[^@]+?(?:@[^/@]+)?)/why-kept)",
           route("/v1/artifacts/{ref}/why-kept", WhyKept));
  http.Get(R"(/v1/artifacts/([^@/]+/[^@]+?(?:@[^/@]+)?))",
           route("/v1/artifacts/{ref}", Show));
  http.Delete(R"(/v1/artifacts/([^@/]+/[^@]+@[^/@]+))",
              route("/v1/artifacts/{ref}", Delete));
  http.Get(R"(/v1/lineage/([^@]+@[^/@]+|run/[^/@]+))",
           route("/v1/lineage/{ref}", LineageWalk));
}

}  // namespace strata::api::internal
