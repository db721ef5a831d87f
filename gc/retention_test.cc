#include "gc/retention.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gc/render.h"
#include "gtest/gtest.h"
#include "store/io.h"
#include "tests/testing.h"

namespace strata::gc {
namespace {

constexpr int64_t kDay = 86400;

// dataset/clicks@1..5 (random, 100 KB each); model/m@1 (production) made from
// dataset/clicks@2; config/c@1..3.
class RetentionTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    std::mt19937_64 rng(3);
    for (int i = 0; i < 5; ++i) {
      CommitContent("dataset/clicks", testing::RandomBytes(rng, 100 << 10));
    }
    CommitContent("model/m", "weights", {"dataset/clicks@2"}, "production");
    for (int i = 0; i < 3; ++i) CommitContent("config/c", absl::StrCat("c", i));
  }

  store::RetentionPolicy Policy(uint32_t last, int64_t within = 0, int64_t log = 0) {
    store::RetentionPolicy p;
    p.set_keep_last(last);
    p.set_keep_within_seconds(within);
    p.set_log_keep_seconds(log);
    return p;
  }

  RetentionReport Apply(bool dry_run, int64_t now_us = 0) {
    RetentionOptions options;
    options.dry_run = dry_run;
    options.who = "test";
    options.now_us = now_us;
    auto report = ApplyRetention(*store_, options);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : RetentionReport();
  }

  static std::vector<std::string> Refs(const std::vector<ExpiredVersion>& list) {
    std::vector<std::string> out;
    for (const auto& e : list) out.push_back(e.version);
    std::sort(out.begin(), out.end());
    return out;
  }

  std::vector<uint64_t> Live(const std::string& artifact) {
    auto versions = store_->artifacts().Versions(*ParseArtifactId(artifact));
    EXPECT_TRUE(versions.ok());
    std::vector<uint64_t> out;
    for (const auto& v : *versions) {
      if (!v.has_deleted()) out.push_back(v.number());
    }
    return out;
  }
};

TEST_F(RetentionTest, PoliciesAreCheckedStoredAndRemoved) {
  EXPECT_TRUE(absl::IsInvalidArgument(
      SetRetentionPolicy(*store_, "dataset", Policy(0), "t")));  // limits nothing
  EXPECT_TRUE(absl::IsInvalidArgument(
      SetRetentionPolicy(*store_, "dataset", Policy(1, 0, kDay), "t")));  // log: views
  EXPECT_TRUE(absl::IsInvalidArgument(
      SetRetentionPolicy(*store_, "datasets", Policy(1), "t")));  // no such kind
  EXPECT_TRUE(absl::IsInvalidArgument(
      SetRetentionPolicy(*store_, "dataset/", Policy(1), "t")));
  EXPECT_TRUE(absl::IsInvalidArgument(
      SetRetentionPolicy(*store_, "dataset", Policy(1, -5), "t")));
  ASSERT_TRUE(SetRetentionPolicy(*store_, "dataset", Policy(3, 7 * kDay), "ana").ok());
  ASSERT_TRUE(
      SetRetentionPolicy(*store_, "featureview", Policy(0, 0, 30 * kDay), "ana").ok());
  auto policies = RetentionPolicies(*store_);
  ASSERT_TRUE(policies.ok());
  ASSERT_EQ(policies->size(), 2u);
  EXPECT_EQ(DescribePolicy(policies->at("dataset")), "keep last 3, within 7d");
  EXPECT_EQ(DescribePolicy(policies->at("featureview")), "log 30d");
  EXPECT_EQ(policies->at("dataset").updated_by(), "ana");
  EXPECT_TRUE(RemoveRetentionPolicy(*store_, "featureview").ok());
  EXPECT_TRUE(absl::IsNotFound(RemoveRetentionPolicy(*store_, "featureview")));
  EXPECT_EQ(RetentionPolicies(*store_)->size(), 1u);
}

TEST_F(RetentionTest, KeepLastDeletesOnlyUnprotectedOlderVersions) {
  ASSERT_TRUE(SetRetentionPolicy(*store_, "dataset", Policy(2), "t").ok());
  const RetentionReport dry = Apply(/*dry_run=*/true);
  EXPECT_EQ(Refs(dry.deleted),
            std::vector<std::string>({"dataset/clicks@1", "dataset/clicks@3"}));
  ASSERT_EQ(dry.protected_.size(), 1u);
  EXPECT_EQ(dry.protected_[0].version, "dataset/clicks@2");
  EXPECT_NE(dry.protected_[0].kept_by.find("model/m@1 (production)"), std::string::npos)
      << dry.protected_[0].kept_by;
  // Two random 100 KB contents, stored raw: at least their bytes.
  EXPECT_GE(dry.bytes_freed, 2u * (100 << 10));
  EXPECT_LT(dry.bytes_freed, 2u * (100 << 10) + 4096);
  EXPECT_EQ(Live("dataset/clicks"), std::vector<uint64_t>({1, 2, 3, 4, 5}));

  const RetentionReport applied = Apply(/*dry_run=*/false);
  EXPECT_EQ(Refs(applied.deleted), Refs(dry.deleted));
  EXPECT_EQ(applied.bytes_freed, dry.bytes_freed);
  EXPECT_EQ(Live("dataset/clicks"), std::vector<uint64_t>({2, 4, 5}));
  EXPECT_EQ(Live("config/c"), std::vector<uint64_t>({1, 2, 3}));  // no policy
  auto deleted = store_->artifacts().ResolveRecord(*ParseRef("dataset/clicks@1"));
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted->deleted().who(), "test");
  EXPECT_EQ(deleted->deleted().reason(), "retention policy of dataset: keep last 2");
  // Applying again finds nothing new.
  EXPECT_TRUE(Apply(false).deleted.empty());
}

