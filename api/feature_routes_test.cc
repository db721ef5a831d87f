// End-to-end tests of the feature routes (apply, ingest, historical, reproduce, push)
// on an ephemeral port.
#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "api/features_api.pb.h"
#include "api/online.pb.h"
#include "api/server.h"
#include "api/tokens.h"
#include "features/definitions.h"
#include "features/feast_json.h"
#include "features/feature_store.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "simdjson.h"
#include "store/digest.h"
#include "tests/testing.h"

namespace strata::api {
namespace {

constexpr size_t kMaxBody = 64 << 10;
constexpr size_t kMaxSpineRows = 5;

class FeatureRoutesTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    // Customer 1 has both features, 2 a null segment; 3 is unknown.
    auto defs = features::ParseDefinitions(testing::kExampleDefinitions, "defs");
    ASSERT_TRUE(defs.ok()) << defs.status();
    now_ = absl::ToUnixSeconds(absl::Now());
    {
      features::FeatureStore fs(store_.get());
      ASSERT_TRUE(fs.registry().Apply(*defs, "test", "").ok());
      const std::string csv = dir_.Sub("stats.csv");
      std::ofstream(csv) << "customer_id,event_timestamp,spend_7d,segment\n"
                         << "1," << now_ - 3600 << ",12.5,gold\n"
                         << "2," << now_ - 7200 << ",3,\n";
      features::IngestOptions options;
      ASSERT_TRUE(fs.Ingest("customer_stats", csv, options).ok());
    }
    Start(ServerOptions());
  }

  void Start(ServerOptions options) {
    client_.reset();
    server_.reset();
    options.port = 0;
    options.max_body_bytes = kMaxBody;
    options.max_spine_rows = kMaxSpineRows;
    server_ = std::make_unique<Server>(store_.get(), options);
    ASSERT_TRUE(server_->Start().ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_keep_alive(true);  // bodies left unread would garble the next request
  }

  void TearDown() override {
    client_.reset();
    server_.reset();
  }

  httplib::Result Post(const std::string& path, const std::string& body,
                       const std::string& content_type = "text/csv",
                       const httplib::Headers& headers = {}) {
    return client_->Post(path.c_str(), headers, body, content_type.c_str());
  }

  // RFC 3339 of `seconds` after the epoch.
  static std::string Time(int64_t seconds) {
    return features::FormatTimestamp(seconds * 1000000);
  }

  // What a refused request must leave as it was: the ingest position, every
  // artifact's head and aliases, and the online rows.
  std::string StoreState() {
    features::FeatureStore fs(store_.get());
    auto at = fs.Position();
    EXPECT_TRUE(at.ok()) << at.status();
    std::string state = absl::StrCat("position ", at->position, "\n");
    auto list = store_->artifacts().List(std::nullopt);
    EXPECT_TRUE(list.ok()) << list.status();
    for (const auto& a : *list) {
      absl::StrAppend(&state, a.artifact.ToString(), " ", a.head.SerializeAsString(), " ",
                      a.aliases.size(), "\n");
    }
    auto online =
        fs.Online({"customer_stats:spend_7d", "customer_stats:segment"},
                  {{"customer_id",
                    {features::Value(int64_t{1}), features::Value(int64_t{2}),
                     features::Value(int64_t{3}), features::Value(int64_t{7})}}},
                  now_ * 1000000);
    EXPECT_TRUE(online.ok()) << online.status();
    state += features::OnlineResponseJson(*online, false);
    return state;
  }

  // The library's own answer for `spine`, to compare with the route's.
  std::string LibraryHistorical(const features::HistoricalRequest& request,
                                const std::string& spine,
                                features::HistoricalResult* result = nullptr) {
    features::FeatureStore fs(store_.get());
    auto source = StringSource(spine);
    std::string out;
    auto sink = StringSink(&out);
    auto r = fs.Historical(request, *source, *sink);
    EXPECT_TRUE(r.ok()) << r.status();
    if (result != nullptr && r.ok()) *result = *r;
    return out;
  }

  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> client_;
  int64_t now_ = 0;
};

TEST_F(FeatureRoutesTest, ApplyStoresChangedViewsInOrder) {
  auto r = Post("/v1/features/apply", std::string(testing::kExampleDefinitions),
                "application/yaml");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(r->body,
            "{\"featureviews\":[{\"name\":\"customer_stats\",\"version\":1,"
            "\"changed\":false}]}");
  // A new feature and a new view, as JSON, with a message and a creator.
  const std::string defs =
      R"({"entities":[{"name":"customer",)"
      R"("join_keys":[{"name":"customer_id","type":"int64"}]}],)"
      R"("feature_views":[{"name":"orders","entities":["customer"],)"
      R"("features":[{"name":"n","type":"int64"}]},)"
      R"({"name":"customer_stats","entities":["customer"],"ttl":"7d","features":[)"
      R"({"name":"spend_7d","type":"double"},{"name":"segment","type":"string"},)"
      R"({"name":"visits","type":"int64"}]}]})";
  r = Post("/v1/features/apply?message=add%20visits", defs, "application/json",
           {{"X-Strata-Creator", "ana"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body,
            "{\"featureviews\":[{\"name\":\"orders\",\"version\":1,\"changed\":true},"
            "{\"name\":\"customer_stats\",\"version\":2,\"changed\":true}]}");
  Ref ref;
  ref.artifact = {Kind::kFeatureView, "customer_stats"};
  auto v = store_->artifacts().Resolve(ref);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->number(), 2u);
  EXPECT_EQ(v->message(), "add visits");
  EXPECT_EQ(v->creator(), "ana");

  // The protobuf form.
  r = Post("/v1/features/apply", defs, "application/json",
           {{"Accept", "application/x-protobuf"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/x-protobuf");
  ApplyResponse proto;
  ASSERT_TRUE(proto.ParseFromString(r->body));
  ASSERT_EQ(proto.featureviews_size(), 2);
  EXPECT_EQ(proto.featureviews(1).name(), "customer_stats");
  EXPECT_EQ(proto.featureviews(1).version(), 2u);
  EXPECT_FALSE(proto.featureviews(1).changed());
}

TEST_F(FeatureRoutesTest, FeatureViewRouteAnswersTheDeclaration) {
  const std::string v1 =
      R"({"ref":"featureview/customer_stats@1","name":"customer_stats","version":1,)"
      R"("entities":[{"name":"customer","description":"",)"
      R"("join_keys":[{"name":"customer_id","type":"int64"}]}],)"
      R"("features":[{"name":"spend_7d","type":"double","description":""},)"
      R"({"name":"segment","type":"string","description":""}],"ttl_seconds":604800,)"
      R"("timestamp_unit":"s","plausible_from":null,"plausible_until":null,)"
      R"("description":"","owner":"","tags":{}})";
  auto r = client_->Get("/v1/features/views/customer_stats");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(r->body, v1);
  // A second version, with every optional field; @1 still answers the first.
  const std::string defs =
      R"({"entities":[{"name":"customer","description":"an account",)"
      R"("join_keys":[{"name":"customer_id","type":"int64"}]}],)"
      R"("feature_views":[{"name":"customer_stats","entities":["customer"],"ttl":"7d",)"
      R"("timestamp_unit":"ms","plausible_time":{"from":"2000-01-01"},)"
      R"("description":"spend","owner":"growth","tags":{"tier":"gold"},"features":[)"
      R"({"name":"spend_7d","type":"double"},{"name":"segment","type":"string"},)"
      R"({"name":"seen","type":"timestamp","description":"last visit"}]}]})";
  r = Post("/v1/features/apply", defs, "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  r = client_->Get("/v1/features/views/customer_stats@1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, v1);
  r = client_->Get("/v1/features/views/customer_stats");
  ASSERT_TRUE(r);
  EXPECT_EQ(
      r->body,
      R"({"ref":"featureview/customer_stats@2","name":"customer_stats","version":2,)"
      R"("entities":[{"name":"customer","description":"an account",)"
      R"("join_keys":[{"name":"customer_id","type":"int64"}]}],)"
      R"("features":[{"name":"spend_7d","type":"double","description":""},)"
      R"({"name":"segment","type":"string","description":""},)"
      R"({"name":"seen","type":"timestamp","description":"last visit"}],)"
      R"("ttl_seconds":604800,"timestamp_unit":"ms",)"
      R"("plausible_from":"2000-01-01T00:00:00Z","plausible_until":null,)"
      R"("description":"spend","owner":"growth","tags":{"tier":"gold"}})");
  struct Bad {
    std::string path;
    int status;
    std::string message;
  };
  for (const Bad& bad : std::vector<Bad>{
           {"/v1/features/views/nope", 404,
            "no feature view nope (apply its definition first)"},
           {"/v1/features/views/customer_stats@9", 404,
            "featureview/customer_stats has no version 9 (latest is 2)"},
           {"/v1/features/views/Bad", 400, ""},
           {"/v1/features/views/customer_stats?x=1", 400, ""},
       }) {
    r = client_->Get(bad.path);
    ASSERT_TRUE(r) << bad.path;
    EXPECT_EQ(r->status, bad.status) << bad.path << ": " << r->body;
    if (!bad.message.empty()) {
      EXPECT_EQ(r->body, absl::StrCat(R"({"error":{"code":"NOT_FOUND","message":")",
                                      bad.message, R"("}})"))
          << bad.path;
    }
  }
}

TEST_F(FeatureRoutesTest, IngestAnswersAsTheCliAndFeedsOnlineLookups) {
  const std::string csv =
      absl::StrCat("customer_id,event_timestamp,spend_7d,segment\n", "7,", now_ - 60,
                   ",70.5,silver\n", "8,", now_ - 120, ",8,\"a, b\"\n");
  auto r = Post("/v1/features/customer_stats/ingest?dataset=batches&message=first", csv);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body,
            absl::StrCat("{\"ingest\":2,\"rows\":2,\"written\":2,"
                         "\"featureview\":\"featureview/customer_stats@1\","
                         "\"dataset\":\"dataset/batches@1\",\"source\":\"stored\","
                         "\"same_content\":0,\"inputs\":[],\"min_event_timestamp\":\"",
                         Time(now_ - 120), "\",\"max_event_timestamp\":\"",
                         Time(now_ - 60), "\",\"bulk\":false}"));
  // The file itself is the dataset version, byte for byte.
  auto content = client_->Get("/v1/artifacts/dataset/batches@1/content");
  ASSERT_TRUE(content);
  EXPECT_EQ(content->body, csv);

  // JSON lines, told by the Content-Type; the timestamp unit by parameter.
  const std::string jsonl =
      absl::StrCat("{\"customer_id\":7,\"event_timestamp\":", (now_ - 30) * 1000,
                   ",\"spend_7d\":71,\"segment\":\"gold\"}\n");
  r = Post("/v1/features/customer_stats/ingest?timestamp_unit=ms", jsonl,
           "application/x-ndjson");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("\"dataset\":\"dataset/customer_stats-ingest@2\""),
            std::string::npos)
      << r->body;

  r = Post("/get-online-features",
           R"({"features":["customer_stats:spend_7d","customer_stats:segment"],)"
           R"("entities":{"customer_id":[7,8]}})",
           "application/json");
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find("{\"values\":[71,8],\"statuses\":[\"PRESENT\",\"PRESENT\"]"),
            std::string::npos)
      << r->body;
  EXPECT_NE(r->body.find("{\"values\":[\"gold\",\"a, b\"]"), std::string::npos)
      << r->body;

