// http_load: a closed-loop load generator for online lookups (issue 4), against
// `strata serve` (Feast's POST /get-online-features over keep-alive connections, in
// JSON or, with --protobuf, in api/online.proto's messages both ways) or Redis (one
// hash per entity, one field per feature, pipelined HMGET through hiredis). Each
// connection has its own thread and sends its next request when the last one is
// answered; latencies are per request, end to end.
//
// The HTTP client is a few lines over a socket rather than a library's: each request
// goes out in one send, each response is read into one reused buffer, and only its
// status and size are checked on the clock. The load generator shares the machine's
// CPUs with the server, so what it spends is taken from the server. One response in
// 16 per connection is also checked in full (every status PRESENT), off the clock.
//
//   http_load --target strata|redis --port P [--also-port P2]... [--batch B]
//             [--connections C] [--seconds S] [--entities N] [--protobuf]
//                                             timed lookups of B random entities
//   http_load --target strata --port P --warm  every entity once (fills the cache)
//   http_load --target redis --port P --load   writes online_bench's rows to Redis
//
// With --healthz the timed requests are GET /healthz instead of lookups. With
// --idle N and --slow M (strata), N keep-alive connections that each made one
// request and M clients sending a request head a byte every 3 s (reconnecting when
// the server cuts them off) stay open during the timed run, as a model server's
// connection pool and slow or hostile clients would (bench/conn_bench.sh); a line
// on stderr says how many of the idle ones were answered and how many slow ones
// were cut off. A request unanswered for 10 s fails the run.
//
// Output, one line: target batch connections requests p50 p99 p99.9 (microseconds)
// entity-rows/s and the load generator's CPU use (percent of one CPU).
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "bench/profiles.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kFeatures = strata::bench::kProfileFeatures;

struct Args {
  std::string target = "strata";
  int port = 0;
  // With more servers (--also-port): connection t goes to port t mod their count,
  // --port being the first (replicas behind one load generator).
  std::vector<int> also_ports;
  int PortOf(int connection) const {
    const int n = 1 + static_cast<int>(also_ports.size());
    const int i = connection % n;
    return i == 0 ? port : also_ports[i - 1];
  }
  int batch = 1;
  int connections = 4;
  double seconds = 10;
  uint64_t entities = 1000000;
  bool protobuf = false;
  bool healthz = false;
  int idle = 0, slow = 0;
};

constexpr absl::string_view kHealthz = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

// A TCP connection to 127.0.0.1:`port` (-1 when it fails).
int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd >= 0 &&
      connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// One keep-alive HTTP/1.1 connection to 127.0.0.1.
class HttpConnection {
 public:
  explicit HttpConnection(int port) : fd_(Connect(port)) {
    const int one = 1;
    const timeval answer_within{10, 0};
    if (fd_ < 0 || setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
        setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &answer_within, sizeof(answer_within)) !=
            0) {
      Close();
    }
  }
  ~HttpConnection() { Close(); }
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sends `request` (its headers and body, in one send) and reads the response.
  // Returns its status, or 0 when the connection failed or the response is not one.
  int RoundTrip(absl::string_view request) {
    if (fd_ < 0) return 0;
    for (size_t sent = 0; sent < request.size();) {
      const ssize_t n = send(fd_, request.data() + sent, request.size() - sent, 0);
      if (n <= 0) return Fail();
      sent += static_cast<size_t>(n);
    }
    // Headers, then exactly Content-Length bytes of body.
    size_t have = 0, header_end = 0, total = 0;
    int status = 0;
    if (buf_.size() < 64 * 1024) buf_.resize(64 * 1024);
    while (total == 0 || have < total) {
      if (have == buf_.size()) buf_.resize(buf_.size() * 2);
      const ssize_t n = recv(fd_, buf_.data() + have, buf_.size() - have, 0);
      if (n <= 0) return Fail();
      have += static_cast<size_t>(n);
      if (total != 0) continue;
      const absl::string_view head(buf_.data(), have);
      header_end = head.find("\r\n\r\n");
      if (header_end == absl::string_view::npos) continue;
      header_end += 4;
      size_t length = 0;
      if (!ParseHead(head.substr(0, header_end), &status, &length)) return Fail();
      total = header_end + length;
      if (buf_.size() < total) buf_.resize(total);
    }
    if (have != total) return Fail();  // nothing may follow the answer
    body_ = absl::string_view(buf_.data() + header_end, total - header_end);
    return status;
  }
  // The last response's body; valid until the next RoundTrip.
  absl::string_view body() const { return body_; }
  bool ok() const { return fd_ >= 0; }

 private:
  // "HTTP/1.1 200 OK\r\n...Content-Length: N\r\n...".
  static bool ParseHead(absl::string_view head, int* status, size_t* length) {
    if (head.size() < 12 || !absl::StartsWith(head, "HTTP/1.1 ") ||
        !absl::SimpleAtoi(head.substr(9, 3), status)) {
      return false;
    }
    for (size_t line = head.find("\r\n"); line + 2 < head.size();) {
      const size_t next = head.find("\r\n", line + 2);
      const absl::string_view header = head.substr(line + 2, next - line - 2);
      constexpr absl::string_view kName = "content-length:";
      if (header.size() > kName.size() &&
          absl::EqualsIgnoreCase(header.substr(0, kName.size()), kName)) {
        return absl::SimpleAtoi(absl::StripAsciiWhitespace(header.substr(kName.size())),
                                length);
      }
      line = next;
    }
    return false;  // strata always sends Content-Length
  }
  int Fail() {
    Close();
    return 0;
  }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  int fd_;
  std::vector<char> buf_;
  absl::string_view body_;
};

