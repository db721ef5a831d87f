// FeatureLog: the row in force under each rule (TTL window, as-of, created cutoff,
// ties), and the cursors over a real log (ingest position, scans, windows, samples).
#include "features/feature_log.h"

#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "features/feature_store_testing.h"
#include "gtest/gtest.h"
#include "store/database.h"
#include "store/internal/db.h"

namespace strata::features {
namespace {

// A chunk of rows (event, created), given in the log's descending order.
std::string Chunk(const std::vector<std::pair<Micros, Micros>>& rows) {
  codec::LogChunkBuilder builder;
  for (const auto& [event, created] : rows) {
    builder.Add(event, created, absl::StrCat("row ", event, "/", created));
  }
  std::string out;
  builder.Finish(&out);
  return out;
}

// The row the lookup at `t` takes among `chunks` (each with its ingest), offered in
// order: "event/created@ingest", or "none".
std::string InForce(const std::vector<std::pair<std::string, uint64_t>>& chunks,
                    Micros t, Micros ttl, const LogVisibility& rules = {}) {
  RowInForce best;
  for (const auto& [value, ingest] : chunks) {
    codec::LogChunk chunk;
    EXPECT_TRUE(chunk.Parse(value));
    best.Offer(chunk, ingest, t, TtlWindowStart(t, ttl), rules);
  }
  if (!best.found) return "none";
  return absl::StrCat(best.event, "/", best.created, "@", best.ingest);
}

TEST(RowInForceTest, TakesTheLatestEventAtOrBeforeTheTime) {
  const std::string c = Chunk({{30, 30}, {20, 20}, {10, 10}});
  EXPECT_EQ(InForce({{c, 1}}, 25, 0), "20/20@1");
  EXPECT_EQ(InForce({{c, 1}}, 30, 0), "30/30@1");  // inclusive
  EXPECT_EQ(InForce({{c, 1}}, 9, 0), "none");
}

TEST(RowInForceTest, TtlBoundsTheWindowInclusively) {
  const std::string c = Chunk({{20, 20}});
  EXPECT_EQ(InForce({{c, 1}}, 25, 5), "20/20@1");
  EXPECT_EQ(InForce({{c, 1}}, 25, 4), "none");
  EXPECT_EQ(InForce({{c, 1}}, 25, 0), "20/20@1");  // 0: unbounded
  EXPECT_EQ(TtlWindowStart(INT64_MIN + 3, 5), INT64_MIN);
}

TEST(RowInForceTest, AsOfHidesRowsCreatedLater) {
  const std::string c = Chunk({{20, 50}, {20, 15}, {10, 5}});
  LogVisibility rules;
  EXPECT_EQ(InForce({{c, 1}}, 25, 0, rules), "20/50@1");
  rules.as_of = 40;
  EXPECT_EQ(InForce({{c, 1}}, 25, 0, rules), "20/15@1");
  rules.as_of = 10;
  EXPECT_EQ(InForce({{c, 1}}, 25, 0, rules), "10/5@1");
  rules.as_of = 4;
  EXPECT_EQ(InForce({{c, 1}}, 25, 0, rules), "none");
}

TEST(RowInForceTest, CreatedCutoffHidesRowsCreatedAfterTheLookup) {
  const std::string c = Chunk({{20, 30}, {10, 5}});
  LogVisibility rules;
  rules.created_cutoff = true;
  EXPECT_EQ(InForce({{c, 1}}, 25, 0, rules), "10/5@1");
  EXPECT_EQ(InForce({{c, 1}}, 30, 0, rules), "20/30@1");
}

TEST(RowInForceTest, TiesGoToTheLargerCreatedThenTheLaterIngest) {
  const std::string early = Chunk({{20, 20}});
  const std::string late = Chunk({{20, 25}});
  EXPECT_EQ(InForce({{early, 1}, {late, 2}}, 30, 0), "20/25@2");
  EXPECT_EQ(InForce({{late, 1}, {early, 2}}, 30, 0), "20/25@1");
  EXPECT_EQ(InForce({{early, 1}, {early, 3}, {early, 2}}, 30, 0), "20/20@3");
}

TEST(RowInForceTest, AnOlderChunkNeverReplacesANewerRow) {
  const std::string newer = Chunk({{20, 20}});
  const std::string older = Chunk({{15, 99}, {10, 10}});
  EXPECT_EQ(InForce({{newer, 1}, {older, 2}}, 30, 0), "20/20@1");
  EXPECT_EQ(InForce({{older, 2}, {newer, 1}}, 30, 0), "20/20@1");
}

TEST(RowInForceTest, OfferSaysWhichRowBecameTheRowInForce) {
  const std::string c = Chunk({{30, 30}, {20, 20}});
  codec::LogChunk chunk;
  ASSERT_TRUE(chunk.Parse(c));
  RowInForce best;
  EXPECT_EQ(best.Offer(chunk, 1, 25, INT64_MIN, {}), 1u);
  EXPECT_EQ(best.Offer(chunk, 1, 25, INT64_MIN, {}), SIZE_MAX);  // no better
}

class FeatureLogTest : public FeatureStoreFixture {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    ApplyDefinitions(kClicksDefinitions);
  }

  // Ingests rows "customer,event,created,x" (seconds); returns the ingest number.
  uint64_t Ingest(const std::string& rows) {
    const std::string path =
        WriteFile(absl::StrCat("in-", files_++, ".csv"),
                  "customer_id,event_timestamp,created_timestamp,x\n" + rows);
    auto r = fs_->Ingest("clicks", path, IngestOptions());
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->ingest : 0;
  }

