// TokenTable: names are unique, listing is in name order, and a delete that must
// keep another record of a kind refuses to remove the last one.
#include "store/token_table.h"

#include "gtest/gtest.h"
#include "store/store.h"
#include "tests/testing.h"

namespace strata {
namespace {

using TokenTableTest = testing::StoreTest;

TEST_F(TokenTableTest, NamesAreUniqueAndListedInOrder) {
  TokenTable& tokens = store_->tokens();
  ASSERT_TRUE(tokens.Insert("ci", "record ci").ok());
  ASSERT_TRUE(tokens.Insert("ana", "record ana").ok());
  absl::Status again = tokens.Insert("ci", "other");
  EXPECT_TRUE(absl::IsAlreadyExists(again)) << again;
  auto list = tokens.List();
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0], std::make_pair(std::string("ana"), std::string("record ana")));
  EXPECT_EQ((*list)[1], std::make_pair(std::string("ci"), std::string("record ci")));
  EXPECT_TRUE(absl::IsNotFound(tokens.Delete("nobody")));
  ASSERT_TRUE(tokens.Delete("ci").ok());
  list = tokens.List();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 1u);
}

TEST_F(TokenTableTest, DeleteKeepsAnotherRecordOfTheKind) {
  TokenTable& tokens = store_->tokens();
  const TokenTable::RecordTest admin = [](absl::string_view r) -> absl::StatusOr<bool> {
    if (r == "broken") return absl::DataLossError("unreadable");
    return r == "admin";
  };
  ASSERT_TRUE(tokens.Insert("a1", "admin").ok());
  ASSERT_TRUE(tokens.Insert("a2", "admin").ok());
  ASSERT_TRUE(tokens.Insert("reader", "read").ok());
  EXPECT_TRUE(tokens.Delete("reader", admin).ok());  // not of the kind: no check
  EXPECT_TRUE(tokens.Delete("a1", admin).ok());
  absl::Status last = tokens.Delete("a2", admin);
  EXPECT_TRUE(absl::IsFailedPrecondition(last)) << last;
  EXPECT_NE(last.message().find("a2"), absl::string_view::npos) << last;
  auto list = tokens.List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  // The test's own errors end the delete, which changes nothing.
  ASSERT_TRUE(tokens.Insert("bad", "broken").ok());
  EXPECT_TRUE(absl::IsDataLoss(tokens.Delete("bad", admin)));
  // Without the test, the last one goes.
  EXPECT_TRUE(tokens.Delete("a2").ok());
}

}  // namespace
}  // namespace strata
