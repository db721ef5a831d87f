// RedisOnlineTable against the OnlineTable conformance suite, on a real
// redis-server and a real 3-master Redis Cluster, and what only Redis has: slots
// that move, nodes that die.
#include "features/redis_online_table.h"

#include <hiredis/hiredis.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "features/codec.h"
#include "features/online_table_conformance.h"
#include "features/redis_testing.h"
#include "store/database.h"
#include "tests/testing.h"

namespace strata::testing {
namespace {

using features::OnlineRow;
using features::RedisOnlineTable;
using features::RedisOptions;

// One server and one cluster per process, emptied before each test.
// Stopped at exit (before their directories are removed).
RedisServer* SharedServer() {
  static ScratchDir dir;
  static absl::StatusOr<std::unique_ptr<RedisServer>> server =
      RedisServer::Start(dir.Sub("redis"));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? server->get() : nullptr;
}

RedisCluster* SharedCluster() {
  static ScratchDir dir;
  static absl::StatusOr<std::unique_ptr<RedisCluster>> cluster =
      RedisCluster::Start(dir.path());
  EXPECT_TRUE(cluster.ok()) << cluster.status();
  return cluster.ok() ? cluster->get() : nullptr;
}

// A store (for Write's records) and a RedisOnlineTable on `url`.
class RedisHarness : public OnlineTableHarness {
 public:
  RedisHarness(const std::string& dir, const std::string& url)
      : store_(OpenTestStore(dir + "/store")) {
    auto table = RedisOnlineTable::Open(&DatabaseOf(*store_), RedisOptions{.url = url});
    EXPECT_TRUE(table.ok()) << table.status();
    if (table.ok()) table_ = *std::move(table);
  }
  features::OnlineTable& table() override { return *table_; }
  RedisOnlineTable* redis() { return table_.get(); }

 private:
  std::unique_ptr<Store> store_;
  std::unique_ptr<RedisOnlineTable> table_;
};

std::unique_ptr<OnlineTableHarness> OpenServer(const std::string& dir) {
  if (!RedisServer::Installed()) return nullptr;
  RedisServer* server = SharedServer();
  if (server == nullptr) return nullptr;
  EXPECT_TRUE(server->Cli({"FLUSHALL"}).ok());
  auto h = std::make_unique<RedisHarness>(dir, "redis://" + server->endpoint());
  return h->redis() == nullptr ? nullptr : std::move(h);
}

std::unique_ptr<OnlineTableHarness> OpenCluster(const std::string& dir) {
  if (!RedisServer::Installed()) return nullptr;
  RedisCluster* cluster = SharedCluster();
  if (cluster == nullptr) return nullptr;
  for (int i = 0; i < cluster->size(); ++i) {
    EXPECT_TRUE(cluster->node(i).Cli({"FLUSHALL"}).ok());
  }
  auto h = std::make_unique<RedisHarness>(dir, cluster->url());
  return h->redis() == nullptr ? nullptr : std::move(h);
}

INSTANTIATE_TEST_SUITE_P(Redis, OnlineTableConformanceTest,
                         ::testing::Values(OnlineTableFactory{&OpenServer}));
INSTANTIATE_TEST_SUITE_P(RedisCluster, OnlineTableConformanceTest,
                         ::testing::Values(OnlineTableFactory{&OpenCluster}));

std::string Key(uint32_t view, int64_t id) {
  std::string key = features::OnlineViewPrefix(view);
  features::codec::AppendEntityPart(&key, features::Value(id));
  return key;
}

std::string Value(int64_t event, absl::string_view row) {
  std::string value;
  features::codec::AppendOnlineHeader(&value, event, 1, 1);
  value.append(row.data(), row.size());
  return value;
}

std::vector<OnlineRow> SomeRows(uint32_t view, int n) {
  std::vector<OnlineRow> rows;
  for (int i = 0; i < n; ++i) rows.push_back({Key(view, i), Value(i, std::to_string(i))});
  return rows;
}

absl::Status Upsert(features::OnlineTable& table, const std::vector<OnlineRow>& rows) {
  return table.Write({.upserts = rows}, Change{ChangeKind::kPushOnline, "test"});
}

// Every row of `rows` reads back as written.
void ExpectRows(features::OnlineTable& table, const std::vector<OnlineRow>& rows) {
  std::vector<std::string> keys;
  for (const auto& row : rows) keys.push_back(row.first);
  auto got = table.LookupCopies(keys);
  ASSERT_TRUE(got.ok()) << got.status();
  for (size_t i = 0; i < rows.size(); ++i) EXPECT_EQ((*got)[i], rows[i].second) << i;
}

// A direct connection for moving a slot by hand (binary keys, as hiredis sends them).
class Direct {
 public:
  explicit Direct(int port) : c_(redisConnect("127.0.0.1", port)) {}
  ~Direct() { redisFree(c_); }
  redisReply* Run(const std::vector<std::string>& argv) {
    std::vector<const char*> words;
    std::vector<size_t> lengths;
    for (const auto& w : argv) {
      words.push_back(w.data());
      lengths.push_back(w.size());
    }
    return static_cast<redisReply*>(
        redisCommandArgv(c_, static_cast<int>(argv.size()), words.data(), lengths.data()));
  }
  void Ok(const std::vector<std::string>& argv) {
    redisReply* r = Run(argv);
    ASSERT_NE(r, nullptr);
    EXPECT_NE(r->type, REDIS_REPLY_ERROR) << argv[0] << " " << argv[1] << ": " << r->str;
    freeReplyObject(r);
  }

