#include "api/server.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "api/tokens.h"
#include "features/feature_store.h"
#include "httplib.h"
#include "simdjson.h"
#include "store/digest.h"
#include "store/internal/records.h"
#include "store/io.h"
#include "store/json_writer.h"
#include "store/lineage.h"
#include "store/ref.h"
#include "store/render.h"
#include "store/status_macros.h"

namespace strata::api {
namespace {

constexpr const char* kJson = "application/json";

// Request latency buckets, seconds.
constexpr std::array<double, 14> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                             0.005,  0.01,    0.025,  0.05,  0.1,
                                             0.25,   0.5,     1,      2.5};

// Requests, latencies and bytes per route, for /metrics.
class Metrics {
 public:
  void Record(const std::string& route, int status, double seconds, size_t in,
              size_t out) {
    std::lock_guard lock(mu_);
    ++requests_[{route, status}];
    Histogram& h = latency_[route];
    for (size_t b = 0; b < kBuckets.size(); ++b) h.counts[b] += seconds <= kBuckets[b];
    ++h.count;
    h.sum += seconds;
    bytes_in_ += in;
    bytes_out_ += out;
  }

  std::string Text() const {
    std::lock_guard lock(mu_);
    std::string t;
    t += "# HELP strata_http_requests_total Requests served, by route and status.\n";
    t += "# TYPE strata_http_requests_total counter\n";
    for (const auto& [key, n] : requests_) {
      absl::StrAppend(&t, "strata_http_requests_total{route=\"", key.first,
                      "\",status=\"", key.second, "\"} ", n, "\n");
    }
    t += "# HELP strata_http_request_duration_seconds Time from a request's arrival "
         "to its response, by route.\n";
    t += "# TYPE strata_http_request_duration_seconds histogram\n";
    for (const auto& [route, h] : latency_) {
      const std::string labels = absl::StrCat("route=\"", route, "\"");
      for (size_t b = 0; b < kBuckets.size(); ++b) {
        absl::StrAppend(&t, "strata_http_request_duration_seconds_bucket{", labels,
                        ",le=\"", kBuckets[b], "\"} ", h.counts[b], "\n");
      }
      absl::StrAppend(&t, "strata_http_request_duration_seconds_bucket{", labels,
                      ",le=\"+Inf\"} ", h.count, "\n");
      absl::StrAppend(&t, "strata_http_request_duration_seconds_sum{", labels, "} ",
                      h.sum, "\n");
      absl::StrAppend(&t, "strata_http_request_duration_seconds_count{", labels, "} ",
                      h.count, "\n");
    }
    t += "# HELP strata_http_request_bytes_total Request body bytes received.\n";
    t += "# TYPE strata_http_request_bytes_total counter\n";
    absl::StrAppend(&t, "strata_http_request_bytes_total ", bytes_in_, "\n");
    t += "# HELP strata_http_response_bytes_total Response body bytes sent.\n";
    t += "# TYPE strata_http_response_bytes_total counter\n";
    absl::StrAppend(&t, "strata_http_response_bytes_total ", bytes_out_, "\n");
    return t;
  }

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts{};
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
  uint64_t bytes_in_ = 0, bytes_out_ = 0;
};

std::string CodeName(absl::StatusCode code) {
  std::string name = absl::StatusCodeToString(code);  // e.g. "INVALID_ARGUMENT"
  return name.empty() ? "UNKNOWN" : name;
}

std::string ErrorJson(absl::StatusCode code, absl::string_view message) {
  JsonWriter w;
  w.BeginObject().Key("error").BeginObject();
  w.Key("code").String(CodeName(code)).Key("message").String(message);
  w.EndObject().EndObject();
  return w.Take();
}

void WriteError(httplib::Response& res, const absl::Status& status) {
  res.status = HttpStatus(status);
  res.set_content(ErrorJson(status.code(), status.message()), kJson);
}

// The error of a response that a handler left without a body (httplib's own:
// unknown routes, oversize or malformed requests).
absl::Status DefaultError(const httplib::Request& req, int status, size_t max_body) {
  switch (status) {
    case 404:
      return absl::NotFoundError(absl::StrCat("no route ", req.method, " ", req.path));
    case 405:
      return absl::InvalidArgumentError(
          absl::StrCat("method ", req.method, " is not allowed on ", req.path));
    case 413:
      return absl::ResourceExhaustedError(absl::StrCat(
          "the request body is larger than ", max_body, " bytes (--max-body-bytes)"));
    case 414:
      return absl::InvalidArgumentError("the request line is too long");
    case 500:
      return absl::InternalError("internal error");
    default:
      return absl::InvalidArgumentError("malformed HTTP request");
  }
}

absl::string_view Sv(std::string_view s) { return {s.data(), s.size()}; }

// A Feast get-online-features request.
struct OnlineRequest {
  std::vector<std::string> features;
  features::EntityColumns entities;
  bool full_names = false;
};

absl::StatusOr<OnlineRequest> ParseOnlineRequest(const std::string& body,
                                                 size_t max_entities) {
  const auto bad = [](absl::string_view what) {
    return absl::InvalidArgumentError(what);
  };
  // The whole document is validated (trailing text included) before it is read.
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto error = parser.parse(body).get(doc); error) {
    return bad(absl::StrCat("the body is not valid JSON (",
                            simdjson::error_message(error), ")"));
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj)) return bad("the body is not a JSON object");
  OnlineRequest out;
  bool have_features = false, have_entities = false;
  for (const auto field : obj) {
    const absl::string_view key = Sv(field.key);
    if (key == "features") {
      have_features = true;
      simdjson::dom::array array;
      if (field.value.get_array().get(array)) {
        return bad("features must be an array of \"view:feature\" strings");
      }
      for (const auto item : array) {
        std::string_view s;
        if (item.get_string().get(s)) {
          return bad("features must be an array of \"view:feature\" strings");
        }
        out.features.emplace_back(s);
      }
    } else if (key == "entities") {
      have_entities = true;
      simdjson::dom::object entities;
      if (field.value.get_object().get(entities)) {
        return bad("entities must be an object of join key -> array of values");
      }
      for (const auto entity : entities) {
        const absl::string_view name = Sv(entity.key);
        auto& column =
            out.entities.emplace_back(std::string(name), std::vector<features::Value>());
        simdjson::dom::array values;
        if (entity.value.get_array().get(values)) {
          return bad(absl::StrCat("entities.", name, " must be an array"));
        }
        for (const auto value : values) {
          if (column.second.size() == max_entities) {
            return absl::ResourceExhaustedError(
                absl::StrCat("more than ", max_entities,
                             " entities in one request (--max-online-entities)"));
          }
          const auto where =
              absl::StrCat("entities.", name, "[", column.second.size(), "]");
          int64_t n;
          std::string_view s;
          if (value.is_number()) {
            if (value.get_int64().get(n))
              return bad(absl::StrCat(where, " is not an int64"));
            column.second.emplace_back(n);
          } else if (!value.get_string().get(s)) {
            column.second.emplace_back(std::string(s));
          } else {
            return bad(absl::StrCat(where, " must be an integer or a string"));
          }
        }
      }
    } else if (key == "full_feature_names") {
      if (field.value.get_bool().get(out.full_names)) {
        return bad("full_feature_names must be true or false");
      }
    } else {
      return bad(absl::StrCat("unknown field \"", key,
                              "\" (expected features, entities, full_feature_names)"));
    }
  }
  if (!have_features) return bad("the request has no features");
  if (!have_entities) return bad("the request has no entities");
  return out;
}

