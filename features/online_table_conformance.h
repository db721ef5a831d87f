// The conformance suite of OnlineTable (features/online_table.h): every
// implementation passes it. An implementation's test instantiates it with a factory:
//
//   INSTANTIATE_TEST_SUITE_P(RocksDb, OnlineTableConformanceTest,
//                            ::testing::Values(OnlineTableFactory{&OpenRocks}));
//
// and links the object library strata_online_table_conformance
// (features/CMakeLists.txt). The suite reaches the table through the interface only.
#ifndef STRATA_FEATURES_ONLINE_TABLE_CONFORMANCE_H_
#define STRATA_FEATURES_ONLINE_TABLE_CONFORMANCE_H_

#include <functional>
#include <memory>
#include <string>

#include "features/online_table.h"
#include "gtest/gtest.h"

namespace strata::testing {

// An OnlineTable under test with whatever keeps it alive (a store, a server).
class OnlineTableHarness {
 public:
  virtual ~OnlineTableHarness() = default;
  virtual features::OnlineTable& table() = 0;
};

// Makes a harness whose table is empty and keeps its files under `dir` (an existing,
// empty scratch directory that outlives it).
using OnlineTableFactory =
    std::function<std::unique_ptr<OnlineTableHarness>(const std::string& dir)>;

class OnlineTableConformanceTest : public ::testing::TestWithParam<OnlineTableFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;
  features::OnlineTable& table() { return harness_->table(); }

 private:
  std::string dir_;
  std::unique_ptr<OnlineTableHarness> harness_;
};

}  // namespace strata::testing

#endif  // STRATA_FEATURES_ONLINE_TABLE_CONFORMANCE_H_
