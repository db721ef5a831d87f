#include "api/server.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/internal/buffered_server.h"
#include "api/internal/routes.h"
#include "api/online_replica.h"
#include "api/tokens.h"
#include "features/feature_store.h"
#include "features/online_store.h"
#include "httplib.h"
#include "quality/drift_gauges.h"
#include "quality/ingest_profile.h"
#include "store/json_writer.h"
#include "store/status_macros.h"

namespace strata::api {
namespace {

using internal::ErrorJson;
using internal::Handle;
using internal::kJson;
using internal::kTokenOwnerHeader;
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

// The store's size and the online cache's counts, read when /metrics is asked.
std::string StateText(uint64_t store_bytes, const features::OnlineCacheStats& cache) {
  std::string t;
  t += "# HELP strata_store_size_bytes Bytes of the store's live SST and blob files.\n";
  t += "# TYPE strata_store_size_bytes gauge\n";
  absl::StrAppend(&t, "strata_store_size_bytes ", store_bytes, "\n");
  t += "# HELP strata_online_cache_hits_total Online lookups answered from memory.\n";
  t += "# TYPE strata_online_cache_hits_total counter\n";
  absl::StrAppend(&t, "strata_online_cache_hits_total ", cache.hits, "\n");
  t += "# HELP strata_online_cache_misses_total Online lookups read from the online "
       "table.\n";
  t += "# TYPE strata_online_cache_misses_total counter\n";
  absl::StrAppend(&t, "strata_online_cache_misses_total ", cache.misses, "\n");
  const uint64_t lookups = cache.hits + cache.misses;
  t += "# HELP strata_online_cache_hit_ratio Hits over lookups since the server "
       "started (0 before any).\n";
  t += "# TYPE strata_online_cache_hit_ratio gauge\n";
  absl::StrAppend(&t, "strata_online_cache_hit_ratio ",
                  lookups == 0 ? 0.0 : static_cast<double>(cache.hits) / lookups, "\n");
  return t;
}

// What the served-answer log did (strata serve --log-served).
std::string ServedLogText(const features::ServedLogStats& served) {
  std::string t;
  const auto counter = [&t](absl::string_view name, absl::string_view help, uint64_t v) {
    absl::StrAppend(&t, "# HELP ", name, " ", help, "\n# TYPE ", name, " counter\n", name,
                    " ", v, "\n");
  };
  counter("strata_served_log_rows_total",
          "Sampled online answers written to the served log (one per entity and view).",
          served.logged);
  counter("strata_served_log_dropped_total",
          "Sampled online answers dropped: the served log's writer was behind.",
          served.dropped);
  counter("strata_served_log_trimmed_total",
          "Served log rows deleted to keep each view within its bound.", served.trimmed);
  counter("strata_served_log_write_errors_total",
          "Sampled online answers lost to a failed write.", served.write_errors);
  return t;
}

// An online-only replica's catalog requests to its primary.
std::string ReplicaText(const OnlineReplicaStats& stats) {
  std::string t;
  const auto metric = [&t](absl::string_view name, absl::string_view type,
                           absl::string_view help, double v) {
    absl::StrAppend(&t, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n",
                    name, " ", v, "\n");
  };
  metric("strata_replica_catalog_fetches_total", "counter",
         "Catalog requests the primary answered.", static_cast<double>(stats.fetches));
  metric("strata_replica_catalog_changes_total", "counter",
         "Catalog requests that brought a changed catalog.",
         static_cast<double>(stats.changes));
  metric("strata_replica_catalog_failures_total", "counter",
         "Catalog requests that failed (the last catalog stays in use).",
         static_cast<double>(stats.failures));
  metric("strata_replica_catalog_age_seconds", "gauge",
         "Seconds since the primary last answered a catalog request.",
         absl::ToDoubleSeconds(absl::Now() - stats.last_fetch));
  return t;
}

// The plain-HTTP connections' counts (BufferedServer).
std::string ConnectionText(const internal::ConnectionCounts& c) {
  std::string t;
  t += "# HELP strata_http_connections Open client connections (plain HTTP): all, and "
       "the keep-alive ones idle between requests.\n";
  t += "# TYPE strata_http_connections gauge\n";
  absl::StrAppend(&t, "strata_http_connections{state=\"open\"} ", c.open, "\n");
  absl::StrAppend(&t, "strata_http_connections{state=\"idle\"} ", c.idle, "\n");
  t += "# HELP strata_http_connections_closed_total Connections the server closed or "
       "refused (plain HTTP), by reason.\n";
  t += "# TYPE strata_http_connections_closed_total counter\n";
  const std::pair<const char*, uint64_t> reasons[] = {
      {"header_timeout", c.header_timeouts},
      {"body_timeout", c.body_timeouts},
      {"idle_timeout", c.idle_timeouts},
      {"idle_at_cap", c.closed_idle_at_cap},
      {"refused_at_cap", c.refused_at_cap},
      {"refused_per_address", c.refused_per_address}};
  for (const auto& [reason, n] : reasons) {
    absl::StrAppend(&t, "strata_http_connections_closed_total{reason=\"", reason, "\"} ",
                    n, "\n");
  }
  return t;
}

// The error of a response that a handler left without a body (httplib's own:
// unknown routes, oversize or malformed requests, unsatisfiable ranges).
absl::Status DefaultError(const httplib::Request& req, const httplib::Response& res,
                          size_t max_body) {
  const int status = res.status;
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
    case 416:
      // The content route says the size in Content-Range; httplib refuses a Range
      // header it cannot parse.
      return res.has_header("Content-Range")
                 ? absl::OutOfRangeError(absl::StrCat(
                       "the range is past the end of the content (Content-Range: ",
                       res.get_header_value("Content-Range"), ")"))
                 : absl::OutOfRangeError("malformed Range header");
    case 500:
      return absl::InternalError("internal error");
    default:
      return absl::InvalidArgumentError("malformed HTTP request");
  }
}

// The request a serving thread is on (httplib serves a connection's requests in
// order on one thread): when it arrived, and the bytes its content provider sent.
struct RequestState {
  std::chrono::steady_clock::time_point start;
  bool started = false;  // since the last request was logged
  uint64_t streamed_bytes = 0;
};
thread_local RequestState current_request;

void BeginRequest() {
  current_request.start = std::chrono::steady_clock::now();
  current_request.started = true;
  current_request.streamed_bytes = 0;
}

// Counts what `res`'s content provider streams into current_request (providers run
// on the serving thread, before the logger).
void CountStreamedBytes(httplib::Response& res) {
  res.content_provider_ = [inner = std::move(res.content_provider_)](
                              size_t offset, size_t length, httplib::DataSink& sink) {
    httplib::DataSink counted;
    counted.write = [&sink](const char* data, size_t size) {
      if (!sink.write(data, size)) return false;
      current_request.streamed_bytes += size;
      return true;
    };
    if (sink.is_writable) counted.is_writable = [&sink] { return sink.is_writable(); };
    if (sink.done) counted.done = [&sink] { sink.done(); };
    return inner(offset, length, counted);
  };
}

// Sends `res`'s body, then closes the connection (a content provider that fails
// after writing it): for a refused request whose chunked body is left unread, which
// httplib would otherwise read as the connection's next requests.
void CloseAfterAnswer(httplib::Response& res) {
  auto body = std::make_shared<const std::string>(std::move(res.body));
  res.body.clear();
  res.set_header("Connection", "close");
  res.set_content_provider(body->size(), kJson,
                           [body](size_t offset, size_t, httplib::DataSink& sink) {
                             sink.write(body->data() + offset, body->size() - offset);
                             return false;
                           });
  CountStreamedBytes(res);
}

// Whether a route reads `req`'s body as a stream through httplib's content reader,
// counting it against --max-body-bytes itself: the upload (artifact_routes.cc) and
// the feature routes but reproduce (feature_routes.cc). Mirrors their registrations.
bool StreamsBody(const httplib::Request& req) {
  static const std::regex* const kRoutes =
      new std::regex(R"(/v1/artifacts/[^@]+|/v1/features/(apply|historical)|)"
                     R"(/v1/features/(?!reproduce/dataset/).+/ingest|/push|/v1/push|)"
                     R"(/write-to-online-store)");
  return req.method == "POST" && std::regex_match(req.path, *kRoutes);
}

// Whether `req`'s body is bounded by --max-body-bytes. httplib 0.11 applies
// set_payload_max_length to a Content-Length only: a route without a content reader
// would get a chunked body, a compressed body inflated, or a body without a length
// read until the client closes, whole in memory. A request without either header
// has no body (RFC 9112 6.3), so it gets "Content-Length: 0" (`req` is
// process_request's own non-const Request); a chunked (411) or compressed (415) body
// is refused unless its route streams it.
bool BoundBody(const httplib::Request& req, httplib::Response& res) {
  const bool chunked = req.has_header("Transfer-Encoding");
  const std::string encoding = req.get_header_value("Content-Encoding");
  if ((chunked || !(encoding.empty() || encoding == "identity")) && !StreamsBody(req)) {
    res.status = chunked ? 411 : 415;
    res.set_content(
        ErrorJson(absl::StatusCode::kInvalidArgument,
                  chunked ? "this route needs the body's Content-Length (chunked "
                            "Transfer-Encoding is accepted by streaming routes only)"
                          : "this route takes no Content-Encoding"),
        kJson);
    // The body is left unread: it would be taken for the connection's next request.
    if (chunked || req.get_header_value("Content-Length") != "0") CloseAfterAnswer(res);
    return false;
  }
  if (!chunked && !req.has_header("Content-Length")) {
    const_cast<httplib::Request&>(req).set_header("Content-Length", "0");
  }
  return true;
}

// A TLS file opened for reading. Errors: InvalidArgument naming it.
struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;
absl::StatusOr<File> OpenTlsFile(const std::string& path, const char* what) {
  File f(std::fopen(path.c_str(), "rb"));
  if (f == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read the TLS ", what, " file ",
                                                   path, ": ", std::strerror(errno)));
  }
  return f;
}