  // The protobuf form; the same file again is the version that holds it.
  r = Post("/v1/features/customer_stats/ingest", csv, "text/csv",
           {{"Accept", "application/x-protobuf"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  IngestResponse proto;
  ASSERT_TRUE(proto.ParseFromString(r->body));
  EXPECT_EQ(proto.ingest(), 4u);
  EXPECT_EQ(proto.rows(), 2u);
  EXPECT_EQ(proto.dataset(), "dataset/batches@1");
  EXPECT_EQ(proto.source(), "same_content");
  EXPECT_EQ(proto.same_content(), 1u);

  auto metrics = client_->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find(
                "strata_http_requests_total{route=\"/v1/features/{view}/ingest\","
                "status=\"200\"} 3"),
            std::string::npos)
      << metrics->body;
}

TEST_F(FeatureRoutesTest, HistoricalStreamsTheLibrarysRowsWithTheSummaryInHeaders) {
  const std::string t = Time(now_);
  const std::string spine = absl::StrCat("customer_id,event_timestamp,label\n1,", t,
                                         ",1\n2,", t, ",0\n3,", t, ",1\n");
  features::HistoricalRequest request;
  request.features = {"customer_stats:spend_7d", "customer_stats:segment"};
  features::HistoricalResult expected;
  const std::string want = LibraryHistorical(request, spine, &expected);
  ASSERT_EQ(want, absl::StrCat("customer_id,event_timestamp,label,spend_7d,segment\n1,",
                               t, ",1,12.5,gold\n2,", t, ",0,3,\n3,", t, ",1,,\n"));
  const std::string path =
      "/v1/features/historical?features=customer_stats:spend_7d,customer_stats:segment";
  auto r = Post(path, spine);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, want);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/csv");
  EXPECT_EQ(r->get_header_value("X-Strata-Rows"), "3");
  EXPECT_EQ(r->get_header_value("X-Strata-Matched"), "2");
  EXPECT_EQ(expected.matched, 2u);
  EXPECT_EQ(r->get_header_value("X-Strata-Featureviews"), "featureview/customer_stats@1");
  EXPECT_EQ(r->get_header_value("X-Strata-Ingest-Position"), "1");
  EXPECT_FALSE(r->has_header("X-Strata-Ingest-Pending"));
  EXPECT_FALSE(r->has_header("X-Strata-Dataset"));

  // JSON lines: typed values, nulls as null.
  const std::string want_jsonl =
      absl::StrCat("{\"customer_id\":1,\"event_timestamp\":\"", t,
                   "\",\"label\":1,\"spend_7d\":12.5,\"segment\":\"gold\"}\n"
                   "{\"customer_id\":2,\"event_timestamp\":\"",
                   t,
                   "\",\"label\":0,\"spend_7d\":3,\"segment\":null}\n"
                   "{\"customer_id\":3,\"event_timestamp\":\"",
                   t, "\",\"label\":1,\"spend_7d\":null,\"segment\":null}\n");
  r = Post(path + "&format=jsonl", spine);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/x-ndjson");
  EXPECT_EQ(r->body, want_jsonl);
  r = Post(path, spine, "text/csv", {{"Accept", "application/x-ndjson"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, want_jsonl);

  // The same spine as JSON columns and as JSON lines gives the same rows.
  const std::string columns =
      absl::StrCat("{\"customer_id\":[1,2,3],\"event_timestamp\":[\"", t, "\",\"", t,
                   "\",\"", t, "\"],\"label\":[1,0,1]}");
  const std::string lines =
      absl::StrCat("{\"customer_id\":1,\"event_timestamp\":\"", t, "\",\"label\":1}\n\n",
                   "{\"label\":0,\"customer_id\":2,\"event_timestamp\":\"", t, "\"}\n",
                   "{\"customer_id\":3,\"event_timestamp\":\"", t, "\",\"label\":1}\n");
  for (const auto& [body, type] : std::vector<std::pair<std::string, std::string>>{
           {columns, "application/json"},
           {lines, "application/json"},
           {lines, "application/x-ndjson"}}) {
    r = Post(path, body, type);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->body, want) << body;
  }

  // Full names, as_of before the rows were created, created_cutoff.
  request.full_names = true;
  request.as_of = (now_ - 86400) * 1000000;
  const std::string want_as_of = LibraryHistorical(request, spine);
  r = Post(absl::StrCat(path, "&full_names=true&as_of=", now_ - 86400), spine);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, want_as_of);
  EXPECT_EQ(r->get_header_value("X-Strata-Matched"), "0");
  request.full_names = false;
  request.as_of.reset();
  request.created_cutoff = true;
  r = Post(path + "&created_cutoff=true", spine);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, LibraryHistorical(request, spine));

  // A spine with CRLF line ends and a byte-order mark (Excel, Python's csv.writer)
  // gives the same rows, as CSV, JSON lines and saved: its CR used to stay in the
  // spine's last column, before the features.
  const std::string crlf =
      "\xEF\xBB\xBF" + absl::StrReplaceAll(spine, {{"\n", "\r\n"}});
  r = Post(path, crlf);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, want);
  r = Post(path + "&format=jsonl", crlf);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, want_jsonl);
  r = Post(path + "&save=dataset/crlf", crlf);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, want);

  // Saved with format=jsonl: JSON lines in the response, CSV stored.
  r = Post(path + "&format=jsonl&save=dataset/as_jsonl", spine);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, want_jsonl);
  auto stored = client_->Get("/v1/artifacts/dataset/as_jsonl@1/content");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->body, want);
}

