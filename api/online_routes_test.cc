// The online route's protobuf form (api/online.proto) against its JSON form, over
// a server on an ephemeral port.
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
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
#include "tests/testing.h"

namespace strata::api {
namespace {

using Response = GetOnlineFeaturesResponse;

constexpr const char* kProtobuf = "application/x-protobuf";

// Every value type and status: a view with a 7-day TTL over customers, and one
// without a TTL over regions.
constexpr const char* kDefinitions = R"(entities:
  - name: customer
    join_keys:
      - {name: customer_id, type: int64}
  - name: region
    join_keys:
      - {name: region, type: string}
feature_views:
  - name: customer_stats
    entities: [customer]
    ttl: 7d
    features:
      - {name: spend_7d, type: double}
      - {name: segment, type: string}
      - {name: visits, type: int64}
      - {name: active, type: bool}
      - {name: avatar, type: bytes}
      - {name: last_seen, type: timestamp}
  - name: region_stats
    entities: [region]
    features:
      - {name: population_k, type: int64}
)";

const std::vector<std::string> kFeatures = {
    "customer_stats:spend_7d",  "customer_stats:segment", "customer_stats:visits",
    "customer_stats:active",    "customer_stats:avatar",  "customer_stats:last_seen",
    "region_stats:population_k"};

class OnlineRoutesTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    auto defs = features::ParseDefinitions(kDefinitions, "defs");
    ASSERT_TRUE(defs.ok()) << defs.status();
    {
      features::FeatureStore fs(store_.get());
      ASSERT_TRUE(fs.registry().Apply(*defs, "test", "").ok());
      // Customer 1 has every feature (an event time with microseconds), 2 only a
      // spend, 4 a row older than the TTL; 3 has none.
      const int64_t now = absl::ToUnixMicros(absl::Now());
      const std::string customers = dir_.Sub("customers.csv");
      std::ofstream(customers)
          << "customer_id,event_timestamp,spend_7d,segment,visits,active,avatar,"
             "last_seen\n"
          << "1," << features::FormatTimestamp(now - 3600000000 + 250001)
          << ",12.5,gold,7,true,aGk=,2024-05-01T12:00:00.5Z\n"
          << "2," << features::FormatTimestamp(now - 7200000000) << ",0.1,,,false,,\n"
          << "4," << features::FormatTimestamp(now - 8 * 86400000000)
          << ",9,x,1,true,,\n";
      ASSERT_TRUE(fs.Ingest("customer_stats", customers, {}).ok());
      const std::string regions = dir_.Sub("regions.csv");
      std::ofstream(regions) << "region,event_timestamp,population_k\n"
                             << "north,2024-01-01T00:00:00Z,120\n";
      ASSERT_TRUE(fs.Ingest("region_stats", regions, {}).ok());
    }
    ServerOptions options;
    options.port = 0;
    options.max_body_bytes = 4096;
    options.max_online_entities = 5;
    server_ = std::make_unique<Server>(store_.get(), options);
    ASSERT_TRUE(server_->Start().ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_keep_alive(true);
  }

  void TearDown() override {
    client_.reset();
    server_.reset();
  }

  // POSTs `body` as `content_type`, asking for protobuf when `protobuf_answer`.
  httplib::Result Post(const std::string& path, const std::string& body,
                       const std::string& content_type, bool protobuf_answer) {
    httplib::Headers headers;
    if (protobuf_answer) headers.emplace("Accept", kProtobuf);
    return client_->Post(path.c_str(), headers, body, content_type.c_str());
  }

  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> client_;
};

// The same request in both encodings.
struct Request {
  std::string json;
  std::string proto;
};

