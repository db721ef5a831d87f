// Online-only replicas (api/online_replica.h) against a primary server in the same
// process and a real redis-server: the same answers in JSON and protobuf, the
// catalog's ETag, what a replica refuses, Redis going away and coming back.
// Skipped without redis-server.
#include "api/online_replica.h"

#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api/online.pb.h"
#include "api/server.h"
#include "features/definitions.h"
#include "features/feature_store.h"
#include "features/online_store.h"
#include "features/redis_testing.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/testing.h"

namespace strata::api {
namespace {

class OnlineReplicaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::RedisServer::Installed()) {
      GTEST_SKIP() << "redis-server is not installed (scripts/install-deps.sh)";
    }
    auto redis = testing::RedisServer::Start(dir_.Sub("redis"));
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    store_ = testing::OpenTestStore(dir_.Sub("store"));
    const std::string url = "redis://" + redis_->endpoint();
    ASSERT_TRUE(features::RecordOnlineStore(*store_, url).ok());
    {
      features::FeatureStoreOptions options;
      options.online_table = features::RecordedOnlineTable(*store_);
      features::FeatureStore fs(store_.get(), options);
      auto defs = features::ParseDefinitions(testing::kExampleDefinitions, "defs");
      ASSERT_TRUE(defs.ok()) << defs.status();
      ASSERT_TRUE(fs.registry().Apply(*defs, "test", "").ok());
      const std::string csv = dir_.Sub("rows.csv");
      const int64_t now = absl::ToUnixSeconds(absl::Now());
      std::ofstream(csv) << "customer_id,event_timestamp,spend_7d,segment\n"
                         << "1," << now - 60 << ",12.5,gold\n"
                         << "2," << now - 30 << ",3.25,silver\n";
      ASSERT_TRUE(fs.Ingest("customer_stats", csv, features::IngestOptions()).ok());
    }
    ServerOptions primary;
    primary.port = 0;
    primary_ = std::make_unique<Server>(store_.get(), primary);
    ASSERT_TRUE(primary_->Start().ok());
    ServerOptions replica;
    replica.port = 0;
    replica.primary = absl::StrCat("http://127.0.0.1:", primary_->port());
    replica_ = std::make_unique<Server>(nullptr, replica);
    const absl::Status started = replica_->Start();
    ASSERT_TRUE(started.ok()) << started;
  }

  static httplib::Result Lookup(int port, const std::string& content_type,
                                const std::string& accept) {
    httplib::Client http("127.0.0.1", port);
    std::string body =
        R"({"features":["customer_stats:spend_7d","customer_stats:segment"],)"
        R"("entities":{"customer_id":[1,2,3]}})";
    if (content_type == "application/x-protobuf") {
      GetOnlineFeaturesRequest request;
      request.add_features("customer_stats:spend_7d");
      request.add_features("customer_stats:segment");
      auto* column = request.add_entities();
      column->set_join_key("customer_id");
      for (int id : {1, 2, 3}) column->mutable_values()->add_values()->set_int64_value(id);
      body = request.SerializeAsString();
    }
    return http.Post("/get-online-features", {{"Accept", accept}}, body, content_type);
  }

  testing::ScratchDir dir_;
  std::unique_ptr<testing::RedisServer> redis_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Server> primary_, replica_;
};

TEST_F(OnlineReplicaTest, AnswersAsThePrimaryDoesInJsonAndProtobuf) {
  for (const char* type : {"application/json", "application/x-protobuf"}) {
    for (const char* accept : {"application/json", "application/x-protobuf"}) {
      const httplib::Result from_primary = Lookup(primary_->port(), type, accept);
      const httplib::Result from_replica = Lookup(replica_->port(), type, accept);
      ASSERT_TRUE(from_primary && from_replica) << type << " " << accept;
      EXPECT_EQ(from_primary->status, 200) << from_primary->body;
      EXPECT_EQ(from_replica->status, 200) << from_replica->body;
      EXPECT_EQ(from_replica->body, from_primary->body) << type << " " << accept;
    }
  }
  const httplib::Result json = Lookup(replica_->port(), "application/json", "");
  ASSERT_TRUE(json);
  EXPECT_TRUE(absl::StrContains(json->body, "[12.5,3.25,null]")) << json->body;
  EXPECT_TRUE(absl::StrContains(json->body, R"(["gold","silver",null])")) << json->body;
}