// Checks that `cert_file` starts with a PEM certificate and `key_file` holds its
// unencrypted PEM private key, naming the file at fault (SSLServer only says that
// something failed, and would prompt on the terminal for an encrypted key's
// passphrase). Errors: InvalidArgument.
absl::Status CheckTlsFiles(const std::string& cert_file, const std::string& key_file) {
  ASSIGN_OR_RETURN(File cert_in, OpenTlsFile(cert_file, "certificate"));
  ASSIGN_OR_RETURN(File key_in, OpenTlsFile(key_file, "key"));
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_X509(cert_in.get(), nullptr, nullptr, nullptr), X509_free);
  const auto no_passphrase = [](char*, int, int, void*) { return 0; };
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_PrivateKey(key_in.get(), nullptr, no_passphrase, nullptr), EVP_PKEY_free);
  const bool matches = cert && key && X509_check_private_key(cert.get(), key.get()) == 1;
  ERR_clear_error();  // leave this thread's OpenSSL error queue as we found it
  if (!cert) {
    return absl::InvalidArgumentError(absl::StrCat("the TLS certificate file ", cert_file,
                                                   " does not hold a PEM certificate"));
  }
  if (!key) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the TLS key file ", key_file, " does not hold an unencrypted PEM private key"));
  }
  if (!matches) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the TLS key file ", key_file, " does not match the certificate in ", cert_file));
  }
  return absl::OkStatus();
}