Request MakeRequest(const std::vector<std::string>& features,
                    const std::vector<int64_t>& customers,
                    const std::vector<std::string>& regions, bool full_names) {
  Request r;
  GetOnlineFeaturesRequest m;
  r.json = "{\"features\":[";
  for (size_t f = 0; f < features.size(); ++f) {
    r.json += (f ? ",\"" : "\"") + features[f] + "\"";
    m.add_features(features[f]);
  }
  r.json += "],\"entities\":{\"customer_id\":[";
  auto* column = m.add_entities();
  column->set_join_key("customer_id");
  for (size_t i = 0; i < customers.size(); ++i) {
    r.json += (i ? "," : "") + std::to_string(customers[i]);
    column->mutable_values()->add_values()->set_int64_value(customers[i]);
  }
  r.json += "]";
  if (!regions.empty()) {
    r.json += ",\"region\":[";
    column = m.add_entities();
    column->set_join_key("region");
    for (size_t i = 0; i < regions.size(); ++i) {
      r.json += (i ? ",\"" : "\"") + regions[i] + "\"";
      column->mutable_values()->add_values()->set_string_value(regions[i]);
    }
    r.json += "]";
  }
  r.json +=
      std::string("},\"full_feature_names\":") + (full_names ? "true" : "false") + "}";
  m.set_full_feature_names(full_names);
  r.proto = m.SerializeAsString();
  return r;
}

// Every name, value, status and event time of `proto` equals the JSON answer's.
void ExpectSameAnswer(const std::string& json, const Response& proto) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_FALSE(parser.parse(json).get(doc)) << json;
  simdjson::dom::array names = doc["metadata"]["feature_names"].get_array();
  ASSERT_EQ(names.size(), static_cast<size_t>(proto.feature_names_size()));
  size_t c = 0;
  for (auto name : names) {
    EXPECT_EQ(std::string_view(name.get_string()), proto.feature_names(c)) << c;
    ++c;
  }
  simdjson::dom::array results = doc["results"].get_array();
  ASSERT_EQ(results.size(), static_cast<size_t>(proto.results_size()));
  c = 0;
  for (auto result : results) {
    const Response::FeatureVector& column = proto.results(c);
    const std::string where = proto.feature_names(c);
    ++c;
    simdjson::dom::array values = result["values"].get_array();
    simdjson::dom::array statuses = result["statuses"].get_array();
    simdjson::dom::array times = result["event_timestamps"].get_array();
    const size_t n = values.size();
    ASSERT_EQ(static_cast<size_t>(column.statuses_size()), n) << where;
    ASSERT_EQ(static_cast<size_t>(column.event_timestamps_size()), n) << where;
    // Only the array of the column's type is filled, with one value per entity.
    const auto filled = [&](Response::ValueType type, int size) {
      EXPECT_EQ(static_cast<size_t>(size), column.type() == type ? n : 0)
          << where << " " << Response::ValueType_Name(type);
    };
    filled(Response::VALUE_TYPE_INT64, column.int64_values_size());
    filled(Response::VALUE_TYPE_DOUBLE, column.double_values_size());
    filled(Response::VALUE_TYPE_STRING, column.string_values_size());
    filled(Response::VALUE_TYPE_BOOL, column.bool_values_size());
    filled(Response::VALUE_TYPE_BYTES, column.bytes_values_size());
    filled(Response::VALUE_TYPE_TIMESTAMP, column.timestamp_values_size());
    for (size_t i = 0; i < n; ++i) {
      const std::string at = where + "[" + std::to_string(i) + "]";
      EXPECT_EQ(std::string_view(statuses.at(i).get_string()),
                Response::FieldStatus_Name(column.statuses(i)))
          << at;
      EXPECT_EQ(std::string_view(times.at(i).get_string()),
                features::FormatTimestamp(column.event_timestamps(i)))
          << at;
      const simdjson::dom::element v = values.at(i);
      if (v.is_null()) {
        EXPECT_NE(column.statuses(i), Response::PRESENT) << at;
        continue;
      }
      EXPECT_EQ(column.statuses(i), Response::PRESENT) << at;
      switch (column.type()) {
        case Response::VALUE_TYPE_INT64:
          EXPECT_EQ(int64_t(v.get_int64()), column.int64_values(i)) << at;
          break;
        case Response::VALUE_TYPE_DOUBLE:
          EXPECT_EQ(double(v.get_double()), column.double_values(i)) << at;
          break;
        case Response::VALUE_TYPE_STRING:
          EXPECT_EQ(std::string_view(v.get_string()), column.string_values(i)) << at;
          break;
        case Response::VALUE_TYPE_BOOL:
          EXPECT_EQ(bool(v.get_bool()), column.bool_values(i)) << at;
          break;
        case Response::VALUE_TYPE_BYTES:
          EXPECT_EQ(std::string_view(v.get_string()),
                    absl::Base64Escape(column.bytes_values(i)))
              << at;
          break;
        case Response::VALUE_TYPE_TIMESTAMP:
          EXPECT_EQ(std::string_view(v.get_string()),
                    features::FormatTimestamp(column.timestamp_values(i)))
              << at;
          break;
        default:
          ADD_FAILURE() << at << ": type " << column.type();
      }
    }
  }
}

