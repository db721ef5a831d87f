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

TEST_F(RegistryTest, FeatureServicesAreExpandedVersionedAndLinkedToTheirViews) {
  ASSERT_TRUE(registry().Apply(Parse(kV1), "alice", "views").ok());
  // A service of a view of the file and a view applied before (whole).
  const std::string services = std::string(R"(
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
feature_services:
  - name: churn
    features: [customer_stats:spend_7d, customer_flags, customer_flags:nope]
)");
  // A feature the view lacks: refused at its place, nothing written.
  auto bad = registry().Apply(Parse(services), "alice", "");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "defs.yaml:15:57: feature service 'churn': feature view 'customer_flags' has "
            "no feature \"nope\"");
  EXPECT_EQ(Versions("customer_stats"), 1u);
  std::string good = services;
  good.replace(good.find(", customer_flags:nope"), 21, "");
  auto applied = registry().Apply(Parse(good), "alice", "service");
  ASSERT_TRUE(applied.ok()) << applied.status();
  ASSERT_EQ(applied->size(), 2u);
  EXPECT_EQ((*applied)[1].kind, Kind::kFeatureService);
  EXPECT_EQ((*applied)[1].name, "churn");
  EXPECT_TRUE((*applied)[1].changed);
  auto service = registry().GetService("churn");
  ASSERT_TRUE(service.ok()) << service.status();
  EXPECT_EQ(std::vector<std::string>(service->first.features().begin(),
                                     service->first.features().end()),
            (std::vector<std::string>{"customer_stats:spend_7d", "customer_flags:churned"}));
  EXPECT_EQ(service->first.feature_places_size(), 0);
  EXPECT_EQ(std::vector<std::string>(service->second.inputs().begin(),
                                     service->second.inputs().end()),
            (std::vector<std::string>{"featureview/customer_flags@1",
                                      "featureview/customer_stats@1"}));
  // Unchanged: no new version. A view it reads changes: a new version of it too.
  auto again = registry().Apply(Parse(good), "bob", "");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE((*again)[1].changed);
  std::string v2 = good;
  v2.replace(v2.find("ttl: 7d"), 7, "ttl: 30d");
  auto third = registry().Apply(Parse(v2), "bob", "");
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE((*third)[1].changed);
  EXPECT_EQ((*third)[1].version, 2u);
  auto second = registry().GetService("featureservice/churn@2");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->second.inputs(0), "featureview/customer_flags@1");
  EXPECT_EQ(second->second.inputs(1), "featureview/customer_stats@2");
  // Unknown services and references of another kind.
  EXPECT_TRUE(absl::IsNotFound(registry().GetService("nope").status()));
  EXPECT_TRUE(absl::IsNotFound(registry().GetService("churn@3").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(registry().GetService("Bad Name").status()));
}

TEST_F(RegistryTest, AViewsPushSourceRoundTrips) {
  auto defs = Parse(R"(
push_sources: [{name: p}]
entities:
  - name: customer
    join_keys: [{name: customer_id, type: int64}]
feature_views:
  - name: v
    entities: [customer]
    source: p
    features: [{name: x, type: double}]
)");
  ASSERT_TRUE(registry().Apply(defs, "alice", "").ok());
  auto view = registry().Get("v");
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->push_source(), "p");
  // Without the source, a new version that names none.
  defs.mutable_feature_views(0)->clear_push_source();
  auto applied = registry().Apply(defs, "alice", "");
  ASSERT_TRUE(applied.ok());
  EXPECT_TRUE((*applied)[0].changed);
  EXPECT_EQ(registry().Get("v")->push_source(), "");
  // A view without a source stores what it stored before push sources existed.
  EXPECT_EQ(FeatureRegistry::CanonicalContent(defs.feature_views(0)).find("source"),
            std::string::npos);
}

