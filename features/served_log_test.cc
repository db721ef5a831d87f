#include "features/served_log.h"

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "features/feature_store_testing.h"
#include "gtest/gtest.h"

namespace strata::features {
namespace {

constexpr absl::string_view kDefinitions = R"(
entities:
  - name: customer
    join_keys: [{name: customer_id, type: int64}]
feature_views:
  - name: stats
    entities: [customer]
    ttl: 1d
    features:
      - {name: spend, type: double}
      - {name: tier, type: string}
      - {name: visits, type: int64}
)";

// 2026-12-01T00:00:00Z
constexpr Micros kDay = 1796083200LL * 1000000;
constexpr Micros kHour = 3600LL * 1000000;

struct Served {
  std::vector<WindowColumn> columns;
  std::vector<std::vector<Value>> rows;
};

class ServedLogTest : public FeatureStoreFixture {
 protected:
  void SetUp() override {
    FeatureStoreFixture::SetUp();
    ApplyDefinitions(kDefinitions);
    // Customers 1..4: spend 10, 20, 30, 40; customer 4's row is older than the TTL
    // at kDay + 3 days.
    auto r = fs_->Ingest("stats",
                         WriteFile("stats.csv",
                                   "customer_id,event_timestamp,spend,tier,visits\r\n"
                                   "1,2026-12-01T00:00:00Z,10.5,gold,3\r\n"
                                   "2,2026-12-01T00:00:00Z,20,\"silver, old\",\r\n"
                                   "3,2026-12-01T00:00:00Z,,bronze,5\r\n"
                                   "4,2026-11-01T00:00:00Z,40,gold,1\r\n"),
                         IngestOptions());
    ASSERT_TRUE(r.ok()) << r.status();
  }

  // Reopens fs_ with a served log.
  void OpenWithLog(double fraction, uint64_t max_rows = 1000000) {
    fs_.reset();
    FeatureStoreOptions options;
    options.served_log.fraction = fraction;
    options.served_log.max_rows_per_view = max_rows;
    fs_ = std::make_unique<FeatureStore>(store_.get(), options);
  }

  OnlineResult Lookup(std::vector<int64_t> ids, Micros now,
                      std::vector<std::string> features = {"stats:spend", "stats:tier",
                                                           "stats:visits"}) {
    std::vector<Value> keys(ids.begin(), ids.end());
    auto r = fs_->Online(features, {{"customer_id", keys}}, now);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *std::move(r) : OnlineResult();
  }

  Served Scan(Micros from = INT64_MIN, Micros to = INT64_MAX) {
    Served out;
    absl::Status s = fs_->ScanServed(
        {.view = "stats", .from = from, .to = to, .as_of = std::nullopt},
        [&](const std::vector<WindowColumn>& c) {
          out.columns = c;
          return absl::OkStatus();
        },
        [&](const std::vector<Value>& row) {
          out.rows.push_back(row);
          return absl::OkStatus();
        });
    EXPECT_TRUE(s.ok()) << s;
    return out;
  }
};

TEST_F(ServedLogTest, WithoutALogNothingIsKept) {
  Lookup({1, 2}, kDay + kHour);
  EXPECT_TRUE(fs_->FlushServedLog().ok());
  const Served served = Scan();
  ASSERT_EQ(served.columns.size(), 5u);
  EXPECT_TRUE(served.rows.empty());
  EXPECT_EQ(fs_->served_log_stats().logged, 0u);
}

TEST_F(ServedLogTest, EveryAnswerIsLoggedAtFractionOne) {
  OpenWithLog(1.0);
  Lookup({1, 2, 3, 5}, kDay + kHour);
  Lookup({4}, kDay + 3 * 24 * kHour);
  ASSERT_TRUE(fs_->FlushServedLog().ok());
  EXPECT_EQ(fs_->served_log_stats().logged, 5u);

  const Served served = Scan();
  ASSERT_EQ(served.columns.size(), 5u);
  EXPECT_EQ(served.columns[0].name, "customer_id");
  EXPECT_EQ(served.columns[1].name, "served_timestamp");
  EXPECT_EQ(served.columns[1].type, VALUE_TYPE_TIMESTAMP);
  EXPECT_EQ(served.columns[2].name, "spend");
  EXPECT_EQ(served.columns[3].name, "tier");
  EXPECT_EQ(served.columns[4].name, "visits");
  ASSERT_EQ(served.rows.size(), 5u);
  // Oldest first; the four entities of one answer in some order.
  std::map<int64_t, std::vector<Value>> by_id;
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(std::get<int64_t>(served.rows[i][1]), kDay + kHour);
    by_id[std::get<int64_t>(served.rows[i][0])] = served.rows[i];
  }
  ASSERT_EQ(by_id.size(), 4u);
  EXPECT_EQ(std::get<double>(by_id[1][2]), 10.5);
  EXPECT_EQ(std::get<std::string>(by_id[1][3]), "gold");
  EXPECT_EQ(std::get<int64_t>(by_id[1][4]), 3);
  EXPECT_EQ(std::get<std::string>(by_id[2][3]), "silver, old");
  EXPECT_EQ(by_id[2][4].index(), 0u);  // NULL_VALUE is null
  EXPECT_EQ(by_id[3][2].index(), 0u);
  EXPECT_EQ(by_id[5][2].index(), 0u);  // NOT_FOUND is null
  EXPECT_EQ(by_id[5][3].index(), 0u);
  // Served after its TTL: OUTSIDE_MAX_AGE, logged without values.
  EXPECT_EQ(std::get<int64_t>(served.rows[4][0]), 4);
  EXPECT_EQ(std::get<int64_t>(served.rows[4][1]), kDay + 3 * 24 * kHour);
  EXPECT_EQ(served.rows[4][2].index(), 0u);
}