// Protobuf wire format, for api/online.proto's messages: written and read by hand
// so that the load generator needs neither protoc's output nor the runtime.
void AppendVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}
void AppendLengthDelimited(std::string* out, int field, absl::string_view bytes) {
  AppendVarint(out, static_cast<uint64_t>(field) << 3 | 2);
  AppendVarint(out, bytes.size());
  out->append(bytes.data(), bytes.size());
}
bool ReadVarint(absl::string_view* in, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64 && !in->empty(); shift += 7) {
    const auto b = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    *v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (b < 0x80) return true;
  }
  return false;
}
// Calls fn(field, bytes) for each length-delimited field of `message`, skipping
// varints and fixed64s. False when the message is malformed or fn says so.
template <typename Fn>
bool ForEachLengthDelimited(absl::string_view message, Fn fn) {
  while (!message.empty()) {
    uint64_t tag, v;
    if (!ReadVarint(&message, &tag)) return false;
    switch (tag & 7) {
      case 0:
        if (!ReadVarint(&message, &v)) return false;
        break;
      case 1:
        if (message.size() < 8) return false;
        message.remove_prefix(8);
        break;
      case 2:
        if (!ReadVarint(&message, &v) || v > message.size()) return false;
        if (!fn(static_cast<int>(tag >> 3), message.substr(0, v))) return false;
        message.remove_prefix(v);
        break;
      default:
        return false;
    }
  }
  return true;
}

// One connection's lookups of all kFeatures features.
class StrataClient {
 public:
  StrataClient(int port, bool protobuf, bool healthz = false)
      : connection_(port), protobuf_(protobuf), healthz_(healthz) {
    for (int f = 0; f < kFeatures; ++f) {
      const std::string name = absl::StrCat("user_profile:f", f);
      if (protobuf_) {
        AppendLengthDelimited(&features_, 1, name);  // GetOnlineFeaturesRequest.features
      } else {
        absl::StrAppend(&features_, f ? "," : "", "\"", name, "\"");
      }
    }
  }
  bool ok() const { return connection_.ok(); }