  // The log of the view (the store's only one).
  std::unique_ptr<FeatureLog> Log() {
    auto c = DatabaseOf(*store_).Scan(internal::Cf::kFeatureLog, "");
    EXPECT_TRUE(c->Valid());
    const uint32_t id = c->Valid() ? static_cast<uint32_t>(codec::GetBE64(c->key().data()) >> 32)
                                   : 1;
    return std::make_unique<FeatureLog>(DatabaseOf(*store_), nullptr, id, "clicks");
  }

  std::string Entity(const FeatureLog& log, int64_t id) {
    std::string key = log.prefix();
    codec::AppendEntityPart(&key, Value(id));
    return key;
  }

  static Micros Sec(int64_t s) { return s * 1000000; }

  int files_ = 0;
};

TEST_F(FeatureLogTest, EntityChunksShowOnlyIngestsThePositionIncludes) {
  const uint64_t first = Ingest("1,10,10,1\n2,10,10,2\n");
  const uint64_t second = Ingest("1,20,20,3\n");
  auto log = Log();
  const auto events = [&](const IngestPosition& at, const std::vector<int64_t>& ids) {
    std::string out;
    auto chunks = log->Entities(at, {});
    for (int64_t id : ids) {
      chunks.Seek(Entity(*log, id));
      while (chunks.Next()) {
        absl::StrAppend(&out, id, ":", chunks.chunk().event(0) / 1000000, "@",
                        chunks.ingest(), " ");
      }
      EXPECT_TRUE(chunks.status().ok()) << chunks.status();
    }
    return out;
  };
  const std::string f = absl::StrCat(first), s = absl::StrCat(second);
  EXPECT_EQ(events({second, {}}, {1, 2}), "1:10@" + f + " 1:20@" + s + " 2:10@" + f + " ");
  EXPECT_EQ(events({second, {second}}, {1, 2}), "1:10@" + f + " 2:10@" + f + " ");
  EXPECT_EQ(events({first, {}}, {2, 1}), "2:10@" + f + " 1:10@" + f + " ");
  EXPECT_EQ(events({0, {}}, {1, 2}), "");
}

TEST_F(FeatureLogTest, ChunkScanVisitsEveryChunkAndSaysWhichAreVisible) {
  const uint64_t first = Ingest("1,10,10,1\n2,10,10,2\n");
  const uint64_t second = Ingest("1,20,20,3\n");
  auto log = Log();
  const IngestPosition at{second, {second}};
  auto scan = log->Chunks(at);
  std::vector<std::string> seen;
  while (scan.Next()) {
    EXPECT_EQ(scan.key().substr(0, scan.entity().size()), scan.entity());
    seen.push_back(absl::StrCat(scan.ingest(), scan.visible() ? " visible" : " hidden"));
  }
  ASSERT_TRUE(scan.status().ok()) << scan.status();
  EXPECT_GT(log->ApproximateBytes(), 0u);
  EXPECT_EQ(seen, (std::vector<std::string>{absl::StrCat(first, " visible"),
                                            absl::StrCat(second, " hidden"),
                                            absl::StrCat(first, " visible")}));
}

TEST_F(FeatureLogTest, ScanWindowGivesTheRowInForceAtEachEventTimeInTheWindow) {
  const uint64_t first = Ingest("1,10,10,1\n1,20,20,2\n1,30,30,3\n2,15,15,4\n");
  const uint64_t second = Ingest("1,20,25,5\n1,40,40,6\n");
  auto log = Log();
  const auto window = [&](Micros from, Micros to, LogVisibility rules) {
    std::string out;
    absl::Status s = log->ScanWindow(
        Sec(from), Sec(to), rules, [&](const FeatureLog::WindowRow& r) {
          absl::StrAppend(&out, r.entity == Entity(*log, 1) ? "1" : "2", ":",
                          r.stamp.event / 1000000, "/", r.stamp.created / 1000000, " ");
          return absl::OkStatus();
        });
    EXPECT_TRUE(s.ok()) << s;
    return out;
  };
  LogVisibility all;
  all.at = {second, {}};
  EXPECT_EQ(window(10, 40, all), "1:30/30 1:20/25 1:10/10 2:15/15 ");
  EXPECT_EQ(window(15, 21, all), "1:20/25 2:15/15 ");
  LogVisibility before = all;
  before.at = {first, {}};
  EXPECT_EQ(window(0, 100, before), "1:30/30 1:20/20 1:10/10 2:15/15 ");
  LogVisibility as_of = all;
  as_of.as_of = Sec(20);
  EXPECT_EQ(window(0, 100, as_of), "1:20/20 1:10/10 2:15/15 ");
  const absl::Status stop = log->ScanWindow(
      0, Sec(100), all, [](const FeatureLog::WindowRow&) {
        return absl::CancelledError("enough");
      });
  EXPECT_TRUE(absl::IsCancelled(stop)) << stop;
}

TEST_F(FeatureLogTest, SampleEntitiesGivesAllOrADrawOfDistinctOnes) {
  std::string rows;
  for (int id = 1; id <= 50; ++id) absl::StrAppend(&rows, id, ",10,10,", id, "\n");
  Ingest(rows);
  auto log = Log();
  std::mt19937_64 rng(7);
  auto all = log->SampleEntities(100, &rng);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 50u);
  EXPECT_TRUE(std::is_sorted(all->begin(), all->end()));
  EXPECT_EQ((*all)[0], Entity(*log, 1));
  auto some = log->SampleEntities(5, &rng);
  ASSERT_TRUE(some.ok()) << some.status();
  EXPECT_EQ(some->size(), 5u);
  for (const std::string& e : *some) {
    EXPECT_TRUE(std::binary_search(all->begin(), all->end(), e));
  }
}

}  // namespace
}  // namespace strata::features
