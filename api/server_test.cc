#include "api/server.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "api/tokens.h"
#include "features/definitions.h"
#include "features/feature_store.h"
#include "gc/retention.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/testing.h"

namespace strata::api {
namespace {

class ServerTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    // Customer 1 has both features, 2 a null segment; 3 is unknown.
    auto defs = features::ParseDefinitions(testing::kExampleDefinitions, "defs");
    ASSERT_TRUE(defs.ok()) << defs.status();
    {
      features::FeatureStore fs(store_.get());
      ASSERT_TRUE(fs.registry().Apply(*defs, "test", "").ok());
      const std::string csv = dir_.Sub("stats.csv");
      // An hour and two hours ago: well inside the 7-day TTL.
      const int64_t now = absl::ToUnixSeconds(absl::Now());
      t1_ = features::FormatTimestamp((now - 3600) * 1000000);
      t2_ = features::FormatTimestamp((now - 7200) * 1000000);
      std::ofstream(csv) << "customer_id,event_timestamp,spend_7d,segment\n"
                         << "1," << now - 3600 << ",12.5,gold\n"
                         << "2," << now - 7200 << ",3,\n";
      features::IngestOptions options;
      ASSERT_TRUE(fs.Ingest("customer_stats", csv, options).ok());
    }
    ServerOptions options;
    options.port = 0;
    options.max_body_bytes = 4096;
    options.max_online_entities = 5;
    options.access_log = [this](const std::string& line) {
      std::lock_guard lock(log_mu_);
      log_.push_back(line);
    };
    server_ = std::make_unique<Server>(store_.get(), options);
    ASSERT_TRUE(server_->Start().ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    // One connection: its requests are handled in order by one thread, so each is
    // logged and counted before the next is read.
    client_->set_keep_alive(true);
  }

  void TearDown() override {
    client_.reset();
    server_.reset();
  }

  httplib::Result PostJson(const std::string& path, const std::string& body) {
    return client_->Post(path.c_str(), body, "application/json");
  }

  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> client_;
  std::string t1_, t2_;  // the rows' event times
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

TEST_F(ServerTest, HealthzAnswers) {
  auto r = client_->Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "{\"status\":\"ok\"}");
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
}

TEST_F(ServerTest, OnlineFeaturesInFeastsShape) {
  // The request and response of Feast's feature server, byte for byte.
  const std::string epoch = "\"1970-01-01T00:00:00Z\"";
  const std::string want =
      "{\"metadata\":{\"feature_names\":[\"customer_id\",\"spend_7d\",\"segment\"]},"
      "\"results\":["
      "{\"values\":[1,2,3],\"statuses\":[\"PRESENT\",\"PRESENT\",\"PRESENT\"],"
      "\"event_timestamps\":[" +
      epoch + "," + epoch + "," + epoch +
      "]},"
      "{\"values\":[12.5,3,null],\"statuses\":[\"PRESENT\",\"PRESENT\",\"NOT_FOUND\"],"
      "\"event_timestamps\":[\"" +
      t1_ + "\",\"" + t2_ + "\"," + epoch +
      "]},"
      "{\"values\":[\"gold\",null,null],\"statuses\":[\"PRESENT\",\"NULL_VALUE\","
      "\"NOT_FOUND\"],\"event_timestamps\":[\"" +
      t1_ + "\",\"" + t2_ + "\"," + epoch + "]}]}";
  for (const std::string path : {"/get-online-features", "/v1/online-features"}) {
    auto r = PostJson(path,
                      "{\"features\":[\"customer_stats:spend_7d\","
                      "\"customer_stats:segment\"],"
                      "\"entities\":{\"customer_id\":[1,2,3]},"
                      "\"full_feature_names\":false}");
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->body, want) << path;
  }
  // Full names, and a join key given as a string.
  auto r =
      PostJson("/get-online-features",
               "{\"features\":[\"customer_stats:spend_7d\"],"
               "\"entities\":{\"customer_id\":[\"1\"]},\"full_feature_names\":true}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body,
            "{\"metadata\":{\"feature_names\":[\"customer_id\","
            "\"customer_stats__spend_7d\"]},\"results\":["
            "{\"values\":[1],\"statuses\":[\"PRESENT\"],\"event_timestamps\":[" +
                epoch +
                "]},"
                "{\"values\":[12.5],\"statuses\":[\"PRESENT\"],"
                "\"event_timestamps\":[\"" +
                t1_ + "\"]}]}");
}

