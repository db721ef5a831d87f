// strata's HTTP API (docs/http-api.md): one server for model servers (online
// features), training jobs and the command line, on cpp-httplib.
//
// Routes: artifacts and their content, aliases, lineage, runs, the chunk protocol,
// tokens, features (apply, ingest, historical, reproduce, push), Feast's
// POST /get-online-features (also POST /v1/online-features), GET /healthz and
// GET /metrics (Prometheus text); over HTTPS when given a certificate. Every error
// is JSON, {"error":{"code":"INVALID_ARGUMENT","message":"..."}}, with a 4xx status
// for a caller's mistake and 5xx only for the server's own failures.
#ifndef STRATA_API_SERVER_H_
#define STRATA_API_SERVER_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "features/feature_store.h"
#include "store/store.h"

namespace strata::api {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (Server::port tells which)
  // Threads serving requests. Default 0: four per hardware thread, at least 8 (a
  // request may wait on the store or its client; over plain HTTP a connection
  // waiting for its next request holds no thread, over TLS it holds one).
  int threads = 0;
  // Largest request body; past it: 413. Default 64 MiB.
  size_t max_body_bytes = 64 << 20;
  // Most entities in one online request; past it: 413. Default 10,000.
  size_t max_online_entities = 10000;
  // Where the online table lives (features/online_store.h): a redis:// or
  // redis-cluster:// URL, or "embedded", recorded in the store before the server
  // starts (after connecting to it). Default empty: what the store records.
  std::string online_store;
  // Online rows kept in memory (FeatureStoreOptions::online_cache_bytes).
  // Default 256 MiB.
  size_t online_cache_bytes = 256 << 20;
  // A sample of the online answers kept in the store for skew checks
  // (FeatureStoreOptions::served_log). Default: none.
  features::ServedLogOptions served_log;
  // Whether each ingest stores a profile of its rows (quality/ingest_profile.h), for
  // `strata stats` of windows to merge. Default true; false saves its cost.
  bool ingest_profiles = true;
  // Most spine rows in one historical request; past it: 413. Default 10,000,000.
  size_t max_spine_rows = 10'000'000;
  // Longest CSV record or JSON line of an ingest body or spine, 1 byte to 1 GiB;
  // longer: 413 naming the line. Default 16 MiB.
  size_t max_record_bytes = size_t{16} << 20;
  // PEM files of the certificate (chain, leaf first) and its unencrypted private
  // key: with both, the server speaks HTTPS only (a plain-HTTP client gets no
  // answer). Default empty: plain HTTP. Start reads them once: a renewed
  // certificate needs a restart.
  std::string tls_cert_file, tls_key_file;
  // Seconds, 1..3600, allowed for each read of a request (and the TLS handshake) and
  // each write of a response; a keep-alive connection idle longer is closed. A
  // client that stalls mid-request is cut off after it. Default 30: shorter frees
  // connections (and over TLS, threads) from stalled clients sooner, longer
  // tolerates slower networks.
  int io_timeout_seconds = 30;
  // Plain HTTP only (TLS keeps a thread per connection and the I/O timeout):
  // Seconds, 1..3600, for a whole request head (request line and headers), from the
  // connection's accept or from the first byte of a kept-alive connection's next
  // request; a client slower gets 408 and is closed. Default 10: a head is one
  // packet for any ordinary client; shorter drops clients on a congested network.
  int header_timeout_seconds = 10;
  // Seconds, 1..86400, for a request body, plus one more per 64 KiB received (so a
  // large upload at a fair rate is never cut off); a client slower gets 408 (or an
  // error from the route reading it) and is closed. Default 60.
  int body_timeout_seconds = 60;
  // Most open connections, 1..1,000,000. At the cap a new connection closes the
  // longest-idle keep-alive connection, or gets 503 and is closed when none is
  // idle. Default 10,000 (raised to the open-file limit's need at Start; capped at
  // that limit less 256 when the hard limit is lower).
  size_t max_connections = 10000;
  // Most open connections from one client address, 1..1,000,000; past it a new
  // connection gets 429 and is closed. Default 2,000: one client (or a NAT) cannot
  // take more than a fifth of the default total; a load test from one machine may
  // need more.
  size_t max_connections_per_address = 2000;
  // A file of extra tokens, "SCOPE TOKEN" per line (TokenVerifier::AddFile), read
  // once by Start (a changed file needs a restart). With
  // these or tokens in the store at Start, every route but /healthz needs
  // "Authorization: Bearer TOKEN" (401 without a valid one, 403 with too small a
  // scope) until the server stops, even once every stored token is revoked; with
  // none at Start, requests need no token until a restart, and POST /v1/tokens is
  // refused (409).
  std::string tokens_file;
  // Allows serving without tokens on an address other than 127.0.0.0/8 (Start
  // refuses it otherwise). It never turns off the tokens there are. Default false.
  bool insecure_no_auth = false;
  // Where POST /v1/backups writes backups (Store::Backup), each in a directory
  // named by the request under this one. Empty (the default): the server takes no
  // backups.
  std::string backup_dir;
  // Called with one line per request (method, route, status, microseconds, bytes
  // in and out), from the serving threads. Null: no access log.
  std::function<void(const std::string&)> access_log;
  // An online-only replica (`strata serve --online-only --primary URL`;
  // api/online_replica.h): with a primary, the server is given no store (null) and
  // answers only get-online-features (both paths), /healthz and /metrics, from the
  // Redis the primary records (or `online_store`, another URL of it) and the
  // primary's catalog of views, re-read every second. Its own tokens come from
  // `tokens_file` only. Default empty: a server of its store.
  std::string primary;
  std::string primary_token;    // a read token for the primary
  std::string primary_ca_file;  // CA certificates for an https primary
};

class Server {
 public:
  // Serves `store`, which must outlive the server; null with options.primary.
  Server(Store* store, ServerOptions options);
  ~Server();  // Stop()s
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and serves on background threads. Call once.
  // Errors: InvalidArgument for a bad option: a port, a timeout or a connection cap
  // out of range, no tokens on a non-loopback host without insecure_no_auth,
  // only one of the TLS files, a TLS file that cannot be read, holds no PEM
  // certificate or unencrypted key, or a key that does not match the certificate
  // (each naming the file); Unavailable when the address cannot be bound; Internal
  // when the event loop cannot be created.
  absl::Status Start();
  // The port bound (after Start).
  int port() const;
  // Whether requests need a token: decided by Start (tokens in the store or the
  // tokens file), fixed until the server stops.
  bool authenticating() const;
  // Stops accepting connections, closes idle keep-alive connections (plain HTTP),
  // and returns once the requests in progress have been answered.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The HTTP status for an error: 400 InvalidArgument and OutOfRange, 401, 403, 404,
// 409 AlreadyExists, Aborted and FailedPrecondition, 413 ResourceExhausted, 501,
// 503, 504; 500 for the rest.
int HttpStatus(const absl::Status& status);

}  // namespace strata::api

#endif  // STRATA_API_SERVER_H_
