#include "quality/profile_store.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "features/feature_store_testing.h"
#include "gtest/gtest.h"
#include "quality/render.h"

namespace strata::quality {
namespace {

class ProfileStoreTest : public features::FeatureStoreFixture {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    ApplyDefinitions(testing::kExampleDefinitions);
  }

  absl::StatusOr<StatsResult> Run(const std::string& ref, const std::string& view = "") {
    StatsRequest request;
    request.ref = ref;
    request.view = view;
    request.creator = "ana";
    return Stats(*store_, *fs_, request);
  }
};

TEST_F(ProfileStoreTest, ASecondRequestReadsTheStoredProfile) {
  CommitContent("dataset/sales",
                "customer_id,spend_7d,segment\n1,2.5,7\n2,3.5,8\n3,,7\n");
  auto first = Run("dataset/sales");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->computed);
  EXPECT_EQ(first->source, "dataset/sales@1");
  EXPECT_EQ(first->stored, "profile/sales@1");
  EXPECT_EQ(first->profile.rows(), 3u);

  auto second = Run("dataset/sales@1");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(second->computed);
  EXPECT_EQ(second->stored, "profile/sales@1");
  EXPECT_EQ(StatsJson(*second).substr(StatsJson(*second).find("\"rows\"")),
            StatsJson(*first).substr(StatsJson(*first).find("\"rows\"")));

  // The profile version describes the dataset version: an input edge and metadata.
  auto v = store_->artifacts().Resolve(*ParseRef("profile/sales@1"));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->metadata().at(kDescribesKey), "dataset/sales@1");
  ASSERT_EQ(v->inputs_size(), 1);
  EXPECT_EQ(v->inputs(0), "dataset/sales@1");
  EXPECT_EQ(v->creator(), "ana");

  // The same content as a new version: read back; other content: computed.
  CommitContent("dataset/sales",
                "customer_id,spend_7d,segment\n1,2.5,7\n2,3.5,8\n3,,7\n");
  CommitContent("dataset/sales", "customer_id,spend_7d,segment\n9,1,1\n");
  auto same = Run("dataset/sales@1");
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(same->computed);
  auto other = Run("dataset/sales");
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_TRUE(other->computed);
  EXPECT_EQ(other->source, "dataset/sales@2");
  EXPECT_EQ(other->stored, "profile/sales@2");
  EXPECT_EQ(other->profile.rows(), 1u);

  // Types from a view make another profile (code is a string there).
  auto typed = Run("dataset/sales@1", "featureview/customer_stats");
  ASSERT_TRUE(typed.ok()) << typed.status();
  EXPECT_TRUE(typed->computed);
  EXPECT_EQ(typed->profile.columns()[2].type(), ColumnType::kString);
  EXPECT_EQ(first->profile.columns()[2].type(), ColumnType::kInt64);
  auto typed_again = Run("dataset/sales@1", "customer_stats");
  ASSERT_TRUE(typed_again.ok());
  EXPECT_FALSE(typed_again->computed);
}

TEST_F(ProfileStoreTest, NotStoredWhenAskedNot) {
  CommitContent("dataset/sales", "a\n1\n");
  StatsRequest request;
  request.ref = "dataset/sales";
  request.store = false;
  auto r = Stats(*store_, *fs_, request);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->stored.empty());
  EXPECT_EQ(store_->artifacts().Resolve(*ParseRef("profile/sales")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ProfileStoreTest, WindowsAreProfiledEachTime) {
  const std::string path = WriteFile("rows.csv",
                                     "customer_id,event_timestamp,spend_7d,segment\n"
                                     "1,1000,1.0,a\n2,1500,4.0,b\n3,2500,9.0,\n");
  ASSERT_TRUE(fs_->Ingest("customer_stats", path, {}).ok());
  StatsRequest request;
  request.ref = "featureview/customer_stats";
  request.from = 1000 * int64_t{1000000};
  request.to = 2000 * int64_t{1000000};
  auto r = Stats(*store_, *fs_, request);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->profile.rows(), 2u);
  EXPECT_TRUE(r->stored.empty());
  EXPECT_EQ(r->source,
            "featureview/customer_stats[1970-01-01T00:16:40Z..1970-01-01T00:33:20Z]");
  const std::string json = StatsJson(*r);
  EXPECT_TRUE(absl::StrContains(json, R"("name":"spend_7d","type":"double","count":2)"))
      << json;
  EXPECT_TRUE(absl::StrContains(
      json,
      R"("name":"event_timestamp","type":"timestamp","count":2,"nulls":0,"distinct":2,"min":"1970-01-01T00:16:40Z")"))
      << json;

  request.view = "customer_stats";
  EXPECT_EQ(Stats(*store_, *fs_, request).status().code(),
            absl::StatusCode::kInvalidArgument);
  StatsRequest dataset_window;
  dataset_window.ref = "dataset/x";
  dataset_window.from = 1;
  EXPECT_EQ(Stats(*store_, *fs_, dataset_window).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ProfileStoreTest, JsonHasTheIssueShape) {
  CommitContent("dataset/s", "n,x,s,b\n1,0.5,a,true\n2,1.5,a,false\n3,2.5,b,true\n,,,\n");
  auto r = Run("dataset/s");
  ASSERT_TRUE(r.ok()) << r.status();
  const std::string json = StatsJson(*r);
  EXPECT_TRUE(absl::StrContains(
      json,
      R"({"name":"n","type":"int64","count":3,"nulls":1,"distinct":3,"min":1,"max":3,"mean":2,"stddev":1,"quantiles":{"p1":1,"p5":1,"p25":1,"p50":2,"p75":3,"p95":3,"p99":3},"histogram":[{"lo":1,"hi":1.1,"count":1},)"))
      << json;
  EXPECT_TRUE(absl::StrContains(
      json,
      R"({"name":"s","type":"string","count":3,"nulls":1,"distinct":2,"top":[{"value":"a","count":2},{"value":"b","count":1}]})"))
      << json;
  EXPECT_TRUE(absl::StrContains(
      json,
      R"({"name":"b","type":"bool","count":3,"nulls":1,"distinct":2,"min":false,"max":true,"mean":0.6666666666666666,"top":[{"value":true,"count":2},{"value":false,"count":1}]})"))
      << json;
  EXPECT_TRUE(absl::StartsWith(
      json,
      R"({"source":"dataset/s@1","stored":"profile/s@1","computed":true,"rows":4,"columns":[)"))
      << json;
}

}  // namespace
}  // namespace strata::quality
