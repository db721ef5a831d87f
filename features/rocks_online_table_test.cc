// RocksOnlineTable against the OnlineTable conformance suite, on a real store.
#include "store/database.h"
#include "features/rocks_online_table.h"

#include "features/online_table_conformance.h"
#include "tests/testing.h"

namespace strata::testing {
namespace {

class RocksHarness : public OnlineTableHarness {
 public:
  explicit RocksHarness(const std::string& dir)
      : store_(OpenTestStore(dir + "/store")), table_(&DatabaseOf(*store_)) {}
  features::OnlineTable& table() override { return table_; }

 private:
  std::unique_ptr<Store> store_;
  features::RocksOnlineTable table_;
};

std::unique_ptr<OnlineTableHarness> OpenRocks(const std::string& dir) {
  return std::make_unique<RocksHarness>(dir);
}

INSTANTIATE_TEST_SUITE_P(RocksDb, OnlineTableConformanceTest,
                         ::testing::Values(OnlineTableFactory{&OpenRocks}));

}  // namespace
}  // namespace strata::testing
