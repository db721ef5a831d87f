#include "store/ref.h"

#include <cctype>

#include "gtest/gtest.h"

namespace strata {
namespace {

TEST(RefTest, ParsesEveryForm) {
  auto latest = ParseRef("model/churn");
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_EQ(latest->artifact.kind, Kind::kModel);
  EXPECT_EQ(latest->artifact.name, "churn");
  EXPECT_TRUE(latest->is_latest());

  auto number = ParseRef("dataset/team/raw@12");
  ASSERT_TRUE(number.ok());
  EXPECT_EQ(number->artifact.name, "team/raw");
  EXPECT_EQ(number->version, 12u);
  EXPECT_EQ(number->ToString(), "dataset/team/raw@12");

  auto alias = ParseRef("config/train@production");
  ASSERT_TRUE(alias.ok());
  EXPECT_EQ(alias->alias, "production");
  EXPECT_EQ(ParseRef("featureview/fv@latest")->is_latest(), true);
}

struct BadRef {
  const char* text;
  const char* message_part;
};

class BadRefTest : public ::testing::TestWithParam<BadRef> {};

TEST_P(BadRefTest, IsInvalidArgumentNamingTheProblem) {
  auto r = ParseRef(GetParam().text);
  ASSERT_FALSE(r.ok()) << GetParam().text;
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find(GetParam().message_part), absl::string_view::npos)
      << r.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadRefTest,
    ::testing::Values(
        BadRef{"churn", "KIND/NAME"}, BadRef{"weights/churn", "unknown kind"},
        BadRef{"model/", "empty"}, BadRef{"model/Churn", "start with"},
        BadRef{"model/a//b", "empty '/' segment"}, BadRef{"model/a b", "only a-z"},
        BadRef{"model/../etc", "start with"}, BadRef{"model/x@", "nothing after"},
        BadRef{"model/x@0", "from 1"},
        BadRef{"model/x@1x", "\"1x\" is not a version number (digits) nor an alias"},
        BadRef{"model/x@Prod", "start with a letter"},
        BadRef{"model/x@a@b", "more than one '@'"},
        BadRef{"model/m@1@2", "\"model/m@1@2\": more than one '@'"},
        BadRef{"model/m@latest@2", "more than one '@'"},
        BadRef{"model/x@99999999999999999999",
               "version \"99999999999999999999\" is out of "
               "range"},
        BadRef{"/x", "unknown kind \"\""}, BadRef{"", "is not KIND/NAME"},
        BadRef{"model/x\n", "only a-z"}, BadRef{"model/x@-1", "start with a letter"}),
    [](const ::testing::TestParamInfo<BadRef>& info) {
      std::string name;
      for (char c : std::string(info.param.text)) name += std::isalnum(c) ? c : '_';
      return name + "_" + std::to_string(info.index);
    });

TEST(RefTest, ErrorsCutLongText) {
  for (const std::string& text :
       {std::string(100000, 'k') + "/x", "model/" + std::string(100000, 'a'),
        "model/x@" + std::string(100000, '1'), "model/x@" + std::string(100000, 'a'),
        "model/x@1@" + std::string(100000, 'a'), std::string(100000, 'a')}) {
    auto r = ParseRef(text);
    ASSERT_FALSE(r.ok());
    EXPECT_LT(r.status().message().size(), 400u) << r.status().message();
  }
}

TEST(RefTest, NameLengthLimit) {
  EXPECT_TRUE(ValidateArtifactName(std::string(200, 'a')).ok());
  EXPECT_FALSE(ValidateArtifactName(std::string(201, 'a')).ok());
  EXPECT_TRUE(ValidateArtifactName("team-a/churn_v2.1").ok());
}

TEST(RefTest, AliasRules) {
  EXPECT_TRUE(ValidateAliasName("production").ok());
  EXPECT_TRUE(ValidateAliasName("canary-2").ok());
  EXPECT_FALSE(ValidateAliasName("latest").ok());
  EXPECT_FALSE(ValidateAliasName("2prod").ok());
  EXPECT_FALSE(ValidateAliasName(std::string(65, 'a')).ok());
}

TEST(RefTest, ParseArtifactIdRejectsVersions) {
  EXPECT_FALSE(ParseArtifactId("model/churn@3").ok());
  EXPECT_TRUE(ParseArtifactId("model/churn").ok());
}

}  // namespace
}  // namespace strata