 private:
  redisContext* c_;
};

int SlotOfTag(RedisCluster& cluster, const std::string& key) {
  auto out = cluster.node(0).Cli({"CLUSTER", "KEYSLOT", key});
  int slot = -1;
  EXPECT_TRUE(out.ok() && absl::SimpleAtoi(absl::StripAsciiWhitespace(*out), &slot));
  return slot;
}

class RedisClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!RedisServer::Installed()) GTEST_SKIP() << "redis-server is not installed (Debian package redis-server)";
    cluster_ = SharedCluster();
    ASSERT_NE(cluster_, nullptr);
    auto h = OpenCluster(dir_.path());
    ASSERT_NE(h, nullptr);
    harness_.reset(static_cast<RedisHarness*>(h.release()));
  }
  features::OnlineTable& table() { return harness_->table(); }

  ScratchDir dir_;
  RedisCluster* cluster_ = nullptr;
  std::unique_ptr<RedisHarness> harness_;
};

// Moves `slot` from its owner to the next node: IMPORTING/MIGRATING, its keys
// MIGRATEd, then (when `finish`) CLUSTER SETSLOT NODE on every node.
void MoveSlot(RedisCluster& cluster, int slot, bool finish, int* to_out = nullptr) {
  auto from = cluster.OwnerOf(slot);
  ASSERT_TRUE(from.ok()) << from.status();
  const int to = (*from + 1) % cluster.size();
  if (to_out != nullptr) *to_out = to;
  auto from_id = cluster.Id(*from), to_id = cluster.Id(to);
  ASSERT_TRUE(from_id.ok() && to_id.ok());
  Direct source(cluster.node(*from).port()), target(cluster.node(to).port());
  const std::string s = std::to_string(slot);
  target.Ok({"CLUSTER", "SETSLOT", s, "IMPORTING", *from_id});
  source.Ok({"CLUSTER", "SETSLOT", s, "MIGRATING", *to_id});
  redisReply* keys = source.Run({"CLUSTER", "GETKEYSINSLOT", s, "100000"});
  ASSERT_NE(keys, nullptr);
  ASSERT_EQ(keys->type, REDIS_REPLY_ARRAY);
  std::vector<std::string> migrate = {"MIGRATE", "127.0.0.1",
                                      std::to_string(cluster.node(to).port()), "", "0",
                                      "5000", "KEYS"};
  for (size_t i = 0; i < keys->elements; ++i) {
    migrate.emplace_back(keys->element[i]->str, keys->element[i]->len);
  }
  const bool any = keys->elements > 0;
  freeReplyObject(keys);
  if (any) source.Ok(migrate);
  if (!finish) return;
  for (int i = 0; i < cluster.size(); ++i) {
    Direct node(cluster.node(i).port());
    node.Ok({"CLUSTER", "SETSLOT", s, "NODE", *to_id});
  }
}

TEST_F(RedisClusterTest, SlotMovedUnderTheTableIsFollowed) {
  const std::vector<OnlineRow> rows = SomeRows(5, 64);
  ASSERT_TRUE(Upsert(table(), rows).ok());
  // The table's slot map is stale after this: its first lookups get MOVED.
  const int slot = SlotOfTag(*cluster_, features::RedisIndexKey(5, 0));
  MoveSlot(*cluster_, slot, /*finish=*/true);
  ExpectRows(table(), rows);
  std::vector<OnlineRow> newer;
  for (const auto& [key, value] : rows) newer.push_back({key, Value(1000, "newer")});
  ASSERT_TRUE(Upsert(table(), newer).ok());
  ExpectRows(table(), newer);
  auto page = table().Scan(5, "", 1000);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->size(), rows.size());
}

