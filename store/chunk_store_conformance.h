// The conformance suite of ChunkStore (store/chunk_store.h): every implementation
// passes it. An implementation's test instantiates it with a factory:
//
//   INSTANTIATE_TEST_SUITE_P(RocksDb, ChunkStoreConformanceTest,
//                            ::testing::Values(ChunkStoreFactory{&OpenRocks}));
//
// and links the object library strata_chunk_store_conformance (store/CMakeLists.txt).
#ifndef STRATA_STORE_CHUNK_STORE_CONFORMANCE_H_
#define STRATA_STORE_CHUNK_STORE_CONFORMANCE_H_

#include <functional>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "store/chunk_store.h"

namespace strata::testing {

// A ChunkStore under test with whatever keeps it alive (a store, a server).
class ChunkStoreHarness {
 public:
  virtual ~ChunkStoreHarness() = default;
  virtual ChunkStore& chunks() = 0;
};

// Makes a harness whose store is empty and keeps its files under `dir` (an
// existing, empty scratch directory that outlives it). A factory that cannot (a
// server it needs is not installed) calls GTEST_SKIP() in a helper and returns null.
using ChunkStoreFactory =
    std::function<std::unique_ptr<ChunkStoreHarness>(const std::string& dir)>;

class ChunkStoreConformanceTest : public ::testing::TestWithParam<ChunkStoreFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;
  ChunkStore& chunks() { return harness_->chunks(); }

 private:
  std::string dir_;
  std::unique_ptr<ChunkStoreHarness> harness_;
};

}  // namespace strata::testing

#endif  // STRATA_STORE_CHUNK_STORE_CONFORMANCE_H_
