// FeatureStore::ResolveFeatures, PushTargets and the several-view PushOnline: the
// names Feast's requests use, turned into what retrieval and pushes read.
#include <memory>

#include "features/definitions.h"
#include "features/feature_store.h"
#include "gtest/gtest.h"
#include "tests/testing.h"

namespace strata::features {
namespace {

constexpr absl::string_view kDefinitions = R"(
push_sources: [{name: customer_push}]
entities:
  - name: customer
    join_keys: [{name: customer_id, type: int64}]
feature_views:
  - name: stats
    entities: [customer]
    source: customer_push
    features:
      - {name: x, type: double}
      - {name: s, type: string}
  - name: risk
    entities: [customer]
    source: customer_push
    features:
      - {name: r, type: double}
  - name: other
    entities: [customer]
    features:
      - {name: y, type: int64}
feature_services:
  - name: model
    features: [stats:x, risk]
  - name: all_stats
    features: [stats]
)";

Micros Sec(int64_t s) { return s * 1000000; }

class FeatureServicesTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    fs_ = std::make_unique<FeatureStore>(store_.get());
    auto defs = ParseDefinitions(kDefinitions, "defs.yaml");
    ASSERT_TRUE(defs.ok()) << defs.status();
    ASSERT_TRUE(fs_->registry().Apply(*defs, "test", "").ok());
  }

  std::unique_ptr<FeatureStore> fs_;
};

TEST_F(FeatureServicesTest, ResolveFeaturesExpandsServicesInPlace) {
  // No service: as given, duplicates left for Online and Historical to refuse.
  auto plain = fs_->ResolveFeatures({"other:y", "stats:x", "stats:x"});
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->features, (std::vector<std::string>{"other:y", "stats:x", "stats:x"}));
  EXPECT_TRUE(plain->services.empty());

  auto r = fs_->ResolveFeatures(
      {"other:y", "featureservice/model", "stats:s", "featureservice/all_stats@1"});
  ASSERT_TRUE(r.ok()) << r.status();
  // all_stats adds nothing new; stats:s, named and in a service, is kept once.
  EXPECT_EQ(r->features,
            (std::vector<std::string>{"other:y", "stats:x", "risk:r", "stats:s"}));
  EXPECT_EQ(r->services, (std::vector<std::string>{"featureservice/model@1",
                                                   "featureservice/all_stats@1"}));
  auto twice = fs_->ResolveFeatures({"featureservice/model", "featureservice/model@1"});
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(twice->features, (std::vector<std::string>{"stats:x", "risk:r"}));
  EXPECT_EQ(twice->services, (std::vector<std::string>{"featureservice/model@1"}));

  auto missing = fs_->ResolveFeatures({"featureservice/nope"});
  EXPECT_TRUE(absl::IsNotFound(missing.status())) << missing.status();
  EXPECT_EQ(missing.status().message().rfind("no feature service featureservice/nope", 0),
            0u)
      << missing.status();
  EXPECT_TRUE(
      absl::IsNotFound(fs_->ResolveFeatures({"featureservice/model@2"}).status()));
  EXPECT_TRUE(
      absl::IsInvalidArgument(fs_->ResolveFeatures({"featureservice/Model"}).status()));
}

