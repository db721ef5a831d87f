#include "features/online_check.h"

#include <atomic>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "features/codec.h"
#include "features/definitions.h"
#include "features/feature_store.h"
#include "features/feature_store_testing.h"
#include "gtest/gtest.h"
#include "store/database.h"
#include "store/internal/db.h"
#include "tests/testing.h"

namespace strata::features {
namespace {

class OnlineCheckTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    auto defs = ParseDefinitions(kClicksDefinitions, "defs");
    ASSERT_TRUE(defs.ok()) << defs.status();
    fs_ = std::make_unique<FeatureStore>(store_.get());
    ASSERT_TRUE(fs_->registry().Apply(*defs, "test", "").ok());
    // Customer 1: two ingests; 2: an older row arriving later; 3: a newer row
    // pushed to the offline log only, and 4 one pushed online only.
    Ingest("1,10,10,1\n2,50,50,2\n3,10,10,3\n4,10,10,4\n", true);
    Ingest("1,20,20,5\n2,40,40,6\n", true);
    Ingest("3,90,90,7\n", false);
    RowColumns push = {{"customer_id", {Value(int64_t{4})}},
                       {"event_timestamp", {Value(int64_t{90'000'000})}},
                       {"x", {Value(int64_t{8})}}};
    ASSERT_TRUE(fs_->PushOnline("clicks", push, 100'000'000).ok());
  }

  void Ingest(const std::string& rows, bool online) {
    const std::string path = dir_.Sub(absl::StrCat("in-", files_++, ".csv"));
    std::ofstream(path) << "customer_id,event_timestamp,created_timestamp,x\n" << rows;
    IngestOptions options;
    options.update_online = online;
    auto r = fs_->Ingest("clicks", path, options);
    ASSERT_TRUE(r.ok()) << r.status();
  }

  // The online table's key of customer `id` (the only view).
  std::string OnlineKey(int64_t id) {
    std::string key;
    codec::PutBE32(&key, 1);
    codec::AppendEntityPart(&key, Value(id));
    return key;
  }

  void PutOnline(int64_t id, Micros event, Micros created, uint64_t ingest,
                 const std::string& row) {
    std::string value;
    codec::AppendOnlineHeader(&value, event, created, ingest);
    value += row;
    internal::Db& db = DatabaseOf(*store_);
    ASSERT_TRUE(db.raw()
                    ->Put(rocksdb::WriteOptions(), db.cf(internal::Cf::kFeatureOnline),
                          OnlineKey(id), value)
                    .ok());
  }

  void MergeOnline(int64_t id, Micros event) {
    MergeOnlineRowAt(*store_, 1, id, event);
  }

  // Customer `id`'s x online, with its event time; nullopt when not found.
  std::optional<std::pair<int64_t, Micros>> OnlineX(int64_t id, FeatureStore* fs = nullptr) {
    auto r = (fs != nullptr ? fs : fs_.get())
                 ->Online({"clicks:x"}, {{"customer_id", {Value(id)}}}, kNow);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok() || r->values[0].status(0) == FeatureStatus::kNotFound) return std::nullopt;
    return std::make_pair(std::get<int64_t>(r->values[0][0].value),
                          *r->values[0].event_time(0));
  }

  static constexpr Micros kNow = 100'000'000;

  std::unique_ptr<FeatureStore> fs_;
  int files_ = 0;
};

TEST_F(OnlineCheckTest, HealthyStoreHasNoProblems) {
  OnlineCheckOptions options;
  options.seed = 7;
  auto r = CheckOnlineAgainstLog(*store_, options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->seed, 7u);
  EXPECT_EQ(r->views, 1u);
  EXPECT_EQ(r->entities, 4u);
  EXPECT_EQ(r->online_only, 1u);  // customer 4's pushed row
  for (const auto& p : r->problems) ADD_FAILURE() << p.kind << ": " << p.detail;
}

TEST_F(OnlineCheckTest, ReportsAnOverwrittenOnlineRow) {
  // Customer 2's times (event 50 from ingest 1), another value.
  std::string row;
  const Value x(int64_t{99});
  codec::AppendRow(&row, {{0, &x}}, {VALUE_TYPE_INT64});
  PutOnline(2, 50'000'000, 50'000'000, 1, row);
  auto r = CheckOnlineAgainstLog(*store_, {});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->problems.size(), 1u);
  EXPECT_EQ(r->problems[0].kind, "online row differs");
  EXPECT_EQ(r->problems[0].view, "clicks");
  EXPECT_EQ(r->problems[0].entity, "customer_id=2");
  EXPECT_EQ(r->problems[0].versions, std::vector<std::string>{"featureview/clicks@1"});
  EXPECT_NE(r->problems[0].detail.find("feature view clicks entity customer_id=2"),
            std::string::npos);
}