TEST_F(FeatureRoutesTest, SavedTrainingSetsReproduceThroughTheRoute) {
  const std::string t = Time(now_);
  const std::string spine =
      absl::StrCat("customer_id,event_timestamp\n1,", t, "\n2,", t, "\n3,", t, "\n");
  const std::string path =
      "/v1/features/historical?features=customer_stats:spend_7d,customer_stats:segment"
      "&save=dataset/train&message=first%20set";
  auto r = Post(path, spine);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("X-Strata-Dataset"), "dataset/train@1");
  EXPECT_EQ(r->get_header_value("X-Strata-Spine"), "dataset/train-spine@1");
  EXPECT_EQ(r->get_header_value("X-Strata-Rows"), "3");
  const std::string saved = r->body;
  auto stored = client_->Get("/v1/artifacts/dataset/train@1/content");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->body, saved);
  const std::string hash = absl::StrCat("sha256:", Sha256::Of(saved).Hex());

  // A row arriving later changes a fresh retrieval, not the reproduction.
  r = Post("/v1/features/customer_stats/ingest",
           absl::StrCat("customer_id,event_timestamp,spend_7d\n3,", now_ - 10, ",33\n"));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const std::string want = absl::StrCat(
      "{\"identical\":true,\"recorded\":\"", hash, "\",\"reproduced\":\"", hash,
      "\",\"rows\":3,\"matched\":2,"
      "\"featureviews\":[\"featureview/customer_stats@1\"],"
      "\"ingest_position\":1,\"ingest_pending\":[]}");
  for (const char* ref : {"dataset/train@1", "dataset/train"}) {
    r = Post(absl::StrCat("/v1/features/reproduce/", ref), "");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->body, want);
  }
  r = Post("/v1/features/reproduce/dataset/train@1?output=true", "");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, saved);
  EXPECT_EQ(r->get_header_value("X-Strata-Identical"), "true");
  EXPECT_EQ(r->get_header_value("X-Strata-Recorded"), hash);
  EXPECT_EQ(r->get_header_value("X-Strata-Reproduced"), hash);
  EXPECT_EQ(r->get_header_value("X-Strata-Ingest-Position"), "1");
  EXPECT_EQ(r->get_header_value("X-Strata-Featureviews"), "featureview/customer_stats@1");
  r = Post("/v1/features/reproduce/dataset/train@1", "", "text/plain",
           {{"Accept", "application/x-protobuf"}});
  ASSERT_TRUE(r);
  ReproduceResponse proto;
  ASSERT_TRUE(proto.ParseFromString(r->body));
  EXPECT_TRUE(proto.identical());
  EXPECT_EQ(proto.reproduced(), hash);
  EXPECT_EQ(proto.ingest_position(), 1u);

  // The stored spine as spine=, saved again: a new version with the same spine.
  r = Post(
      "/v1/features/historical?features=customer_stats:spend_7d,customer_stats:segment"
      "&spine=dataset/train-spine&save=dataset/train",
      "");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("X-Strata-Dataset"), "dataset/train@2");
  EXPECT_EQ(r->get_header_value("X-Strata-Spine"), "dataset/train-spine@1");
  EXPECT_EQ(r->get_header_value("X-Strata-Ingest-Position"), "2");
  EXPECT_EQ(r->body, absl::StrCat("customer_id,event_timestamp,spend_7d,segment\n1,", t,
                                  ",12.5,gold\n2,", t, ",3,\n3,", t, ",33,\n"));
  auto lineage = client_->Get("/v1/lineage/dataset/train@2?depth=1");
  ASSERT_TRUE(lineage);
  EXPECT_NE(lineage->body.find("dataset/train-spine@1"), std::string::npos)
      << lineage->body;
  EXPECT_NE(lineage->body.find("featureview/customer_stats@1"), std::string::npos)
      << lineage->body;
}

// POST /v1/features/VIEW/trim: 409 naming the kept training set a trim would break;
// dry_run lists it; force breaks it, and reproducing it is then 409 too.
TEST_F(FeatureRoutesTest, TrimRefusesToBreakAKeptTrainingSet) {
  auto r = Post(
      "/v1/features/historical?features=customer_stats:spend_7d"
      "&save=dataset/train",
      absl::StrCat("customer_id,event_timestamp\n1,", Time(now_ - 1800), "\n"));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const std::string state = StoreState();
  const std::string trim = absl::StrCat("/v1/features/customer_stats/trim?before=", now_);
  r = Post(trim, "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409) << r->body;
  EXPECT_NE(r->body.find("would make 1 kept training set unreproducible: "
                         "dataset/train@1; the latest horizon that breaks none is " +
                         Time(now_ - 1800)),
            std::string::npos)
      << r->body;
  r = Post(trim + "&forse=true", "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_NE(r->body.find("forse"), std::string::npos) << r->body;
  r = Post(trim + "&dry_run=true", "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("\"breaks\":[{\"dataset\":\"dataset/train@1\",\"protected_by\""
                         ":\"\"}],\"safe_horizon\":\"" +
                         Time(now_ - 1800) + "\"}"),
            std::string::npos)
      << r->body;
  EXPECT_EQ(StoreState(), state);
  r = Post("/v1/features/reproduce/dataset/train@1", "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;

  r = Post(trim + "&force=true", "", "text/plain",
           {{"Accept", "application/x-protobuf"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  TrimResponse proto;
  ASSERT_TRUE(proto.ParseFromString(r->body));
  ASSERT_EQ(proto.breaks_size(), 1);
  EXPECT_EQ(proto.breaks(0).dataset(), "dataset/train@1");
  EXPECT_EQ(proto.rows_dropped(), 0u);  // each customer's one row is in force
  r = Post("/v1/features/reproduce/dataset/train@1", "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409) << r->body;
  EXPECT_NE(
      r->body.find("cannot reproduce dataset/train@1: feature view customer_stats's "
                   "offline log was trimmed to " +
                   Time(now_)),
      std::string::npos)
      << r->body;
}

// from= ingests a stored version where it is; inputs= and spine_inputs= add lineage;
// a walk from the raw data reaches the training set.
TEST_F(FeatureRoutesTest, IngestAndHistoricalRecordLineage) {
  const std::string csv = absl::StrCat("customer_id,event_timestamp,spend_7d\n5,",
                                       now_ - 60, ",5\n");
  auto r = Post("/v1/artifacts/dataset/raw?message=raw", csv);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  r = Post("/v1/artifacts/dataset/labels", "customer_id,label\n5,1\n");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  r = Post("/v1/features/customer_stats/ingest?from=dataset/raw@1&inputs=dataset/labels",
           "");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("\"dataset\":\"dataset/raw@1\",\"source\":\"read\","
                         "\"same_content\":0,\"inputs\":[\"dataset/labels@1\"]"),
            std::string::npos)
      << r->body;

  const std::string t = Time(now_);
  r = Post("/v1/features/historical?features=customer_stats:spend_7d&save=dataset/train"
           "&inputs=dataset/labels@1&spine_inputs=dataset/labels,dataset/raw",
           absl::StrCat("customer_id,event_timestamp\n5,", t, "\n"));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, absl::StrCat("customer_id,event_timestamp,spend_7d\n5,", t, ",5\n"));
  auto spine = client_->Get("/v1/artifacts/dataset/train-spine@1");
  ASSERT_TRUE(spine);
  EXPECT_NE(spine->body.find("\"inputs\":[\"dataset/labels@1\",\"dataset/raw@1\"]"),
            std::string::npos)
      << spine->body;
  auto down = client_->Get("/v1/lineage/dataset/raw@1?direction=down&format=json");
  ASSERT_TRUE(down);
  EXPECT_NE(down->body.find("\"featureview/customer_stats@1\""), std::string::npos)
      << down->body;
  EXPECT_NE(down->body.find("\"dataset/train@1\""), std::string::npos) << down->body;

  const std::string before = StoreState();
  const struct {
    std::string path, body;
    int status;
    std::string error;
  } cases[] = {
      {"/v1/features/customer_stats/ingest?from=dataset/raw@9", "", 404, "no version 9"},
      {"/v1/features/customer_stats/ingest?from=model/x", "", 400, "not a dataset"},
      {"/v1/features/customer_stats/ingest?from=raw.csv", "", 400,
       "expected dataset/NAME[@REF]"},
      {"/v1/features/customer_stats/ingest?from=dataset/raw", csv, 400, "given twice"},
      {"/v1/features/customer_stats/ingest?inputs=dataset/nope", csv, 404,
       "no artifact dataset/nope"},
      {"/v1/features/customer_stats/ingest?input=dataset/raw", csv, 400, "input"},
      {"/v1/features/historical?features=customer_stats:spend_7d&inputs=dataset/raw",
       "customer_id,event_timestamp\n5,1\n", 400, "give save= too"},
      {"/v1/features/historical?features=customer_stats:spend_7d&save=dataset/t"
       "&spine_inputs=dataset/nope",
       "customer_id,event_timestamp\n5,1\n", 404, "no artifact dataset/nope"},
      {"/v1/features/historical?features=customer_stats:spend_7d&save=dataset/t"
       "&spine=dataset/train-spine&spine_inputs=dataset/raw",
       "", 400, "has its inputs already"},
  };
  for (const auto& c : cases) {
    r = Post(c.path, c.body);
    ASSERT_TRUE(r) << c.path;
    EXPECT_EQ(r->status, c.status) << c.path << ": " << r->body;
    EXPECT_NE(r->body.find(c.error), std::string::npos) << c.path << ": " << r->body;
  }
  EXPECT_EQ(StoreState(), before);
}

TEST_F(FeatureRoutesTest, PushWritesWhereItIsTold) {
  const auto online = [&] {
    auto r = Post("/get-online-features",
                  R"({"features":["customer_stats:spend_7d","customer_stats:segment"],)"
                  R"("entities":{"customer_id":[1,5]}})",
                  "application/json");
    EXPECT_TRUE(r && r->status == 200);
    return r ? r->body : "";
  };
  const auto position = [&] {
    features::FeatureStore fs(store_.get());
    return fs.Position()->position;
  };
  const std::string before = online();
  // Online only: newer rows replace, an older one does not; nothing offline.
  auto r = Post(
      "/push",
      absl::StrCat(R"({"push_source_name":"customer_stats","df":{)",
                   R"("customer_id":[1,"5",1],"event_timestamp":[")", Time(now_ - 60),
                   R"(",)", now_ - 50, R"(,")", Time(now_ - 7200),
                   R"("],"spend_7d":[20,5.5,99],"segment":["platinum",null,"old"]},)",
                   R"("to":"online"})"),
      "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, "{\"rows\":3,\"to\":\"online\"}");
  EXPECT_EQ(position(), 1u);
  std::string after = online();
  EXPECT_NE(after.find("{\"values\":[20,5.5],\"statuses\":[\"PRESENT\",\"PRESENT\"]"),
            std::string::npos)
      << after;
  EXPECT_NE(after.find("{\"values\":[\"platinum\",null],\"statuses\":[\"PRESENT\","
                       "\"NULL_VALUE\"]"),
            std::string::npos)
      << after;
  // Feast's default is online.
  r = Post(
      "/push",
      absl::StrCat(R"({"push_source_name":"customer_stats","df":{"customer_id":[5],)",
                   R"("event_timestamp":[)", now_ - 40,
                   R"(],"spend_7d":[6.5]},"allow_registry_cache":true})"),
      "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "{\"rows\":1,\"to\":\"online\"}");

  // Offline: an ingest of dataset VIEW-push, the online table untouched.
  after = online();
  r = Post(
      "/v1/push",
      absl::StrCat(R"({"push_source_name":"customer_stats","df":{"customer_id":[5],)",
                   R"("event_timestamp":[")", Time(now_ - 30),
                   R"("],"spend_7d":[7.5]},"to":"offline"})"),
      "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body,
            "{\"rows\":1,\"to\":\"offline\",\"ingest\":2,"
            "\"dataset\":\"dataset/customer_stats-push@1\"}");
  EXPECT_EQ(online(), after);
  const std::string spine = absl::StrCat("customer_id,event_timestamp\n5,", now_, "\n");
  r = Post("/v1/features/historical?features=customer_stats:spend_7d", spine);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body,
            absl::StrCat("customer_id,event_timestamp,spend_7d\n5,", now_, ",7.5\n"));
  // Both.
  r = Post(
      "/push",
      absl::StrCat(R"({"push_source_name":"customer_stats","df":{"customer_id":[5],)",
                   R"("event_timestamp":[")", Time(now_ - 20),
                   R"("],"spend_7d":[8.5]},"to":"online_and_offline"})"),
      "application/json", {{"Accept", "application/x-protobuf"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  PushResponse proto;
  ASSERT_TRUE(proto.ParseFromString(r->body));
  EXPECT_EQ(proto.rows(), 1u);
  EXPECT_EQ(proto.to(), "online_and_offline");
  EXPECT_EQ(proto.ingest(), 3u);
  EXPECT_EQ(proto.dataset(), "dataset/customer_stats-push@2");
  EXPECT_NE(online().find("{\"values\":[20,8.5]"), std::string::npos) << online();
  r = Post("/v1/features/historical?features=customer_stats:spend_7d", spine);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body,
            absl::StrCat("customer_id,event_timestamp,spend_7d\n5,", now_, ",8.5\n"));
  EXPECT_EQ(before.find("\"values\":[20"), std::string::npos);
}