// The metric label of a path: the route it matched, or "other".
std::string RouteOf(const std::string& path) {
  static const std::array<const char*, 4> kRoutes = {
      "/healthz", "/metrics", "/get-online-features", "/v1/online-features"};
  for (const char* r : kRoutes) {
    if (path == r) return r;
  }
  if (absl::StartsWith(path, "/v1/artifacts/")) {
    if (absl::EndsWith(path, "/versions")) return "/v1/artifacts/{artifact}/versions";
    if (absl::EndsWith(path, "/aliases")) return "/v1/artifacts/{artifact}/aliases";
    if (absl::EndsWith(path, "/alias-log")) return "/v1/artifacts/{artifact}/alias-log";
    if (path.find("/aliases/") != std::string::npos) {
      return "/v1/artifacts/{artifact}/aliases/{alias}";
    }
    if (absl::EndsWith(path, "/content")) return "/v1/artifacts/{ref}/content";
    return "/v1/artifacts/{ref}";
  }
  if (absl::StartsWith(path, "/v1/lineage/")) return "/v1/lineage/{ref}";
  return "other";
}

void WriteJson(httplib::Response& res, std::string body) {
  res.set_content(std::move(body), kJson);
}

thread_local std::chrono::steady_clock::time_point request_start;

}  // namespace