TEST_F(ServerTest, ArtifactVersionsAndLineage) {
  // The ingest stored its file as dataset/customer_stats-ingest@1, which fed the view.
  auto r = client_->Get("/v1/artifacts/dataset/customer_stats-ingest/versions");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body.rfind("[{\"ref\":\"dataset/customer_stats-ingest@1\",", 0), 0u)
      << r->body;
  r = client_->Get("/v1/artifacts/dataset/customer_stats-ingest@1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body.rfind("{\"ref\":\"dataset/customer_stats-ingest@1\",", 0), 0u)
      << r->body;
  r = client_->Get("/v1/lineage/featureview/customer_stats@1?direction=up&depth=1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_NE(r->body.find("dataset/customer_stats-ingest@1"), std::string::npos)
      << r->body;
  r = client_->Get(
      "/v1/lineage/dataset/customer_stats-ingest@1?direction=down&format=dot");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body.rfind("digraph", 0), 0u) << r->body;
  EXPECT_NE(r->body.find("featureview/customer_stats@1"), std::string::npos) << r->body;
}

TEST_F(ServerTest, AliasesMoveWithCompareAndSet) {
  const std::string base = "/v1/artifacts/dataset/customer_stats-ingest";
  const auto put = [&](const std::string& query, const std::string& if_match) {
    httplib::Headers headers;
    if (!if_match.empty()) headers.emplace("If-Match", if_match);
    return client_->Put((base + "/aliases/production" + query).c_str(), headers, "",
                        "text/plain");
  };
  auto r = put("?version=1&reason=first", "0");  // only if it does not exist yet
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("\"alias\":\"production\""), std::string::npos) << r->body;
  r = client_->Get((base + "/aliases").c_str());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "{\"production\":1}");
  r = put("?version=1", "0");  // stale: it exists now
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 412) << r->body;
  EXPECT_EQ(r->body.rfind("{\"error\":{\"code\":\"FAILED_PRECONDITION\"", 0), 0u)
      << r->body;
  r = put("?version=1", "\"1\"");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  for (const auto& [query, status] : std::vector<std::pair<std::string, int>>{
           {"?version=9", 404}, {"", 400}, {"?version=x", 400}, {"?version=0", 400}}) {
    r = put(query, "");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, status) << query << " -> " << r->body;
  }
  r = put("?version=1", "one");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  r = client_->Get((base + "/alias-log").c_str());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body.rfind("[{\"sequence\":", 0), 0u) << r->body;
  // One move: the no-op move is not logged.
  EXPECT_EQ(r->body.find("\"sequence\"", r->body.find("\"sequence\"") + 1),
            std::string::npos)
      << r->body;
  EXPECT_NE(r->body.find("\"alias\":\"production\",\"from\":null,\"to\":1"),
            std::string::npos)
      << r->body;  // no-op not logged
}