// 127.0.0.0/8: only this machine can connect.
bool IsLoopback(const std::string& host) { return absl::StartsWith(host, "127."); }

// The connection options' ranges. Errors: InvalidArgument naming the flag.
absl::Status CheckConnectionOptions(const ServerOptions& o) {
  const auto in_range = [](int64_t value, int64_t most, const char* what,
                           const char* flag) {
    if (value >= 1 && value <= most) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat(what, " ", value, " is not 1..", most, " (", flag, ")"));
  };
  RETURN_IF_ERROR(
      in_range(o.io_timeout_seconds, 3600, "the I/O timeout (s)", "--io-timeout"));
  RETURN_IF_ERROR(in_range(o.header_timeout_seconds, 3600, "the header timeout (s)",
                           "--header-timeout"));
  RETURN_IF_ERROR(
      in_range(o.body_timeout_seconds, 86400, "the body timeout (s)", "--body-timeout"));
  RETURN_IF_ERROR(
      in_range(static_cast<int64_t>(std::min<size_t>(o.max_connections, INT64_MAX)),
               1'000'000, "the connection cap", "--max-connections"));
  return in_range(
      static_cast<int64_t>(std::min<size_t>(o.max_connections_per_address, INT64_MAX)),
      1'000'000, "the per-address connection cap", "--max-connections-per-address");
}

