#include "features/online_serving.h"

#include <memory>
#include <optional>

#include "features/codec.h"
#include "gtest/gtest.h"
#include "store/database.h"
#include "tests/testing.h"

namespace strata::features {
namespace {

std::string Key(int64_t id) {
  std::string key;
  codec::PutBE32(&key, 1);
  codec::AppendEntityPart(&key, Value(id));
  return key;
}

std::string Row(Micros event, absl::string_view payload) {
  std::string row;
  codec::AppendOnlineHeader(&row, event, event, 1);
  row.append(payload.data(), payload.size());
  return row;
}

Change TestChange() { return Change{ChangeKind::kPushOnline, "featureview/stats"}; }

class OnlineServingTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    online_ = std::make_unique<OnlineServing>(&DatabaseOf(*store_), 1 << 20);
  }

  // The cached row of `key`: nullopt when the cache does not know the key, "" when
  // it knows the key has no row.
  std::optional<std::string> Cached(const std::string& key) {
    std::string rows;
    std::vector<OnlineCache::Found> found;
    online_->cache()->FindMany({key}, &rows, &found);
    if (!found[0].hit) return std::nullopt;
    return found[0].present ? rows.substr(found[0].offset, found[0].size) : "";
  }

  // Reads `key` as a lookup does: the cache, else the table, whose finding is
  // cached.
  void Read(const std::string& key) {
    std::string rows;
    std::vector<OnlineCache::Found> found;
    online_->cache()->FindMany({key}, &rows, &found);
    if (found[0].hit) return;
    const std::optional<std::string> stored = Stored(key);
    online_->cache()->Insert(
        key, stored.has_value() ? OnlineCache::MakeRow(*stored) : OnlineCache::Row(),
        found[0].generation);
  }

  std::optional<std::string> Stored(const std::string& key) {
    auto rows = online_->table().LookupCopies(std::vector<std::string>{key});
    EXPECT_TRUE(rows.ok()) << rows.status();
    return (*rows)[0];
  }

  std::unique_ptr<OnlineServing> online_;
};

TEST_F(OnlineServingTest, UpsertsWeighAgainstTheCachedRowAsTheTableDoes) {
  const std::string k = Key(7);
  Read(k);
  EXPECT_EQ(Cached(k), "");  // known to have no row
  const std::vector<OnlineRow> first = {{k, Row(10, "a")}};
  ASSERT_TRUE(online_->Write({.upserts = first}, TestChange()).ok());
  EXPECT_EQ(Cached(k), Row(10, "a"));
  const std::vector<OnlineRow> older = {{k, Row(5, "b")}};
  ASSERT_TRUE(online_->Write({.upserts = older}, TestChange()).ok());
  EXPECT_EQ(Stored(k), Row(10, "a"));
  EXPECT_EQ(Cached(k), Row(10, "a"));
  const std::vector<OnlineRow> newer = {{k, Row(20, "c")}};
  ASSERT_TRUE(online_->Write({.upserts = newer}, TestChange()).ok());
  EXPECT_EQ(Stored(k), Row(20, "c"));
  EXPECT_EQ(Cached(k), Row(20, "c"));
}

TEST_F(OnlineServingTest, PutsAndDeletesLeaveTheCache) {
  const std::string k = Key(7), j = Key(8);
  const std::vector<OnlineRow> rows = {{k, Row(10, "a")}, {j, Row(10, "b")}};
  ASSERT_TRUE(online_->Write({.upserts = rows}, TestChange()).ok());
  Read(k);
  Read(j);
  ASSERT_EQ(Cached(k), Row(10, "a"));
  ASSERT_EQ(Cached(j), Row(10, "b"));
  const std::vector<OnlineRow> put = {{k, Row(5, "older")}};
  const std::vector<std::string> deletes = {j};
  ASSERT_TRUE(online_->Write({.puts = put, .deletes = deletes}, TestChange()).ok());
  EXPECT_EQ(Stored(k), Row(5, "older"));
  EXPECT_EQ(Stored(j), std::nullopt);
  EXPECT_EQ(Cached(k), std::nullopt);
  EXPECT_EQ(Cached(j), std::nullopt);
}

TEST_F(OnlineServingTest, RecordsJoinTheWrite) {
  Read(Key(7));
  const std::vector<OnlineRow> rows = {{Key(7), Row(10, "a")}};
  const absl::Status refused =
      online_->Write({.upserts = rows}, TestChange(), [](rocksdb::Transaction*) {
        return absl::FailedPreconditionError("records refused");
      });
  EXPECT_TRUE(absl::IsFailedPrecondition(refused)) << refused;
  EXPECT_EQ(Stored(Key(7)), std::nullopt);
  EXPECT_EQ(Cached(Key(7)), "");  // still known to have no row
}

TEST_F(OnlineServingTest, CommittedRowsReachTheCache) {
  const std::string k = Key(7);
  Read(k);
  const std::vector<OnlineRow> rows = {{k, Row(10, "a")}};
  // As FeatureTables::Commit writes an ingest's rows: to the table directly.
  ASSERT_TRUE(online_->table().Write({.upserts = rows}, TestChange()).ok());
  EXPECT_EQ(Cached(k), "");  // stale until told
  ResolvedView view;
  view.id = 1;
  online_->Committed(view, rows);
  EXPECT_EQ(Cached(k), Row(10, "a"));
}

TEST_F(OnlineServingTest, WithoutACacheWritesReachTheTable) {
  OnlineServing uncached(&DatabaseOf(*store_), 0);
  EXPECT_EQ(uncached.cache(), nullptr);
  const std::vector<OnlineRow> rows = {{Key(7), Row(10, "a")}};
  ASSERT_TRUE(uncached.Write({.upserts = rows}, TestChange()).ok());
  EXPECT_EQ(Stored(Key(7)), Row(10, "a"));
  const OnlineCacheStats stats = uncached.cache_stats();
  EXPECT_EQ(stats.hits, 0u);
  EXPECT_EQ(stats.misses, 0u);
}

TEST_F(OnlineServingTest, PushesShareTheRepairLock) {
  auto a = online_->LockForPush();
  auto b = online_->LockForPush();
  EXPECT_TRUE(a.owns_lock() && b.owns_lock());
  a.unlock();
  b.unlock();
  auto repair = online_->LockForRepair();
  EXPECT_TRUE(repair.owns_lock());
}

}  // namespace
}  // namespace strata::features