int HttpStatus(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kFailedPrecondition:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 413;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

struct Server::Impl {
  Store* store;
  ServerOptions options;
  std::unique_ptr<features::FeatureStore> features;
  TokenVerifier tokens;
  httplib::Server http;
  Metrics metrics;
  std::thread listener;
  int port = 0;

  // Whether `req` may use a route of scope `needed`: /healthz always; the rest with
  // a token of that scope or above when the server has tokens.
  absl::Status Authorize(const httplib::Request& req, Scope needed) const {
    if (tokens.empty() || req.path == "/healthz") return absl::OkStatus();
    const std::string header = req.get_header_value("Authorization");
    if (!absl::StartsWith(header, "Bearer ")) {
      return absl::UnauthenticatedError(
          "this server needs \"Authorization: Bearer TOKEN\"");
    }
    ASSIGN_OR_RETURN(Scope scope, tokens.Verify(absl::string_view(header).substr(7)));
    if (scope < needed) {
      return absl::PermissionDeniedError(absl::StrCat("this token's scope is ",
                                                      ScopeName(scope), "; ", req.path,
                                                      " needs ", ScopeName(needed)));
    }
    return absl::OkStatus();
  }

  // GET /v1/artifacts/KIND/NAME/versions: every version, newest first.
  absl::Status Versions(const httplib::Request& req, httplib::Response& res) {
    ASSIGN_OR_RETURN(ArtifactId artifact, ParseArtifactId(req.matches[1].str()));
    ASSIGN_OR_RETURN(auto versions, store->artifacts().Versions(artifact));
    ASSIGN_OR_RETURN(auto aliases, store->artifacts().AliasesByVersion(artifact));
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
  absl::Status Show(const httplib::Request& req, httplib::Response& res) {
    ASSIGN_OR_RETURN(Ref ref, ParseRef(req.matches[1].str()));
    ASSIGN_OR_RETURN(store::Version v, store->artifacts().Resolve(ref));
    ASSIGN_OR_RETURN(auto aliases, store->artifacts().AliasesByVersion(ref.artifact));
    JsonWriter w;
    WriteVersionJson(w, v, aliases[v.number()]);
    WriteJson(res, w.Take());
    return absl::OkStatus();
  }

  // GET /v1/artifacts/KIND/NAME@REF/content: the bytes, streamed and verified as
  // they are read; Range requests through httplib (206, 416); ETag and Digest from
  // the content id; 304 for a matching If-None-Match.
  absl::Status Content(const httplib::Request& req, httplib::Response& res) {
    ASSIGN_OR_RETURN(Ref ref, ParseRef(req.matches[1].str()));
    ASSIGN_OR_RETURN(store::Version v, store->artifacts().Resolve(ref));
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
    Store* s = store;
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
  absl::Status Aliases(const httplib::Request& req, httplib::Response& res) {
    ASSIGN_OR_RETURN(ArtifactId artifact, ParseArtifactId(req.matches[1].str()));
    ASSIGN_OR_RETURN(auto aliases, store->artifacts().Aliases(artifact));
    JsonWriter w;
    w.BeginObject();
    for (const auto& [name, target] : aliases) w.Key(name).Uint(target.version());
    w.EndObject();
    WriteJson(res, w.Take());
    return absl::OkStatus();
  }

  // GET /v1/artifacts/KIND/NAME/alias-log: every alias move, oldest first.
  absl::Status AliasLog(const httplib::Request& req, httplib::Response& res) {
    ASSIGN_OR_RETURN(ArtifactId artifact, ParseArtifactId(req.matches[1].str()));
    ASSIGN_OR_RETURN(auto moves, store->artifacts().AliasLog(artifact));
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
  absl::Status SetAlias(const httplib::Request& req, httplib::Response& res) {
    RETURN_IF_ERROR(Authorize(req, Scope::kWrite));
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
        store->artifacts().SetAlias(artifact, req.matches[2].str(), version, expect,
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
  absl::Status LineageWalk(const httplib::Request& req, httplib::Response& res) {
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
    ASSIGN_OR_RETURN(store::Version v, store->artifacts().Resolve(ref));
    ASSIGN_OR_RETURN(LineageGraph graph, store->lineage().Walk(VersionRef(v), options));
    res.set_content(RenderLineage(graph, format, options.direction),
                    format == LineageFormat::kJson ? kJson : "text/plain; charset=utf-8");
    return absl::OkStatus();
  }

  // A handler whose errors become JSON error responses.
  httplib::Server::Handler Route(absl::Status (Impl::*method)(const httplib::Request&,
                                                              httplib::Response&)) {
    return [this, method](const httplib::Request& req, httplib::Response& res) {
      if (absl::Status s = (this->*method)(req, res); !s.ok()) WriteError(res, s);
    };
  }

  // POST /get-online-features and /v1/online-features: Feast's request and response.
  absl::Status Online(const httplib::Request& req, httplib::Response& res) {
    ASSIGN_OR_RETURN(OnlineRequest request,
                     ParseOnlineRequest(req.body, options.max_online_entities));
    ASSIGN_OR_RETURN(
        features::OnlineResult result,
        features->Online(request.features, request.entities, internal::NowMicros()));
    WriteJson(res, features::OnlineResponseJson(result, request.full_names));
    return absl::OkStatus();
  }

  void Routes() {
    http.set_pre_routing_handler(
        [this](const httplib::Request& req, httplib::Response& res) {
          request_start = std::chrono::steady_clock::now();
          if (absl::Status s = Authorize(req, Scope::kRead); !s.ok()) {
            WriteError(res, s);
            if (res.status == 401) res.set_header("WWW-Authenticate", "Bearer");
            return httplib::Server::HandlerResponse::Handled;
          }
          return httplib::Server::HandlerResponse::Unhandled;
        });
    http.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("{\"status\":\"ok\"}", kJson);
    });
    http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(metrics.Text(), "text/plain; version=0.0.4");
    });
    http.Get(R"(/v1/artifacts/(.+)/versions)", Route(&Impl::Versions));
    http.Get(R"(/v1/artifacts/(.+)/aliases)", Route(&Impl::Aliases));
    http.Get(R"(/v1/artifacts/(.+)/alias-log)", Route(&Impl::AliasLog));
    http.Put(R"(/v1/artifacts/(.+)/aliases/([^/]+))", Route(&Impl::SetAlias));
    http.Get(R"(/v1/artifacts/([^@]+@[^/@]+))", Route(&Impl::Show));
    http.Get(R"(/v1/artifacts/([^@]+@[^/@]+)/content)", Route(&Impl::Content));
    http.Get(R"(/v1/lineage/([^@]+@[^/@]+))", Route(&Impl::LineageWalk));
    for (const char* path : {"/get-online-features", "/v1/online-features"}) {
      http.Post(path, Route(&Impl::Online));
    }
    http.set_error_handler(httplib::Server::HandlerWithResponse(
        [this](const httplib::Request& req, httplib::Response& res) {
          if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
          const absl::Status error =
              DefaultError(req, res.status, options.max_body_bytes);
          res.set_content(ErrorJson(error.code(), error.message()), kJson);
          return httplib::Server::HandlerResponse::Handled;
        }));
    http.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
          WriteError(res, absl::InternalError("internal error"));
        });
    http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - request_start)
              .count();
      const std::string route = RouteOf(req.path);
      metrics.Record(route, res.status, seconds, req.body.size(), res.body.size());
      if (options.access_log) {
        options.access_log(absl::StrCat(req.method, " ", route, " ", res.status, " ",
                                        static_cast<int64_t>(seconds * 1e6), "us in=",
                                        req.body.size(), " out=", res.body.size()));
      }
    });
  }
};