  // False on a failed answer: not 200, or shorter than kFeatures values per entity
  // can be (a double, its status and event time take at least 17 bytes in protobuf,
  // 30 in JSON).
  bool Lookup(const std::vector<uint64_t>& ids) {
    if (healthz_) return connection_.RoundTrip(kHealthz) == 200;
    body_.clear();
    if (protobuf_) {
      // GetOnlineFeaturesRequest{features, entities: [EntityColumn{join_key:
      // "user_id", values: EntityValues{values: [EntityValue{int64_value}]}}]}
      values_.clear();
      for (const uint64_t id : ids) {
        value_.clear();
        AppendVarint(&value_, 1 << 3 | 0);  // EntityValue.int64_value
        AppendVarint(&value_, id);
        AppendLengthDelimited(&values_, 1, value_);  // EntityValues.values
      }
      column_.clear();
      AppendLengthDelimited(&column_, 1, "user_id");  // EntityColumn.join_key
      AppendLengthDelimited(&column_, 2, values_);    // EntityColumn.values
      body_ = features_;
      AppendLengthDelimited(&body_, 2, column_);  // GetOnlineFeaturesRequest.entities
    } else {
      absl::StrAppend(&body_, "{\"features\":[", features_,
                      "],\"entities\":{\"user_id\":[");
      for (size_t i = 0; i < ids.size(); ++i) {
        absl::StrAppend(&body_, i ? "," : "", ids[i]);
      }
      body_ += "]}}";
    }
    const char* type = protobuf_ ? "application/x-protobuf" : "application/json";
    request_.clear();
    absl::StrAppend(&request_,
                    "POST /get-online-features HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    "Content-Type: ",
                    type, "\r\nAccept: ", type, "\r\nContent-Length: ", body_.size(),
                    "\r\n\r\n", body_);
    return connection_.RoundTrip(request_) == 200 &&
           connection_.body().size() >= ids.size() * kFeatures * (protobuf_ ? 17 : 30);
  }

  // Whether every value of the last answer is PRESENT.
  bool AllPresent() const {
    const absl::string_view body = connection_.body();
    if (healthz_) return body == "{\"status\":\"ok\"}";
    if (!protobuf_) return body.find("NOT_FOUND") == absl::string_view::npos;
    // GetOnlineFeaturesResponse.results (2) -> FeatureVector.statuses (2), packed
    // varints: each must be PRESENT (1).
    int columns = 0;
    const bool ok = ForEachLengthDelimited(body, [&](int field, absl::string_view bytes) {
      if (field != 2) return true;
      ++columns;
      return ForEachLengthDelimited(bytes, [](int f, absl::string_view statuses) {
        return f != 2 || statuses.find_first_not_of('\x01') == absl::string_view::npos;
      });
    });
    return ok && columns == 1 + kFeatures;
  }

 private:
  HttpConnection connection_;
  bool protobuf_, healthz_;
  std::string features_, body_, request_, values_, value_, column_;
};

class RedisClient {
 public:
  explicit RedisClient(int port) : c_(redisConnect("127.0.0.1", port)) {
    args_.push_back("HMGET");
    args_.push_back("");
    for (int f = 0; f < kFeatures; ++f) args_.push_back(absl::StrCat("f", f));
  }
  ~RedisClient() {
    if (c_ != nullptr) redisFree(c_);
  }
  bool ok() const { return c_ != nullptr && c_->err == 0; }
  bool Lookup(const std::vector<uint64_t>& ids) {
    std::vector<const char*> argv(args_.size());
    std::vector<size_t> lens(args_.size());
    for (const uint64_t id : ids) {
      args_[1] = absl::StrCat("user:", id);
      for (size_t a = 0; a < args_.size(); ++a) {
        argv[a] = args_[a].data();
        lens[a] = args_[a].size();
      }
      if (redisAppendCommandArgv(c_, static_cast<int>(argv.size()), argv.data(),
                                 lens.data()) != REDIS_OK) {
        return false;
      }
    }
    bool good = true;
    for (size_t i = 0; i < ids.size(); ++i) {
      void* reply = nullptr;
      if (redisGetReply(c_, &reply) != REDIS_OK || reply == nullptr) return false;
      auto* r = static_cast<redisReply*>(reply);
      good = good && r->type == REDIS_REPLY_ARRAY && r->elements == kFeatures &&
             r->element[0]->type == REDIS_REPLY_STRING;
      freeReplyObject(r);
    }
    return good;
  }
  // hiredis has parsed every reply already.
  bool AllPresent() const { return true; }
  redisContext* raw() { return c_; }

 private:
  redisContext* c_;
  std::vector<std::string> args_;
};

