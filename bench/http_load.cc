// http_load: a closed-loop load generator for online lookups (issue 4), against
// `strata serve` (Feast's POST /get-online-features, keep-alive connections) or
// Redis (one hash per entity, one field per feature, pipelined HMGET through
// hiredis). Each connection has its own thread and sends its next request when the
// last one is answered; latencies are per request, end to end.
//
//   http_load --target strata|redis --port P [--batch B] [--connections C]
//             [--seconds S] [--entities N]    timed lookups of B random entities
//   http_load --target strata --port P --warm  every entity once (fills the cache)
//   http_load --target redis --port P --load   writes online_bench's rows to Redis
#include <hiredis/hiredis.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "bench/profiles.h"
#include "httplib.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kFeatures = strata::bench::kProfileFeatures;

struct Args {
  std::string target = "strata";
  int port = 0;
  int batch = 1;
  int connections = 4;
  double seconds = 10;
  uint64_t entities = 1000000;
};

std::string FeaturesJson() {
  std::string s = "[";
  for (int f = 0; f < kFeatures; ++f)
    absl::StrAppend(&s, f ? "," : "", "\"user_profile:f", f, "\"");
  return s + "]";
}

// One connection's lookups.
class StrataClient {
 public:
  explicit StrataClient(int port)
      : client_("127.0.0.1", port), features_(FeaturesJson()) {
    client_.set_keep_alive(true);
    client_.set_tcp_nodelay(true);
  }
  // False on a failed or wrong answer.
  bool Lookup(const std::vector<uint64_t>& ids) {
    std::string body =
        absl::StrCat("{\"features\":", features_, ",\"entities\":{\"user_id\":[");
    for (size_t i = 0; i < ids.size(); ++i) absl::StrAppend(&body, i ? "," : "", ids[i]);
    body += "]}}";
    auto r = client_.Post("/get-online-features", body, "application/json");
    return r && r->status == 200 && r->body.find("NOT_FOUND") == std::string::npos;
  }

 private:
  httplib::Client client_;
  std::string features_;
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
  StrataClient c(a.port);
  std::vector<uint64_t> ids;
  for (uint64_t e = 0; e < a.entities; e += ids.size()) {
    ids.clear();
    for (uint64_t i = e; i < std::min(a.entities, e + 1000); ++i) ids.push_back(i);
    if (!c.Lookup(ids)) {
      std::fprintf(stderr, "error: warm-up lookup failed at entity %llu\n",
                   static_cast<unsigned long long>(e));
      return 1;
    }
  }
  return 0;
}

template <typename Client>
int Run(const Args& a) {
  std::vector<std::vector<double>> latencies(a.connections);
  std::atomic<uint64_t> failures{0};
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(a.seconds));
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < a.connections; ++t) {
    threads.emplace_back([&, t] {
      Client c(a.port);
      uint64_t state = 1000 + t;
      std::vector<uint64_t> ids(a.batch);
      while (Clock::now() < deadline) {
        for (auto& id : ids) id = strata::bench::SplitMix64(&state) % a.entities;
        const auto t0 = Clock::now();
        const bool ok = c.Lookup(ids);
        const auto t1 = Clock::now();
        if (!ok) {
          ++failures;
          continue;
        }
        latencies[t].push_back(
            std::chrono::duration<double, std::micro>(t1 - t0).count());
      }
    });
  }
  for (auto& th : threads) th.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  if (all.empty() || failures > 0) {
    std::fprintf(stderr, "error: %llu failed requests of %zu\n",
                 static_cast<unsigned long long>(failures.load()), all.size());
    return 1;
  }
  std::sort(all.begin(), all.end());
  const auto q = [&](double p) { return all[static_cast<size_t>(p * (all.size() - 1))]; };
  // One line: target batch connections requests p50 p99 p99.9 entity-rows/s
  std::printf("%s %d %d %zu %.1f %.1f %.1f %.0f\n", a.target.c_str(), a.batch,
              a.connections, all.size(), q(0.5), q(0.99), q(0.999),
              static_cast<double>(all.size()) * a.batch / seconds);
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
  app.add_option("--batch", a.batch, "Entities per request");
  app.add_option("--connections", a.connections, "Connections, one thread each");
  app.add_option("--seconds", a.seconds, "Duration");
  app.add_option("--entities", a.entities, "Entities in the view (ids 0..N-1)");
  app.add_flag("--warm", warm, "strata: look every entity up once");
  app.add_flag("--load", load, "redis: write the rows");
  CLI11_PARSE(app, argc, argv);
  if (load) return LoadRedis(a);
  if (warm) return Warm(a);
  return a.target == "redis" ? Run<RedisClient>(a) : Run<StrataClient>(a);
}
