// The online store a store records (online_store.h): a real redis-server, started
// on loopback by the test; skipped when Debian's redis-server is absent.
#include "features/online_store.h"

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "features/feature_store.h"
#include "features/feature_store_testing.h"
#include "features/online_check.h"
#include "features/redis_testing.h"
#include "features/rocks_online_table.h"
#include "gtest/gtest.h"
#include "store/database.h"
#include "tests/testing.h"

namespace strata::features {
namespace {

constexpr char kDefinitions[] = R"(entities:
  - name: customer
    join_keys:
      - {name: customer_id, type: int64}
feature_views:
  - name: stats
    entities: [customer]
    features:
      - {name: x, type: double}
)";

class OnlineStoreTest : public strata::testing::StoreTest {
 protected:
  void SetUp() override {
    if (!strata::testing::RedisServer::Installed()) {
      GTEST_SKIP() << "redis-server is not installed (Debian package redis-server; "
                      "scripts/install-deps.sh installs it)";
    }
    StoreTest::SetUp();
    auto redis = strata::testing::RedisServer::Start(dir_.Sub("redis"));
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    url_ = "redis://" + redis_->endpoint();
  }

  // A FeatureStore as every command makes one: with the table the store records.
  std::unique_ptr<FeatureStore> OpenFeatures() {
    FeatureStoreOptions options;
    options.online_table = RecordedOnlineTable(*store_);
    return std::make_unique<FeatureStore>(store_.get(), options);
  }

  void ApplyAndIngest(FeatureStore& fs, const std::string& csv) {
    auto defs = ParseDefinitions(kDefinitions, "defs");
    ASSERT_TRUE(defs.ok()) << defs.status();
    ASSERT_TRUE(fs.registry().Apply(*defs, "test", "").ok());
    const std::string path = dir_.Sub("rows.csv");
    std::ofstream(path, std::ios::binary) << csv;
    auto r = fs.Ingest("stats", path, IngestOptions());
    ASSERT_TRUE(r.ok()) << r.status();
  }

  // x of customers 1..3 as served: the value, or NaN where none.
  std::vector<double> Served(FeatureStore& fs) {
    auto r = fs.Online(
        {"stats:x"},
        {{"customer_id", {Value(int64_t{1}), Value(int64_t{2}), Value(int64_t{3})}}}, 0);
    EXPECT_TRUE(r.ok()) << r.status();
    std::vector<double> out;
    if (!r.ok()) return out;
    for (size_t e = 0; e < 3; ++e) {
      const OnlineValue v = r->values[0][e];
      out.push_back(v.status == FeatureStatus::kPresent ? std::get<double>(v.value) : -1);
    }
    return out;
  }

  size_t EmbeddedRows() {
    size_t n = 0;
    for (auto c = DatabaseOf(*store_).Scan(internal::Cf::kFeatureOnline, ""); c->Valid();
         c->Next()) {
      ++n;
    }
    return n;
  }