TEST_F(OnlineCheckTest, ReportsStaleAndMissingRows) {
  std::string row;
  const Value x(int64_t{1});
  codec::AppendRow(&row, {{0, &x}}, {VALUE_TYPE_INT64});
  PutOnline(1, 10'000'000, 10'000'000, 1, row);  // ingest 2's row of 20 is newer
  internal::Db& db = DatabaseOf(*store_);
  ASSERT_TRUE(db.raw()
                  ->Delete(rocksdb::WriteOptions(), db.cf(internal::Cf::kFeatureOnline),
                           OnlineKey(3))
                  .ok());
  auto r = CheckOnlineAgainstLog(*store_, {});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->problems.size(), 2u);
  EXPECT_EQ(r->problems[0].kind, "stale online row");
  EXPECT_EQ(r->problems[0].entity, "customer_id=1");
  EXPECT_EQ(r->problems[1].kind, "online row missing");
  EXPECT_EQ(r->problems[1].entity, "customer_id=3");
}

TEST_F(OnlineCheckTest, SamplesLargeViewsWithItsSeed) {
  std::string rows;
  for (int i = 100; i < 300; ++i) absl::StrAppend(&rows, i, ",5,5,", i, "\n");
  Ingest(rows, true);
  const uint64_t seed = testing::TestSeed();
  OnlineCheckOptions options;
  options.sample = 20;
  options.seed = seed;
  auto r = CheckOnlineAgainstLog(*store_, options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->seed, seed);
  EXPECT_GE(r->entities, 10u) << "seed " << seed;  // distinct draws of 204
  EXPECT_LE(r->entities, 20u) << "seed " << seed;
  EXPECT_TRUE(r->problems.empty()) << "seed " << seed;
  auto again = CheckOnlineAgainstLog(*store_, options);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->entities, r->entities) << "seed " << seed;
}

// fsck finds the year-58891 row however large the view (every online row's time is
// read), and says how to repair it.
TEST_F(OnlineCheckTest, FlagsAnImplausibleOnlineRowAndSaysHowToRepairIt) {
  MergeOnline(1, kYear58891);
  OnlineCheckOptions options;
  options.sample = 1;
  auto r = CheckOnlineAgainstLog(*store_, options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->online_rows, 4u);
  ASSERT_EQ(r->problems.size(), 1u);
  EXPECT_EQ(r->problems[0].kind, "implausible online row");
  EXPECT_EQ(r->problems[0].entity, "customer_id=1");
  EXPECT_EQ(r->problems[0].versions, std::vector<std::string>{"featureview/clicks@1"});
  EXPECT_EQ(r->problems[0].detail,
            "feature view clicks entity customer_id=1: online row event time "
            "58891-03-01T00:00:00Z is outside the plausible time 1970-01-01T00:00:00Z .. "
            "2200-01-01T00:00:00Z; repair with strata online rebuild clicks --entity "
            "customer_id=1 (or remove it: strata online rm clicks --entity customer_id=1)");
  ASSERT_TRUE(fs_->RebuildOnline("clicks", {}).ok());
  r = CheckOnlineAgainstLog(*store_, {});
  ASSERT_TRUE(r.ok()) << r.status();
  for (const auto& p : r->problems) ADD_FAILURE() << p.kind << ": " << p.detail;
}

// Push writes the online table only, so an online row newer than the log is normal
// in a view that has had pushes; in one that never had, it was written some other
// way (below the API), and fsck says so, also for an entity the log lacks.
TEST_F(OnlineCheckTest, FlagsOnlineRowsNewerThanTheLogWhereNothingWasPushed) {
  PutOnline(5, 10'000'000, 10'000'000, 1, "");
  auto r = CheckOnlineAgainstLog(*store_, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->online_only, 2u);  // 4 and 5: pushes, as far as fsck can tell
  EXPECT_TRUE(r->problems.empty());

  internal::Db& db = DatabaseOf(*store_);
  ASSERT_TRUE(db.raw()
                  ->Delete(rocksdb::WriteOptions(), db.cf(internal::Cf::kFeatureMeta),
                           "o/clicks")
                  .ok());
  r = CheckOnlineAgainstLog(*store_, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->online_only, 0u);
  ASSERT_EQ(r->problems.size(), 2u);
  EXPECT_EQ(r->problems[0].kind, "online row newer than the log");
  EXPECT_EQ(r->problems[0].entity, "customer_id=4");
  EXPECT_NE(r->problems[0].detail.find(
                "is newer than the log's newest row (event 1970-01-01T00:00:10Z"),
            std::string::npos)
      << r->problems[0].detail;
  EXPECT_EQ(r->problems[1].entity, "customer_id=5");
  EXPECT_NE(r->problems[1].detail.find(
                "is newer than any log row (there are none), and nothing was ever pushed "
                "to the view; repair with strata online rebuild clicks --entity "
                "customer_id=5"),
            std::string::npos)
      << r->problems[1].detail;
}

