// Ingest profiles (quality/ingest_profile.h): stored with each ingest, and merged
// for a window exactly when the merge is the profile of the window's rows in force;
// else the window is scanned.
#include "quality/ingest_profile.h"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "features/definitions.h"
#include "features/feature_store_testing.h"
#include "gtest/gtest.h"
#include "quality/profile_store.h"
#include "quality/render.h"

namespace strata::quality {
namespace {

constexpr absl::string_view kDefinitions = R"(
entities:
  - name: customer
    join_keys: [{name: customer_id, type: int64}]
feature_views:
  - name: stats
    entities: [customer]
    features:
      - {name: x, type: double}
      - {name: n, type: int64}
      - {name: s, type: string}
      - {name: b, type: bool}
)";

constexpr int64_t kDay = 86400;

class IngestProfileTest : public features::FeatureStoreFixture {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    ApplyDefinitions(kDefinitions);
    features::FeatureStoreOptions options;
    options.ingest_observers.push_back(IngestProfiles(store_.get()));
    fs_ = std::make_unique<features::FeatureStore>(store_.get(), options);
    seed_ = std::random_device()();
    std::cout << "seed " << seed_ << "\n";
    rng_.seed(seed_);
  }

  // `rows` random rows of day `day` (event times in [day, day + 1) days): distinct
  // (customer, event) pairs, some nulls, some created times; x's values are
  // collected for the quantile checks.
  std::string Day(int day, int rows) {
    std::string csv = "customer_id,event_timestamp,created_timestamp,x,n,s,b\n";
    std::uniform_real_distribution<double> x(-50, 50);
    for (int i = 0; i < rows; ++i) {
      const int64_t event = day * kDay + i;  // distinct per row
      const bool null_x = rng_() % 10 == 0;
      const double value = std::round(x(rng_) * 100) / 100;
      if (!null_x) xs_.push_back(value);
      absl::StrAppend(&csv, rng_() % 50, ",", event, ",",
                      rng_() % 3 == 0 ? absl::StrCat(event + 60) : "", ",",
                      null_x ? "" : absl::StrCat(value), ",",
                      static_cast<int64_t>(rng_() % 1000) - 500, ",",
                      rng_() % 7 == 0 ? "" : absl::StrCat("v", rng_() % 20), ",",
                      rng_() % 2 == 0 ? "true" : "false", "\n");
    }
    return csv;
  }

  absl::StatusOr<features::IngestResult> IngestText(const std::string& csv) {
    features::IngestOptions options;
    options.parse_block_bytes = 4096;  // several blocks per file
    return fs_->Ingest("stats", WriteFile(absl::StrCat("in", ++files_, ".csv"), csv),
                       options);
  }

  absl::StatusOr<StatsResult> Window(int from_day, int to_day,
                                     std::optional<features::Micros> as_of = {}) {
    StatsRequest request;
    request.ref = "featureview/stats";
    request.from = from_day * kDay * 1000000;
    request.to = to_day * kDay * 1000000;
    request.as_of = as_of;
    return Stats(*store_, *fs_, request);
  }

  // The window's profile from a scan of the log.
  TableProfile Scanned(int from_day, int to_day) {
    SourceRef ref;
    ref.kind = SourceRef::Kind::kWindow;
    ref.name = "stats";
    ref.from = from_day * kDay * 1000000;
    ref.to = to_day * kDay * 1000000;
    auto p = ComputeProfile(*store_, *fs_, ref, {});
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *p : TableProfile();
  }

  // Equal profiles: counts, nulls, distinct, min and max exactly, the mean to the
  // last bits, the standard deviation to 7 digits.
  void ExpectSame(const TableProfile& merged, const TableProfile& scanned) {
    ASSERT_EQ(merged.rows(), scanned.rows());
    ASSERT_EQ(merged.columns().size(), scanned.columns().size());
    for (size_t c = 0; c < merged.columns().size(); ++c) {
      const ColumnProfile& a = merged.columns()[c];
      const ColumnProfile& b = scanned.columns()[c];
      SCOPED_TRACE(a.name());
      EXPECT_EQ(a.name(), b.name());
      EXPECT_EQ(a.type(), b.type());
      EXPECT_EQ(a.count(), b.count());
      EXPECT_EQ(a.nulls(), b.nulls());
      EXPECT_EQ(a.distinct(), b.distinct());
      if (a.numeric() && a.count() > 0) {
        EXPECT_EQ(a.min(), b.min());
        EXPECT_EQ(a.max(), b.max());
        EXPECT_DOUBLE_EQ(a.mean(), b.mean());
        ASSERT_EQ(a.stddev().has_value(), b.stddev().has_value());
        if (a.stddev().has_value()) {
          // Squared deviations merged in another order: timestamps' (mean 1.7e15 us)
          // keep about 9 digits.
          EXPECT_NEAR(*a.stddev(), *b.stddev(), 1e-7 * std::abs(*b.stddev()));
        }
      }
      if (!a.numeric()) {
        EXPECT_EQ(a.Top(), b.Top());
      }
    }
  }

