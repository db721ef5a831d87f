#include "store/chunk_store_conformance.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <vector>

#include "absl/time/clock.h"
#include "store/digest.h"
#include "tests/testing.h"

namespace strata::testing {
namespace {

// A chunk as a writer makes it (the suite never checks that ids hash to bytes: a
// ChunkStore does not, and stores what it is given).
EncodedChunk MakeChunk(const std::string& raw, ChunkCodec codec = ChunkCodec::kRaw) {
  EncodedChunk c;
  c.id = Sha256::Of(raw);
  c.raw_size = static_cast<uint32_t>(raw.size());
  c.codec = codec;
  c.payload = codec == ChunkCodec::kRaw ? raw : "frame:" + raw;
  return c;
}

std::vector<EncodedChunk> MakeChunks(int n, const std::string& tag) {
  std::vector<EncodedChunk> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(MakeChunk(tag + std::to_string(i) + std::string(1500 + i, 'x')));
  }
  return out;
}

std::vector<Digest> Ids(const std::vector<EncodedChunk>& chunks) {
  std::vector<Digest> ids;
  for (const auto& c : chunks) ids.push_back(c.id);
  return ids;
}

// Every id Scan reports, in its order; fails the test on a cursor error.
std::vector<Digest> Scanned(ChunkStore& store) {
  std::vector<Digest> ids;
  auto cursor = store.Scan();
  for (; cursor->Valid(); cursor->Next()) ids.push_back(cursor->id());
  EXPECT_TRUE(cursor->status().ok()) << cursor->status();
  return ids;
}

int64_t NowUs() { return absl::ToUnixMicros(absl::Now()); }

}  // namespace

void ChunkStoreConformanceTest::SetUp() {
  static int n = 0;
  static ScratchDir* root = new ScratchDir();  // one per process, removed at exit
  dir_ = root->Sub("chunks" + std::to_string(n++));
  std::filesystem::create_directories(dir_);
  harness_ = GetParam()(dir_);
  if (IsSkipped()) return;  // the factory skipped (a server it needs is not installed)
  ASSERT_NE(harness_, nullptr);
}

void ChunkStoreConformanceTest::TearDown() {
  harness_.reset();
  std::filesystem::remove_all(dir_);
}

TEST_P(ChunkStoreConformanceTest, ReadsBackWhatItStoredWithItsCodec) {
  const EncodedChunk raw = MakeChunk(std::string(3000, 'r'));
  const EncodedChunk zstd = MakeChunk(std::string(2000, 'z'), ChunkCodec::kZstd);
  ASSERT_TRUE(chunks().PutMany({raw, zstd}).ok());
  for (const EncodedChunk& want : {raw, zstd}) {
    EXPECT_EQ(*chunks().Contains(want.id), true);
    auto got = chunks().Get(want.id);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->id, want.id);
    EXPECT_EQ(got->raw_size, want.raw_size);
    EXPECT_EQ(got->codec, want.codec);
    EXPECT_EQ(got->payload, want.payload);
  }
}

TEST_P(ChunkStoreConformanceTest, AnAbsentChunkIsNotFound) {
  const Digest id = Sha256::Of("never stored");
  EXPECT_EQ(*chunks().Contains(id), false);
  EncodedChunk out;
  EXPECT_TRUE(absl::IsNotFound(chunks().Read(id, &out)));
  EXPECT_TRUE(absl::IsNotFound(chunks().Get(id).status()));
}

TEST_P(ChunkStoreConformanceTest, ReadReusesTheCallersChunk) {
  const auto stored = MakeChunks(2, "reuse");
  ASSERT_TRUE(chunks().PutMany(stored).ok());
  EncodedChunk out;
  for (const EncodedChunk& want : stored) {
    ASSERT_TRUE(chunks().Read(want.id, &out).ok());
    EXPECT_EQ(out.id, want.id);
    EXPECT_EQ(out.payload, want.payload);
  }
}