TEST_F(FeatureRoutesTest, WriteRoutesNeedTheWriteScope) {
  auto read = TokenStore(store_.get()).Create(Scope::kRead, "reader", "test");
  auto write = TokenStore(store_.get()).Create(Scope::kWrite, "writer", "test");
  ASSERT_TRUE(read.ok() && write.ok());
  Start(ServerOptions());
  ASSERT_TRUE(server_->authenticating());
  const std::string t = Time(now_);
  const std::string spine = absl::StrCat("customer_id,event_timestamp\n1,", t, "\n");
  const std::string ingest =
      absl::StrCat("customer_id,event_timestamp,spend_7d\n1,", now_ - 5, ",1\n");
  const std::string push =
      absl::StrCat(R"({"push_source_name":"customer_stats","df":{"customer_id":[1],)",
                   R"("event_timestamp":[)", now_ - 5, R"(],"spend_7d":[1]}})");
  const std::string historical =
      "/v1/features/historical?features=customer_stats:spend_7d";
  struct Call {
    std::string path, body, type;
  };
  const std::vector<Call> writes = {
      {"/v1/features/apply", std::string(testing::kExampleDefinitions), "text/yaml"},
      {"/v1/features/customer_stats/ingest", ingest, "text/csv"},
      {historical + "&save=dataset/t", spine, "text/csv"},
      {"/push", push, "application/json"},
      {"/v1/push", push, "application/json"},
      {"/write-to-online-store",
       absl::StrCat(R"({"feature_view_name":"customer_stats","df":{"customer_id":[1],)",
                    R"("event_timestamp":[)", now_ - 5, R"(],"spend_7d":[1]}})"),
       "application/json"},
  };
  // Feast's health check, as /healthz, needs no token.
  httplib::Client probe("127.0.0.1", server_->port());
  auto health = probe.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "");
  const std::string state = StoreState();
  for (const Call& c : writes) {
    auto r = Post(c.path, c.body, c.type, {{"Authorization", "Bearer " + *read}});
    ASSERT_TRUE(r) << c.path;
    EXPECT_EQ(r->status, 403) << c.path << " " << r->body;
    EXPECT_EQ(r->body.rfind("{\"error\":{\"code\":\"PERMISSION_DENIED\"", 0), 0u)
        << r->body;
    EXPECT_NE(r->body.find("scope is read"), std::string::npos) << r->body;
    // Its own connection: the refusal before routing leaves the body unread.
    httplib::Client anonymous("127.0.0.1", server_->port());
    r = anonymous.Post(c.path.c_str(), c.body, c.type.c_str());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << c.path;
  }
  EXPECT_EQ(StoreState(), state);
  // Reads need only read; writes pass with write.
  auto r = Post(historical, spine, "text/csv", {{"Authorization", "Bearer " + *read}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  for (const Call& c : writes) {
    r = Post(c.path, c.body, c.type, {{"Authorization", "Bearer " + *write}});
    ASSERT_TRUE(r) << c.path;
    EXPECT_EQ(r->status, 200) << c.path << " " << r->body;
  }
  r = Post("/v1/features/reproduce/dataset/t", "", "text/plain",
           {{"Authorization", "Bearer " + *read}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
}

// Feast's request shapes, as its SDK and its feature server build them: a push
// source feeding two views, a feature service, the feature_service form of
// get-online-features (JSON and protobuf), write-to-online-store as Feast's remote
// online store sends it, pandas' epoch units, and services in historical requests.
TEST_F(FeatureRoutesTest, FeastRequestsAsFeastBuildsThem) {
  const std::string defs = R"(entities:
  - name: customer
    join_keys:
      - {name: customer_id, type: int64}
push_sources:
  - name: customer_push
feature_views:
  - name: customer_stats
    entities: [customer]
    ttl: 7d
    source: customer_push
    features:
      - {name: spend_7d, type: double}
      - {name: segment, type: string}
  - name: customer_risk
    entities: [customer]
    source: customer_push
    features:
      - {name: risk, type: double}
feature_services:
  - name: churn_model
    description: what the churn model reads
    features: [customer_stats:spend_7d, customer_risk]
)";
  auto r = Post("/v1/features/apply", defs, "application/yaml");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body,
            "{\"featureviews\":[{\"name\":\"customer_stats\",\"version\":2,\"changed\":true},"
            "{\"name\":\"customer_risk\",\"version\":1,\"changed\":true}],"
            "\"featureservices\":[{\"name\":\"churn_model\",\"version\":1,"
            "\"changed\":true}]}");
  r = Post("/v1/features/apply", defs, "application/yaml");
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find("\"featureservices\":[{\"name\":\"churn_model\",\"version\":1,"
                         "\"changed\":false}]"),
            std::string::npos)
      << r->body;
  // The service's version reads the views' versions.
  auto service = store_->artifacts().Resolve(*ParseRef("featureservice/churn_model"));
  ASSERT_TRUE(service.ok()) << service.status();
  EXPECT_EQ(std::vector<std::string>(service->inputs().begin(), service->inputs().end()),
            (std::vector<std::string>{"featureview/customer_risk@1",
                                      "featureview/customer_stats@2"}));

  // Feast's PushFeaturesRequest to the push source: every view naming it is written.
  // Times as pandas prints them (no T, no offset: UTC), the created time as "created".
  const auto naive = [](int64_t seconds) {
    return absl::StrReplaceAll(Time(seconds), {{"T", " "}, {"Z", ""}});
  };
  r = Post("/push",
           absl::StrCat(R"({"push_source_name":"customer_push","df":{"customer_id":[1,2],)",
                        R"("event_timestamp":[")", naive(now_ - 60), R"(",")",
                        naive(now_ - 60), R"("],"created":[")", naive(now_ - 59),
                        R"(",null],"spend_7d":[20.5,3.5],"segment":["gold",null],)",
                        R"("risk":[0.25,0.5]},"allow_registry_cache":true,"to":"online",)",
                        R"("transform_on_write":true})"),
           "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body,
            "{\"rows\":2,\"to\":\"online\",\"featureviews\":[\"customer_risk\","
            "\"customer_stats\"],\"ignored\":[\"transform_on_write\"]}");

  // Feast's write-to-online-store, as its remote online store builds it.
  r = Post("/write-to-online-store",
           absl::StrCat(R"({"feature_view_name":"customer_risk","df":{"customer_id":[3],)",
                        R"("risk":[0.75],"event_timestamp":[")", naive(now_ - 30),
                        R"("],"created":[null]},"allow_registry_cache":false})"),
           "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, "{\"rows\":1,\"featureview\":\"customer_risk\"}");

  // get-online-features by feature service equals the same features by name.
  const std::string entities = R"("entities":{"customer_id":[1,2,3]})";
  auto by_name = Post("/get-online-features",
                      absl::StrCat(R"({"features":["customer_stats:spend_7d",)",
                                   R"("customer_risk:risk"],)", entities, "}"),
                      "application/json");
  auto by_service = Post("/get-online-features",
                         absl::StrCat(R"({"feature_service":"churn_model",)", entities,
                                      R"(,"full_feature_names":false})"),
                         "application/json");
  ASSERT_TRUE(by_name && by_service);
  ASSERT_EQ(by_service->status, 200) << by_service->body;
  EXPECT_EQ(by_service->body, by_name->body);
  EXPECT_NE(by_name->body.find("{\"values\":[0.25,0.5,0.75],"), std::string::npos)
      << by_name->body;
  EXPECT_NE(by_name->body.find("{\"values\":[20.5,3.5,null],"), std::string::npos)
      << by_name->body;
  // A reference, pinned, among other features; a feature also in the service once.
  auto pinned = Post("/get-online-features",
                     absl::StrCat(R"({"features":["featureservice/churn_model@1",)",
                                  R"("customer_risk:risk"],)", entities, "}"),
                     "application/json");
  ASSERT_TRUE(pinned);
  EXPECT_EQ(pinned->body, by_name->body);
  // The protobuf request's feature_service.
  GetOnlineFeaturesRequest proto_request;
  proto_request.set_feature_service("churn_model");
  auto* column = proto_request.add_entities();
  column->set_join_key("customer_id");
  for (int64_t id : {1, 2, 3}) column->mutable_values()->add_values()->set_int64_value(id);
  GetOnlineFeaturesRequest by_name_proto = proto_request;
  by_name_proto.clear_feature_service();
  by_name_proto.add_features("customer_stats:spend_7d");
  by_name_proto.add_features("customer_risk:risk");
  auto proto_service = Post("/get-online-features", proto_request.SerializeAsString(),
                            "application/x-protobuf");
  auto proto_name = Post("/get-online-features", by_name_proto.SerializeAsString(),
                         "application/x-protobuf");
  ASSERT_TRUE(proto_service && proto_name);
  ASSERT_EQ(proto_service->status, 200) << proto_service->body;
  EXPECT_EQ(proto_service->body, proto_name->body);

  // pandas' to_json writes epoch milliseconds by default, nanoseconds with
  // date_unit="ns", and a frame as {column: {index: value}}: timestamp_unit= says
  // which unit.
  r = Post("/push?timestamp_unit=ms",
           absl::StrCat(R"({"push_source_name":"customer_stats","df":{)",
                        R"("customer_id":{"0":4},"event_timestamp":{"0":)",
                        (now_ - 20) * 1000, R"(},"spend_7d":{"0":4.5}}})"),
           "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  r = Post("/write-to-online-store?timestamp_unit=ns",
           absl::StrCat(R"({"feature_view_name":"customer_risk","df":{"customer_id":[4],)",
                        R"("event_timestamp":[)", (now_ - 20) * 1000000000,
                        R"(],"risk":[0.125]}})"),
           "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  r = Post("/get-online-features",
           R"({"feature_service":"churn_model","entities":{"customer_id":[4]}})",
           "application/json");
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find(absl::StrCat("{\"values\":[4.5],\"statuses\":[\"PRESENT\"],"
                                      "\"event_timestamps\":[\"",
                                      Time(now_ - 20), "\"]}")),
            std::string::npos)
      << r->body;
  EXPECT_NE(r->body.find("{\"values\":[0.125],"), std::string::npos) << r->body;
  // A JSON-lines spine (to_json(orient="records", lines=True)) in ms and in ns.
  const std::string hist_by_name =
      "/v1/features/historical?features=customer_stats:spend_7d,customer_risk:risk";
  const std::string csv_spine = absl::StrCat("customer_id,event_timestamp\n1,", now_, "\n");
  auto csv_answer = Post(hist_by_name, csv_spine);
  ASSERT_TRUE(csv_answer);
  ASSERT_EQ(csv_answer->status, 200) << csv_answer->body;
  for (const auto& [unit, factor] :
       std::vector<std::pair<std::string, int64_t>>{{"ms", 1000}, {"ns", 1000000000}}) {
    r = Post(absl::StrCat(hist_by_name, "&timestamp_unit=", unit),
             absl::StrCat(R"({"customer_id":1,"event_timestamp":)", now_ * factor, "}\n"),
             "application/x-ndjson");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->get_header_value("X-Strata-Rows"), "1");
    EXPECT_EQ(r->body.substr(r->body.find('\n')),
              absl::StrCat("\n1,", now_ * factor, ",12.5,\n"))
        << unit << ": " << r->body;
    // The frame as to_json() writes it by default: {column: {index: value}}.
    r = Post(absl::StrCat(hist_by_name, "&timestamp_unit=", unit),
             absl::StrCat(R"({"customer_id":{"0":1,"1":2},"event_timestamp":{"0":)",
                          now_ * factor, R"(,"1":)", now_ * factor, "}}"),
             "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->body.substr(r->body.find('\n')),
              absl::StrCat("\n1,", now_ * factor, ",12.5,\n2,", now_ * factor, ",3,\n"))
        << unit << ": " << r->body;
  }

  // Historical by service: the same rows; a saved set records the expanded features
  // and the service version, and reproduces.
  auto hist_service =
      Post("/v1/features/historical?features=featureservice/churn_model&save=dataset/churn",
           csv_spine);
  ASSERT_TRUE(hist_service);
  ASSERT_EQ(hist_service->status, 200) << hist_service->body;
  EXPECT_EQ(hist_service->body, csv_answer->body);
  auto saved = store_->artifacts().Resolve(*ParseRef("dataset/churn"));
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_EQ(saved->metadata().at("request.features"),
            "customer_stats:spend_7d,customer_risk:risk");
  const std::vector<std::string> inputs(saved->inputs().begin(), saved->inputs().end());
  EXPECT_NE(std::find(inputs.begin(), inputs.end(), "featureservice/churn_model@1"),
            inputs.end())
      << absl::StrJoin(inputs, ",");
  r = Post("/v1/features/reproduce/dataset/churn", "", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find("\"identical\":true"), std::string::npos) << r->body;
}