// Writes online_bench's rows (bench/profiles.h: the same values) as hashes.
int LoadRedis(const Args& a) {
  RedisClient c(a.port);
  if (!c.ok()) {
    std::fprintf(stderr, "error: cannot connect to redis on port %d\n", a.port);
    return 1;
  }
  uint64_t state = 42;
  int64_t event;
  std::vector<std::string> values, args;
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  uint64_t pending = 0;
  const auto drain = [&] {
    for (; pending > 0; --pending) {
      void* reply = nullptr;
      if (redisGetReply(c.raw(), &reply) != REDIS_OK) return false;
      freeReplyObject(reply);
    }
    return true;
  };
  for (uint64_t e = 0; e < a.entities; ++e) {
    strata::bench::NextProfile(&state, &event, &values);
    args.assign({"HSET", absl::StrCat("user:", e)});
    for (int f = 0; f < kFeatures; ++f) {
      args.push_back(absl::StrCat("f", f));
      args.push_back(values[f]);
    }
    argv.clear();
    lens.clear();
    for (const auto& x : args) {
      argv.push_back(x.data());
      lens.push_back(x.size());
    }
    redisAppendCommandArgv(c.raw(), static_cast<int>(argv.size()), argv.data(),
                           lens.data());
    if (++pending == 1000 && !drain()) return 1;
  }
  if (!drain()) return 1;
  std::printf("loaded %llu hashes of %d fields into redis\n",
              static_cast<unsigned long long>(a.entities), kFeatures);
  return 0;
}

int Warm(const Args& a) {
  StrataClient c(a.port, /*protobuf=*/true);
  std::vector<uint64_t> ids;
  for (uint64_t e = 0; e < a.entities; e += ids.size()) {
    ids.clear();
    for (uint64_t i = e; i < std::min(a.entities, e + 1000); ++i) ids.push_back(i);
    if (!c.Lookup(ids) || !c.AllPresent()) {
      std::fprintf(stderr, "error: warm-up lookup failed at entity %llu\n",
                   static_cast<unsigned long long>(e));
      return 1;
    }
  }
  return 0;
}

// The idle and slow connections open during a timed run (see the top).
class BackgroundConnections {
 public:
  BackgroundConnections(int port, int idle, int slow) : port_(port) {
    // Every idle connection's request out first, then their answers: a server
    // whose threads they hold answers only some.
    for (int i = 0; i < idle; ++i) {
      const int fd = Connect(port);
      if (fd >= 0 && send(fd, kHealthz.data(), kHealthz.size(), MSG_NOSIGNAL) > 0) {
        idle_.push_back(fd);
      } else if (fd >= 0) {
        close(fd);
      }
    }
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    std::vector<pollfd> waiting;
    for (const int fd : idle_) waiting.push_back({fd, POLLIN, 0});
    while (!waiting.empty() && Clock::now() < deadline) {
      if (poll(waiting.data(), waiting.size(), 100) <= 0) continue;
      char buf[4096];
      for (auto& p : waiting) {
        // The answer is small: its first bytes are all of it.
        if ((p.revents & POLLIN) && recv(p.fd, buf, sizeof(buf), 0) > 0) ++answered_;
        if (p.revents != 0) p.fd = -1;
      }
      std::erase_if(waiting, [](const pollfd& p) { return p.fd < 0; });
    }
    slow_.assign(slow, Slow{});
    if (slow > 0) trickler_ = std::thread([this] { Trickle(); });
  }
  ~BackgroundConnections() {
    done_ = true;
    if (trickler_.joinable()) trickler_.join();
    for (const int fd : idle_) close(fd);
    for (const Slow& s : slow_) {
      if (s.fd >= 0) close(s.fd);
    }
  }
  void Report() const {
    if (idle_.empty() && slow_.empty()) return;
    std::fprintf(stderr,
                 "background: %zu idle keep-alive connections (%d answered within "
                 "10 s), %zu slow (cut off and reopened %d times)\n",
                 idle_.size(), answered_, slow_.size(), cut_off_.load());
  }