TEST_P(ChunkStoreConformanceTest, WritingAChunkTwiceStoresItOnce) {
  const auto stored = MakeChunks(3, "twice");
  ASSERT_TRUE(chunks().PutMany(stored).ok());
  ASSERT_TRUE(chunks().PutMany(stored).ok());
  EXPECT_EQ(Scanned(chunks()).size(), 3u);
}

TEST_P(ChunkStoreConformanceTest, DeferredChunksAreStoredAfterSync) {
  const auto stored = MakeChunks(4, "deferred");
  ASSERT_TRUE(chunks().PutMany(stored, ChunkStore::Durability::kDeferred).ok());
  ASSERT_TRUE(chunks().Sync().ok());
  for (const EncodedChunk& c : stored) {
    EXPECT_EQ(*chunks().Contains(c.id), true);
    auto got = chunks().Get(c.id);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->payload, c.payload);
  }
  EXPECT_EQ(Scanned(chunks()).size(), 4u);
}

TEST_P(ChunkStoreConformanceTest, ScanListsEveryChunkInIdOrderWithItsStat) {
  const int64_t before = NowUs();
  const auto stored = MakeChunks(50, "scan");
  ASSERT_TRUE(chunks().PutMany(stored).ok());
  const int64_t after = NowUs();
  std::vector<Digest> want = Ids(stored);
  std::sort(want.begin(), want.end());
  EXPECT_EQ(Scanned(chunks()), want);

  auto cursor = chunks().Scan();
  for (; cursor->Valid(); cursor->Next()) {
    auto stat = cursor->Stat();
    ASSERT_TRUE(stat.ok()) << stat.status();
    EXPECT_EQ(stat->id, cursor->id());
    const auto c = std::find_if(stored.begin(), stored.end(),
                                [&](const EncodedChunk& e) { return e.id == stat->id; });
    ASSERT_NE(c, stored.end());
    EXPECT_EQ(stat->stored_size, c->payload.size());
    EXPECT_GE(stat->reference_us, before);
    EXPECT_LE(stat->reference_us, after);
  }
  EXPECT_TRUE(cursor->status().ok());
}

TEST_P(ChunkStoreConformanceTest, AnEmptyStoreScansNothing) {
  auto cursor = chunks().Scan();
  EXPECT_FALSE(cursor->Valid());
  EXPECT_TRUE(cursor->status().ok());
}

TEST_P(ChunkStoreConformanceTest, StatManyAnswersPerIdInOrder) {
  const auto stored = MakeChunks(2, "stat");
  ASSERT_TRUE(chunks().PutMany(stored).ok());
  const Digest absent = Sha256::Of("absent");
  auto stats = chunks().StatMany({stored[1].id, absent, stored[0].id});
  ASSERT_TRUE(stats.ok()) << stats.status();
  ASSERT_EQ(stats->size(), 3u);
  ASSERT_TRUE((*stats)[0].has_value());
  EXPECT_EQ((*stats)[0]->id, stored[1].id);
  EXPECT_EQ((*stats)[0]->stored_size, stored[1].payload.size());
  EXPECT_FALSE((*stats)[1].has_value());
  ASSERT_TRUE((*stats)[2].has_value());
  EXPECT_EQ((*stats)[2]->id, stored[0].id);
  EXPECT_TRUE(chunks().StatMany({})->empty());
}

TEST_P(ChunkStoreConformanceTest, TouchReportsWhatIsStoredAndRenewsItsReferenceTime) {
  const auto stored = MakeChunks(2, "touch");
  ASSERT_TRUE(chunks().PutMany(stored).ok());
  const int64_t written = (*chunks().StatMany({stored[0].id}))[0]->reference_us;
  // The clock must move past the write for the touch to be seen.
  while (NowUs() <= written) absl::SleepFor(absl::Microseconds(50));
  const int64_t before = NowUs();
  const Digest absent = Sha256::Of("absent");
  auto touched = chunks().Touch({stored[0].id, absent});
  ASSERT_TRUE(touched.ok()) << touched.status();
  EXPECT_EQ(*touched, (std::vector<bool>{true, false}));
  auto stats = chunks().StatMany({stored[0].id, stored[1].id, absent});
  ASSERT_TRUE(stats.ok());
  EXPECT_GE((*stats)[0]->reference_us, before);
  EXPECT_LT((*stats)[1]->reference_us, before);  // untouched
  EXPECT_FALSE((*stats)[2].has_value());         // a touch stores nothing
  EXPECT_EQ(*chunks().Contains(absent), false);
}

