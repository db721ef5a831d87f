#include "gc/gc.h"

#include <atomic>
#include <iostream>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gc/fsck.h"
#include "gtest/gtest.h"
#include "store/io.h"
#include "store/testing/counting_chunk_store.h"
#include "store/testing/raw_records.h"
#include "tests/testing.h"

namespace strata::gc {
namespace {

// dataset/a@1: 400 KB of random bytes, made into model/m@1 (production);
// dataset/b@1: a's bytes and 200 KB more (sharing a's first chunks), deleted;
// dataset/c@1: 300 KB unrelated, deleted. Everything is flushed to files.
class GcTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    std::mt19937_64 rng(5);
    a_ = testing::RandomBytes(rng, 400 << 10);
    b_ = a_ + testing::RandomBytes(rng, 200 << 10);
    c_ = testing::RandomBytes(rng, 300 << 10);
    CommitContent("dataset/a", a_);
    CommitContent("dataset/b", b_);
    CommitContent("dataset/c", c_);
    CommitContent("model/m", "weights", {"dataset/a@1"}, "production");
    Delete("dataset/b@1");
    Delete("dataset/c@1");
    ASSERT_TRUE(testing::FlushChunks(*store_).ok());
  }

  // Closes and opens the store: what a new process (strata gc) sees, with no memory
  // of the contents this one put in the last minute (GcGate keeps those).
  void Reopen() {
    store_.reset();
    store_ = testing::OpenTestStore(dir_.Sub("store"));
  }

  void Delete(const std::string& ref) {
    const Ref r = *ParseRef(ref);
    DeleteRequest del;
    del.artifact = r.artifact;
    del.version = r.version;
    del.who = "test";
    auto deleted = store_->artifacts().Delete(del);
    ASSERT_TRUE(deleted.ok()) << deleted.status();
  }

  GcReport Collect(absl::Duration grace, bool dry_run = false,
                   std::function<void()> after_mark = nullptr) {
    GcOptions options;
    options.grace = grace;
    options.dry_run = dry_run;
    options.after_mark = std::move(after_mark);
    auto report = CollectGarbage(*store_, options);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : GcReport();
  }

  // The chunk ids of `data` as a put cuts it, in order.
  std::vector<std::string> ChunksOf(const std::string& data) {
    return ManifestChunks(PutContent(data).content_id.Raw());
  }

  static std::set<std::string> Set(const std::vector<std::string>& v) {
    return {v.begin(), v.end()};
  }

  // Whether the chunk is stored: its record (Contains) and its bytes (Read) agree.
  bool Stored(const std::string& chunk) {
    const Digest id = *Digest::FromRaw(chunk);
    auto meta = store_->chunks().Contains(id);
    EncodedChunk out;
    const absl::Status bytes = store_->chunks().Read(id, &out);
    EXPECT_TRUE(meta.ok() && (bytes.ok() || absl::IsNotFound(bytes)));
    EXPECT_EQ(*meta, bytes.ok());
    return *meta;
  }

  uint64_t StoredSize(const std::string& chunk) {
    auto stats = store_->chunks().StatMany({*Digest::FromRaw(chunk)});
    EXPECT_TRUE(stats.ok() && (*stats)[0].has_value());
    return stats.ok() && (*stats)[0].has_value() ? (*stats)[0]->stored_size : 0;
  }

  // Reads `ref` back, verified, and checks it is `data`.
  void ExpectReads(const std::string& ref, const std::string& data) {
    auto v = store_->artifacts().Resolve(*ParseRef(ref));
    ASSERT_TRUE(v.ok()) << ref << ": " << v.status();
    std::string out;
    auto sink = StringSink(&out);
    const absl::Status s =
        store_->content().Get(*Digest::FromRaw(v->content_id()), *sink);
    ASSERT_TRUE(s.ok()) << ref << ": " << s;
    EXPECT_TRUE(out == data) << ref;
  }

  void ExpectFsckDeepClean() {
    FsckOptions options;
    options.deep = true;
    auto report = Fsck(*store_, options);
    ASSERT_TRUE(report.ok()) << report.status();
    for (const FsckProblem& p : report->problems)
      ADD_FAILURE() << p.kind << ": " << p.detail;
  }

  std::string a_, b_, c_;
};

