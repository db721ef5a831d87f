#include "features/registry.h"

#include <google/protobuf/util/message_differencer.h>

#include "features/definitions.h"
#include "gtest/gtest.h"
#include "tests/testing.h"

namespace strata::features {
namespace {

constexpr absl::string_view kV1 = R"(
entities:
  - name: customer
    join_keys: [{name: customer_id, type: int64}]
feature_views:
  - name: customer_stats
    entities: [customer]
    ttl: 7d
    tags: {tier: gold, team: growth}
    features:
      - {name: spend_7d, type: double}
      - {name: segment, type: string, description: "marketing \"segment\""}
  - name: customer_flags
    entities: [customer]
    features:
      - {name: churned, type: bool}
)";

Definitions Parse(absl::string_view text) {
  auto defs = ParseDefinitions(text, "defs.yaml");
  EXPECT_TRUE(defs.ok()) << defs.status();
  return defs.ok() ? *defs : Definitions();
}

class RegistryTest : public testing::StoreTest {
 protected:
  FeatureRegistry registry() { return FeatureRegistry(store_.get()); }
  size_t Versions(const std::string& name) {
    auto v = store_->artifacts().Versions(ArtifactId{Kind::kFeatureView, name});
    return v.ok() ? v->size() : 0;
  }
};

TEST_F(RegistryTest, ApplyStoresChangedViewsOnly) {
  auto first = registry().Apply(Parse(kV1), "alice", "first");
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->size(), 2u);
  EXPECT_TRUE((*first)[0].changed);
  EXPECT_EQ((*first)[0].version, 1u);

  auto again = registry().Apply(Parse(kV1), "bob", "again");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE((*again)[0].changed);
  EXPECT_FALSE((*again)[1].changed);
  EXPECT_EQ(Versions("customer_stats"), 1u);

  std::string v2(kV1);
  v2.replace(v2.find("ttl: 7d"), 7, "ttl: 30d");
  auto second = registry().Apply(Parse(v2), "alice", "longer ttl");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE((*second)[0].changed);
  EXPECT_EQ((*second)[0].version, 2u);
  EXPECT_FALSE((*second)[1].changed);
  EXPECT_EQ(registry().Get("customer_stats")->ttl_seconds(), 30 * 86400);
  EXPECT_EQ(registry().Get("featureview/customer_stats@1")->ttl_seconds(), 7 * 86400);
}

TEST_F(RegistryTest, IncompatibleChangeWritesNothing) {
  ASSERT_TRUE(registry().Apply(Parse(kV1), "alice", "").ok());
  std::string bad(kV1);
  // customer_flags is listed second: its refusal must stop customer_stats too.
  bad.replace(bad.find("ttl: 7d"), 7, "ttl: 1d");
  bad.replace(bad.find("{name: churned, type: bool}"), 27,
              "{name: churned, type: int64}");
  auto result = registry().Apply(Parse(bad), "alice", "");
  ASSERT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(result.status().message().find("feature 'churned' of feature view "
                                           "'customer_flags' is bool"),
            absl::string_view::npos)
      << result.status();
  EXPECT_EQ(Versions("customer_stats"), 1u);
  EXPECT_EQ(Versions("customer_flags"), 1u);
}

TEST_F(RegistryTest, StoredContentRoundTrips) {
  const Definitions defs = Parse(kV1);
  ASSERT_TRUE(registry().Apply(defs, "alice", "").ok());
  for (const FeatureView& view : defs.feature_views()) {
    auto stored = registry().Get(view.name());
    ASSERT_TRUE(stored.ok()) << stored.status();
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*stored, view))
        << stored->DebugString() << "\nvs\n"
        << view.DebugString();
  }
  // Canonical: the same definition always renders the same bytes.
  EXPECT_EQ(FeatureRegistry::CanonicalContent(defs.feature_views(0)),
            FeatureRegistry::CanonicalContent(*registry().Get("customer_stats")));
}

TEST_F(RegistryTest, GetOfSomethingElseIsAClearError) {
  EXPECT_EQ(registry().Get("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(registry().Get("Bad Name").status().code(),
            absl::StatusCode::kInvalidArgument);
  // A featureview version whose content is not a definition.
  auto source = StringSource("not a definition: [");
  auto stats = store_->content().Put(*source);
  ASSERT_TRUE(stats.ok());
  NewVersion v;
  v.artifact = ArtifactId{Kind::kFeatureView, "junk"};
  v.content_id = stats->content_id;
  ASSERT_TRUE(store_->artifacts().Commit(v).ok());
  EXPECT_EQ(registry().Get("junk").status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace strata::features