  std::unique_ptr<strata::testing::RedisServer> redis_;
  std::string url_;
};

constexpr char kRows[] =
    "customer_id,event_timestamp,x\n"
    "1,1000,1.5\n"
    "2,1000,2.5\n"
    "1,2000,1.75\n";

TEST_F(OnlineStoreTest, ARecordedRedisIsWhatEveryLaterFeatureStoreReadsAndWrites) {
  auto recorded = RecordedOnlineStore(*store_);
  ASSERT_TRUE(recorded.ok());
  EXPECT_EQ(*recorded, kEmbeddedOnlineStore);
  EXPECT_EQ(RecordedOnlineTable(*store_), nullptr);

  auto changed = RecordOnlineStore(*store_, url_);
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_TRUE(*changed);
  EXPECT_FALSE(*RecordOnlineStore(*store_, url_));  // already
  EXPECT_EQ(*RecordedOnlineStore(*store_), url_);
  {
    auto fs = OpenFeatures();
    ApplyAndIngest(*fs, kRows);
    EXPECT_EQ(Served(*fs), (std::vector<double>{1.75, 2.5, -1}));
  }
  // The rows are in Redis (a row and its bucket's index each), none in the store.
  EXPECT_EQ(EmbeddedRows(), 0u);
  auto size = redis_->Cli({"DBSIZE"});
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(std::stoi(*size), 4);
  // Another FeatureStore (another process) sees them.
  auto again = OpenFeatures();
  EXPECT_EQ(Served(*again), (std::vector<double>{1.75, 2.5, -1}));

  // Back to the embedded table: empty until rebuilt, then the same answers.
  ASSERT_TRUE(RecordOnlineStore(*store_, kEmbeddedOnlineStore).ok());
  again = OpenFeatures();
  EXPECT_EQ(Served(*again), (std::vector<double>{-1, -1, -1}));
  auto rebuilt = again->RebuildOnline("stats", {});
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_EQ(rebuilt->rewritten, 2u);
  EXPECT_EQ(Served(*again), (std::vector<double>{1.75, 2.5, -1}));
}

TEST_F(OnlineStoreTest, AFlushedRedisIsFilledAgainFromTheLog) {
  ASSERT_TRUE(RecordOnlineStore(*store_, url_).ok());
  auto fs = OpenFeatures();
  ApplyAndIngest(*fs, kRows);
  ASSERT_TRUE(redis_->Cli({"FLUSHALL"}).ok());
  OnlineCheckOptions check;
  check.table = &fs->online_table();
  auto problems = CheckOnlineAgainstLog(*store_, check);
  ASSERT_TRUE(problems.ok()) << problems.status();
  EXPECT_EQ(problems->problems.size(), 2u);  // both entities' rows are missing
  EXPECT_EQ(Served(*OpenFeatures()), (std::vector<double>{-1, -1, -1}));

  auto rebuilt = fs->RebuildOnline("stats", {});
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_EQ(rebuilt->rewritten, 2u);
  EXPECT_EQ(rebuilt->unchanged, 0u);
  EXPECT_EQ(Served(*OpenFeatures()), (std::vector<double>{1.75, 2.5, -1}));
  problems = CheckOnlineAgainstLog(*store_, check);
  ASSERT_TRUE(problems.ok());
  EXPECT_TRUE(problems->problems.empty());
}

TEST_F(OnlineStoreTest, ARedisThatIsDownFailsOnlineWorkByNameAndIsUsedOnceBack) {
  ASSERT_TRUE(RecordOnlineStore(*store_, url_).ok());
  {
    auto fs = OpenFeatures();
    ApplyAndIngest(*fs, kRows);
  }
  redis_->Kill();
  // The store opens, and what needs no online row works.
  auto fs = OpenFeatures();
  EXPECT_TRUE(fs->Ingests(0).ok());
  auto r = fs->Online({"stats:x"}, {{"customer_id", {Value(int64_t{1})}}}, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_TRUE(absl::StrContains(r.status().message(), redis_->endpoint())) << r.status();
  // An ingest fails by name too, before its commit: nothing of it is visible.
  const std::string path = dir_.Sub("more.csv");
  std::ofstream(path, std::ios::binary) << "customer_id,event_timestamp,x\n3,3000,3.5\n";
  auto ingest = fs->Ingest("stats", path, IngestOptions());
  ASSERT_FALSE(ingest.ok());
  EXPECT_EQ(ingest.status().code(), absl::StatusCode::kUnavailable) << ingest.status();
  EXPECT_TRUE(absl::StrContains(ingest.status().message(), redis_->endpoint()))
      << ingest.status();
  // Back: the same FeatureStore connects again, and serves what was committed.
  ASSERT_TRUE(redis_->Restart().ok());
  EXPECT_EQ(Served(*fs), (std::vector<double>{1.75, 2.5, -1}));
  auto again = fs->Ingest("stats", path, IngestOptions());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(Served(*fs), (std::vector<double>{1.75, 2.5, 3.5}));
}

TEST_F(OnlineStoreTest, BadOrUnreachableStoresAreNotRecorded) {
  auto bad = RecordOnlineStore(*store_, "memcached://127.0.0.1:1");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument) << bad.status();
  auto nowhere = RecordOnlineStore(*store_, "redis://127.0.0.1:1");
  EXPECT_EQ(nowhere.status().code(), absl::StatusCode::kUnavailable) << nowhere.status();
  EXPECT_TRUE(absl::StrContains(nowhere.status().message(), "redis://127.0.0.1:1"))
      << nowhere.status();
  EXPECT_EQ(*RecordedOnlineStore(*store_), kEmbeddedOnlineStore);
}

}  // namespace
}  // namespace strata::features
