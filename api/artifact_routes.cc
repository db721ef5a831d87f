// Artifact and lineage routes: versions, content, aliases, alias log, lineage.
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
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

// GET /v1/artifacts/KIND/NAME/versions: every version, newest first.
absl::Status Versions(const RouteContext& ctx, const httplib::Request& req,
                      httplib::Response& res) {
  ASSIGN_OR_RETURN(ArtifactId artifact, ParseArtifactId(req.matches[1].str()));
  ASSIGN_OR_RETURN(auto versions, ctx.store->artifacts().Versions(artifact));
  ASSIGN_OR_RETURN(auto aliases, ctx.store->artifacts().AliasesByVersion(artifact));
  JsonWriter w;
  w.BeginArray();
  for (auto v = versions.rbegin(); v != versions.rend(); ++v) {
    WriteVersionJson(w, *v, aliases[v->number()]);
  }
  w.EndArray();
  WriteJson(res, w.Take());
  return absl::OkStatus();
}

// GET /v1/artifacts/KIND/NAME@REF: one version.
absl::Status Show(const RouteContext& ctx, const httplib::Request& req,
                  httplib::Response& res) {
  ASSIGN_OR_RETURN(Ref ref, ParseRef(req.matches[1].str()));
  ASSIGN_OR_RETURN(store::Version v, ctx.store->artifacts().Resolve(ref));
  ASSIGN_OR_RETURN(auto aliases, ctx.store->artifacts().AliasesByVersion(ref.artifact));
  JsonWriter w;
  WriteVersionJson(w, v, aliases[v.number()]);
  WriteJson(res, w.Take());
  return absl::OkStatus();
}

// GET /v1/artifacts/KIND/NAME@REF/content: the bytes, streamed and verified as
// they are read; Range requests through httplib (206, 416); ETag and Digest from
// the content id; 304 for a matching If-None-Match.
absl::Status Content(const RouteContext& ctx, const httplib::Request& req,
                     httplib::Response& res) {
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
  ASSIGN_OR_RETURN(ArtifactId artifact, ParseArtifactId(req.matches[1].str()));
  ASSIGN_OR_RETURN(auto moves, ctx.store->artifacts().AliasLog(artifact));
  JsonWriter w;
  w.BeginArray();
  for (const auto& m : moves) WriteAliasMoveJson(w, m);
  w.EndArray();
  WriteJson(res, w.Take());
  return absl::OkStatus();
}

// PUT /v1/artifacts/KIND/NAME/aliases/ALIAS?version=N[&reason=TEXT], scope write.
// "If-Match: M" makes it a compare-and-set: 412 unless the alias now points at
// version M ("0": unless it does not exist yet).
absl::Status SetAlias(const RouteContext& ctx, const httplib::Request& req,
                      httplib::Response& res) {
  RETURN_IF_ERROR(ctx.authorize(req, Scope::kWrite));
  ASSIGN_OR_RETURN(ArtifactId artifact, ParseArtifactId(req.matches[1].str()));
  uint64_t version = 0;
  if (!absl::SimpleAtoi(req.get_param_value("version"), &version) || version == 0) {
    return absl::InvalidArgumentError("version=N (a version number) is required");
  }
  std::optional<uint64_t> expect;
  if (req.has_header("If-Match")) {
    const std::string text(absl::StripAsciiWhitespace(
        absl::StrReplaceAll(req.get_header_value("If-Match"), {{"\"", ""}})));
    uint64_t n;
    if (!absl::SimpleAtoi(text, &n)) {
      return absl::InvalidArgumentError(
          "If-Match must be the version number the alias points at now (0: none)");
    }
    expect = n;
  }
  auto move =
      ctx.store->artifacts().SetAlias(artifact, req.matches[2].str(), version, expect,
                                      "http", req.get_param_value("reason"));
  if (!move.ok()) {
    if (absl::IsFailedPrecondition(move.status())) {
      WriteError(res, move.status());
      res.status = 412;  // the precondition was the caller's If-Match
      return absl::OkStatus();
    }
    return move.status();
  }
  JsonWriter w;
  WriteAliasMoveJson(w, *move);
  WriteJson(res, w.Take());
  return absl::OkStatus();
}

// GET /v1/lineage/KIND/NAME@REF?direction=up|down|both&depth=N&format=json|dot|mermaid
absl::Status LineageWalk(const RouteContext& ctx, const httplib::Request& req,
                         httplib::Response& res) {
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
  ASSIGN_OR_RETURN(Ref ref, ParseRef(req.matches[1].str()));
  ASSIGN_OR_RETURN(store::Version v, ctx.store->artifacts().Resolve(ref));
  ASSIGN_OR_RETURN(LineageGraph graph, ctx.store->lineage().Walk(VersionRef(v), options));
  res.set_content(RenderLineage(graph, format, options.direction),
                  format == LineageFormat::kJson ? kJson : "text/plain; charset=utf-8");
  return absl::OkStatus();
}

}  // namespace

void AddArtifactRoutes(httplib::Server& http, const RouteContext& ctx) {
  const auto route = [&ctx](std::string label, auto fn) {
    return Handle(std::move(label),
                  [&ctx, fn](const httplib::Request& req, httplib::Response& res) {
                    return fn(ctx, req, res);
                  });
  };
  http.Get(R"(/v1/artifacts/(.+)/versions)",
           route("/v1/artifacts/{artifact}/versions", Versions));
  http.Get(R"(/v1/artifacts/(.+)/aliases)",
           route("/v1/artifacts/{artifact}/aliases", Aliases));
  http.Get(R"(/v1/artifacts/(.+)/alias-log)",
           route("/v1/artifacts/{artifact}/alias-log", AliasLog));
  http.Put(R"(/v1/artifacts/(.+)/aliases/([^/]+))",
           route("/v1/artifacts/{artifact}/aliases/{alias}", SetAlias));
  http.Get(R"(/v1/artifacts/([^@]+@[^/@]+))", route("/v1/artifacts/{ref}", Show));
  http.Get(R"(/v1/artifacts/([^@]+@[^/@]+)/content)",
           route("/v1/artifacts/{ref}/content", Content));
  http.Get(R"(/v1/lineage/([^@]+@[^/@]+))", route("/v1/lineage/{ref}", LineageWalk));
}

}  // namespace strata::api::internal