  // Merged x's quantiles have ranks within 0.5% of the asked ones among xs_.
  void ExpectQuantilesWithinRankError(const TableProfile& merged) {
    std::sort(xs_.begin(), xs_.end());
    const ColumnProfile* x = nullptr;
    for (const ColumnProfile& c : merged.columns()) {
      if (c.name() == "x") x = &c;
    }
    ASSERT_NE(x, nullptr);
    ASSERT_EQ(x->count(), xs_.size());
    const double n = static_cast<double>(xs_.size());
    for (double q : kQuantiles) {
      const double v = x->Quantile(q);
      const double below = std::lower_bound(xs_.begin(), xs_.end(), v) - xs_.begin();
      const double upto = std::upper_bound(xs_.begin(), xs_.end(), v) - xs_.begin();
      EXPECT_LE(below / n, q + 0.005) << "q " << q;
      EXPECT_GE(upto / n, q - 0.005) << "q " << q;
    }
  }

  uint32_t seed_ = 0;
  std::mt19937_64 rng_;
  std::vector<double> xs_;
  int files_ = 0;
};

TEST_F(IngestProfileTest, EachIngestStoresItsProfileWithLineage) {
  auto r = IngestText(Day(20000, 300));
  ASSERT_TRUE(r.ok()) << r.status();
  auto versions = store_->artifacts().Versions({Kind::kProfile, "stats.ingests"});
  ASSERT_TRUE(versions.ok()) << versions.status();
  ASSERT_EQ(versions->size(), 1u);
  const store::Version& v = versions->front();
  EXPECT_EQ(v.metadata().at(kIngestKey), absl::StrCat(r->ingest));
  EXPECT_EQ(v.metadata().at(kViewKey), "featureview/stats@1");
  EXPECT_EQ(v.metadata().at(kMinEventKey), absl::StrCat(r->min_event));
  EXPECT_EQ(v.metadata().at(kMaxEventKey), absl::StrCat(r->max_event));
  EXPECT_EQ(v.metadata().at(kHiddenKey), "0");
  EXPECT_EQ(v.metadata().at(kDescribesKey), r->dataset);
  ASSERT_EQ(v.inputs_size(), 1);
  EXPECT_EQ(v.inputs(0), r->dataset);
}

TEST_F(IngestProfileTest, AWindowOfWholeIngestsIsTheirProfilesMerged) {
  for (int day : {20000, 20001, 20003}) {
    auto r = IngestText(Day(day, 1500));
    ASSERT_TRUE(r.ok()) << r.status();
  }
  auto merged = Window(20000, 20004);
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(merged->merged, 3u);
  EXPECT_FALSE(merged->computed);
  EXPECT_EQ(merged->profile.rows(), 4500u);
  ExpectSame(merged->profile, Scanned(20000, 20004));
  ExpectQuantilesWithinRankError(merged->profile);
  EXPECT_TRUE(
      absl::StrContains(StatsJson(*merged), R"("method":"merged","ingest_profiles":3,)"));
  EXPECT_TRUE(
      absl::StrContains(StatsHeadline(*merged), "(merged from 3 ingest profiles)"))
      << StatsHeadline(*merged);
  // The same through the answer's message (the HTTP API's protobuf).
  auto back = FromAnswer(ToAnswer(*merged));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->merged, 3u);

  // A window cutting an ingest's rows is scanned, with the right answer.
  auto cut = Window(20001, 20003);
  ASSERT_TRUE(cut.ok()) << cut.status();
  EXPECT_EQ(cut->merged, 1u);  // day 20001 alone, whole
  auto partial = Window(20000, 20002);
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ(partial->merged, 2u);
  StatsRequest half;
  half.ref = "featureview/stats";
  half.from = 20000 * kDay * 1000000;
  half.to = (20000 * kDay + 700) * 1000000;
  auto scanned = Stats(*store_, *fs_, half);
  ASSERT_TRUE(scanned.ok()) << scanned.status();
  EXPECT_EQ(scanned->merged, 0u);
  EXPECT_TRUE(scanned->computed);
  EXPECT_EQ(scanned->profile.rows(), 700u);
  EXPECT_TRUE(absl::StrContains(StatsJson(*scanned), R"("method":"scanned")"));
  EXPECT_TRUE(absl::StrContains(StatsHeadline(*scanned), "(scanned)"));

  // An as_of cut is scanned.
  auto as_of = Window(20000, 20004, INT64_MAX / 2);
  ASSERT_TRUE(as_of.ok());
  EXPECT_EQ(as_of->merged, 0u);
  ExpectSame(as_of->profile, merged->profile);
}