TEST_F(ServerTest, ContentDownloadsWithRangesAndEtags) {
  std::string csv;
  {
    std::ifstream in(dir_.Sub("stats.csv"), std::ios::binary);
    csv.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_GT(csv.size(), 20u);
  const std::string path = "/v1/artifacts/dataset/customer_stats-ingest@1/content";
  auto r = client_->Get(path.c_str());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->body == csv);
  const std::string etag = r->get_header_value("ETag");
  EXPECT_EQ(etag.rfind("\"sha256:", 0), 0u) << etag;
  EXPECT_EQ(etag.size(), 1u + 7u + 64u + 1u);
  EXPECT_EQ(r->get_header_value("Digest").rfind("sha-256=", 0), 0u);
  EXPECT_EQ(r->get_header_value("Accept-Ranges"), "bytes");

  r = client_->Get(path.c_str(), {{"Range", "bytes=5-14"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 206);
  EXPECT_EQ(r->body, csv.substr(5, 10));
  EXPECT_EQ(r->get_header_value("Content-Range"),
            "bytes 5-14/" + std::to_string(csv.size()));
  r = client_->Get(path.c_str(), {{"Range", "bytes=-4"}});  // the last 4 bytes
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 206);
  EXPECT_EQ(r->body, csv.substr(csv.size() - 4));
  r = client_->Get(path.c_str(), {{"Range", "bytes=100000-"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 416);

  r = client_->Get(path.c_str(), {{"If-None-Match", etag}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 304);
  EXPECT_TRUE(r->body.empty());
}

struct BadRequest {
  std::string method, path, body;
  int status;
  std::string code, message;  // expected error code and part of the message
};

TEST_F(ServerTest, BadRequestsGetJsonErrorsAndChangeNothing) {
  const std::string ok_features = "\"features\":[\"customer_stats:spend_7d\"]";
  const std::vector<BadRequest> cases = {
      {"POST", "/get-online-features", "", 400, "INVALID_ARGUMENT", "not valid JSON"},
      {"POST", "/get-online-features", "{", 400, "INVALID_ARGUMENT", ""},
      {"POST", "/get-online-features", "[1,2]", 400, "INVALID_ARGUMENT",
       "not a JSON object"},
      {"POST", "/get-online-features", "{\"entities\":{\"customer_id\":[1]}}", 400,
       "INVALID_ARGUMENT", "no features"},
      {"POST", "/get-online-features", "{" + ok_features + "}", 400, "INVALID_ARGUMENT",
       "no entities"},
      {"POST", "/get-online-features",
       "{\"features\":\"customer_stats:spend_7d\",\"entities\":{\"customer_id\":[1]}}",
       400, "INVALID_ARGUMENT", "features must be an array"},
      {"POST", "/get-online-features",
       "{\"features\":[7],\"entities\":{\"customer_id\":[1]}}", 400, "INVALID_ARGUMENT",
       "features must be an array"},
      {"POST", "/get-online-features", "{" + ok_features + ",\"entities\":[1]}", 400,
       "INVALID_ARGUMENT", "entities must be an object"},
      {"POST", "/get-online-features",
       "{" + ok_features + ",\"entities\":{\"customer_id\":1}}", 400, "INVALID_ARGUMENT",
       "entities.customer_id must be an array"},
      {"POST", "/get-online-features",
       "{" + ok_features + ",\"entities\":{\"customer_id\":[1.5]}}", 400,
       "INVALID_ARGUMENT", "entities.customer_id[0] is not an int64"},
      {"POST", "/get-online-features",
       "{" + ok_features + ",\"entities\":{\"customer_id\":[true]}}", 400,
       "INVALID_ARGUMENT", "must be an integer or a string"},
      {"POST", "/get-online-features",
       "{" + ok_features + ",\"entities\":{\"customer_id\":[1]},\"extra\":1}", 400,
       "INVALID_ARGUMENT", "unknown field \\\"extra\\\""},
      {"POST", "/get-online-features",
       "{" + ok_features +
           ",\"entities\":{\"customer_id\":[1]},\"full_feature_names\":1}",
       400, "INVALID_ARGUMENT", "full_feature_names must be true or false"},
      {"POST", "/get-online-features",
       "{" + ok_features + ",\"entities\":{\"customer_id\":[1]}} trailing", 400,
       "INVALID_ARGUMENT", ""},
      {"POST", "/get-online-features",
       "{\"features\":[\"nope:x\"],\"entities\":{\"customer_id\":[1]}}", 404, "NOT_FOUND",
       "no feature view nope"},
      {"POST", "/get-online-features",
       "{\"features\":[\"customer_stats:nope\"],\"entities\":{\"customer_id\":[1]}}", 404,
       "NOT_FOUND", "has no feature nope"},
      {"POST", "/get-online-features",
       "{\"features\":[\"spend_7d\"],\"entities\":{\"customer_id\":[1]}}", 400,
       "INVALID_ARGUMENT", ""},
      {"POST", "/get-online-features",
       "{" + ok_features + ",\"entities\":{\"customer\":[1]}}", 400, "INVALID_ARGUMENT",
       "no values for join key customer_id"},
      {"POST", "/get-online-features",
       "{" + ok_features + ",\"entities\":{\"customer_id\":[\"x\"]}}", 400,
       "INVALID_ARGUMENT", "is not an int64"},
      {"POST", "/get-online-features",
       "{\"features\":[\"customer_stats:spend_7d\",\"customer_stats:spend_7d\"],"
       "\"entities\":{\"customer_id\":[1]}}",
       400, "INVALID_ARGUMENT", "requested twice"},
      {"POST", "/get-online-features",
       "{" + ok_features + ",\"entities\":{\"customer_id\":[1,2,3,4,5,6]}}", 413,
       "RESOURCE_EXHAUSTED", "more than 5 entities"},
      {"POST", "/get-online-features",
       "{" + ok_features + ",\"entities\":{\"customer_id\":[" + std::string(5000, '1') +
           "]}}",
       413, "RESOURCE_EXHAUSTED", "larger than 4096 bytes"},
      {"GET", "/get-online-features", "", 404, "NOT_FOUND", "no route GET"},
      {"GET", "/nope", "", 404, "NOT_FOUND", "no route GET /nope"},
      {"POST", "/healthz", "{}", 404, "NOT_FOUND", "no route POST /healthz"},
      {"GET", "/../../etc/passwd", "", 404, "NOT_FOUND", ""},
      {"GET", "/v1/artifacts/nope/x@1", "", 400, "INVALID_ARGUMENT", "nope"},
      {"GET", "/v1/artifacts/dataset/missing@1/content", "", 404, "NOT_FOUND", "missing"},
      {"GET", "/v1/artifacts/dataset/missing@1", "", 404, "NOT_FOUND", "missing"},
      {"GET", "/v1/artifacts/dataset/customer_stats-ingest@9", "", 404, "NOT_FOUND", ""},
      {"GET", "/v1/artifacts/dataset/../../etc/versions", "", 400, "INVALID_ARGUMENT",
       ""},
      {"GET", "/v1/artifacts/dataset/Bad%20Name@1", "", 400, "INVALID_ARGUMENT",
       "must start with a-z or 0-9"},
      {"GET", "/v1/lineage/dataset/customer_stats-ingest@1?depth=0", "", 400,
       "INVALID_ARGUMENT", "depth \\\"0\\\" is not a whole number"},
      {"GET", "/v1/lineage/dataset/customer_stats-ingest@1?direction=sideways", "", 400,
       "INVALID_ARGUMENT", "is not up, down or both"},
      {"GET", "/v1/lineage/dataset/customer_stats-ingest@1?format=xml", "", 400,
       "INVALID_ARGUMENT", "xml"},
      {"GET", "/v1/lineage/dataset/customer_stats-ingest@1?format=tree", "", 400,
       "INVALID_ARGUMENT", "json, dot or mermaid"},
      {"GET", "/v1/artifacts/dataset/missing@1/why-kept", "", 404, "NOT_FOUND",
       "missing"},
      {"DELETE", "/v1/artifacts/dataset/customer_stats-ingest@latest", "", 400,
       "INVALID_ARGUMENT", "delete a version by its number"},
      {"DELETE", "/v1/artifacts/dataset/customer_stats-ingest@1?force=maybe", "", 400,
       "INVALID_ARGUMENT", "force= takes true or false"},
      {"DELETE", "/v1/artifacts/dataset/customer_stats-ingest@9", "", 404, "NOT_FOUND",
       "has no version 9"},
      {"DELETE", "/v1/artifacts/featureview/customer_stats@1", "", 409,
       "FAILED_PRECONDITION", "the view's current definition"},
      {"DELETE", "/v1/artifacts/dataset/../x@1", "", 400, "INVALID_ARGUMENT", ""},
      {"GET", "/v1/fsck?deep=maybe", "", 400, "INVALID_ARGUMENT",
       "deep= takes true or false"},
      {"POST", "/v1/backups?name=nightly", "", 409, "FAILED_PRECONDITION",
       "this server takes no backups: start it with --backup-dir DIR"},
      {"POST", "/v1/backups?name=../etc", "", 400, "INVALID_ARGUMENT", "backup name"},
      {"POST", "/v1/backups", "", 400, "INVALID_ARGUMENT", "backup name"},
      {"POST", "/v1/gc?grace_seconds=-1", "", 400, "INVALID_ARGUMENT", "grace_seconds="},
      {"POST", "/v1/gc?grace_seconds=1h", "", 400, "INVALID_ARGUMENT", "grace_seconds="},
      {"POST", "/v1/gc?dry_run=maybe", "", 400, "INVALID_ARGUMENT", "dry_run="},
      {"PUT", "/v1/retention/widgets?keep_last=1", "", 400, "INVALID_ARGUMENT",
       "widgets"},
      {"PUT", "/v1/retention/dataset?keep_last=x", "", 400, "INVALID_ARGUMENT",
       "keep_last="},
      {"PUT", "/v1/retention/dataset", "", 400, "INVALID_ARGUMENT", "a policy needs"},
      {"DELETE", "/v1/retention/model", "", 404, "NOT_FOUND", "no retention policy"},
      {"POST", "/v1/retention/apply?dry_run=x", "", 400, "INVALID_ARGUMENT", "dry_run="},
  };
  for (const BadRequest& c : cases) {
    httplib::Result r = c.method == "GET"      ? client_->Get(c.path.c_str())
                        : c.method == "DELETE" ? client_->Delete(c.path.c_str())
                        : c.method == "PUT"
                            ? client_->Put(c.path.c_str(), "", "text/plain")
                            : PostJson(c.path, c.body);
    ASSERT_TRUE(r) << c.path << " " << c.body;
    EXPECT_EQ(r->status, c.status) << c.body << " -> " << r->body;
    EXPECT_EQ(r->body.rfind("{\"error\":{\"code\":\"" + c.code + "\",\"message\":\"", 0),
              0u)
        << c.body << " -> " << r->body;
    EXPECT_NE(r->body.find(c.message), std::string::npos) << c.body << " -> " << r->body;
  }
  // The server still serves.
  auto r = client_->Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(ServerTest, MetricsCountRequestsByRouteAndStatus) {
  ASSERT_TRUE(client_->Get("/healthz"));
  ASSERT_TRUE(client_->Get("/healthz"));
  ASSERT_TRUE(client_->Get("/nope"));
  auto r = client_->Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(
      r->body.find("strata_http_requests_total{route=\"/healthz\",status=\"200\"} 2"),
      std::string::npos)
      << r->body;
  EXPECT_NE(r->body.find("strata_http_requests_total{route=\"other\",status=\"404\"} 1"),
            std::string::npos)
      << r->body;
  EXPECT_NE(
      r->body.find("strata_http_request_duration_seconds_count{route=\"/healthz\"} 2"),
      std::string::npos)
      << r->body;
  std::lock_guard lock(log_mu_);
  ASSERT_GE(log_.size(), 3u);
  EXPECT_EQ(log_[0].rfind("GET /healthz 200 ", 0), 0u) << log_[0];
}

TEST_F(ServerTest, TokensGuardEveryRouteButHealthz) {
  // A token in the store and one in a file; the server is restarted to load them.
  client_.reset();
  server_.reset();
  auto stored = TokenStore(store_.get()).Create(Scope::kRead, "model", "test");
  ASSERT_TRUE(stored.ok()) << stored.status();
  const std::string file = dir_.Sub("tokens.txt");
  std::ofstream(file) << "read from-the-file-0123456789\n";
  ServerOptions options;
  options.port = 0;
  options.tokens_file = file;
  server_ = std::make_unique<Server>(store_.get(), options);
  ASSERT_TRUE(server_->Start().ok());
  EXPECT_TRUE(server_->authenticating());
  httplib::Client c("127.0.0.1", server_->port());
  const std::string body =
      "{\"features\":[\"customer_stats:spend_7d\"],\"entities\":{\"customer_id\":[1]}}";
  const auto post = [&](const std::string& authorization) {
    httplib::Headers headers;
    if (!authorization.empty()) headers.emplace("Authorization", authorization);
    return c.Post("/get-online-features", headers, body, "application/json");
  };
  auto health = c.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  const std::vector<std::string> bad_headers = {
      "",
      "Bearer",
      "Bearer wrong-token-0123456789",
      "Basic " + *stored,
      "bearer " + *stored,
      "Bearer " + stored->substr(0, stored->size() - 1)};
  for (const std::string& bad : bad_headers) {
    auto r = post(bad);
    ASSERT_TRUE(r) << bad;
    EXPECT_EQ(r->status, 401) << bad;
    EXPECT_EQ(r->get_header_value("WWW-Authenticate"), "Bearer") << bad;
    EXPECT_EQ(r->body.rfind("{\"error\":{\"code\":\"UNAUTHENTICATED\"", 0), 0u)
        << r->body;
  }
  const std::vector<std::string> good_tokens = {*stored, "from-the-file-0123456789"};
  for (const std::string& good : good_tokens) {
    auto r = post("Bearer " + good);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
  }
  // Moving an alias needs the write scope.
  const std::string alias_path =
      "/v1/artifacts/dataset/customer_stats-ingest/aliases/production?version=1";
  auto denied = c.Put(alias_path.c_str(), {{"Authorization", "Bearer " + *stored}}, "",
                      "text/plain");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 403) << denied->body;
  EXPECT_NE(denied->body.find("scope is read"), std::string::npos) << denied->body;
  // Deleting needs write; fsck and backups need admin.
  const httplib::Headers read_token = {{"Authorization", "Bearer " + *stored}};
  std::vector<httplib::Result> scoped;
  scoped.push_back(c.Delete("/v1/artifacts/dataset/customer_stats-ingest@1", read_token));
  scoped.push_back(c.Get("/v1/fsck", read_token));
  scoped.push_back(c.Post("/v1/backups?name=b", read_token, "", "text/plain"));
  scoped.push_back(c.Post("/v1/gc", read_token, "", "text/plain"));
  scoped.push_back(c.Post("/v1/retention/apply", read_token, "", "text/plain"));
  for (const httplib::Result& r : scoped) {
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403) << r->body;
  }
  auto metrics = c.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 401);
  metrics = c.Get("/metrics", {{"Authorization", "Bearer " + *stored}});
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
}

// Restarts the server on `host` with `tokens_file` (empty: none).
void Restart(std::unique_ptr<Server>& server, Store* store, const std::string& host,
             const std::string& tokens_file) {
  server.reset();
  ServerOptions options;
  options.host = host;
  options.port = 0;
  options.tokens_file = tokens_file;
  server = std::make_unique<Server>(store, options);
  const absl::Status started = server->Start();
  ASSERT_TRUE(started.ok()) << started;
}

TEST_F(ServerTest, RevokingTokensOverHttpNeverOpensTheServer) {
  // A non-loopback listener with the store's tokens only. It used to fall open once
  // they were all revoked ("no tokens" was checked at request time), and then handed
  // anyone an admin token.
  client_.reset();
  TokenStore tokens(store_.get());
  auto admin = tokens.Create(Scope::kAdmin, "ops", "test");
  auto reader = tokens.Create(Scope::kRead, "model", "test");
  ASSERT_TRUE(admin.ok() && reader.ok());
  Restart(server_, store_.get(), "0.0.0.0", "");
  ASSERT_TRUE(server_->authenticating());
  httplib::Client c("127.0.0.1", server_->port());
  const httplib::Headers auth = {{"Authorization", "Bearer " + *admin}};
  auto r = c.Delete("/v1/tokens/model", auth);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  // The store's last admin token stays, and the answer says how to recover.
  r = c.Delete("/v1/tokens/ops", auth);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409) << r->body;
  EXPECT_NE(r->body.find("FAILED_PRECONDITION"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("strata token create --scope admin"), std::string::npos)
      << r->body;
  EXPECT_TRUE(server_->authenticating());
  auto anonymous = c.Get("/v1/artifacts");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401) << anonymous->body;
  // The revoked token counts no more, from the next request.
  auto old = c.Get("/v1/artifacts", {{"Authorization", "Bearer " + *reader}});
  ASSERT_TRUE(old);
  EXPECT_EQ(old->status, 401) << old->body;
  // No one makes themselves an admin token without one.
  auto minted = c.Post("/v1/tokens?scope=admin", "", "text/plain");
  ASSERT_TRUE(minted);
  EXPECT_EQ(minted->status, 401) << minted->body;
  // With a second admin token, the first may go; then the second is the last.
  auto created = c.Post("/v1/tokens?scope=admin&name=ops2", auth, "", "text/plain");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  r = c.Delete("/v1/tokens/ops", auth);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  auto list = tokens.List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name, "ops2");

  // An admin token in --tokens FILE does not count: the file may be gone at the
  // next start, and the store's last admin token stays.
  const std::string file = dir_.Sub("tokens.txt");
  std::ofstream(file) << "admin ops-admin-0123456789abcdef\n";
  Restart(server_, store_.get(), "0.0.0.0", file);
  httplib::Client d("127.0.0.1", server_->port());
  const httplib::Headers file_admin = {
      {"Authorization", "Bearer ops-admin-0123456789abcdef"}};
  r = d.Delete("/v1/tokens/ops2", file_admin);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409) << r->body;
  anonymous = d.Get("/v1/artifacts");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401) << anonymous->body;
  // The file is read once: once it is gone, token changes still take effect (a
  // failed reload used to leave a revoked token working).
  std::filesystem::remove(file);
  created = d.Post("/v1/tokens?scope=read&name=dashboard", file_admin, "", "text/plain");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  const std::string dashboard = created->body.substr(created->body.find("strata_"), 71);
  r = d.Delete("/v1/tokens/dashboard", file_admin);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  old = d.Get("/v1/artifacts", {{"Authorization", "Bearer " + dashboard}});
  ASSERT_TRUE(old);
  EXPECT_EQ(old->status, 401) << old->body;
  r = d.Get("/v1/artifacts", file_admin);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
}