TEST_F(GcTest, FreesExactlyTheChunksNoLiveVersionNames) {
  // Re-putting a and b (to learn their chunks) writes no new chunk and refreshes
  // their manifests, which are then only as old as these puts.
  const std::set<std::string> a = Set(ChunksOf(a_)), b = Set(ChunksOf(b_)),
                              c = Set(ChunksOf(c_));
  Reopen();
  std::set<std::string> garbage;
  uint64_t garbage_bytes = 0;
  for (const auto* set : {&b, &c}) {
    for (const std::string& id : *set) {
      if (a.contains(id) || !garbage.insert(id).second) continue;
      garbage_bytes += StoredSize(id);
    }
  }
  ASSERT_GE(garbage.size(), 6u);  // b's tail and all of c: ~500 KB of 64 KB chunks

  const GcReport dry = Collect(absl::ZeroDuration(), /*dry_run=*/true);
  EXPECT_EQ(dry.chunks_found, garbage.size());
  EXPECT_EQ(dry.bytes_found, garbage_bytes);
  EXPECT_EQ(dry.manifests_found, 2u);  // b's and c's contents
  EXPECT_EQ(dry.versions, 4u);
  EXPECT_EQ(dry.deleted_versions, 2u);
  EXPECT_EQ(dry.chunks, dry.chunks_live + dry.chunks_found);
  EXPECT_EQ(dry.chunks_freed, 0u);
  for (const std::string& id : garbage) EXPECT_TRUE(Stored(id));

  const GcReport report = Collect(absl::ZeroDuration());
  EXPECT_EQ(report.chunks_found, garbage.size());
  EXPECT_EQ(report.chunks_freed, garbage.size());
  EXPECT_EQ(report.bytes_freed, garbage_bytes);
  EXPECT_EQ(report.manifests_freed, 2u);
  EXPECT_EQ(report.chunks_kept, 0u);
  for (const std::string& id : garbage) EXPECT_FALSE(Stored(id));
  for (const std::string& id : a) EXPECT_TRUE(Stored(id));
  // More than half of the one blob file was garbage: it was rewritten.
  EXPECT_GT(report.bytes_rewritten, 0u);
  EXPECT_LT(report.disk_bytes_after, report.disk_bytes_before - garbage_bytes / 2);

  ExpectReads("dataset/a@1", a_);
  ExpectReads("model/m@1", "weights");
  ExpectFsckDeepClean();
  const GcReport again = Collect(absl::ZeroDuration());
  EXPECT_EQ(again.chunks_found, 0u);
  EXPECT_EQ(again.manifests_found, 0u);
}

TEST_F(GcTest, TheGracePeriodKeepsRecentWrites) {
  // Everything was written just now: the deleted versions' manifests are young,
  // so they and their chunks stay.
  const GcReport report = Collect(absl::Hours(1));
  EXPECT_EQ(report.manifests_found, 0u);
  EXPECT_EQ(report.manifests_young, 2u);
  EXPECT_EQ(report.chunks_found, 0u);
  EXPECT_EQ(report.chunks_live, report.chunks);
  EXPECT_EQ(report.chunks_freed, 0u);
  ExpectReads("dataset/a@1", a_);
}

TEST_F(GcTest, ContentPutButNotCommittedIsKeptForTheGracePeriodOnly) {
  std::mt19937_64 rng(6);
  const std::string d = testing::RandomBytes(rng, 200 << 10);
  const std::vector<std::string> chunks = ChunksOf(d);  // put, never committed
  const Digest content = PutContent(d).content_id;
  EXPECT_EQ(Collect(absl::Hours(1)).manifests_found, 0u);
  for (const std::string& id : chunks) EXPECT_TRUE(Stored(id));
  // In this process what was put in the last minute stays, whatever the grace
  // period: a commit of it may follow.
  EXPECT_EQ(Collect(absl::ZeroDuration()).manifests_freed, 0u);
  for (const std::string& id : chunks) EXPECT_TRUE(Stored(id));

  Reopen();
  const GcReport report = Collect(absl::ZeroDuration());
  EXPECT_EQ(report.manifests_freed, 3u);  // b's, c's and d's
  for (const std::string& id : chunks) EXPECT_FALSE(Stored(id));
  // A commit of collected content is refused, not recorded.
  NewVersion v;
  v.artifact = *ParseArtifactId("dataset/d");
  v.content_id = content;
  v.creator = "test";
  auto commit = store_->artifacts().Commit(v);
  EXPECT_TRUE(absl::IsFailedPrecondition(commit.status())) << commit.status();
}

// The worst moment for a writer: after gc has marked, before it deletes. What the
// writers name meanwhile is kept, and everything they committed reads back.
TEST_F(GcTest, WhatWritersNameWhileGcRunsIsKept) {
  const std::set<std::string> c = Set(ChunksOf(c_));
  std::vector<Digest> b_ids;
  for (const std::string& id : ChunksOf(b_)) b_ids.push_back(*Digest::FromRaw(id));
  // Put now, committed while gc runs: its manifest is garbage at mark time.
  std::mt19937_64 rng(7);
  const std::string e = testing::RandomBytes(rng, 150 << 10);
  const Digest e_content = PutContent(e).content_id;
  Reopen();
  const GcReport report = Collect(absl::ZeroDuration(), false, [&] {
    // A put that deduplicates against c's garbage chunks.
    CommitContent("dataset/c2", c_);
    // A commit of content whose manifest the mark found unnamed.
    NewVersion v;
    v.artifact = *ParseArtifactId("dataset/e");
    v.content_id = e_content;
    v.creator = "test";
    auto r = store_->artifacts().Commit(v);
    ASSERT_TRUE(r.ok()) << r.status();
    // An upload told that b's chunks are stored, to name them in a later request.
    auto missing = store_->content().MissingChunks(b_ids);
    ASSERT_TRUE(missing.ok());
    EXPECT_TRUE(missing->empty());
  });
  EXPECT_EQ(report.manifests_found, 3u);  // b's, c's and e's
  EXPECT_EQ(report.manifests_freed, 1u);  // b's: c and e were claimed again
  EXPECT_GE(report.chunks_kept, c.size());
  EXPECT_EQ(report.chunks_kept, report.chunks_found);
  EXPECT_EQ(report.chunks_freed, 0u);
  ExpectReads("dataset/c2@1", c_);
  ExpectReads("dataset/e@1", e);
  ExpectReads("dataset/a@1", a_);
  // The upload's later request: b's chunks are all there to assemble.
  auto assembled = store_->content().Assemble(b_ids, Sha256::Of(b_));
  ASSERT_TRUE(assembled.ok()) << assembled.status();
  ExpectFsckDeepClean();
}