TEST_F(OnlineReplicaTest, TheCatalogCarriesAnETagAndUnchangedIsNotModified) {
  httplib::Client http("127.0.0.1", primary_->port());
  const httplib::Result first = http.Get("/v1/online/catalog");
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 200);
  features::OnlineCatalog catalog;
  ASSERT_TRUE(catalog.ParseFromString(first->body));
  ASSERT_EQ(catalog.views_size(), 1);
  EXPECT_EQ(catalog.views(0).def().name(), "customer_stats");
  EXPECT_NE(catalog.views(0).id(), 0u);
  EXPECT_EQ(catalog.online_store(), "redis://" + redis_->endpoint());
  const std::string etag = first->get_header_value("ETag");
  ASSERT_FALSE(etag.empty());
  const httplib::Result again = http.Get("/v1/online/catalog", {{"If-None-Match", etag}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());
  const httplib::Result stale =
      http.Get("/v1/online/catalog", {{"If-None-Match", "\"something else\""}});
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 200);
}

TEST_F(OnlineReplicaTest, AReplicaServesOnlyLookupsAndNamesItsPrimary) {
  httplib::Client http("127.0.0.1", replica_->port());
  const httplib::Result ls = http.Get("/v1/artifacts");
  ASSERT_TRUE(ls);
  EXPECT_EQ(ls->status, 404);
  EXPECT_TRUE(absl::StrContains(ls->body, "online-only replica")) << ls->body;
  EXPECT_TRUE(absl::StrContains(ls->body, absl::StrCat("127.0.0.1:", primary_->port())))
      << ls->body;
  const httplib::Result health = http.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  const httplib::Result metrics = http.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_TRUE(absl::StrContains(metrics->body, "strata_replica_catalog_fetches_total 1"))
      << metrics->body;
  // An unknown view is the same 404 as on the primary.
  const std::string unknown = R"({"features":["nope:x"],"entities":{"customer_id":[1]}})";
  const httplib::Result r = http.Post("/get-online-features", unknown, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_TRUE(absl::StrContains(r->body, "no feature view nope")) << r->body;
}

TEST_F(OnlineReplicaTest, ARedisThatIsDownIsUnavailableAndUsedAgainOnceBack) {
  redis_->Kill();
  const httplib::Result down = Lookup(replica_->port(), "application/json", "");
  ASSERT_TRUE(down);
  EXPECT_EQ(down->status, 503) << down->body;
  EXPECT_TRUE(absl::StrContains(down->body, redis_->endpoint())) << down->body;
  ASSERT_TRUE(redis_->Restart().ok());
  // The restarted Redis kept nothing (no persistence): fill it from the primary's log.
  {
    primary_->Stop();
    primary_.reset();
    features::FeatureStoreOptions options;
    options.online_table = features::RecordedOnlineTable(*store_);
    features::FeatureStore fs(store_.get(), options);
    ASSERT_TRUE(fs.RebuildOnline("customer_stats", {}).ok());
  }
  const httplib::Result back = Lookup(replica_->port(), "application/json", "");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->status, 200) << back->body;
  EXPECT_TRUE(absl::StrContains(back->body, "[12.5,3.25,null]")) << back->body;
}

TEST(OnlineReplicaStartTest, APrimaryThatDoesNotAnswerIsUnavailable) {
  OnlineReplicaOptions options;
  options.primary = "http://127.0.0.1:1";
  auto replica = OnlineReplica::Start(options);
  EXPECT_EQ(replica.status().code(), absl::StatusCode::kUnavailable) << replica.status();
  options.primary = "ftp://x";
  EXPECT_EQ(OnlineReplica::Start(options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace strata::api