// Every change a request makes over `c` with `headers`, read back from the store:
// "who/on_behalf_of" of a version, its deletion, an alias move, a run, a retention
// policy and a token. `n` keeps the artifacts apart.
std::vector<std::string> RecordedActors(httplib::Client& c, Store& store,
                                        const httplib::Headers& headers,
                                        const std::string& n) {
  const auto actor = [](const std::string& who, const std::string& on_behalf_of) {
    return who + "/" + on_behalf_of;
  };
  const std::string artifact = "config/" + n;
  std::vector<std::string> out;
  auto r = c.Post(("/v1/artifacts/" + artifact + "?alias=prod").c_str(), headers, "v1",
                  "application/octet-stream");
  if (!r || r->status != 201) return {"upload failed: " + (r ? r->body : "")};
  r = c.Post(("/v1/artifacts/" + artifact).c_str(), headers, "v2",
             "application/octet-stream");
  r = c.Put(("/v1/artifacts/" + artifact + "/aliases/prod?version=2").c_str(), headers,
            "", "text/plain");
  if (!r || r->status != 200) return {"alias failed: " + (r ? r->body : "")};
  r = c.Delete(("/v1/artifacts/" + artifact + "@1?reason=old").c_str(), headers);
  if (!r || r->status != 200) return {"delete failed: " + (r ? r->body : "")};
  r = c.Post("/v1/runs", headers, "{\"name\":\"train-" + n + "\"}", "application/json");
  if (!r || r->status != 201) return {"run failed: " + (r ? r->body : "")};
  r = c.Put(("/v1/retention/" + artifact + "?keep_last=5").c_str(), headers, "",
            "text/plain");
  if (!r || r->status != 204) return {"retention failed: " + (r ? r->body : "")};

  const ArtifactId id = *ParseArtifactId(artifact);
  auto v1 = store.artifacts().ResolveRecord(*ParseRef(artifact + "@1"));
  auto moves = store.artifacts().AliasLog(id);
  auto aliases = store.artifacts().Aliases(id);
  auto runs = store.runs().List();
  auto policies = gc::RetentionPolicies(store);
  if (!v1.ok() || !moves.ok() || !aliases.ok() || !runs.ok() || !policies.ok()) {
    return {"cannot read the records back"};
  }
  out.push_back(actor(v1->creator(), v1->on_behalf_of()));
  out.push_back(actor(v1->deleted().who(), v1->deleted().on_behalf_of()));
  for (const store::AliasMove& m : *moves)
    out.push_back(actor(m.who(), m.on_behalf_of()));
  const store::AliasTarget& alias = aliases->at("prod");
  out.push_back(actor(alias.updated_by(), alias.on_behalf_of()));
  for (const store::Run& run : *runs) {
    if (run.name() == "train-" + n)
      out.push_back(actor(run.creator(), run.on_behalf_of()));
  }
  const store::RetentionPolicy& p = policies->at(artifact);
  out.push_back(actor(p.updated_by(), p.on_behalf_of()));
  return out;
}