struct BadRequest {
  std::string path, body, content_type;
  int status;
  std::string code, message;  // expected error code and part of the message
};

TEST_F(FeatureRoutesTest, BadRequestsGetJsonErrorsAndChangeNothing) {
  const std::string t = Time(now_);
  const std::string ingest = "/v1/features/customer_stats/ingest";
  const std::string hist = "/v1/features/historical?features=customer_stats:spend_7d";
  const std::string spine = absl::StrCat("customer_id,event_timestamp\n1,", t, "\n");
  const std::string csv = "customer_id,event_timestamp,spend_7d\n";
  const auto push = [&](const std::string& df, const std::string& extra = "") {
    return absl::StrCat(R"({"push_source_name":"customer_stats","df":)", df, extra, "}");
  };
  const std::string key_time =
      absl::StrCat(R"("customer_id":[1],"event_timestamp":[)", now_, "]");
  const std::vector<BadRequest> cases = {
      // apply
      {"/v1/features/apply", "entities: [", "text/yaml", 400, "INVALID_ARGUMENT",
       "body:"},
      {"/v1/features/apply",
       R"({"entities":[{"name":"customer",)"
       R"("join_keys":[{"name":"customer_id","type":"int64"}]}],)"
       R"("feature_views":[{"name":"customer_stats","entities":["customer"],)"
       R"("features":[{"name":"spend_7d","type":"string"}]}]})",
       "application/json", 409, "FAILED_PRECONDITION", "changing it to string"},
      {"/v1/features/apply?msg=x", std::string(testing::kExampleDefinitions), "text/yaml",
       400, "INVALID_ARGUMENT", "unknown query parameter \\\"msg\\\""},
      // ingest
      {"/v1/features/nope/ingest", csv + "1,1,1\n", "text/csv", 404, "NOT_FOUND",
       "no feature view nope"},
      {"/v1/features/../x/ingest", csv + "1,1,1\n", "text/csv", 400, "INVALID_ARGUMENT",
       "feature view"},
      {"/v1/features/..%2F..%2Fetc/ingest", csv + "1,1,1\n", "text/csv", 400,
       "INVALID_ARGUMENT", "feature view"},
      {ingest + "?format=xml", csv + "1,1,1\n", "text/csv", 400, "INVALID_ARGUMENT",
       "format=xml is not csv or jsonl"},
      {ingest + "?timestamp_unit=h", csv + "1,1,1\n", "text/csv", 400, "INVALID_ARGUMENT",
       "timestamp_unit"},
      {ingest + "?dataset=../x", csv + "1,1,1\n", "text/csv", 400, "INVALID_ARGUMENT",
       "dataset"},
      {ingest, csv + "1,1,1\n2,2,lots\n", "text/csv", 400, "INVALID_ARGUMENT",
       "body:3: column \\\"spend_7d\\\": "},
      {ingest, "customer_id,event_timestamp,spend\n1,1,1\n", "text/csv", 400,
       "INVALID_ARGUMENT", "body:1: unknown column \\\"spend\\\""},
      {ingest, csv + "1,yesterday,1\n", "text/csv", 400, "INVALID_ARGUMENT",
       "body:2: column \\\"event_timestamp\\\""},
      {ingest, "customer_id,event_timestamp,segment\n1,1,\"gold", "text/csv", 400,
       "INVALID_ARGUMENT", "body:2: "},
      {ingest, "event_timestamp,spend_7d\n1,1\n", "text/csv", 400, "INVALID_ARGUMENT",
       "join key column customer_id is missing"},
      {ingest, "", "text/csv", 400, "INVALID_ARGUMENT", "body is empty"},
      {ingest, "{\"customer_id\":\"x\",\"event_timestamp\":1}\n", "application/x-ndjson",
       400, "INVALID_ARGUMENT", "body:1: key \\\"customer_id\\\": "},
      {ingest, csv + std::string(kMaxBody, '1'), "text/csv", 413, "RESOURCE_EXHAUSTED",
       "larger than 65536 bytes"},
      // historical
      {"/v1/features/historical", spine, "text/csv", 400, "INVALID_ARGUMENT",
       "features=VIEW:FEATURE"},
      {"/v1/features/historical?features=nope:x", spine, "text/csv", 404, "NOT_FOUND",
       "no feature view nope"},
      {"/v1/features/historical?features=customer_stats:nope", spine, "text/csv", 404,
       "NOT_FOUND", "has no feature nope"},
      {"/v1/features/historical?features=spend_7d", spine, "text/csv", 400,
       "INVALID_ARGUMENT", "is not VIEW:FEATURE"},
      {hist, "event_timestamp\n" + t + "\n", "text/csv", 400, "INVALID_ARGUMENT",
       "spine:1: the spine has no column customer_id"},
      {hist, "customer_id,event_timestamp\n1,soon\n", "text/csv", 400, "INVALID_ARGUMENT",
       "spine:2: column \\\"event_timestamp\\\""},
      {hist, "customer_id,event_timestamp\n1,\"" + t, "text/csv", 400, "INVALID_ARGUMENT",
       "spine:2: "},
      {hist, "", "text/csv", 400, "INVALID_ARGUMENT", "no spine"},
      {hist + "&as_of=later", spine, "text/csv", 400, "INVALID_ARGUMENT", "as_of: "},
      {hist + "&created_cutoff=yes", spine, "text/csv", 400, "INVALID_ARGUMENT",
       "created_cutoff=yes is not true or false"},
      {hist + "&timestamp_unit=days", spine, "text/csv", 400, "INVALID_ARGUMENT",
       "timestamp_unit"},
      {hist + "&format=parquet", spine, "text/csv", 400, "INVALID_ARGUMENT",
       "format=parquet is not csv or jsonl"},
      {hist + "&save=train", spine, "text/csv", 400, "INVALID_ARGUMENT",
       "save=train: expected dataset/NAME"},
      {hist + "&save=dataset/../x", spine, "text/csv", 400, "INVALID_ARGUMENT",
       "save=dataset/../x"},
      {hist + "&save=dataset/t", "customer_id,event_timestamp\n1,soon\n", "text/csv", 400,
       "INVALID_ARGUMENT", "spine:2: column \\\"event_timestamp\\\""},
      {hist + "&spine=../../etc/passwd", "", "text/csv", 400, "INVALID_ARGUMENT",
       "expected dataset/NAME[@REF]"},
      {hist + "&spine=dataset/missing", "", "text/csv", 404, "NOT_FOUND", "missing"},
      {hist + "&spine=dataset/customer_stats-ingest@1", spine, "text/csv", 400,
       "INVALID_ARGUMENT", "the spine is given twice"},
      {hist + "&save=dataset/t",
       "customer_id,event_timestamp\n1,1\n1,2\n1,3\n1,4\n1,5\n1,6\n", "text/csv", 413,
       "RESOURCE_EXHAUSTED", "spine has more than 5 rows"},
      {hist, "{\"customer_id\":[1,2,3,4,5,6],\"event_timestamp\":[1,2,3,4,5,6]}",
       "application/json", 413, "RESOURCE_EXHAUSTED", "spine has more than 5 rows"},
      {hist, "{\"customer_id\":[1,2],\"event_timestamp\":[1]}", "application/json", 400,
       "INVALID_ARGUMENT",
       "spine column \\\"event_timestamp\\\" has 1 value, but \\\"customer_id\\\" has "
       "2"},
      {hist, "{\"customer_id\":[1,2],\"event_timestamp\":[1,\"soon\"]}",
       "application/json", 400, "INVALID_ARGUMENT",
       "spine row 2: column \\\"event_timestamp\\\""},
      {hist, "{\"customer_id\":[[1]],\"event_timestamp\":[1]}", "application/json", 400,
       "INVALID_ARGUMENT", "spine column \\\"customer_id\\\"[0]: arrays and objects"},
      {hist, "{\"customer_id\":1,\"event_timestamp\":1}\n{\"customer\":2}\n",
       "application/x-ndjson", 400, "INVALID_ARGUMENT",
       "spine line 2: key \\\"customer\\\" is not a key of the first line"},
      {hist, "{", "application/json", 400, "INVALID_ARGUMENT",
       "spine line 1 is not valid JSON"},
      {hist + "&format=jsonl", "customer_id,event_timestamp,spend_7d\n1,1,1\n",
       "text/csv", 400, "INVALID_ARGUMENT", "the spine has a column spend_7d"},
      // reproduce
      {"/v1/features/reproduce/dataset/missing@1", "", "text/plain", 404, "NOT_FOUND",
       "missing"},
      {"/v1/features/reproduce/dataset/customer_stats-ingest@1", "", "text/plain", 409,
       "FAILED_PRECONDITION", "is not a saved historical result"},
      {"/v1/features/reproduce/dataset/x@1?output=maybe", "", "text/plain", 400,
       "INVALID_ARGUMENT", "output=maybe is not true or false"},
      {"/v1/features/reproduce/dataset/../../x", "", "text/plain", 400,
       "INVALID_ARGUMENT", ""},
      // push
      {"/push", "{", "application/json", 400, "INVALID_ARGUMENT", "not valid JSON"},
      {"/push", "[1]", "application/json", 400, "INVALID_ARGUMENT", "not a JSON object"},
      {"/push", R"({"push_source_name":"nope","df":{}})", "application/json", 404,
       "NOT_FOUND", "push_source_name: no push source or feature view nope"},
      {"/push", R"({"push_source_name":"../x","df":{}})", "application/json", 400,
       "INVALID_ARGUMENT", "push_source_name: push source"},
      {"/push", R"({"push_source_name":"customer_stats"})", "application/json", 400,
       "INVALID_ARGUMENT", "no df"},
      {"/push", R"({"df":{}})", "application/json", 400, "INVALID_ARGUMENT",
       "no push_source_name"},
      {"/push", push("{" + key_time + "}", R"(,"extra":1)"), "application/json", 400,
       "INVALID_ARGUMENT", "unknown field \\\"extra\\\""},
      {"/push", push("{" + key_time + "}", R"(,"to":"everywhere")"), "application/json",
       400, "INVALID_ARGUMENT", "is not online, offline or online_and_offline"},
      {"/push", push("[1]"), "application/json", 400, "INVALID_ARGUMENT",
       "df must be an object"},
      {"/push", push("{" + key_time + R"(,"spend":[1]})"), "application/json", 400,
       "INVALID_ARGUMENT", "df.spend: feature view customer_stats has no column spend"},
      {"/push", push(absl::StrCat(R"({"event_timestamp":[)", now_, "]}")),
       "application/json", 400, "INVALID_ARGUMENT", "df has no column customer_id"},
      {"/push", push(R"({"customer_id":[1]})"), "application/json", 400,
       "INVALID_ARGUMENT", "df has no column event_timestamp"},
      {"/push", push("{" + key_time + R"(,"spend_7d":[1,2]})"), "application/json", 400,
       "INVALID_ARGUMENT", "df.spend_7d has 2 values, but df.customer_id has 1"},
      {"/push", push("{" + key_time + R"(,"spend_7d":["x"]})"), "application/json", 400,
       "INVALID_ARGUMENT", "df.spend_7d[0]: expected a number"},
      {"/push", push("{" + key_time + R"(,"segment":[1]})", R"(,"to":"offline")"),
       "application/json", 400, "INVALID_ARGUMENT", "df.segment[0]: expected a string"},
      {"/push", push(R"({"customer_id":[1],"event_timestamp":["yesterday"]})"),
       "application/json", 400, "INVALID_ARGUMENT", "df.event_timestamp[0]: "},
      {"/push", push(R"({"customer_id":[null],"event_timestamp":[1]})"),
       "application/json", 400, "INVALID_ARGUMENT", "df.customer_id[0] is null"},
      {"/push", push(R"({"customer_id":[1.5],"event_timestamp":[1]})"),
       "application/json", 400, "INVALID_ARGUMENT",
       "df.customer_id[0]: expected an int64"},
      {"/push", push(R"({"customer_id":[],"event_timestamp":[]})"), "application/json",
       400, "INVALID_ARGUMENT", "df has no rows"},
      {"/push", push("{" + key_time + R"(,"customer_id":[2]})"), "application/json", 400,
       "INVALID_ARGUMENT",
       "the body: key \\\"customer_id\\\" appears twice in \\\"df\\\""},
      {"/push?to=online", push("{" + key_time + "}"), "application/json", 400,
       "INVALID_ARGUMENT", "unknown query parameter \\\"to\\\""},
      // Exactly one JSON document, no key twice, numbers and times as in files.
      {"/push", R"({"push_source_name":"customer_stats","push_source_name":"x","df":{}})",
       "application/json", 400, "INVALID_ARGUMENT",
       "the body: key \\\"push_source_name\\\" appears twice"},
      {"/push", push("{" + key_time + "}") + "{}", "application/json", 400,
       "INVALID_ARGUMENT", "the body is not valid JSON"},
      {"/push", push(R"({"customer_id":[9223372036854775808],"event_timestamp":[1]})"),
       "application/json", 400, "INVALID_ARGUMENT",
       "df.customer_id[0]: 9223372036854775808 is out of range for int64"},
      {"/push", push(R"({"customer_id":[1],"event_timestamp":[1701234567894067]})"),
       "application/json", 400, "INVALID_ARGUMENT",
       "df.event_timestamp[0]: 1701234567894067 looks like microseconds; this view reads "
       "seconds"},
      // Times outside the view's plausible time (default 1970 to 2200), with the unit
      // an epoch looks like.
      {"/push", push(R"({"customer_id":[1],"event_timestamp":[1701388800000]})"),
       "application/json", 400, "INVALID_ARGUMENT",
       "df.event_timestamp[0]: 1701388800000 looks like milliseconds; this view reads "
       "seconds"},
      {"/push",
       push(R"({"customer_id":[1],"event_timestamp":["1701388800000"]})",
            R"(,"to":"offline")"),
       "application/json", 400, "INVALID_ARGUMENT",
       "df.event_timestamp[0]: 1701388800000 looks like milliseconds"},
      {"/push",
       push("{" + key_time + R"(,"created_timestamp":["2500-01-01T00:00:00Z"]})",
            R"(,"to":"online_and_offline")"),
       "application/json", 400, "INVALID_ARGUMENT",
       "df.created_timestamp[0]: timestamp \\\"2500-01-01T00:00:00Z\\\" is outside the "
       "plausible time 1970-01-01T00:00:00Z .. 2200-01-01T00:00:00Z"},
      {ingest, csv + "1,1701388800,1\n2,1701388800000,2\n", "text/csv", 400,
       "INVALID_ARGUMENT",
       "body:3: column \\\"event_timestamp\\\": 1701388800000 looks like milliseconds; "
       "this view reads seconds"},
      {ingest + "?timestamp_unit=ms", csv + "1,1701388800000000,1\n", "text/csv", 400,
       "INVALID_ARGUMENT",
       "body:2: column \\\"event_timestamp\\\": 1701388800000000 looks like "
       "microseconds; this ingest reads milliseconds"},
      {"/push", push(R"({"customer_id":[1],"event_timestamp":[1.5]})"),
       "application/json", 400, "INVALID_ARGUMENT",
       "df.event_timestamp[0]: not a whole number of s"},
      {hist, R"({"customer_id":[1],"customer_id":[2],"event_timestamp":[1]})",
       "application/json", 400, "INVALID_ARGUMENT",
       "the spine: key \\\"customer_id\\\" appears twice"},
      {hist, "{\"customer_id\":1,\"event_timestamp\":1}{\"customer_id\":2}\n",
       "application/x-ndjson", 400, "INVALID_ARGUMENT", "spine line 1 is not valid JSON"},
      {ingest,
       "{\"customer_id\":1,\"event_timestamp\":1}{\"customer_id\":2,"
       "\"event_timestamp\":1}\n",
       "application/x-ndjson", 400, "INVALID_ARGUMENT",
       "body:1: text after the JSON object (one object a line)"},
      {"/v1/runs", R"({"name":"fit","params":{"lr":"0.1","lr":"0.2"}})",
       "application/json", 400, "INVALID_ARGUMENT",
       "the body: key \\\"lr\\\" appears twice in \\\"params\\\""},
      // Feast's forms: feature services, push sources, write-to-online-store.
      {"/get-online-features",
       R"({"feature_service":"nope","entities":{"customer_id":[1]}})", "application/json",
       404, "NOT_FOUND", "no feature service featureservice/nope"},
      {"/get-online-features",
       R"({"features":["featureservice/nope@2"],"entities":{"customer_id":[1]}})",
       "application/json", 404, "NOT_FOUND", "no feature service featureservice/nope@2"},
      {"/get-online-features", R"({"feature_service":7,"entities":{"customer_id":[1]}})",
       "application/json", 400, "INVALID_ARGUMENT",
       "feature_service must be a feature service's name"},
      {"/get-online-features", R"({"feature_service":"","entities":{"customer_id":[1]}})",
       "application/json", 400, "INVALID_ARGUMENT", "feature_service is empty"},
      {"/get-online-features", R"({"features":[],"entities":{"customer_id":[1]}})",
       "application/json", 400, "INVALID_ARGUMENT",
       "no features (and no feature_service)"},
      {"/v1/features/historical?features=featureservice/nope", spine, "text/csv", 404,
       "NOT_FOUND", "no feature service featureservice/nope"},
      {"/v1/features/historical?features=featureservice/nope&save=dataset/t", spine,
       "text/csv", 404, "NOT_FOUND", "no feature service featureservice/nope"},
      {"/v1/features/historical?features=featureservice/..x", spine, "text/csv", 400,
       "INVALID_ARGUMENT", "artifact name"},
      {"/v1/features/apply",
       absl::StrCat(testing::kExampleDefinitions,
                    "feature_services:\n  - name: s\n    features: [customer_stats:nope]\n"),
       "text/yaml", 400, "INVALID_ARGUMENT",
       "body:14:16: feature service 's': feature view 'customer_stats' has no feature "
       "\\\"nope\\\""},
      {"/v1/features/apply",
       "feature_services:\n  - name: s\n    features: [customer_stats:nope]\n",
       "text/yaml", 400, "INVALID_ARGUMENT",
       "body:3:16: feature service 's': feature view 'customer_stats' has no feature "
       "\\\"nope\\\""},
      {"/v1/features/apply", "feature_services:\n  - name: s\n    features: [gone]\n",
       "text/yaml", 400, "INVALID_ARGUMENT",
       "body:3:16: feature service 's' reads feature view 'gone', which neither this "
       "file nor the store defines"},
      {"/v1/features/apply",
       absl::StrReplaceAll(testing::kExampleDefinitions, {{"ttl: 7d", "source: p"}}),
       "text/yaml", 400, "INVALID_ARGUMENT",
       "names push source \\\"p\\\", which this file does not define"},
      {"/push", push("{" + key_time + "}", R"(,"transform_on_write":"yes")"),
       "application/json", 400, "INVALID_ARGUMENT",
       "transform_on_write must be true or false"},
      {"/push?timestamp_unit=h", push("{" + key_time + "}"), "application/json", 400,
       "INVALID_ARGUMENT", "timestamp_unit: "},
      {"/push", push(R"({"customer_id":1,"event_timestamp":[1]})"), "application/json",
       400, "INVALID_ARGUMENT",
       "df.customer_id must be an array (or an object of index -> value)"},
      {"/write-to-online-store", R"({"df":{}})", "application/json", 400,
       "INVALID_ARGUMENT", "the request has no feature_view_name"},
      {"/write-to-online-store", R"({"feature_view_name":"nope","df":{}})",
       "application/json", 404, "NOT_FOUND", "no feature view nope"},
      {"/write-to-online-store", R"({"feature_view_name":"customer_stats","df":[1]})",
       "application/json", 400, "INVALID_ARGUMENT", "df must be an object"},
      {"/write-to-online-store",
       absl::StrCat(R"({"feature_view_name":"customer_stats","df":{)", key_time,
                    R"(},"to":"online"})"),
       "application/json", 400, "INVALID_ARGUMENT",
       "unknown field \\\"to\\\" (expected feature_view_name, df, "
       "allow_registry_cache, transform_on_write)"},
      {"/write-to-online-store",
       absl::StrCat(R"({"feature_view_name":"customer_stats","df":{)", key_time,
                    R"(,"spend":[1]}})"),
       "application/json", 400, "INVALID_ARGUMENT",
       "df.spend: feature view customer_stats has no column spend"},
      {"/write-to-online-store",
       R"({"feature_view_name":"customer_stats","df":{"customer_id":[1],)"
       R"("event_timestamp":[1701388800000]}})",
       "application/json", 400, "INVALID_ARGUMENT",
       "df.event_timestamp[0]: 1701388800000 looks like milliseconds"},
      {"/write-to-online-store?ts=1", push("{" + key_time + "}"), "application/json", 400,
       "INVALID_ARGUMENT", "unknown query parameter \\\"ts\\\""},
  };
  ASSERT_GE(cases.size(), 20u);
  const std::string state = StoreState();
  for (const BadRequest& c : cases) {
    auto r = Post(c.path, c.body, c.content_type);
    ASSERT_TRUE(r) << c.path << " " << c.body;
    EXPECT_EQ(r->status, c.status) << c.path << " " << c.body << " -> " << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json") << c.path;
    EXPECT_EQ(r->body.rfind("{\"error\":{\"code\":\"" + c.code + "\",\"message\":\"", 0),
              0u)
        << c.path << " " << c.body << " -> " << r->body;
    EXPECT_NE(r->body.find(c.message), std::string::npos)
        << c.path << " " << c.body << " -> " << r->body;
    EXPECT_EQ(StoreState(), state) << c.path << " " << c.body;
  }
  // The connection is still in step, and the server still serves.
  auto r = client_->Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

// Online lookups while the same entities are ingested over HTTP: every answer is
// whole JSON, and each entity's values come from one ingested row, never a mix.
TEST_F(FeatureRoutesTest, OnlineLookupsDuringIngestsSeeWholeRows) {
  constexpr int kEntities = 4;
  constexpr int kGenerations = 12;
  const auto batch = [&](int g) {
    std::string csv = "customer_id,event_timestamp,spend_7d,segment\n";
    for (int e = 0; e < kEntities; ++e) {
      // Each generation is newer: its rows replace the previous ones online.
      absl::StrAppend(&csv, 100 + e, ",", now_ - 3600 + g, ",", g * 1000 + e, ",g", g,
                      "\n");
    }
    return csv;
  };
  auto first = Post("/v1/features/customer_stats/ingest", batch(0));
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 200) << first->body;

  std::atomic<bool> done{false};
  std::mutex failures_mu;
  std::vector<std::string> failures;
  const auto fail = [&](std::string what) {
    std::lock_guard lock(failures_mu);
    failures.push_back(std::move(what));
  };
  std::vector<std::thread> readers;
  std::atomic<int> reads{0};
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      httplib::Client c("127.0.0.1", server_->port());
      simdjson::dom::parser parser;
      std::vector<int64_t> last(kEntities, -1);
      for (int i = 0; !done.load() || i < 20; ++i) {
        auto r =
            c.Post("/get-online-features",
                   R"({"features":["customer_stats:spend_7d","customer_stats:segment"],)"
                   R"("entities":{"customer_id":[100,101,102,103]}})",
                   "application/json");
        if (!r || r->status != 200) {
          fail(r ? r->body : "no response");
          return;
        }
        simdjson::dom::element doc;
        if (parser.parse(r->body).get(doc)) {
          fail("not JSON: " + r->body);
          return;
        }
        auto spend = doc["results"].at(1)["values"].get_array();
        auto segment = doc["results"].at(2)["values"].get_array();
        if (spend.error() || segment.error()) {
          fail("unexpected shape: " + r->body);
          return;
        }
        for (int e = 0; e < kEntities; ++e) {
          double s;
          std::string_view g;
          if (spend.at(e).get_double().get(s) || segment.at(e).get_string().get(g)) {
            fail("missing values: " + r->body);
            return;
          }
          const auto generation = static_cast<int64_t>(s) / 1000;
          if (s != generation * 1000 + e || generation > kGenerations ||
              g != absl::StrCat("g", generation)) {
            fail(absl::StrCat("entity ", e, " has spend ", s, " and segment ",
                              std::string(g)));
            return;
          }
          if (generation < last[e]) {
            fail(absl::StrCat("entity ", e, " went back from generation ", last[e],
                              " to ", generation));
            return;
          }
          last[e] = generation;
        }
        ++reads;
      }
    });
  }
  {
    httplib::Client c("127.0.0.1", server_->port());
    for (int g = 1; g <= kGenerations; ++g) {
      auto r = c.Post("/v1/features/customer_stats/ingest", batch(g), "text/csv");
      EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no response");
    }
  }
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_TRUE(failures.empty()) << failures.front();
  EXPECT_GE(reads.load(), 60);
  // Afterwards every entity has the last generation.
  auto r = Post("/get-online-features",
                R"({"features":["customer_stats:segment"],)"
                R"("entities":{"customer_id":[100,103]}})",
                "application/json");
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find(absl::StrCat("{\"values\":[\"g", kGenerations, "\",\"g",
                                      kGenerations, "\"]")),
            std::string::npos)
      << r->body;
}