TEST_P(ChunkStoreConformanceTest, DeleteRemovesOnlyTheGivenChunks) {
  const auto stored = MakeChunks(6, "delete");
  ASSERT_TRUE(chunks().PutMany(stored).ok());
  const Digest absent = Sha256::Of("absent");
  ASSERT_TRUE(chunks().Delete({stored[0].id, stored[3].id, absent}).ok());
  ASSERT_TRUE(chunks().Sync().ok());
  for (size_t i = 0; i < stored.size(); ++i) {
    const bool gone = i == 0 || i == 3;
    EXPECT_EQ(*chunks().Contains(stored[i].id), !gone) << i;
    EncodedChunk out;
    const absl::Status read = chunks().Read(stored[i].id, &out);
    EXPECT_EQ(absl::IsNotFound(read), gone) << i << ": " << read;
    EXPECT_EQ((*chunks().StatMany({stored[i].id}))[0].has_value(), !gone) << i;
  }
  EXPECT_EQ(Scanned(chunks()).size(), 4u);
  EXPECT_TRUE(chunks().Delete({}).ok());
}

TEST_P(ChunkStoreConformanceTest, ADeletedChunkCanBeStoredAgain) {
  const auto stored = MakeChunks(1, "again");
  ASSERT_TRUE(chunks().PutMany(stored).ok());
  ASSERT_TRUE(chunks().Delete(Ids(stored)).ok());
  ASSERT_TRUE(chunks().PutMany(stored).ok());
  EXPECT_EQ(*chunks().Contains(stored[0].id), true);
  EXPECT_EQ(chunks().Get(stored[0].id)->payload, stored[0].payload);
}

TEST_P(ChunkStoreConformanceTest, ReclaimKeepsEveryLiveChunkReadable) {
  const auto stored = MakeChunks(40, "reclaim");
  ASSERT_TRUE(chunks().PutMany(stored).ok());
  std::vector<Digest> doomed;
  for (size_t i = 0; i < stored.size(); i += 2) doomed.push_back(stored[i].id);
  ASSERT_TRUE(chunks().Delete(doomed).ok());
  ASSERT_TRUE(chunks().Sync().ok());
  uint64_t last_done = 0, last_total = 0;
  auto rewritten = chunks().Reclaim([&](uint64_t done, uint64_t total) {
    EXPECT_LE(done, total);
    last_done = done;
    last_total = total;
  });
  ASSERT_TRUE(rewritten.ok()) << rewritten.status();
  EXPECT_EQ(last_done, last_total);  // the last report is the end
  for (size_t i = 0; i < stored.size(); ++i) {
    auto got = chunks().Get(stored[i].id);
    if (i % 2 == 0) {
      EXPECT_TRUE(absl::IsNotFound(got.status())) << i;
    } else {
      ASSERT_TRUE(got.ok()) << i << ": " << got.status();
      EXPECT_EQ(got->payload, stored[i].payload);
    }
  }
  EXPECT_EQ(Scanned(chunks()).size(), 20u);
}

TEST_P(ChunkStoreConformanceTest, ReclaimOnAStoreWithoutGarbageChangesNothing) {
  const auto stored = MakeChunks(5, "clean");
  ASSERT_TRUE(chunks().PutMany(stored).ok());
  auto rewritten = chunks().Reclaim(nullptr);
  ASSERT_TRUE(rewritten.ok()) << rewritten.status();
  EXPECT_EQ(*rewritten, 0u);
  for (const auto& c : stored) EXPECT_EQ(chunks().Get(c.id)->payload, c.payload);
}

}  // namespace strata::testing