TEST_F(OnlineRoutesTest, ProtobufAnswerEqualsJsonAnswer) {
  for (const bool full_names : {false, true}) {
    const Request request = MakeRequest(kFeatures, {1, 2, 3, 4},
                                        {"north", "south", "north", "x"}, full_names);
    for (const std::string path : {"/get-online-features", "/v1/online-features"}) {
      auto json = Post(path, request.json, "application/json", false);
      ASSERT_TRUE(json);
      ASSERT_EQ(json->status, 200) << json->body;
      // Every status, and values of every type, are in the answer.
      for (const char* s : {"PRESENT", "NULL_VALUE", "NOT_FOUND", "OUTSIDE_MAX_AGE",
                            "\"gold\"", "true", "false", "\"aGk=\"", "12.5", "0.1",
                            "\"2024-05-01T12:00:00.500000Z\"", "120"}) {
        EXPECT_NE(json->body.find(s), std::string::npos) << s << " in " << json->body;
      }
      // Protobuf in, JSON out: the same text.
      auto r = Post(path, request.proto, kProtobuf, false);
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, 200) << r->body;
      EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
      EXPECT_EQ(r->body, json->body);

      // JSON in, protobuf out; and protobuf both ways, the same bytes.
      auto proto = Post(path, request.json, "application/json", true);
      ASSERT_TRUE(proto);
      ASSERT_EQ(proto->status, 200) << proto->body;
      EXPECT_EQ(proto->get_header_value("Content-Type"), kProtobuf);
      Response answer;
      ASSERT_TRUE(answer.ParseFromString(proto->body));
      EXPECT_EQ(answer.results(0).type(), Response::VALUE_TYPE_INT64);
      EXPECT_EQ(answer.results(1).type(), Response::VALUE_TYPE_STRING);
      ExpectSameAnswer(json->body, answer);
      r = Post(path, request.proto, kProtobuf, true);
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, 200);
      EXPECT_EQ(r->get_header_value("Content-Type"), kProtobuf);
      EXPECT_TRUE(r->body == proto->body);
    }
  }
}

TEST_F(OnlineRoutesTest, ProtobufStringValueForAnInt64Key) {
  // A string holding an integer is accepted for an int64 key, as in JSON.
  GetOnlineFeaturesRequest m;
  m.add_features("customer_stats:spend_7d");
  auto* column = m.add_entities();
  column->set_join_key("customer_id");
  column->mutable_values()->add_values()->set_string_value("1");
  column->mutable_values()->add_values()->set_int64_value(2);
  auto r = Post("/get-online-features", m.SerializeAsString(), kProtobuf, true);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  Response answer;
  ASSERT_TRUE(answer.ParseFromString(r->body));
  ASSERT_EQ(answer.results_size(), 2);
  EXPECT_EQ(answer.results(0).int64_values(0), 1);
  EXPECT_EQ(answer.results(1).double_values(0), 12.5);
  EXPECT_EQ(answer.results(1).double_values(1), 0.1);
}

struct BadBody {
  std::string name, body;
  int status;
  std::string code, message;  // part of the message
};

