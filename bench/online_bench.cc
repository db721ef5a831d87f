// online_bench: in-process online lookups (FeatureStore::Online), the latency a
// model server embedding strata sees.
//
// Workload: one feature view of 50 double features over 1M int64 entities, one row
// each (ingested once, the store kept in --store for later runs). Batches of 1 and
// of 100 random entities; every batch asks for all 50 features. Latency of each call
// is measured with a steady clock after a warm-up pass over every entity.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "bench/profiles.h"
#include "features/definitions.h"
#include "features/feature_store.h"
#include "store/status_macros.h"

namespace {

using namespace strata;
using Clock = std::chrono::steady_clock;

constexpr int kFeatures = strata::bench::kProfileFeatures;

std::string Definitions() {
  std::string defs =
      "entities:\n  - name: user\n    join_keys: [{name: user_id, type: int64}]\n"
      "feature_views:\n  - name: user_profile\n    entities: [user]\n    ttl: 0\n"
      "    features:\n";
  for (int f = 0; f < kFeatures; ++f) {
    absl::StrAppend(&defs, "      - {name: f", f, ", type: double}\n");
  }
  return defs;
}

absl::Status Build(const std::string& dir, uint64_t entities) {
  StoreOptions options;
  options.create_if_missing = true;
  ASSIGN_OR_RETURN(auto store, Store::Open(dir + "/store", options));
  features::FeatureStore fs(store.get());
  ASSIGN_OR_RETURN(auto defs, features::ParseDefinitions(Definitions(), "online_bench"));
  RETURN_IF_ERROR(fs.registry().Apply(defs, "bench", "").status());
  const std::string csv = dir + "/profiles.csv";
  {
    std::ofstream out(csv, std::ios::binary);
    std::string line = "user_id,event_timestamp";
    for (int f = 0; f < kFeatures; ++f) absl::StrAppend(&line, ",f", f);
    out << line << "\n";
    uint64_t state = 42;
    int64_t event;
    std::vector<std::string> values;
    for (uint64_t e = 0; e < entities; ++e) {
      strata::bench::NextProfile(&state, &event, &values);
      line = absl::StrCat(e, ",", event);
      for (const std::string& v : values) absl::StrAppend(&line, ",", v);
      out << line << "\n";
    }
  }
  ASSIGN_OR_RETURN(auto ingested, fs.Ingest("user_profile", csv, {}));
  std::filesystem::remove(csv);
  std::printf("built: %llu entities ingested as %s\n",
              static_cast<unsigned long long>(ingested.rows),
              ingested.view_version.c_str());
  return absl::OkStatus();
}

struct Stats {
  double p50, p99, p999, mean;
};

Stats Summarize(std::vector<double>& us) {
  std::sort(us.begin(), us.end());
  double sum = 0;
  for (double u : us) sum += u;
  auto at = [&](double q) { return us[std::min(us.size() - 1, size_t(q * us.size()))]; };
  return {at(0.5), at(0.99), at(0.999), sum / us.size()};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("strata online lookup benchmark (in-process)");
  std::string dir = "bench/out/online";
  uint64_t entities = 1000000;
  int requests = 20000;
  app.add_option("--dir", dir, "Where the store is kept between runs");
  app.add_option("--entities", entities, "Entities in the view");
  app.add_option("--requests", requests, "Timed requests per batch size");
  double log_served = 0;
  app.add_option("--log-served", log_served,
                 "Fraction of answered entities kept in the served log (strata serve "
                 "--log-served); default 0: none");
  bool build_only = false;
  app.add_flag("--build-only", build_only,
               "Build the store (if it is not there) and stop: http_bench.sh serves it");
  CLI11_PARSE(app, argc, argv);

  const std::string marker = absl::StrCat(dir, "/built-", entities);
  if (!std::filesystem::exists(marker)) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    auto t0 = Clock::now();
    if (absl::Status s = Build(dir, entities); !s.ok()) {
      std::fprintf(stderr, "error: %s\n", std::string(s.message()).c_str());
      return 1;
    }
    std::printf("build took %.1f s\n",
                std::chrono::duration<double>(Clock::now() - t0).count());
    std::ofstream(marker) << "ok\n";
  }
  if (build_only) return 0;