// A push of an epoch in the wrong unit left a row in the year 58891 that beat every
// later ingest, and a row of an entity the log never had: rebuild puts back what the
// ingests would have left, pushed rows included (they are not in the log).
TEST_F(OnlineCheckTest, RebuildPutsBackWhatTheIngestsLeft) {
  MergeOnline(1, kYear58891);
  PutOnline(5, 10'000'000, 10'000'000, 1, "");
  ASSERT_EQ(OnlineX(1)->second, kYear58891);
  Ingest("1,30,30,9\n", true);  // a later ingest cannot displace it
  ASSERT_EQ(OnlineX(1)->second, kYear58891);

  auto r = fs_->RebuildOnline("clicks", {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->view, "clicks");
  EXPECT_EQ(r->entities, 5u);
  EXPECT_EQ(r->rewritten, 2u);  // 1's bad row, 4's pushed one
  EXPECT_EQ(r->removed, 1u);    // 5
  EXPECT_EQ(r->unchanged, 2u);  // 2, 3 (3's newer row went to the log only)
  EXPECT_EQ(r->skipped, 0u);
  EXPECT_EQ(r->at.position, 4u);
  EXPECT_EQ(OnlineX(1), std::make_pair(int64_t{9}, Micros{30'000'000}));
  EXPECT_EQ(OnlineX(2), std::make_pair(int64_t{2}, Micros{50'000'000}));
  EXPECT_EQ(OnlineX(3), std::make_pair(int64_t{3}, Micros{10'000'000}));
  EXPECT_EQ(OnlineX(4), std::make_pair(int64_t{4}, Micros{10'000'000}));
  EXPECT_EQ(OnlineX(5), std::nullopt);
  auto check = CheckOnlineAgainstLog(*store_, {});
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_EQ(check->online_only, 0u);
  for (const auto& p : check->problems) ADD_FAILURE() << p.kind << ": " << p.detail;

  auto again = fs_->RebuildOnline("clicks", {});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->unchanged, 4u);
  EXPECT_EQ(again->rewritten + again->removed, 0u);
  EXPECT_TRUE(absl::IsNotFound(fs_->RebuildOnline("nope", {}).status()));
}

TEST_F(OnlineCheckTest, RebuildOfNamedEntitiesTouchesNoOther) {
  MergeOnline(1, kYear58891);
  MergeOnline(2, kYear58891);
  OnlineRebuildOptions options;
  // Customer 1 twice (once as text), 77 unknown everywhere.
  options.entities = {{"customer_id", {Value(int64_t{1}), Value(std::string("1")),
                                       Value(int64_t{77})}}};
  auto r = fs_->RebuildOnline("clicks", options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->entities, 2u);
  EXPECT_EQ(r->rewritten, 1u);
  EXPECT_EQ(r->removed + r->unchanged, 0u);
  EXPECT_EQ(OnlineX(1)->second, 20'000'000);
  EXPECT_EQ(OnlineX(2)->second, kYear58891);
  EXPECT_EQ(OnlineX(77), std::nullopt);

  options.entities = {{"region", {Value(std::string("north"))}}};
  auto bad = fs_->RebuildOnline("clicks", options);
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status())) << bad.status();
  EXPECT_NE(bad.status().message().find(
                "feature view clicks has no join key region (its join keys: customer_id)"),
            std::string::npos)
      << bad.status();
  options.entities = {{"customer_id", {Value(std::string("x"))}}};
  EXPECT_TRUE(absl::IsInvalidArgument(fs_->RebuildOnline("clicks", options).status()));
}

// Rows ingested before the view's window was narrowed stay in the log; rebuild leaves
// them out, counts them, and takes the newest plausible row.
TEST_F(OnlineCheckTest, RebuildLeavesOutImplausibleLogRows) {
  const auto apply = [&](absl::string_view window) {
    auto defs = ParseDefinitions(
        absl::StrCat(kClicksDefinitions, "    plausible_time: {", window, "}\n"), "defs");
    ASSERT_TRUE(defs.ok()) << defs.status();
    ASSERT_TRUE(fs_->registry().Apply(*defs, "test", "").ok());
  };
  apply("until: 9999-12-31");
  Ingest("1,2500-01-01T00:00:00Z,30,9\n", true);
  ASSERT_EQ(OnlineX(1)->first, 9);
  apply("until: 2200-01-01");
  OnlineRebuildOptions options;
  options.entities = {{"customer_id", {Value(int64_t{1})}}};
  auto r = fs_->RebuildOnline("clicks", options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->skipped, 1u);
  EXPECT_EQ(r->rewritten, 1u);
  EXPECT_EQ(OnlineX(1), std::make_pair(int64_t{5}, Micros{20'000'000}));
}