 private:
  struct Slow {
    int fd = -1;
    size_t sent = 0;
  };
  // A byte of each slow connection's head every 3 s; a connection the server
  // closed opens again.
  void Trickle() {
    const std::string head =
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + std::string(1000, 'a');
    while (!done_) {
      for (Slow& s : slow_) {
        char buf[512];
        if (s.fd >= 0 && recv(s.fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0) {
          close(s.fd);  // answered (408) or closed: cut off
          s.fd = -1;
          ++cut_off_;
        }
        if (s.fd < 0) s = Slow{Connect(port_), 0};
        if (s.fd >= 0 &&
            send(s.fd, head.data() + s.sent % head.size(), 1, MSG_NOSIGNAL) == 1) {
          ++s.sent;
        }
      }
      for (int i = 0; i < 30 && !done_; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  }

  const int port_;
  std::vector<int> idle_;
  int answered_ = 0;
  std::vector<Slow> slow_;
  std::atomic<int> cut_off_{0};
  std::atomic<bool> done_{false};
  std::thread trickler_;
};

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

template <typename Client, typename... ClientArgs>
int Run(const Args& a, const std::string& label, ClientArgs... client_args) {
  std::vector<std::vector<double>> latencies(a.connections);
  std::atomic<uint64_t> failures{0}, checked{0};
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(a.seconds));
  const double cpu0 = CpuSeconds();
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < a.connections; ++t) {
    threads.emplace_back([&, t] {
      Client c(a.PortOf(t), client_args...);
      if (!c.ok()) {
        ++failures;
        return;
      }
      latencies[t].reserve(1 << 20);
      uint64_t state = 1000 + t;
      std::vector<uint64_t> ids(a.batch);
      for (uint64_t r = 0; Clock::now() < deadline; ++r) {
        for (auto& id : ids) id = strata::bench::SplitMix64(&state) % a.entities;
        const auto t0 = Clock::now();
        const bool ok = c.Lookup(ids);
        const auto t1 = Clock::now();
        if (!ok) {
          ++failures;
          if (!c.ok()) return;
          continue;
        }
        latencies[t].push_back(
            std::chrono::duration<double, std::micro>(t1 - t0).count());
        if (r % 16 == 0) {
          ++checked;
          if (!c.AllPresent()) ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu = (CpuSeconds() - cpu0) / seconds * 100;
  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  if (all.empty() || failures > 0) {
    std::fprintf(stderr, "error: %llu failed requests of %zu (%llu checked in full)\n",
                 static_cast<unsigned long long>(failures.load()), all.size(),
                 static_cast<unsigned long long>(checked.load()));
    return 1;
  }
  std::sort(all.begin(), all.end());
  const auto q = [&](double p) { return all[static_cast<size_t>(p * (all.size() - 1))]; };
  std::printf("%s %d %d %zu %.1f %.1f %.1f %.0f %.0f\n", label.c_str(), a.batch,
              a.connections, all.size(), q(0.5), q(0.99), q(0.999),
              static_cast<double>(all.size()) * a.batch / seconds, cpu);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("closed-loop online lookups against strata serve or redis");
  Args a;
  bool warm = false, load = false;
  app.add_option("--target", a.target, "strata or redis")
      ->check(CLI::IsMember({"strata", "redis"}));
  app.add_option("--port", a.port, "The server's port on 127.0.0.1")->required();
  app.add_option("--also-port", a.also_ports,
                 "More servers of the same rows: connections go round the ports");
  app.add_option("--batch", a.batch, "Entities per request")->check(CLI::Range(1, 10000));
  app.add_option("--connections", a.connections, "Connections, one thread each")
      ->check(CLI::Range(1, 1024));
  app.add_option("--seconds", a.seconds, "Duration");
  app.add_option("--entities", a.entities, "Entities in the view (ids 0..N-1)");
  app.add_flag("--protobuf", a.protobuf,
               "strata: protobuf request and response (api/online.proto), not JSON");
  app.add_flag("--healthz", a.healthz, "strata: GET /healthz instead of lookups");
  app.add_option("--idle", a.idle, "strata: idle keep-alive connections kept open")
      ->check(CLI::Range(0, 100000));
  app.add_option("--slow", a.slow, "strata: clients sending a byte every 3 s")
      ->check(CLI::Range(0, 10000));
  app.add_flag("--warm", warm, "strata: look every entity up once");
  app.add_flag("--load", load, "redis: write the rows");
  CLI11_PARSE(app, argc, argv);
  if (load) return LoadRedis(a);
  if (warm) return Warm(a);
  if (a.target == "redis") return Run<RedisClient>(a, "redis");
  BackgroundConnections background(a.port, a.idle, a.slow);
  background.Report();
  const std::string label =
      a.healthz ? "strata-healthz" : (a.protobuf ? "strata-proto" : "strata-json");
  const int code = Run<StrataClient>(a, label, a.protobuf, a.healthz);
  background.Report();
  return code;
}