TEST_F(RetentionTest, AnArtifactsPolicyOverridesItsKindsAndAgeKeepsRecentVersions) {
  ASSERT_TRUE(SetRetentionPolicy(*store_, "config", Policy(1), "t").ok());
  ASSERT_TRUE(SetRetentionPolicy(*store_, "config/c", Policy(0, 7 * kDay), "t").ok());
  // Everything is minutes old: within 7 days, so config/c keeps all three.
  EXPECT_TRUE(Apply(true).deleted.empty());
  // Ten days on, only the latest stays (it always does).
  const int64_t later = absl::ToUnixMicros(absl::Now()) + 10 * kDay * 1'000'000;
  EXPECT_EQ(Refs(Apply(false, later).deleted),
            std::vector<std::string>({"config/c@1", "config/c@2"}));
  EXPECT_EQ(Live("config/c"), std::vector<uint64_t>({3}));
  // keep_last and keep_within keep what either keeps.
  ASSERT_TRUE(SetRetentionPolicy(*store_, "dataset", Policy(4, 7 * kDay), "t").ok());
  EXPECT_TRUE(Apply(true).deleted.empty());
  EXPECT_EQ(Refs(Apply(true, later).deleted),
            std::vector<std::string>({"dataset/clicks@1"}));
}

TEST_F(RetentionTest, AFeatureViewPolicyNamesTheLogHorizon) {
  CommitContent("featureview/stats", "definition");
  ASSERT_TRUE(
      SetRetentionPolicy(*store_, "featureview", Policy(0, 0, 30 * kDay), "t").ok());
  const int64_t now = absl::ToUnixMicros(absl::Now());
  const RetentionReport report = Apply(true, now);
  ASSERT_EQ(report.logs.size(), 1u);
  EXPECT_EQ(report.logs[0].view, "stats");
  EXPECT_EQ(report.logs[0].policy, "featureview");
  EXPECT_EQ(report.logs[0].horizon_us, now - 30 * kDay * 1'000'000);
  EXPECT_TRUE(report.deleted.empty());  // a log-only policy deletes no version
}

// The logs are trimmed before the expired versions go, told which those are (they
// hold no log rows back); PlanRetention says the same and deletes nothing.
TEST_F(RetentionTest, LogTrimsAreToldWhichVersionsAreExpiring) {
  CommitContent("featureview/stats", "definition");
  ASSERT_TRUE(SetRetentionPolicy(*store_, "dataset", Policy(2), "t").ok());
  ASSERT_TRUE(SetRetentionPolicy(*store_, "featureview", Policy(0, 0, kDay), "t").ok());
  auto plan = PlanRetention(*store_, 0);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(Refs(plan->deleted),
            (std::vector<std::string>{"dataset/clicks@1", "dataset/clicks@3"}));
  EXPECT_EQ(Live("dataset/clicks"), (std::vector<uint64_t>{1, 2, 3, 4, 5}));

  std::vector<std::string> seen;
  RetentionOptions options;
  options.trim_log = [&](LogTrim* trim, bool dry_run,
                         const std::vector<std::string>& expiring) {
    EXPECT_EQ(trim->view, "stats");
    EXPECT_FALSE(dry_run);
    seen = expiring;
    // Nothing deleted yet: the trim runs first.
    EXPECT_EQ(Live("dataset/clicks"), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
    trim->held_back_by = {"dataset/train@1"};
    return absl::OkStatus();
  };
  auto report = ApplyRetention(*store_, options);
  ASSERT_TRUE(report.ok()) << report.status();
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"dataset/clicks@1", "dataset/clicks@3"}));
  EXPECT_EQ(Live("dataset/clicks"), (std::vector<uint64_t>{2, 4, 5}));
  const std::string json = RetentionReportJson(*report);
  EXPECT_NE(json.find("\"held_back_by\":[\"dataset/train@1\"],\"trimmed_to\":null"),
            std::string::npos)
      << json;
}

}  // namespace
}  // namespace strata::gc
