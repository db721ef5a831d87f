#include "store/excerpt.h"

#include <string>

#include "gtest/gtest.h"

namespace strata {
namespace {

TEST(ExcerptTest, QuotesAndEscapes) {
  EXPECT_EQ(Excerpt("abc"), "\"abc\"");
  EXPECT_EQ(Excerpt(std::string("a\0b\n\"", 5)), "\"a\\x00b\\n\\\"\"");
  EXPECT_EQ(Excerpt("\xff"), "\"\\xff\"");
  EXPECT_EQ(Excerpt("caf\xc3\xa9"), "\"caf\xc3\xa9\"");       // valid UTF-8 stays
  EXPECT_EQ(Excerpt("\xed\xa0\x80"), "\"\\xed\\xa0\\x80\"");  // a surrogate
}

TEST(ExcerptTest, CutsLongTextAndSaysItsLength) {
  EXPECT_EQ(Excerpt(std::string(10 << 20, 'x'), 4), "\"xxxx...\" (10485760 bytes)");
  EXPECT_EQ(Excerpt(std::string(64, 'y')), "\"" + std::string(64, 'y') + "\"");
}

TEST(ExcerptTest, CutsOnACharacterBoundary) {
  // "é" is two bytes: a cut after one would split it.
  EXPECT_EQ(Excerpt("a\xc3\xa9z", 2), "\"a...\" (4 bytes)");
}

}  // namespace
}  // namespace strata
