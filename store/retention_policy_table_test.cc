// RetentionPolicyTable: policies by target, replaced whole, listed in target order,
// erased once.
#include "store/retention_policy_table.h"

#include "gtest/gtest.h"
#include "store/store.h"
#include "tests/testing.h"

namespace strata {
namespace {

using RetentionPolicyTableTest = testing::StoreTest;

store::RetentionPolicy KeepLast(uint32_t n) {
  store::RetentionPolicy p;
  p.set_keep_last(n);
  p.set_updated_by("ana");
  return p;
}

TEST_F(RetentionPolicyTableTest, PoliciesAreReplacedListedAndErased) {
  RetentionPolicyTable& table = store_->retention_policies();
  EXPECT_TRUE(table.List()->empty());
  ASSERT_TRUE(table.Put("model", KeepLast(3)).ok());
  ASSERT_TRUE(table.Put("dataset/clicks", KeepLast(5)).ok());
  ASSERT_TRUE(table.Put("dataset", KeepLast(2)).ok());
  ASSERT_TRUE(table.Put("dataset", KeepLast(7)).ok());  // replaces
  auto list = table.List();
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 3u);
  auto it = list->begin();
  EXPECT_EQ(it->first, "dataset");
  EXPECT_EQ(it->second.keep_last(), 7u);
  EXPECT_EQ(it->second.updated_by(), "ana");
  EXPECT_EQ((++it)->first, "dataset/clicks");
  EXPECT_EQ((++it)->first, "model");

  EXPECT_EQ(*table.Erase("dataset/clicks"), true);
  EXPECT_EQ(*table.Erase("dataset/clicks"), false);
  EXPECT_EQ(table.List()->size(), 2u);
}

TEST_F(RetentionPolicyTableTest, PoliciesSurviveReopening) {
  ASSERT_TRUE(store_->retention_policies().Put("config", KeepLast(1)).ok());
  store_.reset();
  store_ = testing::OpenTestStore(dir_.Sub("store"));
  auto list = store_->retention_policies().List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->begin()->second.keep_last(), 1u);
}

}  // namespace
}  // namespace strata