TEST_F(ServerTest, WithTokensTheTokensOwnerActsAndTheClaimedNameIsKeptApart) {
  // One admin token owned by ci-bot: the CLI sends its user as X-Strata-Creator,
  // which used to be recorded as who acted, whoever held the token.
  client_.reset();
  NewToken ci;
  ci.scope = Scope::kAdmin;
  ci.name = "ci-2026";
  ci.owner = "ci-bot";
  ci.creator = "ops";
  auto token = TokenStore(store_.get()).Create(ci);
  ASSERT_TRUE(token.ok()) << token.status();
  Restart(server_, store_.get(), "127.0.0.1", "");
  ASSERT_TRUE(server_->authenticating());
  httplib::Client c("127.0.0.1", server_->port());
  const std::string bearer = "Bearer " + token->token;

  // X-Strata-Creator names someone else: kept as on_behalf_of, never as who.
  std::vector<std::string> want(7, "ci-bot/mallory");
  EXPECT_EQ(
      RecordedActors(c, *store_,
                     {{"Authorization", bearer}, {"X-Strata-Creator", "mallory"}}, "a"),
      want);
  // No header, or the owner's own name: no on_behalf_of. A client's own
  // X-Strata-Token-Owner is not taken for the token's.
  want.assign(7, "ci-bot/");
  EXPECT_EQ(
      RecordedActors(c, *store_,
                     {{"Authorization", bearer}, {"X-Strata-Token-Owner", "root"}}, "b"),
      want);
  EXPECT_EQ(
      RecordedActors(c, *store_,
                     {{"Authorization", bearer}, {"X-Strata-Creator", "ci-bot"}}, "c"),
      want);

  // The HTTP answers carry both: the alias log and the version in JSON.
  auto log = c.Get("/v1/artifacts/config/a/alias-log", {{"Authorization", bearer}});
  ASSERT_TRUE(log);
  EXPECT_NE(log->body.find("\"who\":\"ci-bot\",\"on_behalf_of\":\"mallory\""),
            std::string::npos)
      << log->body;
  auto shown = c.Get("/v1/artifacts/config/a@2", {{"Authorization", bearer}});
  ASSERT_TRUE(shown);
  EXPECT_NE(shown->body.find("\"creator\":\"ci-bot\",\"on_behalf_of\":\"mallory\""),
            std::string::npos)
      << shown->body;
  auto plain = c.Get("/v1/artifacts/config/b@2", {{"Authorization", bearer}});
  ASSERT_TRUE(plain);
  EXPECT_NE(plain->body.find("\"creator\":\"ci-bot\",\"on_behalf_of\":null"),
            std::string::npos)
      << plain->body;

  // Feature routes too: an ingest's dataset version.
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  auto ingested = c.Post("/v1/features/customer_stats/ingest?dataset=by-ci",
                         {{"Authorization", bearer}, {"X-Strata-Creator", "mallory"}},
                         "customer_id,event_timestamp,spend_7d,segment\n1," +
                             std::to_string(now - 60) + ",1,gold\n",
                         "text/csv");
  ASSERT_TRUE(ingested);
  ASSERT_EQ(ingested->status, 200) << ingested->body;
  auto dataset = store_->artifacts().ResolveRecord(*ParseRef("dataset/by-ci"));
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  EXPECT_EQ(dataset->creator(), "ci-bot");
  EXPECT_EQ(dataset->on_behalf_of(), "mallory");
  auto ingests = features::FeatureStore(store_.get()).Ingests();  // and the ingest's record
  ASSERT_TRUE(ingests.ok()) << ingests.status();
  ASSERT_FALSE(ingests->empty());
  const features::IngestRecord& last = ingests->back();
  EXPECT_EQ(last.dataset(), "dataset/by-ci@1");
  EXPECT_EQ(last.creator(), "ci-bot");
  EXPECT_EQ(last.on_behalf_of(), "mallory");

  // A token made over HTTP records the same; its owner is given or its name.
  auto created = c.Post("/v1/tokens?scope=read&name=dash&owner=dashboards",
                        {{"Authorization", bearer}, {"X-Strata-Creator", "mallory"}}, "",
                        "text/plain");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  EXPECT_NE(created->body.find("\"owner\":\"dashboards\""), std::string::npos)
      << created->body;
  auto bad = c.Post("/v1/tokens?scope=read&name=x&owner=a%20b",
                    {{"Authorization", bearer}}, "", "text/plain");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400) << bad->body;
  auto tokens = TokenStore(store_.get()).List();
  ASSERT_TRUE(tokens.ok());
  ASSERT_EQ(tokens->size(), 2u);
  EXPECT_EQ((*tokens)[1].name, "dash");
  EXPECT_EQ((*tokens)[1].owner, "dashboards");
  EXPECT_EQ((*tokens)[1].creator.who, "ci-bot");
  EXPECT_EQ((*tokens)[1].creator.on_behalf_of, "mallory");
}