TEST_F(FeatureRoutesTest, PushAppliesTheViewsValidationRulesInEachMode) {
  // customer_stats with rules: spend_7d at least 0, segment gold or silver.
  const auto apply = [&](absl::string_view mode) {
    std::string defs(testing::kExampleDefinitions);
    const size_t features = defs.find("    features:");
    ASSERT_NE(features, std::string::npos);
    defs.insert(features, absl::StrCat("    on_invalid: ", mode, "\n"));
    defs.replace(defs.find("{name: spend_7d, type: double}"), 30,
                 "{name: spend_7d, type: double, min: 0}");
    auto r = Post("/v1/features/apply", defs, "application/yaml");
    ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
  };
  // 3 rows: customer 7 breaks min.
  const auto push = [&](absl::string_view to) {
    return Post("/push",
                absl::StrCat(R"({"push_source_name":"customer_stats","df":{)",
                             R"("customer_id":[5,6,7],"event_timestamp":[)", now_ - 60,
                             ",", now_ - 60, ",", now_ - 60,
                             R"(],"spend_7d":[1,2,-3]},"to":")", to, R"("})"),
                "application/json");
  };
  const auto has_online = [&](int id) {
    features::FeatureStore fs(store_.get());
    auto r = fs.Online({"customer_stats:spend_7d"}, {{"customer_id", {features::Value(int64_t{id})}}},
                       INT64_MAX / 2);
    return r.ok() && r->values[0].event_time(0).has_value();
  };

  apply("reject");
  auto r = push("online");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_NE(r->body.find("df:3: column spend_7d: value \\\"-3\\\" breaks min 0"),
            std::string::npos)
      << r->body;
  EXPECT_FALSE(has_online(5));

  apply("drop");
  r = push("online");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("\"rules\":{\"customer_stats\":{\"on_invalid\":\"drop\","
                         "\"invalid_rows\":1,\"violations\":1,"),
            std::string::npos)
      << r->body;
  EXPECT_TRUE(has_online(5));
  EXPECT_TRUE(has_online(6));
  EXPECT_FALSE(has_online(7));
  // The row left out is kept: nothing pushed is lost.
  EXPECT_NE(r->body.find("\"quarantine\":\"dataset/customer_stats-quarantine@1\""),
            std::string::npos)
      << r->body;
  auto quarantine =
      client_->Get("/v1/artifacts/dataset/customer_stats-quarantine@1/content");
  ASSERT_TRUE(quarantine);
  EXPECT_EQ(quarantine->body,
            absl::StrCat("customer_id,event_timestamp,created_timestamp,spend_7d,segment,"
                         "line,rule\n7,",
                         features::FormatTimestamp((now_ - 60) * 1000000),
                         ",,-3,,3,spend_7d min 0\n"));
  auto lineage = client_->Get("/v1/artifacts/dataset/customer_stats-quarantine@1");
  ASSERT_TRUE(lineage);
  EXPECT_NE(lineage->body.find("\"inputs\":[\"featureview/customer_stats@3\"]"),
            std::string::npos)
      << lineage->body;

  apply("warn");
  r = push("online");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("\"on_invalid\":\"warn\",\"invalid_rows\":1"), std::string::npos)
      << r->body;
  EXPECT_TRUE(has_online(7));

  // Offline: the push is an ingest, with the same rules; drop quarantines.
  apply("drop");
  r = push("offline");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("\"quarantine\":\"dataset/customer_stats-quarantine@2\""),
            std::string::npos)
      << r->body;
}

// Each ingest through the server stores its profile (profile/VIEW.ingests), unless
// the server is started without them (STRATA_INGEST_PROFILES=0 strata serve).
TEST_F(FeatureRoutesTest, IngestsStoreTheirProfilesUnlessTurnedOff) {
  const auto profiles = [&] {
    auto v = store_->artifacts().Versions(
        ArtifactId{Kind::kProfile, "customer_stats.ingests"});
    return v.ok() ? v->size() : 0;
  };
  const std::string csv = absl::StrCat("customer_id,event_timestamp,spend_7d\n3,",
                                       now_ - 60, ",4\n");
  const size_t before = profiles();
  auto r = Post("/v1/features/customer_stats/ingest", csv, "text/csv");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(profiles(), before + 1);

  ServerOptions options;
  options.ingest_profiles = false;
  Start(options);
  r = Post("/v1/features/customer_stats/ingest", csv, "text/csv");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(profiles(), before + 1);
}

}  // namespace
}  // namespace strata::api