TEST_F(GcTest, OneGcAtATime) {
  Collect(absl::ZeroDuration(), false, [&] {
    GcOptions options;
    options.grace = absl::ZeroDuration();
    auto second = CollectGarbage(*store_, options);
    EXPECT_TRUE(absl::IsFailedPrecondition(second.status())) << second.status();
  });
  GcOptions negative;
  negative.grace = -absl::Seconds(1);
  EXPECT_TRUE(absl::IsInvalidArgument(CollectGarbage(*store_, negative).status()));
}

// Writers put (half of it content gc is collecting), commit and delete while gc
// runs again and again with no grace period; every live version must read back.
TEST_F(GcTest, WritersRacingGcLoseNothing) {
  const uint64_t seed = testing::TestSeed();
  // Garbage from an earlier process: contents of deleted versions that the writers
  // put again while gc sweeps them.
  std::vector<std::string> garbage = {b_, c_};
  std::mt19937_64 setup(seed);
  for (int i = 0; i < 6; ++i) {
    garbage.push_back(testing::RandomBytes(setup, 70 << 10));
    CommitContent("dataset/old" + std::to_string(i), garbage.back());
    Delete("dataset/old" + std::to_string(i) + "@1");
  }
  Reopen();
  std::atomic<bool> done{false};
  std::atomic<int> collections{0};
  std::thread collector([&] {
    while (!done.load()) {
      GcOptions options;
      options.grace = absl::ZeroDuration();
      options.reclaim = collections % 4 == 0;
      auto report = CollectGarbage(*store_, options);
      ASSERT_TRUE(report.ok()) << report.status();
      ++collections;
    }
  });
  std::vector<std::thread> writers;
  std::vector<std::vector<std::pair<std::string, std::string>>> kept(2);
  for (int w = 0; w < 2; ++w) {
    writers.emplace_back([&, w] {
      std::mt19937_64 rng(seed + w);
      std::vector<std::string> pool = garbage;
      for (int i = 0; i < 40; ++i) {
        const std::string name =
            "dataset/w" + std::to_string(w) + "-" + std::to_string(i);
        std::string data =
            rng() % 2 ? pool[rng() % pool.size()] : testing::RandomBytes(rng, 70 << 10);
        if (rng() % 3 == 0) pool.push_back(data);
        const store::Version v = CommitContent(name, data);
        if (rng() % 2) {
          Delete(name + "@1");
        } else {
          kept[w].emplace_back(name + "@1", data);
        }
      }
    });
  }
  for (auto& t : writers) t.join();
  // At least one collection overlapped the writers' last steps, and one follows.
  const int before = collections.load();
  while (collections.load() < before + 2) std::this_thread::yield();
  done = true;
  collector.join();
  std::cout << "seed " << seed << ", " << collections.load() << " collections\n";
  for (const auto& list : kept) {
    for (const auto& [ref, data] : list) ExpectReads(ref, data);
  }
  ExpectReads("dataset/a@1", a_);
  ExpectFsckDeepClean();
}

TEST_F(GcTest, GoesThroughAnInjectedChunkStore) {
  testing::CountingChunkStore::Counts counts;
  store_.reset();
  StoreOptions options;
  options.sync = false;
  options.chunk_store = [&counts](std::unique_ptr<ChunkStore> embedded)
      -> absl::StatusOr<std::unique_ptr<ChunkStore>> {
    return std::make_unique<testing::CountingChunkStore>(std::move(embedded), &counts);
  };
  auto opened = Store::Open(dir_.Sub("store"), options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  store_ = std::move(*opened);

  const GcReport report = Collect(absl::ZeroDuration());
  EXPECT_GT(report.chunks_freed, 0u);
  EXPECT_EQ(counts.scan.load(), 1u);
  EXPECT_GE(counts.stat_many.load(), 1u);
  EXPECT_GE(counts.del.load(), 1u);
  EXPECT_GE(counts.sync.load(), 1u);
  EXPECT_EQ(counts.reclaim.load(), 1u);
  ExpectReads("dataset/a@1", a_);
  EXPECT_GT(counts.read.load(), 0u);
  ExpectFsckDeepClean();
  EXPECT_GT(counts.contains.load(), 0u);
  store_.reset();  // before `counts` goes
}

}  // namespace
}  // namespace strata::gc