TEST_F(IngestProfileTest, AWindowWithACorrectionIsScanned) {
  ASSERT_TRUE(IngestText(Day(20000, 1000)).ok());
  ASSERT_TRUE(IngestText(Day(20001, 1000)).ok());
  const TableProfile before = Scanned(20000, 20002);
  // Every 100th row of day 20001 stated again, created later: it replaces the row.
  // (Seed 377630050 once gave none of them a created time earlier than a fixed
  // 20002-day one: rows without one are created at their ingest's start.)
  std::string fix = "customer_id,event_timestamp,created_timestamp,x,n,s,b\n";
  {
    SourceRef ref;
    ref.kind = SourceRef::Kind::kWindow;
    ref.name = "stats";
    ref.from = 20001 * kDay * 1000000;
    ref.to = 20002 * kDay * 1000000;
    auto table = ReadSource(*store_, *fs_, ref, {}, {"customer_id", "event_timestamp"});
    ASSERT_TRUE(table.ok()) << table.status();
    for (size_t i = 0; i < table->rows; i += 100) {
      absl::StrAppend(&fix, static_cast<int64_t>(table->columns[0].numbers[i]), ",",
                      static_cast<int64_t>(table->columns[1].numbers[i] / 1e6),
                      // No created time: this ingest's own start, later than every
                      // row's before it (a row without one took its ingest's start).
                      ",,1000,1,fixed,true\n");
    }
  }
  ASSERT_TRUE(IngestText(fix).ok());
  auto window = Window(20000, 20002);
  ASSERT_TRUE(window.ok()) << window.status();
  EXPECT_EQ(window->merged, 0u);
  EXPECT_EQ(window->profile.rows(), before.rows());  // rows replaced, not added
  ExpectSame(window->profile, Scanned(20000, 20002));
  const ColumnProfile& x = window->profile.columns()[3];
  ASSERT_EQ(x.name(), "x");
  EXPECT_EQ(x.max(), 1000);
  // Day 20000 alone still merges.
  auto first = Window(20000, 20001);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->merged, 1u);
}

TEST_F(IngestProfileTest, AnIngestHidingItsOwnRowsIsScanned) {
  // Customer 1 at one event time twice: the later-created row hides the other.
  ASSERT_TRUE(IngestText("customer_id,event_timestamp,created_timestamp,x,n,s,b\n"
                         "1,1728000000,5,1,1,a,true\n1,1728000000,6,2,2,b,false\n"
                         "2,1728000000,5,3,3,c,true\n")
                  .ok());
  auto versions = store_->artifacts().Versions({Kind::kProfile, "stats.ingests"});
  ASSERT_TRUE(versions.ok());
  EXPECT_EQ(versions->back().metadata().at(kHiddenKey), "1");
  auto window = Window(20000, 20001);
  ASSERT_TRUE(window.ok()) << window.status();
  EXPECT_EQ(window->merged, 0u);
  EXPECT_EQ(window->profile.rows(), 2u);
}

TEST_F(IngestProfileTest, RowsWithoutACreatedTimeHaveTheIngestsOwn) {
  ASSERT_TRUE(IngestText("customer_id,event_timestamp,x,n,s,b\n"
                         "1,1728000000,1,1,a,true\n2,1728000001,,,,\n")
                  .ok());
  auto merged = Window(20000, 20001);
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(merged->merged, 1u);
  ExpectSame(merged->profile, Scanned(20000, 20001));
}

TEST_F(IngestProfileTest, RowsDroppedByRulesAreNotProfiled) {
  const std::string ruled = absl::StrReplaceAll(
      absl::StrCat(kDefinitions, "    on_invalid: drop\n"),
      {{"{name: x, type: double}", "{name: x, type: double, min: 0}"}});
  auto defs = features::ParseDefinitions(ruled, "defs");
  ASSERT_TRUE(defs.ok()) << defs.status();
  ASSERT_TRUE(fs_->registry().Apply(*defs, "test", "").ok());
  auto r = IngestText(Day(20000, 500));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_GT(r->dropped, 0u);
  auto merged = Window(20000, 20001);
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(merged->merged, 1u);
  EXPECT_EQ(merged->profile.rows(), r->rows);
  ExpectSame(merged->profile, Scanned(20000, 20001));
}

TEST_F(IngestProfileTest, AnIngestAtOrBeforeTheRetentionHorizonIsScanned) {
  ASSERT_TRUE(IngestText(Day(20000, 500)).ok());
  ASSERT_TRUE(IngestText(Day(20005, 500)).ok());
  auto trim = fs_->TrimLog("stats", 20003 * kDay * 1000000, {});
  ASSERT_TRUE(trim.ok()) << trim.status();
  auto both = Window(20000, 20010);
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(both->merged, 0u);
  ExpectSame(both->profile, Scanned(20000, 20010));
  auto after = Window(20004, 20010);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->merged, 1u);
}

TEST_F(IngestProfileTest, APieceOfAnotherDefinitionOfTheViewIsScanned) {
  ASSERT_TRUE(IngestText(Day(20000, 300)).ok());
  const std::string more =
      absl::StrCat(kDefinitions, "      - {name: extra, type: double}\n");
  auto defs = features::ParseDefinitions(more, "defs");
  ASSERT_TRUE(defs.ok()) << defs.status();
  ASSERT_TRUE(fs_->registry().Apply(*defs, "test", "").ok());
  auto window = Window(20000, 20001);
  ASSERT_TRUE(window.ok()) << window.status();
  EXPECT_EQ(window->merged, 0u);
  EXPECT_EQ(window->profile.columns().size(), 8u);  // extra: null in every row
  ExpectSame(window->profile, Scanned(20000, 20001));
}

}  // namespace
}  // namespace strata::quality
