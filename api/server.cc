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
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/internal/routes.h"
#include "api/tokens.h"
#include "features/feature_store.h"
#include "httplib.h"
#include "store/json_writer.h"
#include "store/status_macros.h"

namespace strata::api {
namespace {

using internal::ErrorJson;
using internal::Handle;
using internal::kJson;
using internal::ResetRouteLabel;
using internal::RouteLabel;
using internal::WriteError;

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
  internal::RouteContext context;

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

  void Routes() {
    context.store = store;
    context.features = features.get();
    context.options = &options;
    context.authorize = [this](const httplib::Request& req, Scope needed) {
      return Authorize(req, needed);
    };
    http.set_pre_routing_handler(
        [this](const httplib::Request& req, httplib::Response& res) {
          request_start = std::chrono::steady_clock::now();
          ResetRouteLabel();
          if (absl::Status s = Authorize(req, Scope::kRead); !s.ok()) {
            WriteError(res, s);
            if (res.status == 401) res.set_header("WWW-Authenticate", "Bearer");
            return httplib::Server::HandlerResponse::Handled;
          }
          return httplib::Server::HandlerResponse::Unhandled;
        });
    http.Get("/healthz",
             Handle("/healthz", [](const httplib::Request&, httplib::Response& res) {
               res.set_content("{\"status\":\"ok\"}", kJson);
               return absl::OkStatus();
             }));
    http.Get("/metrics",
             Handle("/metrics", [this](const httplib::Request&, httplib::Response& res) {
               res.set_content(metrics.Text(), "text/plain; version=0.0.4");
               return absl::OkStatus();
             }));
    AddArtifactRoutes(http, context);
    AddFeatureRoutes(http, context);
    AddOnlineRoutes(http, context);
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
      const std::string& route = RouteLabel();
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

namespace internal {
namespace {
thread_local std::string route_label = "other";
}  // namespace

const std::string& RouteLabel() { return route_label; }
void ResetRouteLabel() { route_label = "other"; }

httplib::Server::Handler Handle(std::string label, RouteFn fn) {
  return [label = std::move(label), fn = std::move(fn)](const httplib::Request& req,
                                                        httplib::Response& res) {
    route_label = label;
    if (absl::Status s = fn(req, res); !s.ok()) WriteError(res, s);
  };
}

std::string ErrorJson(absl::StatusCode code, absl::string_view message) {
  std::string name = absl::StatusCodeToString(code);  // e.g. "INVALID_ARGUMENT"
  JsonWriter w;
  w.BeginObject().Key("error").BeginObject();
  w.Key("code").String(name.empty() ? "UNKNOWN" : name).Key("message").String(message);
  w.EndObject().EndObject();
  return w.Take();
}

void WriteError(httplib::Response& res, const absl::Status& status) {
  res.status = HttpStatus(status);
  res.set_content(ErrorJson(status.code(), status.message()), kJson);
}

void WriteJson(httplib::Response& res, std::string body) {
  res.set_content(std::move(body), kJson);
}

bool WantsProtobuf(const httplib::Request& req) {
  return absl::StrContains(req.get_header_value("Accept"), kProtobuf);
}

}  // namespace internal
}  // namespace strata::api