Server::Server(Store* store, ServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->store = store;
  impl_->options = std::move(options);
}

Server::~Server() { Stop(); }

absl::Status Server::Start() {
  Impl& s = *impl_;
  const ServerOptions& o = s.options;
  if (o.port < 0 || o.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("port ", o.port, " is not 0..65535"));
  }
  ASSIGN_OR_RETURN(auto stored, TokenStore(s.store).Digests());
  for (auto& [sha256, scope] : stored) s.tokens.Add(std::move(sha256), scope);
  if (!o.tokens_file.empty()) RETURN_IF_ERROR(s.tokens.AddFile(o.tokens_file));
  features::FeatureStoreOptions fs_options;
  fs_options.online_cache_bytes = o.online_cache_bytes;
  s.features = std::make_unique<features::FeatureStore>(s.store, fs_options);
  const int threads =
      o.threads > 0
          ? o.threads
          : std::max(8, 4 * static_cast<int>(std::thread::hardware_concurrency()));
  s.http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  s.http.set_payload_max_length(o.max_body_bytes);
  s.http.set_read_timeout(o.io_timeout_seconds, 0);
  s.http.set_write_timeout(o.io_timeout_seconds, 0);
  s.http.set_keep_alive_timeout(o.io_timeout_seconds);
  s.http.set_keep_alive_max_count(1000000);
  s.http.set_tcp_nodelay(true);  // small responses go out at once, not after an ACK
  s.Routes();
  if (o.port == 0) {
    s.port = s.http.bind_to_any_port(o.host);
  } else {
    s.port = s.http.bind_to_port(o.host, o.port) ? o.port : -1;
  }
  if (s.port <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", o.host, ":", o.port,
                     " (in use, or not an address of this machine)"));
  }
  s.listener = std::thread([&s] { s.http.listen_after_bind(); });
  // Stop must find the listener running, or it would have nothing to stop.
  while (!s.http.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return absl::OkStatus();
}

int Server::port() const { return impl_->port; }

bool Server::authenticating() const { return !impl_->tokens.empty(); }

void Server::Stop() {
  if (impl_->listener.joinable()) {
    impl_->http.stop();
    impl_->listener.join();
  }
}

}  // namespace strata::api
