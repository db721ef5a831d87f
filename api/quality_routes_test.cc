// GET /v1/stats and /v1/drift over HTTP: the JSON the CLI's --json prints,
// parameters checked, a profile stored only for a request that may write, drift
// results on /metrics.
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/server.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "store/io.h"
#include "tests/testing.h"

namespace strata::api {
namespace {

class QualityRoutesTest : public testing::StoreTest {
 protected:
  void Start(const std::string& tokens_file = "") {
    ServerOptions options;
    options.port = 0;
    options.tokens_file = tokens_file;
    server_ = std::make_unique<Server>(store_.get(), options);
    ASSERT_TRUE(server_->Start().ok());
    http_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }
  void TearDown() override {
    http_.reset();
    server_.reset();
  }

  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> http_;
};

TEST_F(QualityRoutesTest, StatsAnswersJsonAndChecksItsParameters) {
  CommitContent("dataset/sales", "price,city\n2.5,oslo\n3.5,oslo\n,paris\n");
  Start();
  auto res = http_->Get("/v1/stats/dataset/sales@1");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_TRUE(absl::StartsWith(
      res->body,
      R"({"source":"dataset/sales@1","stored":"profile/sales@1","computed":true,"rows":3,"columns":[{"name":"price","type":"double","count":2,"nulls":1,"distinct":2,"min":2.5,"max":3.5,"mean":3,)"))
      << res->body;
  EXPECT_TRUE(absl::StrContains(
      res->body, R"("top":[{"value":"oslo","count":2},{"value":"paris","count":1}])"))
      << res->body;
  res = http_->Get("/v1/stats/dataset/sales");
  ASSERT_TRUE(res);
  EXPECT_TRUE(absl::StrContains(res->body, R"("computed":false)")) << res->body;

  res = http_->Get("/v1/stats/dataset/sales?colour=red");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_TRUE(absl::StrContains(res->body, R"(unknown query parameter \"colour\")"))
      << res->body;
  res = http_->Get("/v1/stats/featureview/v?from=yesterday");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_TRUE(absl::StrContains(res->body, "from: ")) << res->body;
  res = http_->Get("/v1/stats/dataset/nope");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
}

TEST_F(QualityRoutesTest, AReadTokenGetsStatsWithoutStoringThem) {
  CommitContent("dataset/sales", "price\n1\n2\n");
  const std::string tokens = dir_.Sub("tokens");
  std::ofstream(tokens) << "read reader-token-0123456789abcdef\n";
  Start(tokens);
  auto res = http_->Get("/v1/stats/dataset/sales",
                        {{"Authorization", "Bearer reader-token-0123456789abcdef"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_FALSE(absl::StrContains(res->body, "\"stored\"")) << res->body;
  EXPECT_EQ(store_->artifacts().Resolve(*ParseRef("profile/sales")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(QualityRoutesTest, DriftAnswersJsonChecksItsParametersAndFeedsMetrics) {
  CommitContent("dataset/t", "x,city\n1,oslo\n2,oslo\n3,rome\n4,rome\n");
  CommitContent("dataset/t", "x,city\n11,paris\n12,paris\n13,paris\n14,paris\n");
  Start();
  auto res = http_->Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_FALSE(absl::StrContains(res->body, "strata_drift_")) << res->body;

  res = http_->Get("/v1/drift?baseline=dataset/t@1&current=dataset/t@2");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_TRUE(absl::StartsWith(
      res->body,
      R"({"baseline":"dataset/t@1","current":"dataset/t@2","thresholds":{"psi":0.2,"ks_p_value":0.05,"ks_statistic":0.1},"features":[{"name":"x","type":"int64","baseline_count":4,"current_count":4,"ks":{"statistic":1,"p_value":)"))
      << res->body;
  EXPECT_TRUE(absl::StrContains(res->body, R"("wasserstein":10,"drifted":true})"))
      << res->body;
  EXPECT_TRUE(absl::StrContains(res->body, R"("js":1,"drifted":true}]})")) << res->body;

  // The latest result per (view, feature): a dataset-only comparison is labelled
  // with the current dataset.
  res = http_->Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_TRUE(absl::StrContains(res->body, "# TYPE strata_drift_psi gauge\n"))
      << res->body;
  EXPECT_TRUE(absl::StrContains(
      res->body, "strata_drift_wasserstein{view=\"dataset/t\",feature=\"x\"} 10\n"))
      << res->body;
  EXPECT_TRUE(absl::StrContains(
      res->body, "strata_drift_drifted{view=\"dataset/t\",feature=\"city\"} 1\n"))
      << res->body;
  EXPECT_TRUE(absl::StrContains(
      res->body, "strata_drift_js{view=\"dataset/t\",feature=\"city\"} 1\n"))
      << res->body;
  EXPECT_FALSE(
      absl::StrContains(res->body, "strata_drift_js{view=\"dataset/t\",feature=\"x\"}"))
      << res->body;
  res = http_->Get("/v1/drift?baseline=dataset/t@1&current=dataset/t@1&features=x");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  res = http_->Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_TRUE(absl::StrContains(
      res->body, "strata_drift_wasserstein{view=\"dataset/t\",feature=\"x\"} 0\n"))
      << res->body;
  EXPECT_TRUE(absl::StrContains(
      res->body, "strata_drift_drifted{view=\"dataset/t\",feature=\"city\"} 1\n"))
      << res->body;

  res = http_->Get("/v1/drift?baseline=dataset/t@1&current=dataset/t@2&colour=red");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_TRUE(absl::StrContains(res->body, R"(unknown query parameter \"colour\")"))
      << res->body;
  res = http_->Get("/v1/drift?baseline=dataset/t@1");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_TRUE(absl::StrContains(res->body, "baseline and current are required"))
      << res->body;
  res = http_->Get("/v1/drift?baseline=dataset/t@1&current=dataset/nope");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
}

}  // namespace
}  // namespace strata::api