TEST_F(ServedLogTest, FeaturesNotRequestedAreNull) {
  OpenWithLog(1.0);
  Lookup({1}, kDay + kHour, {"stats:tier"});
  ASSERT_TRUE(fs_->FlushServedLog().ok());
  const Served served = Scan();
  ASSERT_EQ(served.rows.size(), 1u);
  EXPECT_EQ(served.rows[0][2].index(), 0u);
  EXPECT_EQ(std::get<std::string>(served.rows[0][3]), "gold");
  EXPECT_EQ(served.rows[0][4].index(), 0u);
}

TEST_F(ServedLogTest, AWindowHoldsTheAnswersServedInIt) {
  OpenWithLog(1.0);
  for (int h = 0; h < 5; ++h) Lookup({1}, kDay + h * kHour);
  ASSERT_TRUE(fs_->FlushServedLog().ok());
  const Served served = Scan(kDay + kHour, kDay + 3 * kHour);  // hours 1 and 2
  ASSERT_EQ(served.rows.size(), 2u);
  EXPECT_EQ(std::get<int64_t>(served.rows[0][1]), kDay + kHour);
  EXPECT_EQ(std::get<int64_t>(served.rows[1][1]), kDay + 2 * kHour);
  EXPECT_EQ(Scan(INT64_MIN, kDay).rows.size(), 0u);
  EXPECT_EQ(Scan(kDay + 4 * kHour).rows.size(), 1u);
}

TEST_F(ServedLogTest, AFractionSamplesThatShareOfEntities) {
  OpenWithLog(0.1);
  std::vector<int64_t> ids(100);
  for (int64_t i = 0; i < 100; ++i) ids[i] = i % 4 + 1;
  for (int i = 0; i < 200; ++i) Lookup(ids, kDay + kHour);
  ASSERT_TRUE(fs_->FlushServedLog().ok());
  // 20000 entities at 0.1: 2000 expected, standard deviation 42.
  const uint64_t logged = fs_->served_log_stats().logged;
  EXPECT_GT(logged, 1750u);
  EXPECT_LT(logged, 2250u);
  EXPECT_EQ(Scan().rows.size(), logged);
}

TEST_F(ServedLogTest, EachViewKeepsAtMostItsBoundNewestFirst) {
  OpenWithLog(1.0, /*max_rows=*/10);
  for (int h = 0; h < 25; ++h) {
    Lookup({1}, kDay + h * kHour);
    if (h % 7 == 0) {
      ASSERT_EQ(fs_->FlushServedLog(), absl::OkStatus());  // several batches
    }
  }
  ASSERT_TRUE(fs_->FlushServedLog().ok());
  const Served served = Scan();
  ASSERT_EQ(served.rows.size(), 10u);
  EXPECT_EQ(std::get<int64_t>(served.rows.front()[1]), kDay + 15 * kHour);
  EXPECT_EQ(std::get<int64_t>(served.rows.back()[1]), kDay + 24 * kHour);
  EXPECT_EQ(fs_->served_log_stats().trimmed, 15u);

  // A new process counts what the last one kept before it trims.
  OpenWithLog(1.0, 10);
  Lookup({2}, kDay + 30 * kHour);
  ASSERT_TRUE(fs_->FlushServedLog().ok());
  const Served after = Scan();
  ASSERT_EQ(after.rows.size(), 10u);
  EXPECT_EQ(std::get<int64_t>(after.rows.front()[1]), kDay + 16 * kHour);
  EXPECT_EQ(std::get<int64_t>(after.rows.back()[0]), 2);
}

TEST_F(ServedLogTest, QueuedSamplesAreWrittenWhenTheStoreCloses) {
  OpenWithLog(1.0);
  for (int h = 0; h < 50; ++h) Lookup({1, 2}, kDay + h * kHour);
  fs_.reset();  // no Flush: closing writes the queue
  store_.reset();
  store_ = testing::OpenTestStore(dir_.Sub("store"));
  fs_ = std::make_unique<FeatureStore>(store_.get());
  EXPECT_EQ(Scan().rows.size(), 100u);
}

TEST_F(ServedLogTest, AsOfIsRefused) {
  absl::Status s = fs_->ScanServed(
      {.view = "stats", .from = INT64_MIN, .to = INT64_MAX, .as_of = kDay}, [](const auto&) { return absl::OkStatus(); },
      [](const auto&) { return absl::OkStatus(); });
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  s = fs_->ScanServed(
      {.view = "nope", .from = INT64_MIN, .to = INT64_MAX, .as_of = std::nullopt}, [](const auto&) { return absl::OkStatus(); },
      [](const auto&) { return absl::OkStatus(); });
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
}

TEST(ServedKeyTest, KeysSortByViewThenTimeThenNumber) {
  EXPECT_LT(ServedKey("a", -5, 9), ServedKey("a", 3, 0));
  EXPECT_LT(ServedKey("a", 3, 0), ServedKey("a", 3, 1));
  EXPECT_LT(ServedKey("a", INT64_MAX, 0), ServedKey("a2", INT64_MIN, 0));
  EXPECT_TRUE(absl::StartsWith(ServedKey("a", 1, 1), ServedPrefix("a")));
  EXPECT_FALSE(absl::StartsWith(ServedKey("a2", 1, 1), ServedPrefix("a")));
}

}  // namespace
}  // namespace strata::features