TEST_F(RedisClusterTest, SlotHalfMigratedIsAskedAtItsTarget) {
  const std::vector<OnlineRow> rows = SomeRows(6, 64);
  ASSERT_TRUE(Upsert(table(), rows).ok());
  const int slot = SlotOfTag(*cluster_, features::RedisIndexKey(6, 1));
  // Keys moved, slot still owned by the source: it answers ASK for them.
  MoveSlot(*cluster_, slot, /*finish=*/false);
  ExpectRows(table(), rows);
  MoveSlot(*cluster_, slot, /*finish=*/true);  // nothing left to move: just finishes
  ExpectRows(table(), rows);
}

TEST_F(RedisClusterTest, NodeKilledIsUnavailableAndUsedAgainWhenBack) {
  const std::vector<OnlineRow> rows = SomeRows(7, 64);
  ASSERT_TRUE(Upsert(table(), rows).ok());
  const int slot = SlotOfTag(*cluster_, features::RedisIndexKey(7, 0));
  auto owner = cluster_->OwnerOf(slot);
  ASSERT_TRUE(owner.ok());
  RedisServer& node = cluster_->node(*owner);
  // Lookups meanwhile: every one answers all rows or is Unavailable.
  std::atomic<bool> stop{false}, wrong{false};
  std::mutex wrong_mu;
  std::string wrong_why;
  std::atomic<int> unavailable{0};
  std::vector<std::string> keys;
  for (const auto& row : rows) keys.push_back(row.first);
  std::thread reader([&] {
    while (!stop) {
      auto got = table().LookupCopies(keys);
      if (got.ok()) {
        for (size_t i = 0; i < rows.size(); ++i) {
          if ((*got)[i] != rows[i].second) wrong = true;
        }
      } else if (absl::IsUnavailable(got.status()) &&
                 (absl::StrContains(got.status().message(), node.endpoint()) ||
                  absl::StrContains(got.status().message(), "CLUSTERDOWN"))) {
        // The node itself, or (while it rejoins) a node whose cluster is down.
        ++unavailable;
      } else {
        std::lock_guard lock(wrong_mu);
        wrong_why = got.status().ToString();
        wrong = true;
      }
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  node.Kill();
  auto down = table().LookupCopies(keys);
  EXPECT_TRUE(absl::IsUnavailable(down.status())) << down.status();
  EXPECT_TRUE(absl::StrContains(down.status().message(), node.endpoint())) << down.status();
  ASSERT_TRUE(node.Restart().ok());
  stop = true;
  reader.join();
  EXPECT_FALSE(wrong) << wrong_why;
  // Back: served again, and every acknowledged row kept (appendfsync always).
  for (int i = 0; i < 200; ++i) {
    if (table().LookupCopies(keys).ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ExpectRows(table(), rows);
}

TEST_F(RedisClusterTest, WritesAcknowledgedAroundAKilledNodeAreKept) {
  const int slot = SlotOfTag(*cluster_, features::RedisIndexKey(8, 0));
  auto owner = cluster_->OwnerOf(slot);
  ASSERT_TRUE(owner.ok());
  RedisServer& node = cluster_->node(*owner);
  // A writer upserts every key again and again, each time newer, and remembers the
  // newest version of each that a Write acknowledged.
  constexpr int kKeys = 32;
  std::vector<int64_t> acknowledged(kKeys, -1);
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::thread writer([&] {
    for (int64_t version = 0; !stop; ++version) {
      std::vector<OnlineRow> rows;
      for (int k = 0; k < kKeys; ++k) rows.push_back({Key(8, k), Value(version, "v")});
      if (Upsert(table(), rows).ok()) {
        std::fill(acknowledged.begin(), acknowledged.end(), version);
      } else {
        ++failures;
      }
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  node.Kill();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(node.Restart().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  writer.join();
  EXPECT_GT(failures, 0) << "the writer never saw the node down";
  std::vector<std::string> keys;
  for (int k = 0; k < kKeys; ++k) keys.push_back(Key(8, k));
  absl::StatusOr<std::vector<std::optional<std::string>>> got;
  for (int i = 0; i < 200; ++i) {
    got = table().LookupCopies(keys);
    if (got.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(got.ok()) << got.status();
  for (int k = 0; k < kKeys; ++k) {
    ASSERT_TRUE((*got)[k].has_value()) << k;
    EXPECT_GE(features::codec::DecodeOnlineHeader(*(*got)[k]).event, acknowledged[k]) << k;
  }
}

TEST(RedisServerTest, ServerKilledIsUnavailableAndUsedAgainWhenBack) {
  if (!RedisServer::Installed()) GTEST_SKIP() << "redis-server is not installed (Debian package redis-server)";
  ScratchDir dir;
  auto server = RedisServer::Start(dir.Sub("redis"));
  ASSERT_TRUE(server.ok()) << server.status();
  RedisHarness h(dir.path(), "redis://" + (*server)->endpoint());
  ASSERT_NE(h.redis(), nullptr);
  const std::vector<OnlineRow> rows = SomeRows(2, 20);
  ASSERT_TRUE(Upsert(h.table(), rows).ok());
  (*server)->Kill();
  std::vector<std::string> keys = {rows[0].first};
  auto down = h.table().LookupCopies(keys);
  EXPECT_TRUE(absl::IsUnavailable(down.status())) << down.status();
  EXPECT_TRUE(absl::StrContains(down.status().message(), (*server)->endpoint()))
      << down.status();
  const absl::Status write = Upsert(h.table(), rows);
  EXPECT_TRUE(absl::IsUnavailable(write)) << write;
  ASSERT_TRUE((*server)->Restart().ok());
  // The restarted server (its scripts forgotten: NOSCRIPT, loaded again) serves.
  ExpectRows(h.table(), rows);
  ASSERT_TRUE(Upsert(h.table(), {{rows[0].first, Value(99, "again")}}).ok());
  ExpectRows(h.table(), {{rows[0].first, Value(99, "again")}});
}

TEST(RedisServerTest, ServerThatStopsAnsweringTimesOutAndIsUsedAgain) {
  if (!RedisServer::Installed()) GTEST_SKIP() << "redis-server is not installed (Debian package redis-server)";
  ScratchDir dir;
  auto server = RedisServer::Start(dir.Sub("redis"));
  ASSERT_TRUE(server.ok()) << server.status();
  auto store = OpenTestStore(dir.Sub("store"));
  auto table = RedisOnlineTable::Open(
      &DatabaseOf(*store), RedisOptions{.url = "redis://" + (*server)->endpoint(),
                                        .command_timeout = absl::Milliseconds(300)});
  ASSERT_TRUE(table.ok()) << table.status();
  const std::vector<OnlineRow> rows = SomeRows(2, 20);
  ASSERT_TRUE(Upsert(**table, rows).ok());
  (*server)->Pause();
  std::vector<std::string> keys = {rows[0].first, rows[1].first};
  auto stuck = (*table)->LookupCopies(keys);
  (*server)->Resume();
  EXPECT_TRUE(absl::IsUnavailable(stuck.status())) << stuck.status();
  EXPECT_TRUE(absl::StrContains(stuck.status().message(), (*server)->endpoint()))
      << stuck.status();
  // The late replies of the timed-out lookup are never taken for a later one's.
  ExpectRows(**table, {rows[2], rows[3]});
  ExpectRows(**table, rows);
}

TEST(RedisServerTest, RowKeyOfAnotherTypeIsDataLossNamingTheCommand) {
  if (!RedisServer::Installed()) GTEST_SKIP() << "redis-server is not installed (Debian package redis-server)";
  ScratchDir dir;
  auto server = RedisServer::Start(dir.Sub("redis"));
  ASSERT_TRUE(server.ok()) << server.status();
  RedisHarness h(dir.path(), "redis://" + (*server)->endpoint());
  ASSERT_NE(h.redis(), nullptr);
  const std::string key = Key(3, 1);
  Direct((*server)->port()).Ok({"HSET", features::RedisRowKey(key), "f", "v"});
  auto read = h.table().LookupCopies({key});
  EXPECT_TRUE(absl::IsDataLoss(read.status())) << read.status();
  EXPECT_TRUE(absl::StrContains(read.status().message(), "GET")) << read.status();
  const absl::Status write = Upsert(h.table(), {{key, Value(1, "row")}});
  EXPECT_TRUE(absl::IsDataLoss(write)) << write;
  EXPECT_TRUE(absl::StrContains(write.message(), "EVALSHA")) << write;
}

TEST(RedisOpenTest, MalformedUrlIsInvalidArgument) {
  for (const char* url : {"http://x:1", "redis://nohost", "redis://a:1,b:2", "redis://a:0"}) {
    auto table = RedisOnlineTable::Open(nullptr, RedisOptions{.url = url});
    EXPECT_TRUE(absl::IsInvalidArgument(table.status())) << url << " " << table.status();
  }
}

TEST(RedisOpenTest, NoServerIsUnavailableNamingIt) {
  auto table = RedisOnlineTable::Open(nullptr, RedisOptions{.url = "redis://127.0.0.1:1"});
  EXPECT_TRUE(absl::IsUnavailable(table.status())) << table.status();
  EXPECT_TRUE(absl::StrContains(table.status().message(), "127.0.0.1:1")) << table.status();
}

}  // namespace
}  // namespace strata::testing
