#include "features/online_check.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "features/codec.h"
#include "features/definitions.h"
#include "features/feature_store.h"
#include "gtest/gtest.h"
#include "store/internal/db.h"
#include "tests/testing.h"

namespace strata::features {
namespace {

constexpr absl::string_view kDefinitions = R"(
entities:
  - name: customer
    join_keys: [{name: customer_id, type: int64}]
feature_views:
  - name: clicks
    entities: [customer]
    features:
      - {name: x, type: int64}
)";

class OnlineCheckTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    auto defs = ParseDefinitions(kDefinitions, "defs");
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
    internal::Db& db = store_->internal_db();
    ASSERT_TRUE(db.raw()
                    ->Put(rocksdb::WriteOptions(), db.cf(internal::Cf::kFeatureOnline),
                          OnlineKey(id), value)
                    .ok());
  }

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
  internal::Db& db = store_->internal_db();
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

}  // namespace
}  // namespace strata::features
