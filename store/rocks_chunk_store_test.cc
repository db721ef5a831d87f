// The ChunkStore conformance suite against the RocksDB implementation, as a Store
// opens it, and against the same wrapped in a counting ChunkStore injected through
// StoreOptions::chunk_store; and what Open does with an injected ChunkStore.
#include <memory>
#include <string>

#include "store/chunk_store_conformance.h"
#include "store/io.h"
#include "store/store.h"
#include "store/testing/counting_chunk_store.h"
#include "tests/testing.h"

namespace strata::testing {
namespace {

class RocksHarness : public ChunkStoreHarness {
 public:
  explicit RocksHarness(const std::string& dir) : store_(OpenTestStore(dir + "/store")) {}
  ChunkStore& chunks() override { return store_->chunks(); }

 private:
  std::unique_ptr<Store> store_;
};

// A store whose ChunkStore is the embedded one wrapped in a CountingChunkStore.
std::unique_ptr<Store> OpenCountingStore(const std::string& dir,
                                         CountingChunkStore::Counts* counts) {
  StoreOptions options;
  options.create_if_missing = true;
  options.sync = false;
  options.chunk_store = [counts](std::unique_ptr<ChunkStore> embedded)
      -> absl::StatusOr<std::unique_ptr<ChunkStore>> {
    return std::make_unique<CountingChunkStore>(std::move(embedded), counts);
  };
  auto store = Store::Open(dir, options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? std::move(*store) : nullptr;
}

class CountingHarness : public ChunkStoreHarness {
 public:
  explicit CountingHarness(const std::string& dir)
      : store_(OpenCountingStore(dir + "/store", &counts_)) {}
  ChunkStore& chunks() override { return store_->chunks(); }

 private:
  CountingChunkStore::Counts counts_;
  std::unique_ptr<Store> store_;
};

INSTANTIATE_TEST_SUITE_P(RocksDb, ChunkStoreConformanceTest,
                         ::testing::Values(ChunkStoreFactory([](const std::string& dir) {
                           return std::make_unique<RocksHarness>(dir);
                         })));

INSTANTIATE_TEST_SUITE_P(CountingRocksDb, ChunkStoreConformanceTest,
                         ::testing::Values(ChunkStoreFactory([](const std::string& dir) {
                           return std::make_unique<CountingHarness>(dir);
                         })));

TEST(InjectedChunkStoreTest, PutsAndGetsGoThroughIt) {
  ScratchDir dir;
  CountingChunkStore::Counts counts;
  auto store = OpenCountingStore(dir.Sub("store"), &counts);
  ASSERT_NE(store, nullptr);
  std::mt19937_64 rng(3);
  const std::string data = RandomBytes(rng, 300 << 10);
  auto put = store->content().Put(*StringSource(data));
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_GT(counts.put_many.load(), 0u);
  EXPECT_GT(counts.contains.load(), 0u);
  EXPECT_GT(counts.sync.load(), 0u);
  std::string out;
  auto sink = StringSink(&out);
  ASSERT_TRUE(store->content().Get(put->content_id, *sink).ok());
  EXPECT_EQ(out, data);
  EXPECT_EQ(counts.read.load(), put->chunks);
}

TEST(InjectedChunkStoreTest, AFactoryErrorFailsOpen) {
  ScratchDir dir;
  StoreOptions options;
  options.create_if_missing = true;
  options.chunk_store = [](std::unique_ptr<ChunkStore>)
      -> absl::StatusOr<std::unique_ptr<ChunkStore>> {
    return absl::UnavailableError("the object store does not answer");
  };
  auto store = Store::Open(dir.Sub("store"), options);
  EXPECT_TRUE(absl::IsUnavailable(store.status())) << store.status();
  EXPECT_NE(store.status().message().find("does not answer"), std::string::npos);
}

}  // namespace
}  // namespace strata::testing