// Drift thresholds are stored with the view and read back from its content; a view
// without them stores what it stored before they existed.
TEST_F(RegistryTest, DriftThresholdsRoundTripAndAreAbsentWhenUnset) {
  auto defs = ParseDefinitions(R"(
entities: [{name: c, join_keys: [{name: c_id, type: int64}]}]
feature_views:
  - name: v
    entities: [c]
    drift: {psi: 0.25, ks_statistic: 0.15}
    features: [{name: x, type: double}]
)",
                               "defs.yaml");
  ASSERT_TRUE(defs.ok()) << defs.status();
  const std::string content = FeatureRegistry::CanonicalContent(defs->feature_views(0));
  EXPECT_NE(content.find("\"drift\":{\"psi\":0.25,\"ks_statistic\":0.15}"),
            std::string::npos)
      << content;
  auto reparsed = ParseDefinitions(content, "content");
  ASSERT_TRUE(reparsed.ok()) << reparsed.status();
  EXPECT_EQ(reparsed->feature_views(0).drift().psi(), 0.25);
  EXPECT_FALSE(reparsed->feature_views(0).drift().has_ks_p_value());
  EXPECT_EQ(reparsed->feature_views(0).drift().ks_statistic(), 0.15);
  ASSERT_TRUE(registry().Apply(*defs, "alice", "").ok());
  EXPECT_EQ(registry().Get("v")->drift().psi(), 0.25);

  defs->mutable_feature_views(0)->clear_drift();
  EXPECT_EQ(FeatureRegistry::CanonicalContent(defs->feature_views(0)).find("drift"),
            std::string::npos);
}

}  // namespace
}  // namespace strata::features

namespace strata::features {
namespace {

TEST_F(RegistryTest, RulesAreInTheContentAndChangingThemIsANewVersion) {
  // Without rules, the content is what it was before rules existed: re-applying an
  // old file adds no version.
  const std::string plain = FeatureRegistry::CanonicalContent(Parse(kV1).feature_views(0));
  EXPECT_EQ(plain.find("on_invalid"), std::string::npos);
  EXPECT_EQ(plain,
            "{\"entities\":[{\"name\":\"customer\",\"description\":\"\",\"join_keys\":[{"
            "\"name\":\"customer_id\",\"type\":\"int64\"}]}],\"feature_views\":[{\"name\":"
            "\"customer_stats\",\"entities\":[\"customer\"],\"ttl\":\"604800s\","
            "\"description\":\"\",\"owner\":\"\",\"tags\":{\"team\":\"growth\",\"tier\":"
            "\"gold\"},\"features\":[{\"name\":\"spend_7d\",\"type\":\"double\","
            "\"description\":\"\"},{\"name\":\"segment\",\"type\":\"string\","
            "\"description\":\"marketing \\\"segment\\\"\"}]}]}\n");
  ASSERT_TRUE(registry().Apply(Parse(kV1), "alice", "").ok());

  std::string ruled(kV1);
  ruled.replace(ruled.find("{name: spend_7d, type: double}"), 30,
                "{name: spend_7d, type: double, min: 0, max: 1e6, not_null: true}");
  ruled.replace(ruled.find("ttl: 7d"), 7, "ttl: 7d\n    on_invalid: warn");
  auto second = registry().Apply(Parse(ruled), "alice", "rules");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE((*second)[0].changed);
  EXPECT_EQ(Versions("customer_stats"), 2u);
  auto stored = registry().Get("customer_stats");
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->on_invalid(), "warn");
  EXPECT_EQ(stored->features(0).rules().max(), "1e+06");
  EXPECT_TRUE(stored->features(0).rules().not_null());
  const std::string content = FeatureRegistry::CanonicalContent(*stored);
  EXPECT_NE(content.find("\"on_invalid\":\"warn\""), std::string::npos) << content;
  EXPECT_NE(content.find("\"min\":\"0\",\"max\":\"1e+06\",\"not_null\":true"),
            std::string::npos)
      << content;
  auto again = registry().Apply(Parse(ruled), "alice", "same rules");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE((*again)[0].changed);
  // Back to no rules: a third version, with the first one's content.
  ASSERT_TRUE(registry().Apply(Parse(kV1), "alice", "").ok());
  EXPECT_EQ(Versions("customer_stats"), 3u);
  EXPECT_EQ(FeatureRegistry::CanonicalContent(*registry().Get("customer_stats")), plain);
}

}  // namespace
}  // namespace strata::features