TEST_F(OnlineRoutesTest, BadProtobufBodiesGetJsonErrors) {
  const std::string good = MakeRequest({"customer_stats:spend_7d"}, {1}, {}, false).proto;
  GetOnlineFeaturesRequest m;
  m.ParseFromString(good);
  const auto with = [&](auto&& change) {
    GetOnlineFeaturesRequest copy = m;
    change(copy);
    return copy.SerializeAsString();
  };
  const std::vector<BadBody> cases = {
      {"garbage", "\xff\xff\xff\xff\xff", 400, "INVALID_ARGUMENT", "not a GetOnline"},
      {"truncated", good.substr(0, good.size() - 3), 400, "INVALID_ARGUMENT",
       "not a GetOnline"},
      {"empty", "", 400, "INVALID_ARGUMENT", "no features"},
      // Field 1 (features) as a varint, field 3 (a bool) as a string.
      {"features as a number", "\x08\x01" + good, 400, "INVALID_ARGUMENT",
       "fields that GetOnlineFeaturesRequest does not"},
      {"full_feature_names as a string", good + "\x1a\x01x", 400, "INVALID_ARGUMENT",
       "fields that GetOnlineFeaturesRequest does not"},
      {"unknown field", good + "\x48\x01", 400, "INVALID_ARGUMENT",
       "fields that GetOnlineFeaturesRequest does not"},
      {"unknown field in a value", with([](auto& c) {
         auto* v = c.mutable_entities(0)->mutable_values()->mutable_values(0);
         v->GetReflection()->MutableUnknownFields(v)->AddVarint(7, 1);
       }),
       400, "INVALID_ARGUMENT", "fields that GetOnlineFeaturesRequest does not"},
      // Text fields are checked by the route, not by protobuf (which logged each).
      {"feature not UTF-8", with([](auto& c) { c.set_features(0, "customer_stats:\xff"); }),
       400, "INVALID_ARGUMENT", "features[0] is not valid UTF-8 (byte 16)"},
      {"join key not UTF-8",
       with([](auto& c) { c.mutable_entities(0)->set_join_key("\xc0\x80"); }), 400,
       "INVALID_ARGUMENT", "a join key is not valid UTF-8"},
      {"string value not UTF-8", with([](auto& c) {
         c.mutable_entities(0)->mutable_values()->mutable_values(0)->set_string_value(
             "\xed\xa0\x80");
       }),
       400, "INVALID_ARGUMENT", "entities.customer_id[0] is not valid UTF-8"},
      {"no entities", with([](auto& c) { c.clear_entities(); }), 400, "INVALID_ARGUMENT",
       "no entities"},
      {"value without a kind",
       with([](auto& c) { c.mutable_entities(0)->mutable_values()->add_values(); }), 400,
       "INVALID_ARGUMENT", "entities.customer_id[1] must be an integer or a string"},
      {"string for an int64 key", with([](auto& c) {
         c.mutable_entities(0)->mutable_values()->mutable_values(0)->set_string_value(
             "x");
       }),
       400, "INVALID_ARGUMENT", "is not an int64"},
      {"join key twice", with([](auto& c) { *c.add_entities() = c.entities(0); }), 400,
       "INVALID_ARGUMENT", "join key customer_id is given twice"},
      {"missing join key",
       with([](auto& c) { c.mutable_entities(0)->set_join_key("customer"); }), 400,
       "INVALID_ARGUMENT", "no values for join key customer_id"},
      {"unknown view", with([](auto& c) { c.set_features(0, "nope:x"); }), 404,
       "NOT_FOUND", "no feature view nope"},
      {"unknown feature", with([](auto& c) { c.set_features(0, "customer_stats:nope"); }),
       404, "NOT_FOUND", "has no feature nope"},
      {"feature twice", with([](auto& c) { c.add_features(c.features(0)); }), 400,
       "INVALID_ARGUMENT", "requested twice"},
      {"too many entities", with([](auto& c) {
         for (int i = 0; i < 5; ++i) {
           c.mutable_entities(0)->mutable_values()->add_values()->set_int64_value(i);
         }
       }),
       413, "RESOURCE_EXHAUSTED", "more than 5 entities"},
      {"too large", good + std::string(5000, 'x'), 413, "RESOURCE_EXHAUSTED",
       "larger than 4096 bytes"},
  };
  for (const BadBody& c : cases) {
    for (const bool protobuf_answer : {false, true}) {
      auto r = Post("/get-online-features", c.body, kProtobuf, protobuf_answer);
      ASSERT_TRUE(r) << c.name;
      EXPECT_EQ(r->status, c.status) << c.name << ": " << r->body;
      EXPECT_EQ(r->get_header_value("Content-Type"), "application/json") << c.name;
      simdjson::dom::parser parser;
      simdjson::dom::element doc;
      ASSERT_FALSE(parser.parse(r->body).get(doc)) << c.name << ": " << r->body;
      std::string_view code, message;
      EXPECT_FALSE(doc["error"]["code"].get(code)) << c.name;
      EXPECT_FALSE(doc["error"]["message"].get(message)) << c.name;
      EXPECT_EQ(code, c.code) << c.name;
      EXPECT_NE(message.find(c.message), std::string_view::npos)
          << c.name << ": " << message;
    }
  }
  // The server still answers on the same connection.
  auto r = Post("/get-online-features", good, kProtobuf, true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

// A key twice anywhere in the body is refused (simdjson keeps both; the route read
// them in order and merged them).
TEST_F(OnlineRoutesTest, JsonKeyTwiceIsRefused) {
  auto r = Post("/get-online-features",
                "{\"features\":[\"customer_stats:spend_7d\"],"
                "\"entities\":{\"customer_id\":[1],\"customer_id\":[2]}}",
                "application/json", false);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(
      r->body.find(R"(the body: key \"customer_id\" appears twice in \"entities\")"),
      std::string::npos)
      << r->body;
  for (
      const char* body :
      {R"({"features":["customer_stats:spend_7d"],"features":["customer_stats:segment"],)"
       R"("entities":{"customer_id":[1]}})",
       R"({"full_feature_names":true,"features":["customer_stats:spend_7d"],)"
       R"("entities":{"customer_id":[1]},"full_feature_names":false})"}) {
    r = Post("/get-online-features", body, "application/json", false);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << body;
    EXPECT_NE(r->body.find("appears twice"), std::string::npos) << r->body;
  }
}

TEST_F(OnlineRoutesTest, JsonEntityNumbersSayWhyTheyAreNotInt64) {
  for (const auto& [value, message] : std::vector<std::pair<std::string, std::string>>{
           {"9223372036854775808", "is not an int64 (out of range for int64)"},
           {"1.5", "is not an int64 (a whole number)"},
           {"1e3", "is not an int64 (a whole number)"}}) {
    auto r =
        Post("/get-online-features",
             R"({"features":["customer_stats:spend_7d"],"entities":{"customer_id":[)" +
                 value + "]}}",
             "application/json", false);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << value;
    EXPECT_NE(r->body.find("entities.customer_id[0] " + message), std::string::npos)
        << r->body;
  }
}

TEST(OnlineResponseJsonTest, DoublesAreWrittenAsToChars) {
  // The JSON form's fast path for short decimals writes what std::to_chars writes,
  // for every kind of double.
  std::mt19937_64 rng(testing::TestSeed());
  std::vector<double> doubles = {
      0.0,           -0.0,  1,      -1,      0.5,      1e6,  1e7,  123456789,
      4e9,           0.001, 0.0001, 0.00012, 0.000012, 1e-6, 1e-7, 3999999999.999999,
      -3999999999.5, 1e300, 5e-324};
  const double powers[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
  for (int i = 0; i < 50000; ++i) {
    const int64_t range = int64_t{1} << (rng() % 52 + 1);
    const int64_t k = static_cast<int64_t>(rng() % range) - (rng() % 2 ? range / 2 : 0);
    const double d = k / powers[rng() % 10];
    doubles.push_back(d);
    doubles.push_back(std::nextafter(d, 1e300));
    doubles.push_back(k * powers[rng() % 10]);
    const uint64_t bits = rng();
    double any;
    std::memcpy(&any, &bits, 8);
    if (std::isfinite(any)) doubles.push_back(any);
  }
  features::OnlineResult result;
  result.features = {"v:x"};
  result.types = {features::VALUE_TYPE_DOUBLE};
  result.entities = {{"id", std::vector<features::Value>(doubles.size(), int64_t{0})}};
  result.values.emplace_back(features::VALUE_TYPE_DOUBLE, doubles.size());
  for (size_t i = 0; i < doubles.size(); ++i) {
    result.values[0].SetFound(i, features::FeatureStatus::kNullValue, 0);
    result.values[0].SetValue(i, doubles[i]);
  }
  const std::string json = features::OnlineResponseJson(result, false);
  const std::string start = "{\"values\":[";
  size_t at = json.find(start, json.find(start) + 1) + start.size();
  for (size_t i = 0; i < doubles.size(); ++i) {
    const size_t end = json.find_first_of(",]", at);
    char want[32];
    const auto r = std::to_chars(want, want + sizeof(want), doubles[i]);
    ASSERT_EQ(json.substr(at, end - at), std::string(want, r.ptr)) << i;
    at = end + 1;
  }
}

// The online table's repairs: admin only; a rebuild's report in JSON or protobuf,
// one entity's row removed (204), and bad requests refused naming the problem.
TEST_F(OnlineRoutesTest, OnlineRepairNeedsAdminAndSaysWhatIsWrong) {
  auto write = TokenStore(store_.get()).Create(Scope::kWrite, "writer", "test");
  auto admin = TokenStore(store_.get()).Create(Scope::kAdmin, "admin", "test");
  ASSERT_TRUE(write.ok() && admin.ok());
  client_.reset();
  server_.reset();
  ServerOptions options;
  options.port = 0;
  options.max_online_entities = 5;
  server_ = std::make_unique<Server>(store_.get(), options);
  ASSERT_TRUE(server_->Start().ok());
  client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  const auto post = [&](const std::string& path, const std::string& body,
                        const std::string& token, bool protobuf = false) {
    httplib::Headers headers = {{"Authorization", "Bearer " + token}};
    if (protobuf) headers.emplace("Accept", kProtobuf);
    return client_->Post(path.c_str(), headers, body, "application/json");
  };
  const std::string rebuild = "/v1/features/customer_stats/online/rebuild";
  const std::string remove = "/v1/features/customer_stats/online/remove";
  const std::string four = R"({"entities":{"customer_id":[4]}})";
  for (const auto& [path, body] : {std::pair{rebuild, std::string()}, {remove, four}}) {
    auto r = post(path, body, *write);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403) << path << " " << r->body;
    EXPECT_NE(r->body.find("scope is write"), std::string::npos) << r->body;
  }

  auto r = post(rebuild, "", *admin);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body,
            "{\"featureview\":\"customer_stats\",\"entities\":3,\"rewritten\":0,"
            "\"removed\":0,\"unchanged\":3,\"skipped\":0,\"ingest_position\":2,"
            "\"ingest_pending\":[]}");
  r = post(rebuild, R"({"entities":{"customer_id":[1,"2"]}})", *admin, true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  OnlineRebuildResponse proto;
  ASSERT_TRUE(proto.ParseFromString(r->body));
  EXPECT_EQ(proto.featureview(), "customer_stats");
  EXPECT_EQ(proto.entities(), 2u);
  EXPECT_EQ(proto.unchanged(), 2u);
  EXPECT_EQ(proto.ingest_position(), 2u);

  r = post(remove, four, *admin);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204) << r->body;
  struct Bad {
    std::string path, body;
    int status;
    std::string message;
  };
  const std::vector<Bad> cases = {
      {remove, four, 404, "feature view customer_stats has no online row for customer_id=4"},
      {remove, "", 400, "the body"},
      {remove, "{}", 400, "the request has no entities"},
      {remove, R"({"entities":{"customer_id":[1,2]}})", 400, "give one entity"},
      {remove, R"({"entities":{"region":["north"]}})", 400,
       "feature view customer_stats has no join key region"},
      {rebuild, R"({"entity":{"customer_id":[1]}})", 400,
       "unknown field \\\"entity\\\" (expected entities)"},
      {rebuild, R"({"entities":{"customer_id":[1.5]}})", 400,
       "entities.customer_id[0] is not an int64"},
      {rebuild, R"({"entities":{"customer_id":[1,2,3,4,5,6]}})", 413,
       "more than 5 entities"},
      {rebuild + "?entity=1", "", 400, "unknown query parameter"},
      {"/v1/features/nope/online/rebuild", "", 404, "no feature view nope"},
      {"/v1/features/nope/online/remove", four, 404, "no feature view nope"},
  };
  for (const Bad& c : cases) {
    r = post(c.path, c.body, *admin);
    ASSERT_TRUE(r) << c.path;
    EXPECT_EQ(r->status, c.status) << c.path << " " << c.body << " " << r->body;
    EXPECT_NE(r->body.find(c.message), std::string::npos) << r->body;
  }
}

}  // namespace
}  // namespace strata::api
