// Kills a feature ingester with SIGKILL at random moments and checks after each
// crash that every acknowledged ingest is whole in the online table and the offline
// log, and that an ingest cut short is either wholly visible or not at all.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <random>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "features/feature_store.h"
#include "gtest/gtest.h"
#include "store/store.h"
#include "tests/subprocess.h"
#include "tests/testing.h"

namespace strata {
namespace {

struct Batch {
  uint64_t id = 0, rows = 0;
  bool acked = false;
};

int Iterations() { return testing::CrashIterations(8); }

// Rows of `b` present online.
uint64_t OnlineRows(features::FeatureStore& fs, const Batch& b) {
  uint64_t present = 0;
  for (uint64_t from = 0; from < b.rows; from += 10000) {
    features::EntityColumns cols = {{"id", {}}};
    for (uint64_t i = from; i < std::min(b.rows, from + 10000); ++i) {
      cols[0].second.emplace_back(static_cast<int64_t>(b.id * 1000000 + i));
    }
    auto r = fs.Online({"events:v"}, cols, 0);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return 0;
    for (const auto& v : r->values[0]) {
      present += v.status == features::FeatureStatus::kPresent;
    }
  }
  return present;
}

// Rows of a sample of `b` the offline log answers for.
uint64_t OfflineRows(features::FeatureStore& fs, const Batch& b, uint64_t sample) {
  std::string spine = "id,event_timestamp\n";
  for (uint64_t i = 0; i < sample; ++i) {
    const uint64_t row = i * b.rows / sample;
    absl::StrAppend(&spine, b.id * 1000000 + row, ",", 1000 + row, "\n");
  }
  features::HistoricalRequest request;
  request.features = {"events:v"};
  auto source = StringSource(spine);
  std::string out;
  auto sink = StringSink(&out);
  auto r = fs.Historical(request, *source, *sink);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? r->matched : 0;
}

TEST(FeatureCrashTest, IngestsAreAllOrNothingAndAcknowledgedOnesSurvive) {
  testing::ScratchDir dir;
  const std::string store_dir = dir.Sub("store");
  const uint64_t seed = testing::TestSeed();
  std::mt19937_64 rng(seed);
  std::vector<Batch> batches;
  for (int round = 0; round < Iterations(); ++round) {
    SCOPED_TRACE("round " + std::to_string(round) + " seed " + std::to_string(seed));
    std::vector<Batch> started;
    {
      testing::ChildProcess writer(
          {FEATURE_CRASH_WRITER, store_dir,
           std::to_string(seed * 1000 + static_cast<uint64_t>(round))});
      std::vector<std::string> lines;
      // Odd rounds first wait for an acknowledged ingest, so a loaded machine (or a
      // sanitizer build) still kills with acknowledged rows in the store.
      if (round % 2 == 1) {
        const auto has_ack = [&] {
          return std::any_of(lines.begin(), lines.end(),
                             [](const std::string& l) { return l.rfind("ACK", 0) == 0; });
        };
        const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(120);
        while (!has_ack() && std::chrono::steady_clock::now() < limit &&
               writer.ReadLinesUntil(
                   std::chrono::steady_clock::now() + std::chrono::milliseconds(100),
                   &lines)) {
        }
        ASSERT_TRUE(has_ack()) << "no acknowledged ingest within 120 s";
      }
      const auto kill_at = std::chrono::steady_clock::now() +
                           std::chrono::milliseconds(200 + rng() % 1500);
      ASSERT_TRUE(writer.ReadLinesUntil(kill_at, &lines)) << "the writer exited";
      writer.Kill(&lines);
      for (const auto& line : lines) {
        std::istringstream in(line);
        std::string tag;
        Batch b;
        in >> tag >> b.id >> b.rows;
        if (tag == "START") started.push_back(b);
        if (tag == "ACK") {
          ASSERT_FALSE(started.empty());
          started.back().acked = true;
        }
      }
    }
    StoreOptions options;
    auto store = Store::Open(store_dir, options);
    if (absl::IsNotFound(store.status())) continue;
    ASSERT_TRUE(store.ok()) << store.status();
    features::FeatureStore fs(store->get());
    batches.insert(batches.end(), started.begin(), started.end());
    for (const Batch& b : batches) {
      const uint64_t online = OnlineRows(fs, b);
      const uint64_t sample = std::min<uint64_t>(b.rows, 50);
      const uint64_t offline = OfflineRows(fs, b, sample);
      if (b.acked) {
        EXPECT_EQ(online, b.rows) << "acknowledged batch " << b.id;
        EXPECT_EQ(offline, sample) << "acknowledged batch " << b.id;
      } else {
        EXPECT_TRUE(online == 0 || online == b.rows)
            << "batch " << b.id << ": " << online;
        EXPECT_EQ(offline, online == 0 ? 0 : sample) << "batch " << b.id;
      }
    }
  }
  uint64_t acked = 0;
  for (const Batch& b : batches) acked += b.acked;
  std::cerr << "feature crash rounds: " << Iterations() << ", batches: " << batches.size()
            << ", acknowledged: " << acked
            << ", killed mid-ingest: " << batches.size() - acked << "\n";
  EXPECT_GT(acked, 0u);
}

}  // namespace
}  // namespace strata
