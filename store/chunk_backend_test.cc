#include "store/chunk_backend.h"

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "store/database.h"
#include "store/internal/db.h"
#include "store/internal/rocks_chunk_store.h"
#include "store/io.h"
#include "store/store.h"
#include "store/testing/counting_chunk_store.h"
#include "tests/testing.h"

namespace strata {
namespace {

// A second backend for the tests: the embedded ChunkStore of another RocksDB
// database, at the path of a "rocks-elsewhere:///PATH" URL (a real implementation,
// standing in for an object store, which store/ does not link). Each database is
// opened once and kept for the test binary's life, as an object store outlives the
// stores that use it. PutMany fails, as an unreachable endpoint would, while
// `put_budget` is 0.
struct Elsewhere {
  std::map<std::string, std::unique_ptr<internal::Db>> dbs;
  int put_budget = -1;  // PutMany calls left before they fail; -1: unlimited
  testing::CountingChunkStore::Counts counts;
};
Elsewhere& TheElsewhere() {
  static auto* e = new Elsewhere();
  return *e;
}

class FailingChunkStore : public testing::CountingChunkStore {
 public:
  using CountingChunkStore::CountingChunkStore;
  absl::Status PutMany(const std::vector<EncodedChunk>& chunks,
                       Durability durability) override {
    int& budget = TheElsewhere().put_budget;
    if (budget == 0) return absl::UnavailableError("the endpoint went away");
    if (budget > 0) --budget;
    return CountingChunkStore::PutMany(chunks, durability);
  }
};

void RegisterElsewhere() {
  RegisterChunkBackend("rocks-elsewhere",
                       [](const ChunkBackend& backend, internal::Db*,
                          BackendUse) -> absl::StatusOr<std::unique_ptr<ChunkStore>> {
                         const std::string path =
                             backend.url.substr(std::string("rocks-elsewhere://").size());
                         auto& dbs = TheElsewhere().dbs;
                         if (!dbs.contains(path)) {
                           internal::DbOptions options;
                           options.create_if_missing = true;
                           options.sync_commits = false;
                           auto db = internal::Db::Open(path, options);
                           if (!db.ok()) return db.status();
                           dbs[path] = *std::move(db);
                         }
                         return std::make_unique<FailingChunkStore>(
                             internal::NewRocksChunkStore(dbs[path].get()),
                             &TheElsewhere().counts);
                       });
}

std::string RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0x3f);  // compressible a little
  return out;
}

Digest PutBytes(Store& store, const std::string& bytes) {
  auto source = StringSource(bytes);
  auto put = store.content().Put(*source);
  EXPECT_TRUE(put.ok()) << put.status();
  return put.ok() ? put->content_id : Digest();
}

std::string GetBytes(Store& store, const Digest& id) {
  std::string out;
  auto sink = StringSink(&out);
  const absl::Status s = store.content().Get(id, *sink);
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

size_t ChunksIn(ChunkStore& chunks) {
  size_t n = 0;
  for (auto c = chunks.Scan(); c->Valid(); c->Next()) ++n;
  return n;
}

size_t LocalChunks(Store& store) {
  auto local = internal::NewRocksChunkStore(&DatabaseOf(store));
  return ChunksIn(*local);
}

class ChunkBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RegisterElsewhere();
    TheElsewhere().put_budget = -1;
    backend_.url = "rocks-elsewhere://" + scratch_.Sub("elsewhere");
    options_.sync = false;
  }
  std::unique_ptr<Store> Open() {
    auto store = Store::Open(scratch_.Sub("store"), options_);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  testing::ScratchDir scratch_;
  ChunkBackend backend_;
  StoreOptions options_;
};

TEST_F(ChunkBackendTest, InitRecordsTheBackendAndChunksGoThere) {
  ASSERT_TRUE(InitChunkBackend(scratch_.Sub("store"), backend_, options_).ok());
  // Again with the same backend: nothing to do.
  ASSERT_TRUE(InitChunkBackend(scratch_.Sub("store"), backend_, options_).ok());
  const std::string bytes = RandomBytes(3 << 20, 1);
  const uint64_t puts_before = TheElsewhere().counts.put_many;
  Digest id;
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    id = PutBytes(*store, bytes);
    EXPECT_EQ(LocalChunks(*store), 0u);
  }
  EXPECT_GT(TheElsewhere().counts.put_many, puts_before);
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto recorded = RecordedChunkBackend(DatabaseOf(*store));
  ASSERT_TRUE(recorded.ok());
  ASSERT_TRUE(recorded->has_value());
  EXPECT_EQ(**recorded, backend_);
  EXPECT_EQ(GetBytes(*store, id), bytes);
  EXPECT_GT(ChunksIn(store->chunks()), 0u);
}

TEST_F(ChunkBackendTest, InitRefusesAStoreThatHoldsChunksOrAnotherBackend) {
  // No store yet, and Open does not make one.
  EXPECT_TRUE(absl::IsNotFound(Store::Open(scratch_.Sub("store"), options_).status()));
  options_.create_if_missing = true;
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    PutBytes(*store, RandomBytes(100000, 2));
  }
  const absl::Status s = InitChunkBackend(scratch_.Sub("store"), backend_, options_);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "strata migrate --chunks")) << s;

  const std::string other = scratch_.Sub("other");
  ASSERT_TRUE(InitChunkBackend(other, backend_, options_).ok());
  ChunkBackend second = backend_;
  second.url += "2";
  const absl::Status again = InitChunkBackend(other, second, options_);
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition) << again;
  EXPECT_TRUE(absl::StrContains(again.message(), backend_.url)) << again;
}