TEST_F(OnlineCheckTest, RebuildInStepsReportsProgressAndClearsTheCache) {
  FeatureStoreOptions cached_options;
  cached_options.online_cache_bytes = 1 << 20;
  FeatureStore cached(store_.get(), cached_options);
  MergeOnline(3, kYear58891);
  ASSERT_EQ(OnlineX(3, &cached)->second, kYear58891);  // now in the cache
  OnlineRebuildOptions options;
  options.batch_entities = 1;
  std::vector<std::pair<uint64_t, uint64_t>> progress;
  options.progress = [&](uint64_t done, uint64_t total) {
    progress.emplace_back(done, total);
  };
  auto r = cached.RebuildOnline("clicks", options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->entities, 4u);
  EXPECT_EQ(r->rewritten, 2u);  // 3, and 4's pushed row
  ASSERT_EQ(progress.size(), 4u);
  for (size_t i = 1; i < progress.size(); ++i) {
    EXPECT_GT(progress[i].first, progress[i - 1].first);
    EXPECT_GE(progress[i].second, progress[i].first);
  }
  EXPECT_EQ(OnlineX(3, &cached), std::make_pair(int64_t{3}, Micros{10'000'000}));

  // Named entities: progress counts them.
  progress.clear();
  options.entities = {{"customer_id", {Value(int64_t{1}), Value(int64_t{2})}}};
  ASSERT_TRUE(cached.RebuildOnline("clicks", options).ok());
  EXPECT_EQ(progress, (std::vector<std::pair<uint64_t, uint64_t>>{{1, 2}, {2, 2}}));
}

// Ingests that commit while a rebuild runs lose nothing: afterwards every online row
// is the log's newest, which a last rebuild confirms by changing nothing.
TEST_F(OnlineCheckTest, RebuildBesideIngestsLeavesNoStaleRow) {
  std::atomic<bool> done{false};
  std::thread ingests([&] {
    for (int file = 0; file < 30; ++file) {
      std::string rows;
      for (int id = 1; id <= 40; ++id) absl::StrAppend(&rows, id, ",", 100 + file, ",1,", file, "\n");
      Ingest(rows, true);
    }
    done = true;
  });
  OnlineRebuildOptions options;
  options.batch_entities = 3;
  int rebuilds = 0;
  while (!done || rebuilds == 0) {
    auto r = fs_->RebuildOnline("clicks", options);
    EXPECT_TRUE(r.ok() || absl::IsAborted(r.status())) << r.status();
    ++rebuilds;
  }
  ingests.join();
  auto last = fs_->RebuildOnline("clicks", {});
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(last->rewritten + last->removed, 0u) << rebuilds << " rebuilds";
  EXPECT_EQ(OnlineX(40), std::make_pair(int64_t{29}, Micros{129'000'000}));
}

TEST_F(OnlineCheckTest, RemoveOnlineRemovesOneEntitysRow) {
  const EntityColumns four = {{"customer_id", {Value(int64_t{4})}}};
  ASSERT_TRUE(fs_->RemoveOnline("clicks", four).ok());
  EXPECT_EQ(OnlineX(4), std::nullopt);
  EXPECT_EQ(OnlineX(3)->first, 3);
  absl::Status again = fs_->RemoveOnline("clicks", four);
  EXPECT_TRUE(absl::IsNotFound(again)) << again;
  EXPECT_EQ(again.message(), "feature view clicks has no online row for customer_id=4");
  EXPECT_TRUE(absl::IsNotFound(fs_->RemoveOnline("nope", four)));
  EXPECT_TRUE(absl::IsInvalidArgument(fs_->RemoveOnline("clicks", {})));
  EXPECT_TRUE(absl::IsInvalidArgument(fs_->RemoveOnline(
      "clicks", {{"customer_id", {Value(int64_t{1}), Value(int64_t{2})}}})));
  EXPECT_TRUE(absl::IsInvalidArgument(
      fs_->RemoveOnline("clicks", {{"region", {Value(std::string("x"))}}})));
  // The log keeps its rows: a rebuild puts the row back.
  OnlineRebuildOptions options;
  options.entities = four;
  ASSERT_TRUE(fs_->RebuildOnline("clicks", options).ok());
  EXPECT_EQ(OnlineX(4), std::make_pair(int64_t{4}, Micros{10'000'000}));
}

}  // namespace
}  // namespace strata::features
