// The ChunkStore conformance suite against the RocksDB implementation, as a Store
// opens it.
#include <memory>
#include <string>

#include "store/chunk_store_conformance.h"
#include "store/store.h"
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

INSTANTIATE_TEST_SUITE_P(RocksDb, ChunkStoreConformanceTest,
                         ::testing::Values(ChunkStoreFactory([](const std::string& dir) {
                           return std::make_unique<RocksHarness>(dir);
                         })));

}  // namespace
}  // namespace strata::testing
