#include "fuzz/harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/server.h"
#include "features/definitions.h"

namespace strata::fuzz {
namespace {

// The example view of tests/testing.h (the fuzz build has no test library).
constexpr absl::string_view kDefinitions = R"(entities:
  - name: customer
    join_keys:
      - {name: customer_id, type: int64}
feature_views:
  - name: customer_stats
    entities: [customer]
    ttl: 7d
    features:
      - {name: spend_7d, type: double}
      - {name: segment, type: string}
)";

constexpr absl::string_view kRows =
    "customer_id,event_timestamp,spend_7d,segment\n"
    "1,2024-01-01T00:00:00Z,3.5,gold\n"
    "2,2024-01-02T00:00:00Z,,silver\n"
    "3,1704240000,1e3,\"a, \"\"quoted\"\"\r\nvalue\"\n";

void Die(absl::string_view what) {
  std::fprintf(stderr, "fuzz: %.*s\n", static_cast<int>(what.size()), what.data());
  std::fflush(stderr);
  std::abort();
}

struct Shared {
  std::string dir;
  std::unique_ptr<Store> store;
  std::unique_ptr<features::FeatureStore> features;
  std::unique_ptr<api::Server> server;
  int port = 0;
  uint64_t exchanges = 0;

  Shared() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = absl::StrCat(tmp && *tmp ? tmp : "/tmp", "/strata-fuzz-XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) Die("mkdtemp failed");
    dir = pattern;
    StoreOptions store_options;
    store_options.create_if_missing = true;
    store_options.sync = false;  // a crashed fuzz run's store is thrown away
    auto opened = Store::Open(dir + "/store", store_options);
    if (!opened.ok()) Die(opened.status().ToString());
    store = std::move(*opened);
    features = std::make_unique<features::FeatureStore>(store.get());
    auto defs = features::ParseDefinitions(kDefinitions, "defs");
    if (!defs.ok()) Die(defs.status().ToString());
    if (auto s = features->registry().Apply(*defs, "fuzz", ""); !s.ok()) {
      Die(s.status().ToString());
    }
    const std::string rows = dir + "/rows.csv";
    std::ofstream(rows) << kRows;
    auto ingested = features->Ingest("customer_stats", rows, {.creator = "fuzz"});
    if (!ingested.ok()) Die(ingested.status().ToString());
  }
  ~Shared() {
    if (server) server->Stop();
    server.reset();
    features.reset();
    store.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }

  void StartServer() {
    const std::string tokens = dir + "/tokens";
    std::ofstream(tokens) << "admin " << kAdminToken << "\n";
    api::ServerOptions options;
    options.port = 0;
    options.max_body_bytes = 1 << 20;
    options.io_timeout_seconds = 2;
    options.tokens_file = tokens;
    server = std::make_unique<api::Server>(store.get(), options);
    if (auto s = server->Start(); !s.ok()) Die(s.ToString());
    port = server->port();
  }
};

Shared& Get() {
  static Shared* shared = new Shared;  // deleted by the atexit hook below
  static const bool registered = [] {
    std::atexit([] { delete &Get(); });
    return true;
  }();
  (void)registered;
  return *shared;
}

std::string RawExchange(int port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) Die("socket failed");
  timeval timeout{15, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  // Closed with a reset: thousands of exchanges leave no TIME_WAIT sockets behind.
  linger reset{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
  // Each connection from the next of 65,534 loopback addresses (127.1.0.1 up): the
  // server closes first, so its side keeps each (address, port) pair in TIME_WAIT
  // for a minute, and thousands of exchanges a second from one address would use
  // up the ephemeral ports.
  static uint32_t next_source = 0;
  sockaddr_in source{};
  source.sin_family = AF_INET;
  source.sin_addr.s_addr = htonl((127u << 24) | (1u << 16) | (1 + next_source++ % 65534));
  bind(fd, reinterpret_cast<sockaddr*>(&source), sizeof(source));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int error = errno;
    close(fd);
    Die(absl::StrCat("cannot connect to the server: ", std::strerror(error)));
  }
  for (size_t sent = 0; sent < request.size();) {
    const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer and close before reading it all
    sent += static_cast<size_t>(n);
  }
  shutdown(fd, SHUT_WR);
  std::string answer;
  char buf[16 << 10];
  for (ssize_t n; (n = recv(fd, buf, sizeof(buf), 0)) > 0;) answer.append(buf, n);
  close(fd);
  return answer;
}

}  // namespace

void Check(bool ok, absl::string_view what) {
  if (!ok) Die(what);
}

Store& SharedStore() { return *Get().store; }
features::FeatureStore& SharedFeatures() { return *Get().features; }
const std::string& ScratchDir() { return Get().dir; }

int FirstStatus(absl::string_view answer) {
  // "HTTP/1.1 200 OK"
  if (!absl::StartsWith(answer, "HTTP/1.") || answer.size() < 12) return 0;
  int status = 0;
  return absl::SimpleAtoi(answer.substr(9, 3), &status) ? status : 0;
}

std::string Request(absl::string_view method, absl::string_view target,
                    absl::string_view content_type, absl::string_view body) {
  return absl::StrCat(method, " ", target,
                      " HTTP/1.1\r\nHost: fuzz\r\nAuthorization: Bearer ", kAdminToken,
                      "\r\nContent-Type: ", content_type,
                      "\r\nContent-Length: ", body.size(), "\r\nConnection: close\r\n\r\n",
                      body);
}

std::string Exchange(const std::string& request) {
  Shared& shared = Get();
  if (!shared.server) shared.StartServer();
  std::string answer = RawExchange(shared.port, request);
  static const bool verbose = std::getenv("STRATA_FUZZ_VERBOSE") != nullptr;
  if (verbose) {
    std::fprintf(stderr, "%s -> %s\n", request.substr(0, request.find('\r')).c_str(),
                 answer.substr(0, std::min<size_t>(answer.size(), 300)).c_str());
  }
  // The first response (later pipelined ones could hold any bytes in a body).
  if (FirstStatus(answer) >= 500) {
    Die(absl::StrCat("the server answered: ", absl::string_view(answer).substr(0, 600)));
  }
  if (++shared.exchanges % 256 == 0) {
    const std::string health = RawExchange(
        shared.port, "GET /healthz HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n");
    if (FirstStatus(health) != 200) Die("the server no longer answers /healthz");
  }
  return answer;
}

}  // namespace strata::fuzz
