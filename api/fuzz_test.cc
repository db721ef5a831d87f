// No request is a 500 or a crash: valid requests to every route taking a body,
// mutated at random (bytes flipped, cut, duplicated, spliced), each answer 2xx or
// 4xx, and the server still answers at the end.
#include <random>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "api/server.h"
#include "features/definitions.h"
#include "features/feature_store.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/testing.h"

namespace strata::api {
namespace {

std::string Mutate(std::mt19937_64& rng, std::string s) {
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits; ++e) {
    const size_t at = s.empty() ? 0 : rng() % s.size();
    switch (rng() % 5) {
      case 0:  // flip a byte
        if (!s.empty()) s[at] = static_cast<char>(rng());
        break;
      case 1:  // cut
        s.resize(at);
        break;
      case 2:  // duplicate a run
        s.insert(at, s.substr(at, rng() % 16));
        break;
      case 3:  // insert a JSON-ish token
        s.insert(
            at, std::vector<std::string>{"\"", "{", "]", ",", "null", "-1e999", "\\u0000",
                                         "99999999999999999999"}[rng() % 8]);
        break;
      default:  // drop a run
        s.erase(at, rng() % 8);
    }
  }
  return s;
}

TEST(FuzzTest, MutatedRequestsGetTwoOrFourHundreds) {
  testing::ScratchDir dir;
  auto store = testing::OpenTestStore(dir.Sub("store"));
  {
    features::FeatureStore fs(store.get());
    auto defs = features::ParseDefinitions(testing::kExampleDefinitions, "defs");
    ASSERT_TRUE(defs.ok());
    ASSERT_TRUE(fs.registry().Apply(*defs, "test", "").ok());
  }
  ServerOptions options;
  options.port = 0;
  options.max_body_bytes = 1 << 20;
  Server server(store.get(), options);
  ASSERT_TRUE(server.Start().ok());
  httplib::Client client("127.0.0.1", server.port());
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);  // headers and body go out without Nagle's wait

  const int64_t now = absl::ToUnixSeconds(absl::Now());
  struct Seed {
    std::string path, body, type;
  };
  const std::vector<Seed> seeds = {
      {"/get-online-features",
       R"({"features":["customer_stats:spend_7d","customer_stats:segment"],)"
       R"("entities":{"customer_id":[1,2,"3"]},"full_feature_names":false})",
       "application/json"},
      {"/push",
       R"({"push_source_name":"customer_stats","df":{"customer_id":[1,2],)"
       R"("event_timestamp":[")" +
           std::to_string(now) + R"(",")" + std::to_string(now) +
           R"("],"spend_7d":[1.5,2],"segment":["a",null]},"to":"online"})",
       "application/json"},
      {"/v1/features/customer_stats/ingest",
       "customer_id,event_timestamp,spend_7d,segment\n1," + std::to_string(now) +
           ",3.5,gold\n2," + std::to_string(now) + ",,\n",
       "text/csv"},
      {"/v1/features/historical?features=customer_stats:spend_7d",
       "customer_id,event_timestamp\n1,2024-01-01T00:00:00Z\n2,100\n", "text/csv"},
      {"/v1/features/historical?features=customer_stats:spend_7d",
       R"({"customer_id":[1,2],"event_timestamp":["2024-01-01T00:00:00Z",100]})",
       "application/json"},
      {"/v1/features/apply", std::string(testing::kExampleDefinitions),
       "application/yaml"},
      {"/v1/runs", R"({"name":"fit","params":{"lr":"0.1"},"inputs":[]})",
       "application/json"},
      {"/v1/artifacts/model/m?meta=a=b", "weights", "application/octet-stream"},
      {"/v1/chunks", std::string("\0\0\0\x05hello", 9), "application/octet-stream"},
      {"/v1/chunks/missing", std::string(64, 'x'), "application/octet-stream"},
  };
  const uint64_t seed = testing::TestSeed();
  std::mt19937_64 rng(seed);
  int answered = 0;
  for (int i = 0; i < 1500; ++i) {
    const Seed& s = seeds[rng() % seeds.size()];
    const std::string body = i < 10 ? s.body : Mutate(rng, s.body);
    auto r = client.Post(s.path.c_str(), body, s.type.c_str());
    ASSERT_TRUE(r) << "seed " << seed << ": no answer to " << s.path;
    EXPECT_TRUE(r->status < 500)
        << "seed " << seed << " " << s.path << " -> " << r->status << " " << r->body;
    ++answered;
  }
  EXPECT_EQ(answered, 1500);
  auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

}  // namespace
}  // namespace strata::api