TEST_F(FeatureServicesTest, PushTargetsAreThePushSourcesViewsOrTheViewItself) {
  auto source = fs_->PushTargets("customer_push");
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_EQ(*source, (std::vector<std::string>{"risk", "stats"}));
  auto view = fs_->PushTargets("other");
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(*view, (std::vector<std::string>{"other"}));
  EXPECT_TRUE(absl::IsNotFound(fs_->PushTargets("nope").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(fs_->PushTargets("../x").status()));
}

// A file is refused, nothing applied, when its names and the store's would make a
// push ambiguous: a new view named as an applied push source, or a new push source
// named as an applied view.
TEST_F(FeatureServicesTest, PushNamesClashingAcrossFilesAreRefused) {
  const auto apply = [&](absl::string_view text) {
    auto defs = ParseDefinitions(text, "more.yaml");
    EXPECT_TRUE(defs.ok()) << defs.status();
    return fs_->registry().Apply(*defs, "test", "").status();
  };
  absl::Status view_named_as_source = apply(R"(
entities: [{name: customer, join_keys: [{name: customer_id, type: int64}]}]
feature_views:
  - name: customer_push
    entities: [customer]
    features: [{name: z, type: double}]
)");
  EXPECT_TRUE(absl::IsInvalidArgument(view_named_as_source)) << view_named_as_source;
  EXPECT_EQ(view_named_as_source.message(),
            "feature view 'customer_push' has the name of the push source that feeds "
            "feature view 'risk' (applied before): a push to 'customer_push' would be "
            "ambiguous; rename one of them");
  EXPECT_TRUE(absl::IsNotFound(fs_->registry().Get("customer_push").status()));

  absl::Status source_named_as_view = apply(R"(
push_sources: [{name: other}]
entities: [{name: customer, join_keys: [{name: customer_id, type: int64}]}]
feature_views:
  - name: fresh
    entities: [customer]
    source: other
    features: [{name: z, type: double}]
)");
  EXPECT_TRUE(absl::IsInvalidArgument(source_named_as_view)) << source_named_as_view;
  EXPECT_EQ(source_named_as_view.message(),
            "push source 'other' of feature view 'fresh' has the name of a feature view "
            "applied before: a push to 'other' would be ambiguous; rename one of them");
  EXPECT_TRUE(absl::IsNotFound(fs_->registry().Get("fresh").status()));

  // Re-applying the views with their sources, and views under other names, is fine.
  auto defs = ParseDefinitions(kDefinitions, "defs.yaml");
  ASSERT_TRUE(defs.ok());
  EXPECT_TRUE(fs_->registry().Apply(*defs, "test", "").ok());
  EXPECT_TRUE(apply(R"(
push_sources: [{name: customer_push}]
entities: [{name: customer, join_keys: [{name: customer_id, type: int64}]}]
feature_views:
  - name: fresh
    entities: [customer]
    source: customer_push
    features: [{name: z, type: double}]
)")
                  .ok());
  auto targets = fs_->PushTargets("customer_push");
  ASSERT_TRUE(targets.ok());
  EXPECT_EQ(*targets, (std::vector<std::string>{"fresh", "risk", "stats"}));
}

TEST_F(FeatureServicesTest, PushOnlineOfSeveralViewsWritesAllOrNothing) {
  const auto i64 = [](int64_t v) { return Value(v); };
  const auto online = [&] {
    auto r = fs_->Online({"stats:x", "risk:r"}, {{"customer_id", {i64(1)}}}, Sec(2000));
    EXPECT_TRUE(r.ok()) << r.status();
    return std::make_pair(r->values[0][0], r->values[1][0]);
  };
  const RowColumns stats = {{"customer_id", {i64(1)}},
                            {"event_timestamp", {i64(Sec(1000))}},
                            {"x", {Value(1.5)}}};
  // The second view's rows are bad: the first view's are not written either.
  const RowColumns bad_risk = {{"customer_id", {i64(1)}},
                               {"event_timestamp", {i64(Sec(1000))}},
                               {"r", {Value(std::string("high"))}}};
  absl::Status s = fs_->PushOnline({{"stats", stats}, {"risk", bad_risk}}, Sec(1500));
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_EQ(online().first.status, FeatureStatus::kNotFound);
  EXPECT_TRUE(
      absl::IsNotFound(fs_->PushOnline({{"stats", stats}, {"nope", stats}}, Sec(1500))));
  EXPECT_EQ(online().first.status, FeatureStatus::kNotFound);
  EXPECT_TRUE(absl::IsInvalidArgument(fs_->PushOnline({}, Sec(1500))));

  const RowColumns risk = {{"customer_id", {i64(1)}},
                           {"event_timestamp", {i64(Sec(1000))}},
                           {"r", {Value(0.25)}}};
  ASSERT_TRUE(fs_->PushOnline({{"stats", stats}, {"risk", risk}}, Sec(1500)).ok());
  auto [x, r] = online();
  EXPECT_EQ(std::get<double>(x.value), 1.5);
  EXPECT_EQ(std::get<double>(r.value), 0.25);
}

}  // namespace
}  // namespace strata::features