TEST_F(ServerTest, WithoutTokensTheClaimedNameActsAsBefore) {
  // A loopback server without tokens trusts its clients: who is X-Strata-Creator
  // (else "http"), and nothing is recorded on behalf of anyone.
  ASSERT_FALSE(server_->authenticating());
  std::vector<std::string> want(7, "mallory/");
  EXPECT_EQ(RecordedActors(
                *client_, *store_,
                {{"X-Strata-Creator", "mallory"}, {"X-Strata-Token-Owner", "x"}}, "a"),
            want);
  want.assign(7, "http/");
  EXPECT_EQ(RecordedActors(*client_, *store_, {}, "b"), want);
}

TEST_F(ServerTest, AServerStartedWithoutTokensMakesNone) {
  // Loopback without tokens: open, and it stays so; POST /v1/tokens would hand any
  // local client a token for after the restart.
  EXPECT_FALSE(server_->authenticating());
  auto minted = client_->Post("/v1/tokens?scope=admin", "", "text/plain");
  ASSERT_TRUE(minted);
  EXPECT_EQ(minted->status, 409) << minted->body;
  EXPECT_NE(minted->body.find("strata token create --scope admin"), std::string::npos)
      << minted->body;
  auto list = TokenStore(store_.get()).List();
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
  EXPECT_FALSE(server_->authenticating());
}

