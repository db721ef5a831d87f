#include "features/view_catalog.h"

#include <memory>

#include "features/definitions.h"
#include "features/rocks_online_table.h"
#include "gtest/gtest.h"
#include "store/database.h"
#include "tests/testing.h"

namespace strata::features {
namespace {

constexpr absl::string_view kV1 = R"(
entities:
  - name: customer
    join_keys: [{name: customer_id, type: int64}]
feature_views:
  - name: stats
    entities: [customer]
    features:
      - {name: x, type: double}
)";

// kV1 with a second feature.
const std::string kV2 = std::string(kV1) + "      - {name: y, type: int64}\n";

class ViewCatalogTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    registry_ = std::make_unique<FeatureRegistry>(store_.get());
    online_ = std::make_unique<RocksOnlineTable>(&DatabaseOf(*store_));
    tables_ = std::make_unique<FeatureTables>(&DatabaseOf(*store_), online_.get());
    catalog_ = std::make_unique<ViewCatalog>(store_.get(), registry_.get(), tables_.get());
    Apply(kV1);
  }

  void Apply(absl::string_view yaml) {
    auto defs = ParseDefinitions(yaml, "defs");
    ASSERT_TRUE(defs.ok()) << defs.status();
    ASSERT_TRUE(registry_->Apply(*defs, "test", "").ok());
  }

  std::unique_ptr<FeatureRegistry> registry_;
  std::unique_ptr<RocksOnlineTable> online_;
  std::unique_ptr<FeatureTables> tables_;
  std::unique_ptr<ViewCatalog> catalog_;
};

TEST_F(ViewCatalogTest, ResolvesTheLatestVersionOnceAndSharesIt) {
  auto latest = catalog_->View("stats", 0);
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_EQ((*latest)->def.name(), "stats");
  EXPECT_EQ((*latest)->version, 1u);
  EXPECT_EQ((*latest)->id, 0u);  // nothing registered yet
  auto again = catalog_->View("stats", 0);
  auto pinned = catalog_->View("stats", 1);
  ASSERT_TRUE(again.ok() && pinned.ok());
  EXPECT_EQ(latest->get(), again->get());
  EXPECT_EQ(latest->get(), pinned->get());
}

TEST_F(ViewCatalogTest, ANewVersionIsTheLatestAndTheOldOneStaysPinnable) {
  ASSERT_TRUE(catalog_->View("stats", 0).ok());
  Apply(kV2);
  auto latest = catalog_->View("stats", 0);
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_EQ((*latest)->version, 2u);
  EXPECT_EQ((*latest)->FeatureIndex("y"), 1);
  auto old = catalog_->View("stats", 1);
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ((*old)->version, 1u);
  EXPECT_EQ((*old)->FeatureIndex("y"), -1);
}

TEST_F(ViewCatalogTest, ForgetReadsTheColumnsAgainAndLeavesHeldViewsAlone) {
  auto before = catalog_->View("stats", 0);
  ASSERT_TRUE(before.ok()) << before.status();
  ResolvedView registered = **before;
  ASSERT_TRUE(tables_->Register(&registered).ok());
  ASSERT_NE(registered.id, 0u);
  auto cached = catalog_->View("stats", 0);
  ASSERT_TRUE(cached.ok());
  EXPECT_EQ((*cached)->id, 0u);  // the cache does not see the new columns
  catalog_->Forget("stats");
  auto after = catalog_->View("stats", 0);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ((*after)->id, registered.id);
  EXPECT_EQ((*after)->feature_columns, registered.feature_columns);
  EXPECT_EQ((*before)->id, 0u);
}

TEST_F(ViewCatalogTest, NamesWhatIsMissing) {
  auto unknown = catalog_->View("nope", 0);
  EXPECT_TRUE(absl::IsNotFound(unknown.status())) << unknown.status();
  EXPECT_EQ(unknown.status().message(), "no feature view nope (apply its definition first)");
  auto version = catalog_->View("stats", 9);
  EXPECT_TRUE(absl::IsNotFound(version.status())) << version.status();
  EXPECT_EQ(version.status().message(), "no feature view stats@9");
  auto empty = catalog_->View("", 0);
  EXPECT_TRUE(absl::IsInvalidArgument(empty.status())) << empty.status();
}

TEST(SplitFeatureRefViewTest, SplitsViewAndFeature) {
  auto parts = SplitFeatureRefView("stats:x");
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_EQ(parts->first, "stats");
  EXPECT_EQ(parts->second, "x");
  for (absl::string_view bad : {"stats", ":x", "stats:", "stats:x:y", ""}) {
    auto s = SplitFeatureRefView(bad);
    EXPECT_TRUE(absl::IsInvalidArgument(s.status())) << bad;
  }
}

}  // namespace
}  // namespace strata::features