// Open files kept for the store's own (RocksDB's SST and blob files, logs).
constexpr rlim_t kFilesKept = 256;

// The connection cap the open-file limit allows: raises the process's soft limit
// to what `wanted` connections need when the hard limit allows it, else caps them.
size_t AllowedConnections(size_t wanted) {
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) != 0) return wanted;
  const rlim_t needed = static_cast<rlim_t>(wanted) + kFilesKept;
  if (files.rlim_cur != RLIM_INFINITY && files.rlim_cur < needed) {
    files.rlim_cur =
        files.rlim_max == RLIM_INFINITY ? needed : std::min(needed, files.rlim_max);
    setrlimit(RLIMIT_NOFILE, &files);
    getrlimit(RLIMIT_NOFILE, &files);
  }
  if (files.rlim_cur == RLIM_INFINITY || files.rlim_cur >= needed) return wanted;
  return files.rlim_cur > kFilesKept ? static_cast<size_t>(files.rlim_cur - kFilesKept)
                                     : 1;
}

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
  std::unique_ptr<OnlineReplica> replica;  // an online-only server's, else null
  // Replaced whole when a token route changes the tokens; read per request.
  std::shared_ptr<const TokenVerifier> tokens = std::make_shared<TokenVerifier>();
  std::mutex tokens_mu;       // orders reloads, so that the last one stored is the newest
  TokenVerifier file_tokens;  // --tokens, read once by Start
  // Decided by Start and fixed while the server runs: revoking every token must
  // leave the server locked, never open.
  bool authenticating = false;
  std::unique_ptr<httplib::Server> http;         // an SSLServer with TLS
  internal::BufferedServer* buffered = nullptr;  // `http` without TLS
  Metrics metrics;
  quality::DriftGauges drift_gauges;  // the drift results this server computed
  std::thread listener;
  int port = 0;
  internal::RouteContext context;

  // Whether `req` may use a route of scope `needed`: /healthz and /health (Feast's)
  // always; the rest with
  // a token of that scope or above when the server authenticates. The bearer of
  // that token, if one was needed.
  absl::StatusOr<std::optional<Bearer>> Authenticate(const httplib::Request& req,
                                                     Scope needed) const {
    if (!authenticating || req.path == "/healthz" || req.path == "/health") {
      return std::optional<Bearer>();
    }
    const std::shared_ptr<const TokenVerifier> verifier = std::atomic_load(&tokens);
    const std::string header = req.get_header_value("Authorization");
    if (!absl::StartsWith(header, "Bearer ")) {
      return absl::UnauthenticatedError(
          "this server needs \"Authorization: Bearer TOKEN\"");
    }
    ASSIGN_OR_RETURN(Bearer bearer,
                     verifier->Verify(absl::string_view(header).substr(7)));
    if (bearer.scope < needed) {
      return absl::PermissionDeniedError(
          absl::StrCat("this token's scope is ", ScopeName(bearer.scope), "; ", req.path,
                       " needs ", ScopeName(needed)));
    }
    return std::optional<Bearer>(std::move(bearer));
  }
  absl::Status Authorize(const httplib::Request& req, Scope needed) const {
    return Authenticate(req, needed).status();
  }

  // Loads the store's tokens, besides those of --tokens.
  absl::Status LoadTokens() {
    std::lock_guard lock(tokens_mu);
    auto verifier = std::make_shared<TokenVerifier>(file_tokens);
    if (store != nullptr) {
      ASSIGN_OR_RETURN(auto stored, TokenStore(store).Digests());
      for (KnownToken& token : stored) verifier->Add(std::move(token));
    }
    std::atomic_store(&tokens, std::shared_ptr<const TokenVerifier>(std::move(verifier)));
    return absl::OkStatus();
  }

  void Routes() {
    context.store = store;
    context.reload_tokens = [this] { return LoadTokens(); };
    context.authenticating = authenticating;
    context.features = features.get();
    context.options = &options;
    context.drift_gauges = &drift_gauges;
    context.authorize = [this](const httplib::Request& req, Scope needed) {
      return Authorize(req, needed);
    };
    httplib::Server& http = *this->http;
    AuthenticateBeforeRouting(http);
    AddServiceRoutes(http);
    if (replica != nullptr) {
      context.online = [this](const std::vector<std::string>& f,
                              const features::EntityColumns& e, features::Micros now) {
        return replica->lookup()->Online(f, e, now);
      };
      context.resolve_features = [this](const std::vector<std::string>& f) {
        return replica->lookup()->ResolveFeatures(f);
      };
      AddOnlineLookupRoutes(http, context);
      AnswerRefusedRequests(http);
      LogEachRequest(http);
      return;
    }
    context.online = [this](const std::vector<std::string>& f,
                            const features::EntityColumns& e, features::Micros now) {
      return features->Online(f, e, now);
    };
    context.resolve_features = [this](const std::vector<std::string>& f) {
      return features->ResolveFeatures(f);
    };
    AddArtifactRoutes(http, context);
    AddRunRoutes(http, context);
    AddTokenRoutes(http, context);
    AddFeatureRoutes(http, context);
    AddValidateRoutes(http, context);
    AddOnlineRoutes(http, context);
    AddMaintenanceRoutes(http, context);
    AddQualityRoutes(http, context);
    AnswerRefusedRequests(http);
    LogEachRequest(http);
  }

  // Every request: its timing starts, its body is bounded, its bearer token is checked
  // (401 before any route runs), and who acts is recorded for the routes.
  void AuthenticateBeforeRouting(httplib::Server& http) {
    http.set_pre_routing_handler(
        [this](const httplib::Request& req, httplib::Response& res) {
          BeginRequest();
          ResetRouteLabel();
          if (!BoundBody(req, res)) return httplib::Server::HandlerResponse::Handled;
          // Routes read who acts from here (Who): only the server sets it. `req` is
          // process_request's own non-const Request.
          auto& headers = const_cast<httplib::Request&>(req).headers;
          headers.erase(kTokenOwnerHeader);
          absl::StatusOr<std::optional<Bearer>> bearer = Authenticate(req, Scope::kRead);
          if (bearer.ok() && bearer->has_value()) {
            headers.emplace(kTokenOwnerHeader, (*bearer)->owner);
          }
          if (absl::Status s = bearer.status(); !s.ok()) {
            WriteError(res, s);
            if (res.status == 401) res.set_header("WWW-Authenticate", "Bearer");
            // The body is not read before routing: left unread, it would be taken
            // for the connection's next request.
            if (req.has_header("Transfer-Encoding") ||
                req.get_header_value("Content-Length") != "0") {
              CloseAfterAnswer(res);
            }
            return httplib::Server::HandlerResponse::Handled;
          }
          return httplib::Server::HandlerResponse::Unhandled;
        });
  }

  // GET /healthz and GET /metrics.
  void AddServiceRoutes(httplib::Server& http) {
    http.Get("/healthz",
             Handle("/healthz", [](const httplib::Request&, httplib::Response& res) {
               res.set_content("{\"status\":\"ok\"}", kJson);
               return absl::OkStatus();
             }));
    http.Get("/metrics",
             Handle("/metrics", [this](const httplib::Request&, httplib::Response& res) {
               std::string text = metrics.Text();
               if (replica != nullptr) {
                 text += ReplicaText(replica->stats());
               } else {
                 text += StateText(store->ApproximateSizeBytes(),
                                   features->online_cache_stats()) +
                         ServedLogText(features->served_log_stats());
               }
               if (buffered != nullptr) text += ConnectionText(buffered->Counts());
               text += drift_gauges.Text();
               res.set_content(std::move(text), "text/plain; version=0.0.4");
               return absl::OkStatus();
             }));
  }

  // Requests httplib refused before routing, and exceptions: a JSON error.
  void AnswerRefusedRequests(httplib::Server& http) {
    http.set_error_handler(httplib::Server::HandlerWithResponse(
        [this](const httplib::Request& req, httplib::Response& res) {
          // httplib refused this request before routing (malformed, or a bad Range):
          // it is timed from here, not from the previous request's start.
          if (!current_request.started) BeginRequest();
          // httplib 0.11 would cut the client's Range out of the error body (a 416
          // would have none). `req` is process_request's own non-const Request.
          const_cast<httplib::Request&>(req).ranges.clear();
          if (!res.body.empty() || res.content_provider_) {
            return httplib::Server::HandlerResponse::Unhandled;
          }
          absl::Status error = DefaultError(req, res, options.max_body_bytes);
          if (replica != nullptr && res.status == 404) {
            error = absl::NotFoundError(absl::StrCat(
                "no route ", req.method, " ", req.path, " on an online-only replica: it "
                "serves POST /get-online-features and /v1/online-features; its primary ",
                options.primary, " serves the rest"));
          }
          res.set_content(ErrorJson(error.code(), error.message()), kJson);
          // After a request that could not be parsed, or whose body was too large
          // to read, the connection's next bytes are not a request.
          if (res.status == 400 || res.status == 413) CloseAfterAnswer(res);
          return httplib::Server::HandlerResponse::Handled;
        }));
    http.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
          WriteError(res, absl::InternalError("internal error"));
        });
  }

  // After each answer: the metrics and the access log.
  void LogEachRequest(httplib::Server& http) {
    http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
      const double seconds = std::chrono::duration<double>(
                                 std::chrono::steady_clock::now() - current_request.start)
                                 .count();
      const std::string& route = RouteLabel();
      const size_t out =
          req.method == "HEAD" ? 0 : res.body.size() + current_request.streamed_bytes;
      // Streaming routes read the body themselves: its length is the header's.
      size_t in = req.body.size();
      if (size_t length = 0;
          in == 0 && absl::SimpleAtoi(req.get_header_value("Content-Length"), &length)) {
        in = length;
      }
      metrics.Record(route, res.status, seconds, in, out);
      if (options.access_log) {
        // "-": a request line httplib could not parse.
        options.access_log(absl::StrCat(
            req.method.empty() ? "-" : req.method, " ", route, " ", res.status, " ",
            static_cast<int64_t>(seconds * 1e6), "us in=", in, " out=", out));
      }
      current_request.started = false;
      ResetRouteLabel();
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
  RETURN_IF_ERROR(CheckConnectionOptions(o));
  const bool tls = !o.tls_cert_file.empty() || !o.tls_key_file.empty();
  if (tls && (o.tls_cert_file.empty() || o.tls_key_file.empty())) {
    return absl::InvalidArgumentError(
        "TLS needs both a certificate and its key (--tls-cert and --tls-key)");
  }
  if (tls) {
    RETURN_IF_ERROR(CheckTlsFiles(o.tls_cert_file, o.tls_key_file));
    s.http = std::make_unique<httplib::SSLServer>(o.tls_cert_file.c_str(),
                                                  o.tls_key_file.c_str());
    if (!s.http->is_valid()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot serve TLS with the certificate ", o.tls_cert_file,
                       " and the key ", o.tls_key_file));
    }
  }
  const int threads =
      o.threads > 0
          ? o.threads
          : std::max(8, 4 * static_cast<int>(std::thread::hardware_concurrency()));
  if (!tls) {
    internal::ConnectionLimits limits;
    limits.threads = threads;
    limits.io_timeout = std::chrono::seconds(o.io_timeout_seconds);
    limits.header_timeout = std::chrono::seconds(o.header_timeout_seconds);
    limits.body_timeout = std::chrono::seconds(o.body_timeout_seconds);
    limits.max_connections = AllowedConnections(o.max_connections);
    limits.max_connections_per_address = o.max_connections_per_address;
    auto buffered = std::make_unique<internal::BufferedServer>(limits);
    s.buffered = buffered.get();
    s.http = std::move(buffered);
  }
  if (!o.tokens_file.empty()) RETURN_IF_ERROR(s.file_tokens.AddFile(o.tokens_file));
  RETURN_IF_ERROR(s.LoadTokens());
  s.authenticating = !s.tokens->empty();
  if (!s.authenticating && !IsLoopback(o.host) && !o.insecure_no_auth) {
    return absl::InvalidArgumentError(absl::StrCat(
        "refusing to listen on ", o.host,
        " without tokens; create one (strata token create), use a loopback address, "
        "or --insecure-no-auth"));
  }
  if (!o.primary.empty()) {
    OnlineReplicaOptions replica;
    replica.primary = o.primary;
    replica.token = o.primary_token;
    replica.ca_file = o.primary_ca_file;
    replica.online_store = o.online_store;
    ASSIGN_OR_RETURN(s.replica, OnlineReplica::Start(std::move(replica)));
  }
  features::FeatureStoreOptions fs_options;
  if (s.replica != nullptr) {
    // An online-only replica: no store, no FeatureStore.
  } else if (!o.online_store.empty()) {
    ASSIGN_OR_RETURN(bool changed, features::RecordOnlineStore(*s.store, o.online_store));
    (void)changed;
  }
  if (s.replica == nullptr) {
    fs_options.online_table = features::RecordedOnlineTable(*s.store);
    fs_options.online_cache_bytes = o.online_cache_bytes;
    fs_options.served_log = o.served_log;
    if (o.ingest_profiles) {
      fs_options.ingest_observers.push_back(quality::IngestProfiles(s.store));
    }
    s.features = std::make_unique<features::FeatureStore>(s.store, fs_options);
  }
  httplib::Server& http = *s.http;
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http.set_payload_max_length(o.max_body_bytes);
  // Also bounds a TLS handshake.
  http.set_read_timeout(o.io_timeout_seconds, 0);
  http.set_write_timeout(o.io_timeout_seconds, 0);
  http.set_keep_alive_timeout(o.io_timeout_seconds);
  http.set_keep_alive_max_count(1000000);
  http.set_tcp_nodelay(true);  // small responses go out at once, not after an ACK
  s.Routes();
  if (o.port == 0) {
    s.port = http.bind_to_any_port(o.host);
  } else {
    s.port = http.bind_to_port(o.host, o.port) ? o.port : -1;
  }
  if (s.port <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", o.host, ":", o.port,
                     " (in use, or not an address of this machine)"));
  }
  if (s.buffered != nullptr) return s.buffered->Serve();
  s.listener = std::thread([&http] { http.listen_after_bind(); });
  // Stop must find the listener running, or it would have nothing to stop.
  while (!http.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return absl::OkStatus();
}

int Server::port() const { return impl_->port; }

bool Server::authenticating() const { return impl_->authenticating; }

void Server::Stop() {
  if (impl_->buffered != nullptr) impl_->buffered->Stop();
  if (impl_->listener.joinable()) {
    impl_->http->stop();
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
    if (absl::Status s = fn(req, res); !s.ok()) {
      WriteError(res, s);
    } else if (res.content_provider_) {
      CountStreamedBytes(res);
    }
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