TEST_F(ServerTest, ANonLoopbackAddressNeedsTokensOrInsecureNoAuth) {
  client_.reset();
  server_.reset();
  ServerOptions options;
  options.host = "0.0.0.0";
  options.port = 0;
  Server open(store_.get(), options);
  const absl::Status refused = open.Start();
  EXPECT_TRUE(absl::IsInvalidArgument(refused)) << refused;
  EXPECT_NE(refused.message().find("--insecure-no-auth"), std::string::npos) << refused;
  options.insecure_no_auth = true;
  Server insecure(store_.get(), options);
  ASSERT_TRUE(insecure.Start().ok());
  EXPECT_FALSE(insecure.authenticating());
  insecure.Stop();
  // --insecure-no-auth never turns off the tokens there are.
  ASSERT_TRUE(TokenStore(store_.get()).Create(Scope::kRead, "model", "test").ok());
  Server with_tokens(store_.get(), options);
  ASSERT_TRUE(with_tokens.Start().ok());
  EXPECT_TRUE(with_tokens.authenticating());
  httplib::Client c("127.0.0.1", with_tokens.port());
  auto r = c.Get("/v1/artifacts");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
}

TEST_F(ServerTest, ConcurrentClientsGetConsistentAnswers) {
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      httplib::Client c("127.0.0.1", server_->port());
      for (int i = 0; i < 50; ++i) {
        auto r = c.Post("/get-online-features",
                        "{\"features\":[\"customer_stats:segment\"],"
                        "\"entities\":{\"customer_id\":[1,3]}}",
                        "application/json");
        if (r && r->status == 200 &&
            r->body.find("{\"values\":[\"gold\",null],\"statuses\":[\"PRESENT\","
                         "\"NOT_FOUND\"]") != std::string::npos) {
          ++good;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 200);
}

}  // namespace
}  // namespace strata::api