  // A model server sizes its caches to hold its online table.
  StoreOptions options;
  options.block_cache_bytes = size_t{1} << 30;
  auto store = Store::Open(dir + "/store", options);
  if (!store.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(store.status().message()).c_str());
    return 1;
  }
  features::FeatureStoreOptions fs_options;
  fs_options.online_cache_bytes = size_t{1} << 30;
  fs_options.served_log.fraction = log_served;
  features::FeatureStore fs(store->get(), fs_options);
  std::vector<std::string> features;
  for (int f = 0; f < kFeatures; ++f)
    features.push_back(absl::StrCat("user_profile:f", f));
  const auto now = absl::ToUnixMicros(absl::Now());

  // Warm-up: every entity once, in batches of 1000.
  for (uint64_t e = 0; e < entities; e += 1000) {
    features::EntityColumns cols = {{"user_id", {}}};
    for (uint64_t i = e; i < std::min(entities, e + 1000); ++i) {
      cols[0].second.emplace_back(static_cast<int64_t>(i));
    }
    if (!fs.Online(features, cols, now).ok()) return 1;
  }
  // The warm-up's samples are written before the timed requests start.
  if (!fs.FlushServedLog().ok()) return 1;

  std::printf(
      "workload: 1 feature view x %d double features, %llu entities, random "
      "entities per request, %d requests per batch size, 1 GiB block cache, 1 GiB online "
      "cache, served log %g\n",
      kFeatures, static_cast<unsigned long long>(entities), requests, log_served);
  std::printf("%-8s %10s %10s %10s %10s %16s %12s\n", "batch", "p50 us", "p99 us",
              "p99.9 us", "mean us", "entity-rows/s", "target");
  std::mt19937_64 rng(7);
  for (int batch : {1, 100}) {
    std::vector<double> us;
    uint64_t present = 0, checked = 0;
    const auto start = Clock::now();
    for (int r = 0; r < requests; ++r) {
      features::EntityColumns cols = {{"user_id", {}}};
      const bool fixed = std::getenv("ONLINE_BENCH_FIXED") != nullptr;
      for (int i = 0; i < batch; ++i) {
        cols[0].second.emplace_back(static_cast<int64_t>(fixed ? i : rng() % entities));
      }
      const auto t0 = Clock::now();
      auto result = fs.Online(features, cols, now);
      const auto t1 = Clock::now();
      if (!result.ok()) {
        std::fprintf(stderr, "error: %s\n",
                     std::string(result.status().message()).c_str());
        return 1;
      }
      for (const auto& column : result->values) {
        for (const auto& v : column) {
          present += v.status == features::FeatureStatus::kPresent;
          ++checked;
        }
      }
      us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (std::getenv("ONLINE_BENCH_DIST") != nullptr) {
      std::vector<double> sorted = us;
      std::sort(sorted.begin(), sorted.end());
      for (double q : {0.5, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995}) {
        std::printf("  q%.3f %.1f us\n", q, sorted[size_t(q * sorted.size())]);
      }
    }
    const Stats s = Summarize(us);
    std::printf("%-8d %10.1f %10.1f %10.1f %10.1f %16.0f %12s\n", batch, s.p50, s.p99,
                s.p999, s.mean, requests * double(batch) / seconds,
                batch == 100 ? (s.p99 <= 100 ? "p99<=100: PASS" : "p99<=100: FAIL") : "");
    if (present != checked) {
      std::fprintf(stderr, "error: %llu of %llu values not PRESENT\n",
                   static_cast<unsigned long long>(checked - present),
                   static_cast<unsigned long long>(checked));
      return 1;
    }
  }
  if (log_served > 0) {
    if (absl::Status s = fs.FlushServedLog(); !s.ok()) {
      std::fprintf(stderr, "error: %s\n", std::string(s.message()).c_str());
      return 1;
    }
    const features::ServedLogStats served = fs.served_log_stats();
    std::printf("served log: %llu rows written, %llu dropped, %llu trimmed\n",
                static_cast<unsigned long long>(served.logged),
                static_cast<unsigned long long>(served.dropped),
                static_cast<unsigned long long>(served.trimmed));
  }
  return 0;
}