TEST_F(ChunkBackendTest, UnknownSchemesAreRefusedByName) {
  ChunkBackend nowhere;
  nowhere.url = "nosuch://bucket/prefix";
  const absl::Status s = InitChunkBackend(scratch_.Sub("store"), nowhere, options_);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "cannot keep chunks in nosuch://")) << s;
  ChunkBackend bare;
  bare.url = "bucket/prefix";
  EXPECT_EQ(InitChunkBackend(scratch_.Sub("store"), bare, options_).code(),
            absl::StatusCode::kInvalidArgument);

  // A store that records a backend this binary cannot build does not open.
  ChunkBackend gone;
  gone.url = "gone://bucket";
  RegisterChunkBackend(
      "gone",
      [](const ChunkBackend&, internal::Db* db,
         BackendUse) -> absl::StatusOr<std::unique_ptr<ChunkStore>> {
        return internal::NewRocksChunkStore(db);
      });
  ASSERT_TRUE(InitChunkBackend(scratch_.Sub("gone"), gone, options_).ok());
  RegisterChunkBackend(
      "gone",
      [](const ChunkBackend&, internal::Db*,
         BackendUse) -> absl::StatusOr<std::unique_ptr<ChunkStore>> {
        return absl::InvalidArgumentError("this strata cannot keep chunks in gone://");
      });
  auto store = Store::Open(scratch_.Sub("gone"), options_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition)
      << store.status();
  EXPECT_TRUE(absl::StrContains(store.status().message(), "gone://bucket"))
      << store.status();
}

TEST_F(ChunkBackendTest, MigrateMovesEveryChunkAndDropsTheLocalCopies) {
  options_.create_if_missing = true;
  std::vector<std::string> files;
  std::vector<Digest> ids;
  size_t local = 0;
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    for (uint64_t i = 0; i < 3; ++i) {
      files.push_back(RandomBytes((1 + i) << 20, 10 + i));
      ids.push_back(PutBytes(*store, files.back()));
    }
    local = LocalChunks(*store);
    ASSERT_GT(local, 3u);
  }
  std::vector<std::string> phases;
  auto migrated = MigrateChunks(scratch_.Sub("store"), backend_, options_,
                                [&](const std::string& phase, uint64_t, uint64_t) {
                                  if (phases.empty() || phases.back() != phase)
                                    phases.push_back(phase);
                                });
  ASSERT_TRUE(migrated.ok()) << migrated.status();
  EXPECT_EQ(migrated->chunks, local);
  EXPECT_EQ(migrated->copied, local);
  EXPECT_EQ(migrated->already, 0u);
  EXPECT_EQ(migrated->local_dropped, local);
  EXPECT_GT(migrated->bytes_copied, 0u);
  EXPECT_EQ(phases.front(), "copy");
  EXPECT_TRUE(std::find(phases.begin(), phases.end(), "drop") != phases.end());

  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(LocalChunks(*store), 0u);
  EXPECT_EQ(ChunksIn(store->chunks()), local);
  for (size_t i = 0; i < files.size(); ++i) EXPECT_EQ(GetBytes(*store, ids[i]), files[i]);
  // New puts go to the backend too.
  const std::string more = RandomBytes(500000, 99);
  const Digest more_id = PutBytes(*store, more);
  EXPECT_EQ(LocalChunks(*store), 0u);
  EXPECT_EQ(GetBytes(*store, more_id), more);
}

TEST_F(ChunkBackendTest, AStoppedMigrationIsFinishedByRunningItAgain) {
  options_.create_if_missing = true;
  const std::string bytes = RandomBytes(6 << 20, 5);
  Digest id;
  size_t local = 0;
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    id = PutBytes(*store, bytes);
    local = LocalChunks(*store);
  }
  // 256 chunks go per step: let one step through, then fail.
  TheElsewhere().put_budget = 1;
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    // Enough chunks for more than one step.
    for (uint64_t i = 0; LocalChunks(*store) <= 300; ++i)
      PutBytes(*store, RandomBytes(1 << 20, 100 + i));
    local = LocalChunks(*store);
  }
  auto stopped = MigrateChunks(scratch_.Sub("store"), backend_, options_, nullptr);
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.status().code(), absl::StatusCode::kUnavailable) << stopped.status();
  {
    // Nothing recorded: the store still reads its own chunks, all of them.
    auto store = Open();
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(LocalChunks(*store), local);
    EXPECT_FALSE(RecordedChunkBackend(DatabaseOf(*store))->has_value());
    EXPECT_EQ(GetBytes(*store, id), bytes);
  }
  TheElsewhere().put_budget = -1;
  auto finished = MigrateChunks(scratch_.Sub("store"), backend_, options_, nullptr);
  ASSERT_TRUE(finished.ok()) << finished.status();
  EXPECT_EQ(finished->chunks, local);
  EXPECT_GT(finished->already, 0u);
  EXPECT_EQ(finished->already + finished->copied, local);
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(LocalChunks(*store), 0u);
  EXPECT_EQ(GetBytes(*store, id), bytes);

  // Once moved, a run to the same place has nothing to do; to another is refused.
  store.reset();
  auto again = MigrateChunks(scratch_.Sub("store"), backend_, options_, nullptr);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->copied, 0u);
  EXPECT_EQ(again->local_dropped, 0u);
  ChunkBackend other = backend_;
  other.url += "-other";
  EXPECT_EQ(
      MigrateChunks(scratch_.Sub("store"), other, options_, nullptr).status().code(),
      absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace strata
