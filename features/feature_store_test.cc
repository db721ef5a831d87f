#include "features/feature_store.h"

#include <charconv>
#include <fstream>
#include <map>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "features/definitions.h"
#include "features/feast_json.h"
#include "features/feature_store_testing.h"
#include "gtest/gtest.h"
#include "store/internal/db.h"
#include "tests/subprocess.h"
#include "tests/testing.h"

namespace strata::features {
namespace {

constexpr int64_t kTtl = 100;  // seconds, view "stats"

constexpr absl::string_view kDefinitions = R"(
entities:
  - name: customer
    join_keys: [{name: customer_id, type: int64}]
  - name: region
    join_keys: [{name: region, type: string}]
feature_views:
  - name: stats
    entities: [customer]
    ttl: 100s
    features:
      - {name: x, type: double}
      - {name: s, type: string}
  - name: regions
    entities: [region]
    features:
      - {name: y, type: int64}
)";

Micros Sec(int64_t s) { return s * 1000000; }

std::string DoubleText(double d) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf), d);
  return std::string(buf, r.ptr);
}

// Expected CSV text of a string value (the test's own quoting).
std::string CsvText(const std::string& s) {
  if (s.empty()) return "\"\"";
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// One ingested row as the brute force sees it.
struct Row {
  std::string entity;  // customer id or region, as text
  int64_t event, created;
  int batch, line;
  std::optional<std::string> a, b;  // feature texts (CSV-ready), nullopt = null
};

// The row in force for (entity, t), or null: the brute-force reference.
const Row* InForce(const std::vector<Row>& rows, const std::string& entity, int64_t t,
                   int64_t ttl, int max_batch, std::optional<int64_t> as_of,
                   bool cutoff) {
  const Row* best = nullptr;
  for (const Row& r : rows) {
    if (r.entity != entity || r.batch > max_batch || r.event > t) continue;
    if (ttl > 0 && r.event < t - ttl) continue;
    if (as_of.has_value() && r.created > *as_of) continue;
    if (cutoff && r.created > t) continue;
    if (best == nullptr ||
        std::tie(r.event, r.created, r.batch, r.line) >
            std::tie(best->event, best->created, best->batch, best->line)) {
      best = &r;
    }
  }
  return best;
}

class FeatureStoreTest : public FeatureStoreFixture {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    ApplyDefinitions(kDefinitions);
  }

  absl::StatusOr<IngestResult> IngestText(const std::string& view,
                                          const std::string& text,
                                          const std::string& name = "batch.csv",
                                          uint64_t bulk_threshold = 100000,
                                          size_t block_bytes = 8 << 20,
                                          size_t chunk_bytes = 16 << 10) {
    IngestOptions options;
    options.creator = "test";
    options.bulk_threshold_rows = bulk_threshold;
    options.parse_block_bytes = block_bytes;
    options.log_chunk_bytes = chunk_bytes;
    return fs_->Ingest(view, WriteFile(name, text), options);
  }

  // A new version of view "stats" with `window` as its plausible_time.
  void ApplyStatsWindow(const std::string& window) {
    auto defs = ParseDefinitions(
        absl::StrReplaceAll(kDefinitions,
                            {{"ttl: 100s\n", "ttl: 100s\n    plausible_time: " + window + "\n"}}),
        "defs");
    ASSERT_TRUE(defs.ok()) << defs.status();
    ASSERT_TRUE(fs_->registry().Apply(*defs, "test", "").ok());
  }
};

TEST_F(FeatureStoreTest, RandomizedPointInTimeMatchesBruteForce) {
  const uint64_t seed = testing::TestSeed();
  std::mt19937_64 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  std::vector<Row> stats, regions;
  std::vector<IngestPosition> positions;  // after each batch
  const std::vector<std::string> strings = {"red", "a,b", "say \"hi\"", ""};
  const std::vector<std::string> region_names = {"north", "south", "east, far", "west"};
  const int batches = 6;
  for (int b = 0; b < batches; ++b) {
    // Customers: ties on event times (multiples of 10), late and duplicate rows.
    std::string csv = "customer_id,event_timestamp,created_timestamp,x,s\n";
    const int n = 1 + pick(b % 2 == 0 ? 60 : 400);
    int line = 1;
    for (int i = 0; i < n; ++i) {
      Row r;
      if (!stats.empty() && pick(8) == 0) {
        r = stats[pick(static_cast<int>(stats.size()))];  // arrives again
        if (pick(2) == 0) r.a = DoubleText(pick(1000) / 8.0);
      } else {
        r.entity = std::to_string(pick(15));
        r.event = pick(3) == 0 ? pick(1000) : 10 * pick(100);
        r.created = r.event + pick(300);
        r.a = pick(10) == 0 ? std::nullopt
                            : std::optional(DoubleText(pick(100000) / 1000.0));
        r.b = pick(5) == 0 ? std::nullopt : std::optional(CsvText(strings[pick(4)]));
      }
      r.batch = b;
      r.line = ++line;
      absl::StrAppend(&csv, r.entity, ",", r.event, ",", r.created, ",", r.a.value_or(""),
                      ",", r.b.value_or(""), "\n");
      stats.push_back(r);
    }
    // Small thresholds send some batches down the SST path, split in two files;
    // small parse blocks make many sorted runs, with duplicates across them; small
    // log chunks split an entity's rows over several chunks.
    auto ingested = IngestText("stats", csv, "stats.csv", b < 2 ? 100000 : 50,
                               b % 3 == 1 ? 200 : 8 << 20, b % 2 == 1 ? 40 : 16 << 10);
    ASSERT_TRUE(ingested.ok()) << ingested.status();
    EXPECT_EQ(ingested->rows, static_cast<uint64_t>(n));

    // Regions: a string entity and no TTL, as JSON lines.
    std::string jsonl;
    const int m = 1 + pick(40);
    for (int i = 0; i < m; ++i) {
      Row r;
      const int region = pick(4);
      r.entity = region_names[region];
      r.event = 10 * pick(100);
      r.created = r.event;
      r.batch = b;
      r.line = i + 1;
      const bool null = pick(6) == 0;
      const int64_t y = pick(1000) - 500;
      r.a = null ? std::nullopt : std::optional(std::to_string(y));
      absl::StrAppend(&jsonl, "{\"region\": \"", r.entity,
                      "\", \"event_timestamp\": ", r.event, ", \"created_timestamp\": \"",
                      FormatTimestamp(Sec(r.created)),
                      "\", \"y\": ", null ? "null" : std::to_string(y), "}\n");
      r.entity = CsvText(r.entity);  // as it appears in the spine
      regions.push_back(r);
    }
    ingested = IngestText("regions", jsonl, "regions.jsonl", 100000, 8 << 20,
                          b % 3 == 2 ? 1 : 16 << 10);
    ASSERT_TRUE(ingested.ok()) << ingested.status();
    auto at = fs_->Position();
    ASSERT_TRUE(at.ok());
    positions.push_back(*at);
  }

  // The spine: exact event times, TTL boundaries, unknown entities.
  std::string spine = "customer_id,region,event_timestamp,label\n";
  std::vector<std::tuple<std::string, std::string, int64_t, std::string>> spine_rows;
  for (int i = 0; i < 400; ++i) {
    std::string customer = std::to_string(pick(18));
    int64_t t = pick(1200) - 50;
    const Row& any = stats[pick(static_cast<int>(stats.size()))];
    switch (pick(4)) {
      case 0:
        customer = any.entity;
        t = any.event;
        break;
      case 1:
        customer = any.entity;
        t = any.event + kTtl + pick(2);
        break;
      default:
        break;
    }
    const std::string region =
        CsvText(region_names[pick(4)] + (pick(10) == 0 ? "?" : ""));
    const std::string label = std::to_string(i);
    spine_rows.emplace_back(customer, region, t, label);
    absl::StrAppend(&spine, customer, ",", region, ",", t, ",", label, "\n");
  }

  int checked = 0;
  for (int k = 0; k < batches; ++k) {
    for (int variant = 0; variant < 3; ++variant) {
      HistoricalRequest request;
      request.features = {"stats:x", "regions:y", "stats:s"};
      request.at = positions[k];
      std::optional<int64_t> as_of;
      if (variant == 1) {
        as_of = pick(1300);
        request.as_of = Sec(*as_of);
      }
      request.created_cutoff = variant == 2;
      auto got = Retrieve(request, spine);
      ASSERT_TRUE(got.ok()) << got.status();
      std::string expected = "customer_id,region,event_timestamp,label,x,y,s\n";
      for (const auto& [customer, region, t, label] : spine_rows) {
        const Row* s = InForce(stats, customer, t, kTtl, k, as_of, variant == 2);
        const Row* r = InForce(regions, region, t, 0, k, as_of, variant == 2);
        absl::StrAppend(&expected, customer, ",", region, ",", t, ",", label, ",",
                        s ? s->a.value_or("") : "", ",", r ? r->a.value_or("") : "", ",",
                        s ? s->b.value_or("") : "", "\n");
      }
      ASSERT_EQ(*got, expected)
          << "seed " << seed << ", batches 0.." << k << ", variant " << variant;
      ++checked;
    }
  }
  EXPECT_EQ(checked, batches * 3);
}

TEST_F(FeatureStoreTest, AnIngestedFileIsNotKeptByTheViewItFed) {
  auto ingested = IngestText("stats",
                             "customer_id,event_timestamp,created_timestamp,x,s\n"
                             "1,1000,1000,1.5,a\n");
  ASSERT_TRUE(ingested.ok()) << ingested.status();
  auto ref = ParseRef(ingested->dataset);
  ASSERT_TRUE(ref.ok());
  // The view's definition is kept; the file it was fed is not.
  auto view = ParseRef(ingested->view_version);
  ASSERT_TRUE(view.ok());
  auto view_kept = store_->artifacts().WhyKept(view->artifact, view->version);
  ASSERT_TRUE(view_kept.ok());
  ASSERT_EQ(view_kept->size(), 1u);
  EXPECT_TRUE((*view_kept)[0].current_definition);
  auto kept = store_->artifacts().WhyKept(ref->artifact, ref->version);
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_TRUE(kept->empty()) << DescribeKeptBy(kept->front());
  DeleteRequest request;
  request.artifact = ref->artifact;
  request.version = ref->version;
  request.who = "test";
  ASSERT_TRUE(store_->artifacts().Delete(request).ok());
  // The rows it fed are still served.
  auto r = fs_->Online({"stats:x"}, {{"customer_id", {Value(int64_t{1})}}}, Sec(1050));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(std::get<double>(r->values[0][0].value), 1.5);
}

TEST_F(FeatureStoreTest, OnlineKeepsTheNewestRowAndReportsStatuses) {
  ASSERT_TRUE(IngestText("stats",
                         "customer_id,event_timestamp,created_timestamp,x,s\n"
                         "1,1000,1000,1.5,new\n"
                         "2,1000,1000,,null-x\n"
                         "3,500,500,3.5,stale\n"
                         "4,1000,1000,4.5,first\n"
                         "4,1000,1001,4.75,\n")
                  .ok());
  // Late rows with older events never replace newer ones; an equal event with a
  // later created time does.
  ASSERT_TRUE(IngestText("stats",
                         "customer_id,event_timestamp,created_timestamp,x,s\n"
                         "1,900,2000,9.9,late\n"
                         "4,1000,999,0,older-created\n",
                         "late.csv", 1)
                  .ok());
  auto r = fs_->Online({"stats:x", "stats:s"},
                       {{"customer_id",
                         {Value(int64_t{1}), Value(int64_t{2}), Value(int64_t{3}),
                          Value(int64_t{4}), Value(std::string("5"))}}},
                       Sec(1050));
  ASSERT_TRUE(r.ok()) << r.status();
  const auto& x = r->values[0];
  const auto& s = r->values[1];
  EXPECT_EQ(x[0].status, FeatureStatus::kPresent);
  EXPECT_EQ(std::get<double>(x[0].value), 1.5);
  EXPECT_EQ(std::get<std::string>(s[0].value), "new");
  EXPECT_EQ(x[0].event_time, Sec(1000));
  EXPECT_EQ(x[1].status, FeatureStatus::kNullValue);
  EXPECT_EQ(s[1].status, FeatureStatus::kPresent);
  EXPECT_EQ(x[2].status, FeatureStatus::kOutsideMaxAge);  // 500 < 1050 - 100
  EXPECT_EQ(x[2].value.index(), 0u);
  EXPECT_EQ(std::get<double>(x[3].value), 4.75);
  EXPECT_EQ(s[3].status, FeatureStatus::kNullValue);
  EXPECT_EQ(x[4].status, FeatureStatus::kNotFound);
  EXPECT_FALSE(x[4].event_time.has_value());
  EXPECT_EQ(std::get<int64_t>(r->entities[0].second[4]), 5);  // "5" typed

  const std::string json = OnlineResponseJson(*r, true);
  EXPECT_EQ(json.rfind("{\"metadata\":{\"feature_names\":[\"customer_id\",\"stats__x\","
                       "\"stats__s\"]},",
                       0),
            0u)
      << json;
  EXPECT_NE(json.find("\"statuses\":[\"PRESENT\",\"NULL_VALUE\",\"OUTSIDE_MAX_AGE\","
                      "\"PRESENT\",\"NOT_FOUND\"]"),
            std::string::npos)
      << json;

  EXPECT_TRUE(absl::IsNotFound(
      fs_->Online({"stats:nope"}, {{"customer_id", {Value(int64_t{1})}}}, 0).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      fs_->Online({"stats:x"}, {{"region", {Value(int64_t{1})}}}, 0).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      fs_->Online({"stats:x"}, {{"customer_id", {Value(std::string("x1"))}}}, 0)
          .status()));
  // A string holding an int64 reads as in files: " 1" and "1e3" are not int64s.
  for (const char* text : {" 1", "1e3", "99999999999999999999"}) {
    auto bad = fs_->Online({"stats:x"}, {{"customer_id", {Value(std::string(text))}}}, 0);
    ASSERT_FALSE(bad.ok()) << text;
    EXPECT_NE(bad.status().message().find("join key customer_id value 1: \""),
              std::string::npos)
        << bad.status();
  }
  EXPECT_TRUE(
      fs_->Online({"stats:x"}, {{"customer_id", {Value(std::string("+1"))}}}, 0).ok());
}

TEST_F(FeatureStoreTest, ReproduceIgnoresRowsReceivedLater) {
  ASSERT_TRUE(IngestText("stats",
                         "customer_id,event_timestamp,created_timestamp,x,s\n"
                         "1,100,100,1,a\n2,100,100,2,b\n")
                  .ok());
  const std::string spine =
      WriteFile("spine.csv", "customer_id,event_timestamp\n1,150\n2,150\n3,150\n");
  HistoricalRequest request;
  request.features = {"stats:x", "stats:s"};
  auto saved = fs_->SaveHistorical(request, spine, "train", "test", "", nullptr);
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_EQ(saved->dataset, "dataset/train@1");
  EXPECT_EQ(saved->spine, "dataset/train-spine@1");

  // Late rows with old timestamps change what a fresh retrieval sees ...
  ASSERT_TRUE(IngestText("stats",
                         "customer_id,event_timestamp,created_timestamp,x,s\n"
                         "1,120,90,10,late\n3,110,90,30,new\n")
                  .ok());
  auto fresh = Retrieve(request, "customer_id,event_timestamp\n1,150\n2,150\n3,150\n");
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(*fresh,
            "customer_id,event_timestamp,x,s\n1,150,10,late\n2,150,2,b\n3,150,30,new\n");
  // ... and even --as-of before their created time would not hide them all, but
  // the recorded ingest position does.
  auto again = fs_->Reproduce("dataset/train@1", nullptr);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->identical);
  EXPECT_EQ(again->result.at.position, saved->result.at.position);

  // Lineage: the training set comes from its spine and the view version.
  auto up = store_->lineage().Walk("dataset/train@1", {});
  ASSERT_TRUE(up.ok());
  std::vector<std::string> ids;
  for (const auto& node : up->nodes) ids.push_back(node.id);
  EXPECT_NE(std::find(ids.begin(), ids.end(), "featureview/stats@1"), ids.end());
  EXPECT_NE(std::find(ids.begin(), ids.end(), "dataset/train-spine@1"), ids.end());
  EXPECT_NE(std::find(ids.begin(), ids.end(), "dataset/stats-ingest@1"), ids.end());

  EXPECT_TRUE(absl::IsFailedPrecondition(
      fs_->Reproduce("dataset/train-spine@1", nullptr).status()));
  EXPECT_TRUE(absl::IsNotFound(fs_->Reproduce("dataset/nope@1", nullptr).status()));
}

TEST_F(FeatureStoreTest, BadIngestsNameTheProblemAndWriteNothing) {
  const std::string header = "customer_id,event_timestamp,x,s\n";
  struct Case {
    std::string name, text, error;
    std::string view = "stats";
  };
  const std::vector<Case> cases = {
      {"a.csv", header + "1,10,1.5,a\n2,10,abc,b\n",
       "a.csv:3: column \"x\": \"abc\" is not a double"},
      {"b.csv", header + "1,yesterday,1,a\n",
       "b.csv:2: column \"event_timestamp\": \"yesterday\" is not a timestamp"},
      {"c.csv", "event_timestamp,x\n10,1\n",
       "c.csv:1: join key column customer_id is missing"},
      {"d.csv", "customer_id,x\n1,1\n", "d.csv:1: column event_timestamp is missing"},
      {"e.csv", "customer_id,event_timestamp,z\n1,1,1\n", "e.csv:1: unknown column \"z\""},
      {"f.csv", header + "1,10,1\n", "f.csv:2: 3 fields, but the header has 4"},
      {"g.csv", header + "1,10,1,\"open\n", "g.csv:2: "},
      {"h.csv", header + ",10,1,a\n", "h.csv:2: column \"customer_id\": join key is empty"},
      {"i.csv", header + "1.5,10,1,a\n",
       "i.csv:2: column \"customer_id\": \"1.5\" is not an int64"},
      {"j.csv", "", "j.csv is empty"},
      {"k.csv", header, "k.csv has no rows"},
      {"l.csv", "customer_id,customer_id,event_timestamp\n1,1,1\n", "appears twice"},
      {"m.csv", header + "1,,1,a\n",
       "m.csv:2: column \"event_timestamp\": event_timestamp is empty"},
      {"n.jsonl",
       "{\"customer_id\": 1, \"event_timestamp\": 5}\n{\"customer_id\": \"x\"}\n",
       "n.jsonl:2: key \"customer_id\": expected int64, got a JSON non-number"},
      {"o.jsonl", "{\"customer_id\": 1, \"event_timestamp\": 5}\nnot json\n",
       "o.jsonl:2: not a JSON object"},
      {"p.jsonl", "{\"event_timestamp\": 5, \"x\": 1}\n",
       "p.jsonl:1: join key customer_id is missing"},
      {"q.jsonl", "{\"customer_id\": 1, \"event_timestamp\": 5, \"x\": \"1\"}\n",
       "q.jsonl:1: key \"x\": expected double, got a JSON non-number"},
      {"r.jsonl", "{\"customer_id\": 1, \"event_timestamp\": 5, \"w\": 1}\n",
       "r.jsonl:1: unknown column \"w\""},
      {"s.csv", header + "1,10,1,a\n", "no feature view nope", "nope"},
  };
  const auto before = fs_->Position();
  ASSERT_TRUE(before.ok());
  for (const Case& c : cases) {
    IngestOptions options;
    auto r = fs_->Ingest(c.view, WriteFile(c.name, c.text), options);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_NE(r.status().message().find(c.error), std::string::npos)
        << c.name << ": " << r.status();
    EXPECT_TRUE(absl::IsInvalidArgument(r.status()) || absl::IsNotFound(r.status()))
        << c.name << ": " << r.status();
    // Nothing of the batch is written.
    EXPECT_EQ(LogRows(), 0u) << c.name;
    EXPECT_EQ(fs_->Position()->position, before->position) << c.name;
    EXPECT_TRUE(absl::IsNotFound(
        store_->artifacts().Versions({Kind::kDataset, "stats-ingest"}).status()))
        << c.name;
  }
}

// JSON lines: exactly one object a line, each key once, numbers and times by the
// rules of docs/features.md; a bad line names its line and writes nothing.
TEST_F(FeatureStoreTest, BadJsonLinesNameTheLineAndWriteNothing) {
  const std::string good = "{\"customer_id\": 1, \"event_timestamp\": 5}\n";
  const auto row = [](absl::string_view fields) {
    return absl::StrCat("{\"customer_id\": 2, \"event_timestamp\": 5", fields, "}\n");
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {good + "{\"customer_id\": 2, \"event_timestamp\": 5}{\"customer_id\": 3, "
              "\"event_timestamp\": 5}\n",
       "2: text after the JSON object (one object a line)"},
      {good + row("") + "{\"customer_id\": 4, \"event_timestamp\": 5} }\n",
       "3: text after the JSON object"},
      {good + row("") + "{\"customer_id\": 4, \"event_timestamp\": 5} x\n", "3: "},
      {good + "[1, 2]\n", "2: not a JSON object"},
      {good + "{\"customer_id\": 2, \"event_timestamp\": 5} " + std::string(5000, '[') +
           std::string(5000, ']') + "\n",
       "2: not valid JSON ("},
      {good + "{\"customer_id\": 2, \"event_timestamp\": 5\n", "2: not valid JSON ("},
      {good + "5\n", "2: not a JSON object"},
      {good + "\"{}\"\n", "2: not a JSON object"},
      {good + row(", \"x\": 1, \"x\": 2"), "2: key \"x\" appears twice"},
      {good + "{\"customer_id\": 2, \"customer_id\": 3, \"event_timestamp\": 5}\n",
       "2: key \"customer_id\" appears twice"},
      {good + row(", \"x\": 1, \"\\u0078\": 2"), "2: key \"x\" appears twice"},
      {good +
           "{\"customer_id\": 123456789012345678901234567890, \"event_timestamp\": 5}\n",
       "2: key \"customer_id\": \"123456789012345678901234567890\" is out of range for "
       "int64"},
      {good + "{\"customer_id\": 9223372036854775808, \"event_timestamp\": 5}\n",
       "2: key \"customer_id\": \"9223372036854775808\" is out of range for int64"},
      {good + "{\"customer_id\": 1.5, \"event_timestamp\": 5}\n",
       "2: key \"customer_id\": \"1.5\" is not an int64"},
      {good + row(", \"x\": 1e309"),
       "2: key \"x\": \"1e309\" is out of range for double"},
      {good + row(", \"x\": NaN"), "2: key \"x\": NaN and Infinity are not JSON"},
      {good + row(", \"x\": -Infinity"), "2: key \"x\": NaN and Infinity are not JSON"},
      {good + "{\"customer_id\": 2, \"event_timestamp\": 1701234567894067}\n",
       "2: key \"event_timestamp\": 1701234567894067 looks like microseconds; this view "
       "reads seconds"},
      {good + "{\"customer_id\": 2, \"event_timestamp\": 1.5}\n",
       "2: key \"event_timestamp\": timestamp \"1.5\" is not a whole number of s"},
      {good + "{\"customer_id\": 2, \"event_timestamp\": \"2016-12-31T23:59:60Z\"}\n",
       "2: key \"event_timestamp\": timestamp \"2016-12-31T23:59:60Z\" is a leap second"},
      {good + "{\"customer_id\": 2, \"event_timestamp\": true}\n",
       "2: key \"event_timestamp\": expected timestamp, got a JSON non-string, "
       "non-number"},
  };
  const auto before = fs_->Position();
  ASSERT_TRUE(before.ok());
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& [text, error] = cases[i];
    const std::string name = absl::StrCat("bad", i, ".jsonl");
    auto r = fs_->Ingest("stats", WriteFile(name, text), IngestOptions());
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_TRUE(absl::IsInvalidArgument(r.status())) << r.status();
    EXPECT_NE(r.status().message().find(absl::StrCat(name, ":", error)),
              std::string::npos)
        << text << " -> " << r.status();
    EXPECT_EQ(LogRows(), 0u) << text;
    EXPECT_EQ(fs_->Position()->position, before->position) << text;
  }
  // Rounding toward zero below the smallest double is no error; a UTF-8 byte-order
  // mark before the first line is skipped (RFC 8259 allows it; Windows tools write
  // it), also when it is what tells JSON lines from CSV.
  auto ok = fs_->Ingest(
      "stats", WriteFile("ok.jsonl", "\xEF\xBB\xBF" + good + row(", \"x\": 1e-400")),
      IngestOptions());
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(LogRows(), 2u);
  ok = fs_->Ingest("stats", WriteFile("bom.txt", "\xEF\xBB\xBF" + good), IngestOptions());
  ASSERT_TRUE(ok.ok()) << ok.status();
}

// Files as pandas writes them: DataFrame.to_json(orient="records", lines=True), with
// epoch milliseconds (its default), epoch nanoseconds (date_unit="ns") and ISO 8601
// (date_format="iso", milliseconds and nanoseconds), times before 1970 included.
TEST_F(FeatureStoreTest, IngestsJsonLinesWrittenByPandas) {
  const std::string script = R"(
import sys
import numpy as np
import pandas as pd
out = sys.argv[1]
times = {
    "ms": ["2024-05-01 12:00:00.123", "1969-07-20 20:17:40.5", "1901-01-01",
           "2030-01-01 00:00:00.001"],
    "ns": ["2024-05-01 12:00:00.123456789", "1969-07-20 20:17:40.500001",
           "1969-12-31 23:59:59.999999999", "2030-01-01"],
}
for k, (date_format, unit) in enumerate(
        [("epoch", "ms"), ("epoch", "ns"), ("iso", "ms"), ("iso", "ns")]):
    df = pd.DataFrame({
        "customer_id": [10 * k + i for i in range(1, 5)],
        "event_timestamp": pd.to_datetime(times[unit]),
        "x": [1.5, np.nan, -0.25, 1e-05],
        "s": ["a", "b c", "\u00fcn\u00efcode", None],
    })
    df.to_json(f"{out}/pandas{k}.jsonl", orient="records", lines=True,
               date_format=date_format, date_unit=unit)
)";
  // Times before 1970 are outside the default plausible time: the view says so.
  ApplyStatsWindow("{from: 1900-01-01}");
  const auto python =
      testing::RunProcess({"/usr/bin/python3", "-c", script, dir_.path()});
  ASSERT_EQ(python.exit_code, 0) << python.err;
  // The times as strata keeps them: microseconds, finer digits rounded down.
  const std::vector<std::vector<std::string>> expected_times = {
      {"2024-05-01T12:00:00.123000Z", "1969-07-20T20:17:40.500000Z",
       "1901-01-01T00:00:00Z", "2030-01-01T00:00:00.001000Z"},
      {"2024-05-01T12:00:00.123456Z", "1969-07-20T20:17:40.500001Z",
       "1969-12-31T23:59:59.999999Z", "2030-01-01T00:00:00Z"}};
  const TimeUnit units[] = {TimeUnit::kMillis, TimeUnit::kNanos, TimeUnit::kSeconds,
                            TimeUnit::kSeconds};
  for (int k = 0; k < 4; ++k) {
    const std::string file = dir_.Sub(absl::StrCat("pandas", k, ".jsonl"));
    std::ifstream in(file);
    std::string first_line;
    std::getline(in, first_line);
    IngestOptions options;
    options.timestamp_unit = units[k];
    auto r = fs_->Ingest("stats", file, options);
    ASSERT_TRUE(r.ok()) << first_line << ": " << r.status();
    EXPECT_EQ(r->rows, 4u) << first_line;

    std::string spine = "customer_id,event_timestamp\n",
                want = "customer_id,event_timestamp,x,s\n";
    const char* x[] = {"1.5", "", "-0.25", "1e-05"};
    const char* s[] = {"a", "b c", "\u00fcn\u00efcode", ""};
    for (int i = 0; i < 4; ++i) {
      const std::string& t = expected_times[k % 2][i];
      absl::StrAppend(&spine, 10 * k + i + 1, ",", t, "\n");
      absl::StrAppend(&want, 10 * k + i + 1, ",", t, ",", x[i], ",", s[i], "\n");
    }
    HistoricalRequest request;
    request.features = {"stats:x", "stats:s"};
    auto got = Retrieve(request, spine);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, want) << first_line;
  }
}

TEST_F(FeatureStoreTest, BadAppliesNameTheProblemAndWriteNothing) {
  struct Case {
    std::string text, error;
  };
  const std::string entity =
      "entities:\n  - name: customer\n    join_keys: [{name: customer_id, type: "
      "int64}]\n";
  const std::vector<Case> cases = {
      {entity + "feature_views:\n  - name: stats\n    entities: [customer]\n    "
                "features: [{name: x, type: string}]\n",
       "x"},
      {"entities:\n  - name: customer\n    join_keys: [{name: customer_id, type: "
       "string}]\n"
       "feature_views:\n  - name: stats\n    entities: [customer]\n    features: [{name: "
       "x, type: double}]\n",
       "customer"},
      {entity +
           "feature_views:\n  - name: other\n    entities: [nobody]\n    features: []\n",
       "nobody"},
      {entity + "feature_views:\n  - name: other\n    entities: [customer]\n    "
                "features: [{name: x, type: float}]\n",
       "float"},
      {"entities: [\n", "defs:"},
  };
  auto before = store_->artifacts().List(Kind::kFeatureView);
  ASSERT_TRUE(before.ok());
  for (const Case& c : cases) {
    absl::Status s;
    auto defs = ParseDefinitions(c.text, "defs");
    if (!defs.ok()) {
      s = defs.status();
    } else {
      s = fs_->registry().Apply(*defs, "test", "").status();
    }
    ASSERT_FALSE(s.ok()) << c.text;
    EXPECT_NE(s.message().find(c.error), std::string::npos) << s;
    auto after = store_->artifacts().List(Kind::kFeatureView);
    ASSERT_TRUE(after.ok());
    ASSERT_EQ(after->size(), before->size());
    for (size_t i = 0; i < after->size(); ++i) {
      EXPECT_EQ((*after)[i].head.latest_version(), (*before)[i].head.latest_version());
    }
  }
}

TEST_F(FeatureStoreTest, HistoricalRefusesBadRequestsAndSpines) {
  ASSERT_TRUE(IngestText("stats", "customer_id,event_timestamp,x\n1,10,1\n").ok());
  struct Case {
    std::vector<std::string> features;
    std::string spine, error;
  };
  const std::vector<Case> cases = {
      {{"stats"}, "customer_id,event_timestamp\n1,1\n", "is not VIEW:FEATURE"},
      {{"nope:x"}, "customer_id,event_timestamp\n1,1\n", "no feature view nope"},
      {{"stats:w"}, "customer_id,event_timestamp\n1,1\n", "has no feature w"},
      {{"stats:x", "stats:x"}, "customer_id,event_timestamp\n1,1\n", "use --full-names"},
      {{"stats:x"},
       "id,event_timestamp\n1,1\n",
       "spine:1: the spine has no column customer_id"},
      {{"stats:x"}, "customer_id,ts\n1,1\n", "spine:1: the spine has no event_timestamp"},
      {{"stats:x"},
       "customer_id,event_timestamp\n1,1\n2,x\n",
       "spine:3: column \"event_timestamp\""},
      {{"stats:x"},
       "customer_id,event_timestamp\n1,1\nz,1\n",
       "spine:3: column \"customer_id\""},
      {{"stats:x"}, "customer_id,event_timestamp\n1,1,1\n", "spine:2: 3 fields"},
      {{"stats:x"}, "", "the spine is empty"},
  };
  for (const Case& c : cases) {
    HistoricalRequest request;
    request.features = c.features;
    auto r = Retrieve(request, c.spine);
    ASSERT_FALSE(r.ok()) << c.error;
    EXPECT_NE(r.status().message().find(c.error), std::string::npos) << r.status();
  }
}

TEST_F(FeatureStoreTest, AFeatureReaddedWithAnotherTypeIsANewColumn) {
  ASSERT_TRUE(IngestText("stats", "customer_id,event_timestamp,x\n1,10,1.5\n").ok());
  // Remove x, then bring it back as a string: apply allows it (x is not in the
  // latest version); its stored doubles do not read as strings.
  auto v2 = ParseDefinitions(
      "entities:\n  - name: customer\n    join_keys: [{name: customer_id, type: int64}]\n"
      "feature_views:\n  - name: stats\n    entities: [customer]\n    ttl: 100s\n"
      "    features: [{name: s, type: string}]\n",
      "v2");
  ASSERT_TRUE(v2.ok());
  ASSERT_TRUE(fs_->registry().Apply(*v2, "t", "").ok());
  auto v3 = ParseDefinitions(
      "entities:\n  - name: customer\n    join_keys: [{name: customer_id, type: int64}]\n"
      "feature_views:\n  - name: stats\n    entities: [customer]\n    ttl: 100s\n"
      "    features: [{name: s, type: string}, {name: x, type: string}]\n",
      "v3");
  ASSERT_TRUE(v3.ok());
  ASSERT_TRUE(fs_->registry().Apply(*v3, "t", "").ok());
  ASSERT_TRUE(IngestText("stats", "customer_id,event_timestamp,x\n2,20,two\n").ok());
  HistoricalRequest request;
  request.features = {"stats:x"};
  auto out = Retrieve(request, "customer_id,event_timestamp\n1,15\n2,25\n");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "customer_id,event_timestamp,x\n1,15,\n2,25,two\n");
  // The old version still reads its doubles.
  request.view_versions["stats"] = 1;
  out = Retrieve(request, "customer_id,event_timestamp\n1,15\n2,25\n");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "customer_id,event_timestamp,x\n1,15,1.5\n2,25,\n");
}

TEST_F(FeatureStoreTest, EqualKeysInAFileKeepTheLastLineAcrossParseBlocks) {
  std::string csv = "customer_id,event_timestamp,created_timestamp,x\n";
  for (int i = 0; i < 20; ++i) absl::StrAppend(&csv, "1,", 100 + i, ",5,", i, "\n");
  csv += "1,100,5,999\n";
  for (int i = 0; i < 20; ++i) absl::StrAppend(&csv, "2,", 100 + i, ",5,", i, "\n");
  csv += "1,100,5,1000\n";
  for (uint64_t bulk : {uint64_t{100000}, uint64_t{1}}) {
    // 30-byte blocks: a row or two each, so the three rows of (1, 100, 5) are in
    // different sorted runs.
    auto r = IngestText("stats", csv, "dups.csv", bulk, 30);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->rows, 42u);
    EXPECT_EQ(r->written, 40u);
    HistoricalRequest request;
    request.features = {"stats:x"};
    auto out = Retrieve(request, "customer_id,event_timestamp\n1,100\n");
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(*out, "customer_id,event_timestamp,x\n1,100,1000\n");
  }
}

TEST_F(FeatureStoreTest, OnlineReadsDenseAndSparseNumericRows) {
  // A view of 8-byte columns only: rows without nulls are read by position, the
  // rest (and rows whose columns are out of id order) decoded in full.
  const auto apply = [&](absl::string_view features) {
    auto defs = ParseDefinitions(absl::StrCat(R"(
entities:
  - name: customer
    join_keys: [{name: customer_id, type: int64}]
feature_views:
  - name: nums
    entities: [customer]
    features: )",
                                              features, "\n"),
                                 "nums");
    ASSERT_TRUE(defs.ok()) << defs.status();
    ASSERT_TRUE(fs_->registry().Apply(*defs, "test", "").ok());
  };
  apply("[{name: a, type: int64}, {name: b, type: double}, {name: c, type: timestamp}]");
  ASSERT_TRUE(IngestText("nums",
                         "customer_id,event_timestamp,a,b,c\n"
                         "1,10,-5,0.5,2024-01-01T00:00:00Z\n"
                         "2,10,,1.5,\n"
                         "3,10,7,,1700000000\n",
                         "nums.csv")
                  .ok());
  // Each order of the features, and a subset.
  for (const std::vector<std::string>& features : std::vector<std::vector<std::string>>{
           {"nums:a", "nums:b", "nums:c"}, {"nums:c", "nums:a"}, {"nums:b"}}) {
    auto r = fs_->Online(
        features,
        {{"customer_id", {Value(int64_t{1}), Value(int64_t{2}), Value(int64_t{3})}}},
        Sec(20));
    ASSERT_TRUE(r.ok()) << r.status();
    for (size_t f = 0; f < features.size(); ++f) {
      const OnlineColumn& col = r->values[f];
      const std::string name = features[f];
      if (name == "nums:a") {
        EXPECT_EQ(std::get<int64_t>(col[0].value), -5);
        EXPECT_EQ(col[1].status, FeatureStatus::kNullValue);
        EXPECT_EQ(std::get<int64_t>(col[2].value), 7);
      } else if (name == "nums:b") {
        EXPECT_EQ(std::get<double>(col[0].value), 0.5);
        EXPECT_EQ(std::get<double>(col[1].value), 1.5);
        EXPECT_EQ(col[2].status, FeatureStatus::kNullValue);
      } else {
        EXPECT_EQ(std::get<int64_t>(col[0].value), Sec(1704067200));
        EXPECT_EQ(col[1].status, FeatureStatus::kNullValue);
        EXPECT_EQ(std::get<int64_t>(col[2].value), Sec(1700000000));
      }
      for (size_t i = 0; i < 3; ++i) EXPECT_EQ(col[i].event_time, Sec(10)) << name;
    }
  }
  // Later versions drop a, then add it back last: its column keeps id 0, so rows
  // now hold b, c, a (ids 1, 2, 0): dense, but not in id order, and read in full.
  apply("[{name: b, type: double}, {name: c, type: timestamp}]");
  apply("[{name: b, type: double}, {name: c, type: timestamp}, {name: a, type: int64}]");
  ASSERT_TRUE(
      IngestText("nums", "customer_id,event_timestamp,a,b,c\n4,10,9,3.5,0\n", "nums2.csv")
          .ok());
  auto r = fs_->Online({"nums:a", "nums:b", "nums:c"},
                       {{"customer_id", {Value(int64_t{4})}}}, Sec(20));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(std::get<int64_t>(r->values[0][0].value), 9);
  EXPECT_EQ(std::get<double>(r->values[1][0].value), 3.5);
  EXPECT_EQ(std::get<int64_t>(r->values[2][0].value), 0);
}

TEST(OnlineColumnTest, ReadsBackEveryTypeAndStatus) {
  const Micros t = Sec(1700000000);
  OnlineColumn doubles(VALUE_TYPE_DOUBLE, 4), ints(VALUE_TYPE_INT64, 4),
      times(VALUE_TYPE_TIMESTAMP, 4), bools(VALUE_TYPE_BOOL, 4),
      strings(VALUE_TYPE_STRING, 4), bytes(VALUE_TYPE_BYTES, 4);
  for (OnlineColumn* c : {&doubles, &ints, &times, &bools, &strings, &bytes}) {
    c->SetFound(0, FeatureStatus::kNullValue, t);
    c->SetFound(1, FeatureStatus::kNullValue, t + 1);
    c->SetFound(2, FeatureStatus::kOutsideMaxAge, t + 2);
  }
  doubles.SetValue(0, -0.25);
  ints.SetValue(0, int64_t{-7});
  times.SetValue(0, t);
  bools.SetValue(0, true);
  strings.SetValue(0, std::string("a,b"));
  bytes.SetValue(0, std::string("\x00\xff", 2));
  EXPECT_EQ(std::get<double>(doubles[0].value), -0.25);
  EXPECT_EQ(std::get<int64_t>(ints[0].value), -7);
  EXPECT_EQ(std::get<int64_t>(times[0].value), t);
  EXPECT_EQ(std::get<bool>(bools[0].value), true);
  EXPECT_EQ(std::get<std::string>(strings[0].value), "a,b");
  EXPECT_EQ(std::get<std::string>(bytes[0].value), std::string("\x00\xff", 2));
  for (OnlineColumn* c : {&doubles, &ints, &times, &bools, &strings, &bytes}) {
    ASSERT_EQ(c->size(), 4u);
    const std::vector<FeatureStatus> want = {
        FeatureStatus::kPresent, FeatureStatus::kNullValue, FeatureStatus::kOutsideMaxAge,
        FeatureStatus::kNotFound};
    size_t i = 0;
    for (const OnlineValue& v : *c) {  // a range for, as OnlineValues
      EXPECT_EQ(v.status, want[i]) << i;
      EXPECT_EQ(v.status, c->status(i));
      EXPECT_EQ(v.value.index() != 0, i == 0) << i;  // values only when present
      if (i < 3) {
        EXPECT_EQ(v.event_time, t + static_cast<Micros>(i));
      } else {
        EXPECT_FALSE(v.event_time.has_value());
      }
      ++i;
    }
    EXPECT_EQ(i, 4u);
  }
}

TEST_F(FeatureStoreTest, LargeBlocksSortWithDuplicatesKeepingTheLastLine) {
  // Blocks of thousands of rows (the radix-sort path), entities negative and
  // positive, many rows per entity, equal keys within and across blocks.
  std::mt19937_64 rng(testing::TestSeed());
  std::map<std::pair<int64_t, int64_t>, int> last;  // (entity, event) -> line's x
  std::string csv = "customer_id,event_timestamp,created_timestamp,x\n";
  for (int i = 0; i < 20000; ++i) {
    const int64_t entity =
        static_cast<int64_t>(rng() % 60) - 30 + (rng() % 4 == 0 ? int64_t{1} << 40 : 0);
    const int64_t event = 1000 + static_cast<int64_t>(rng() % 50);
    absl::StrAppend(&csv, entity, ",", event, ",", event, ",", i, "\n");
    last[{entity, event}] = i;
  }
  for (uint64_t bulk : {uint64_t{100000}, uint64_t{1000}}) {
    auto r = IngestText("stats", csv, "many.csv", bulk, 150000);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->written, last.size());
    std::string spine = "customer_id,event_timestamp\n",
                want = "customer_id,event_timestamp,x\n";
    for (const auto& [key, x] : last) {
      absl::StrAppend(&spine, key.first, ",", key.second, "\n");
      absl::StrAppend(&want, key.first, ",", key.second, ",", x, "\n");
    }
    HistoricalRequest request;
    request.features = {"stats:x"};
    auto out = Retrieve(request, spine);
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_TRUE(*out == want) << "bulk threshold " << bulk;
  }
}

TEST_F(FeatureStoreTest, LargeRowsCrossRunBuffersAndChunks) {
  // Rows far larger than the merge's read buffer (128 KiB) and the log's chunks,
  // in several sorted runs, on both write paths.
  std::string csv = "customer_id,event_timestamp,s\n";
  std::vector<std::string> big;
  for (int i = 0; i < 6; ++i) {
    big.push_back(std::string(150000 + 40000 * i, static_cast<char>('a' + i)));
    absl::StrAppend(&csv, i % 2, ",", 100 + i, ",", big.back(), "\n");
  }
  for (uint64_t bulk : {uint64_t{100000}, uint64_t{2}}) {
    auto r = IngestText("stats", csv, "big.csv", bulk, 200000);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->written, 6u);
    HistoricalRequest request;
    request.features = {"stats:s"};
    std::string spine = "customer_id,event_timestamp\n",
                want = "customer_id,event_timestamp,s\n";
    for (int i = 0; i < 6; ++i) {
      absl::StrAppend(&spine, i % 2, ",", 100 + i, "\n");
      absl::StrAppend(&want, i % 2, ",", 100 + i, ",", big[i], "\n");
    }
    auto out = Retrieve(request, spine);
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_TRUE(*out == want) << "bulk threshold " << bulk;
  }
}

TEST_F(FeatureStoreTest, PushOnlineKeepsTheNewerRowAndTouchesNothingElse) {
  ASSERT_TRUE(IngestText("stats",
                         "customer_id,event_timestamp,created_timestamp,x,s\n"
                         "1,1000,1000,1.5,ingested\n")
                  .ok());
  auto before = fs_->Position();
  ASSERT_TRUE(before.ok());
  const size_t log_rows = LogRows();
  const auto i64 = [](int64_t v) { return Value(v); };
  const auto online = [&](int64_t customer) {
    auto r = fs_->Online({"stats:x", "stats:s"}, {{"customer_id", {i64(customer)}}},
                         Sec(1050));
    EXPECT_TRUE(r.ok()) << r.status();
    return std::make_pair(r->values[0][0], r->values[1][0]);
  };
  // Older by event time: ignored. Newer: replaces the whole row (s absent: null).
  ASSERT_TRUE(fs_->PushOnline("stats",
                              {{"customer_id", {i64(1)}},
                               {"event_timestamp", {i64(Sec(999))}},
                               {"x", {Value(9.0)}}},
                              Sec(5000))
                  .ok());
  EXPECT_EQ(std::get<double>(online(1).first.value), 1.5);
  ASSERT_TRUE(fs_->PushOnline("stats",
                              {{"x", {Value(2.5), Value(7.0)}},
                               {"event_timestamp", {i64(Sec(1001)), i64(Sec(1002))}},
                               {"customer_id", {i64(1), i64(7)}}},
                              Sec(5000))
                  .ok());
  auto [x, s] = online(1);
  EXPECT_EQ(std::get<double>(x.value), 2.5);
  EXPECT_EQ(x.event_time, Sec(1001));
  EXPECT_EQ(s.status, FeatureStatus::kNullValue);
  EXPECT_EQ(std::get<double>(online(7).first.value), 7.0);
  // Equal event time: the larger created time wins, whichever comes first.
  ASSERT_TRUE(fs_->PushOnline(
                     "stats",
                     {{"customer_id", {i64(1), i64(1)}},
                      {"event_timestamp", {i64(Sec(1001)), i64(Sec(1001))}},
                      {"created_timestamp", {i64(Sec(6000)), i64(Sec(5500))}},
                      {"s", {Value(std::string("newest")), Value(std::string("older"))}}},
                     Sec(5000))
                  .ok());
  EXPECT_EQ(std::get<std::string>(online(1).second.value), "newest");
  // A later ingest's row replaces a pushed one with the same times.
  ASSERT_TRUE(IngestText("stats",
                         "customer_id,event_timestamp,created_timestamp,x,s\n"
                         "7,1002,5000,8,from-ingest\n")
                  .ok());
  EXPECT_EQ(std::get<std::string>(online(7).second.value), "from-ingest");

  // Nothing reached the log, and pushes are no ingests.
  EXPECT_EQ(LogRows(), log_rows + 1);
  auto after = fs_->Position();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->position, before->position + 1);
  HistoricalRequest request;
  request.features = {"stats:x"};
  auto out = Retrieve(request, "customer_id,event_timestamp\n1,1010\n");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "customer_id,event_timestamp,x\n1,1010,1.5\n");
}

TEST_F(FeatureStoreTest, PushOnlineChecksEverythingBeforeWriting) {
  const auto i64 = [](int64_t v) { return Value(v); };
  struct Case {
    RowColumns rows;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{}, "no columns"},
      {{{"customer_id", {i64(1)}}}, "column event_timestamp is missing"},
      {{{"event_timestamp", {i64(1)}}}, "join key column customer_id is missing"},
      {{{"customer_id", {i64(1), i64(2)}}, {"event_timestamp", {i64(1)}}},
       "column event_timestamp has 1 value, but customer_id has 2"},
      {{{"customer_id", {i64(1)}}, {"event_timestamp", {i64(1)}}, {"nope", {i64(1)}}},
       "unknown column nope"},
      {{{"customer_id", {i64(1)}}, {"customer_id", {i64(1)}}}, "appears twice"},
      {{{"customer_id", {Value()}}, {"event_timestamp", {i64(1)}}},
       "column customer_id row 1: null"},
      {{{"customer_id", {i64(1), i64(2)}},
        {"event_timestamp", {i64(1), i64(1)}},
        {"x", {Value(1.0), Value(std::string("2"))}}},
       "column x row 2: expected double"},
      {{{"customer_id", {Value(std::string("1"))}}, {"event_timestamp", {i64(1)}}},
       "column customer_id row 1: expected int64"},
      {{{"customer_id", {}}, {"event_timestamp", {}}}, "no rows"},
  };
  for (const Case& c : cases) {
    absl::Status s = fs_->PushOnline("stats", c.rows, Sec(1));
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
    EXPECT_NE(s.message().find(c.message), std::string::npos) << s;
  }
  EXPECT_TRUE(
      absl::IsNotFound(fs_->PushOnline("nope", {{"customer_id", {i64(1)}}}, Sec(1))));
  EXPECT_TRUE(absl::IsInvalidArgument(
      fs_->PushOnline("../x", {{"customer_id", {i64(1)}}}, Sec(1))));
  // Nothing was written: the view never got an id, so no entity has a row.
  auto r = fs_->Online({"stats:x"}, {{"customer_id", {i64(1)}}}, Sec(1));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->values[0][0].status, FeatureStatus::kNotFound);
}

// An epoch in milliseconds given to a view that reads seconds would land in the
// year 55884 and beat every later row online: ingest and push refuse times outside
// the view's plausible time, naming where and the unit the number looks like, and
// write nothing.
TEST_F(FeatureStoreTest, ImplausibleTimesAreRefusedWithTheLikelyUnit) {
  const std::string header = "customer_id,event_timestamp,created_timestamp,x\n";
  struct Case {
    std::string name, text, error;
    std::optional<TimeUnit> unit = std::nullopt;
  };
  const std::vector<Case> cases = {
      {"ms.csv", header + "1,1701388800,,1\n2,1701388800000,,2\n",
       "ms.csv:3: column \"event_timestamp\": 1701388800000 looks like milliseconds; "
       "this view reads seconds"},
      {"created.csv", header + "1,1701388800,1701388800000000,1\n",
       "created.csv:2: column \"created_timestamp\": 1701388800000000 looks like "
       "microseconds; this view reads seconds"},
      {"unit.csv", header + "1,1701388800000000,,1\n",
       "unit.csv:2: column \"event_timestamp\": 1701388800000000 looks like "
       "microseconds; this ingest reads milliseconds",
       TimeUnit::kMillis},
      {"iso.csv", header + "1,2500-01-01T00:00:00Z,,1\n",
       "iso.csv:2: column \"event_timestamp\": timestamp \"2500-01-01T00:00:00Z\" is "
       "outside the plausible time 1970-01-01T00:00:00Z .. 2200-01-01T00:00:00Z"},
      {"ms.jsonl",
       "{\"customer_id\": 1, \"event_timestamp\": 1701388800}\n"
       "{\"customer_id\": 2, \"event_timestamp\": 1701388800000}\n",
       "ms.jsonl:2: key \"event_timestamp\": 1701388800000 looks like milliseconds; this "
       "view reads seconds"},
      {"text.jsonl", "{\"customer_id\": 2, \"event_timestamp\": \"1701388800000\"}\n",
       "text.jsonl:1: key \"event_timestamp\": 1701388800000 looks like milliseconds"},
      {"created.jsonl",
       "{\"customer_id\": 2, \"event_timestamp\": 1, \"created_timestamp\": "
       "\"1960-01-01\"}\n",
       "created.jsonl:1: key \"created_timestamp\": timestamp \"1960-01-01\" is outside"},
  };
  const auto before = fs_->Position();
  ASSERT_TRUE(before.ok());
  for (const Case& c : cases) {
    IngestOptions options;
    options.timestamp_unit = c.unit;
    auto r = fs_->Ingest("stats", WriteFile(c.name, c.text), options);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_TRUE(absl::IsInvalidArgument(r.status())) << r.status();
    EXPECT_NE(r.status().message().find(c.error), std::string::npos) << r.status();
    EXPECT_EQ(LogRows(), 0u) << c.name;
    EXPECT_EQ(fs_->Position()->position, before->position) << c.name;
  }
  // The view's own window: a time before it is refused, one inside is taken.
  ApplyStatsWindow("{from: 2020-01-01}");
  auto old = IngestText("stats", header + "1,1500000000,,1\n", "old.csv");
  ASSERT_FALSE(old.ok());
  EXPECT_NE(old.status().message().find("old.csv:2: column \"event_timestamp\": timestamp "
                                        "1500000000 (2017-07-14T02:40:00Z) is outside "
                                        "the plausible time 2020-01-01T00:00:00Z .. "
                                        "2200-01-01T00:00:00Z"),
            std::string::npos)
      << old.status();
  ASSERT_TRUE(IngestText("stats", header + "1,1701388800,,1\n", "new.csv").ok());

  // Push, through the API: the same window, per column and row.
  const auto i64 = [](int64_t v) { return Value(v); };
  absl::Status pushed = fs_->PushOnline(
      "stats",
      {{"customer_id", {i64(1), i64(2)}},
       {"event_timestamp", {i64(Sec(1701388800)), i64(Sec(1701388800000))}}},
      Sec(1701388800));
  EXPECT_TRUE(absl::IsInvalidArgument(pushed)) << pushed;
  EXPECT_NE(pushed.message().find("column event_timestamp row 2: 55884-"),
            std::string::npos)
      << pushed;
  pushed = fs_->PushOnline("stats",
                           {{"customer_id", {i64(1)}},
                            {"event_timestamp", {i64(Sec(1701388800))}},
                            {"created_timestamp", {i64(Sec(-1))}}},
                           Sec(1701388800));
  EXPECT_NE(pushed.message().find("column created_timestamp row 1: "
                                  "1969-12-31T23:59:59Z is outside"),
            std::string::npos)
      << pushed;
  auto online = fs_->Online({"stats:x"}, {{"customer_id", {i64(2)}}}, Sec(1701388800));
  ASSERT_TRUE(online.ok());
  EXPECT_EQ(online->values[0][0].status, FeatureStatus::kNotFound);
}

TEST_F(FeatureStoreTest, PushOnlineWritesThroughTheCache) {
  FeatureStoreOptions options;
  options.online_cache_bytes = 1 << 20;
  FeatureStore cached(store_.get(), options);
  const auto i64 = [](int64_t v) { return Value(v); };
  const auto x = [&] {
    auto r = cached.Online({"stats:x"}, {{"customer_id", {i64(3)}}}, Sec(1000));
    EXPECT_TRUE(r.ok()) << r.status();
    return r->values[0][0];
  };
  EXPECT_EQ(x().status, FeatureStatus::kNotFound);  // cached as absent
  ASSERT_TRUE(cached
                  .PushOnline("stats",
                              {{"customer_id", {i64(3)}},
                               {"event_timestamp", {i64(Sec(990))}},
                               {"x", {Value(3.5)}}},
                              Sec(1000))
                  .ok());
  EXPECT_EQ(std::get<double>(x().value), 3.5);
  ASSERT_TRUE(cached
                  .PushOnline("stats",
                              {{"customer_id", {i64(3)}},
                               {"event_timestamp", {i64(Sec(995))}},
                               {"x", {Value(4.5)}}},
                              Sec(1000))
                  .ok());
  EXPECT_EQ(std::get<double>(x().value), 4.5);
}

TEST_F(FeatureStoreTest, IngestCanSkipTheOnlineTableAndNameItsSource) {
  IngestOptions options;
  options.update_online = false;
  options.source_name = "body";
  auto r = fs_->Ingest("stats",
                       WriteFile("a.csv", "customer_id,event_timestamp,x\n1,1000,1.5\n"),
                       options);
  ASSERT_TRUE(r.ok()) << r.status();
  auto online =
      fs_->Online({"stats:x"}, {{"customer_id", {Value(int64_t{1})}}}, Sec(1000));
  ASSERT_TRUE(online.ok()) << online.status();
  EXPECT_EQ(online->values[0][0].status, FeatureStatus::kNotFound);
  HistoricalRequest request;
  request.features = {"stats:x"};
  auto out = Retrieve(request, "customer_id,event_timestamp\n1,1000\n");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "customer_id,event_timestamp,x\n1,1000,1.5\n");
  auto bad = fs_->Ingest(
      "stats", WriteFile("b.csv", "customer_id,event_timestamp,x\n1,1000,lots\n"),
      options);
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status()));
  EXPECT_EQ(bad.status().message().rfind("body:2: column \"x\": ", 0), 0u) << bad.status();
}

TEST_F(FeatureStoreTest, HistoricalRefusesSpinesOverTheRowLimit) {
  HistoricalRequest request;
  request.features = {"stats:x"};
  request.max_spine_rows = 2;
  EXPECT_TRUE(Retrieve(request, "customer_id,event_timestamp\n1,1\n\n2,1\n").ok());
  auto out = Retrieve(request, "customer_id,event_timestamp\n1,1\n2,1\n3,1\n");
  EXPECT_TRUE(absl::IsResourceExhausted(out.status())) << out.status();
  EXPECT_EQ(out.status().message(), "spine has more than 2 rows");
}

// The lineage node ids reached from `root` walking `direction`.
std::vector<std::string> Reached(const Store& store, const std::string& root,
                                 LineageDirection direction) {
  auto graph = store.lineage().Walk(root, {.direction = direction});
  EXPECT_TRUE(graph.ok()) << graph.status();
  std::vector<std::string> ids;
  if (graph.ok()) {
    for (const auto& node : graph->nodes) ids.push_back(node.id);
  }
  return ids;
}

bool Has(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

TEST_F(FeatureStoreTest, IngestReadsAStoredDatasetVersionAndOneWalkReachesTheModel) {
  const std::string rows =
      "customer_id,event_timestamp,created_timestamp,x,s\n1,100,100,1.5,a\n";
  testing::StoreTest::CommitContent("dataset/raw", "not these rows");
  testing::StoreTest::CommitContent("dataset/raw", rows);
  IngestOptions options;
  options.creator = "test";
  auto ingested = fs_->Ingest("stats", "dataset/raw@2", options);
  ASSERT_TRUE(ingested.ok()) << ingested.status();
  EXPECT_EQ(ingested->source, IngestSource::kRead);
  EXPECT_EQ(ingested->dataset, "dataset/raw@2");
  EXPECT_EQ(ingested->rows, 1u);
  // Read in the store: nothing stored again.
  EXPECT_TRUE(absl::IsNotFound(
      store_->artifacts().Versions({Kind::kDataset, "stats-ingest"}).status()));
  EXPECT_EQ(store_->artifacts().Versions({Kind::kDataset, "raw"})->size(), 2u);

  HistoricalRequest request;
  request.features = {"stats:x"};
  auto saved = fs_->SaveHistorical(
      request, WriteFile("spine.csv", "customer_id,event_timestamp\n1,150\n"), "train",
      "test", "", nullptr);
  ASSERT_TRUE(saved.ok()) << saved.status();
  testing::StoreTest::CommitContent("model/churn", "weights", {saved->dataset});
  const auto down = Reached(*store_, "dataset/raw@2", LineageDirection::kDown);
  EXPECT_TRUE(Has(down, "featureview/stats@1"));
  EXPECT_TRUE(Has(down, "dataset/train@1"));
  EXPECT_TRUE(Has(down, "model/churn@1"));
  EXPECT_FALSE(Has(Reached(*store_, "dataset/raw@1", LineageDirection::kDown),
                   "model/churn@1"));
  EXPECT_TRUE(Has(Reached(*store_, "model/churn@1", LineageDirection::kUp),
                  "dataset/raw@2"));

  // JSON lines, known from the version's recorded format.
  NewVersion jsonl;
  jsonl.artifact = {Kind::kDataset, "events"};
  jsonl.metadata = {{"format", "jsonl"}};
  jsonl.content_id =
      PutContent("{\"customer_id\": 2, \"event_timestamp\": 100, \"x\": 2}\n").content_id;
  ASSERT_TRUE(store_->artifacts().Commit(jsonl).ok());
  ingested = fs_->Ingest("stats", "dataset/events", options);
  ASSERT_TRUE(ingested.ok()) << ingested.status();
  EXPECT_EQ(ingested->dataset, "dataset/events@1");
}

TEST_F(FeatureStoreTest, AFileWithAStoredVersionsContentIsLinkedToTheNewest) {
  const std::string rows =
      "customer_id,event_timestamp,created_timestamp,x,s\n1,100,100,1.5,a\n";
  testing::StoreTest::CommitContent("dataset/clean", rows);
  testing::StoreTest::CommitContent("dataset/copy", rows);
  auto ingested = IngestText("stats", rows);
  ASSERT_TRUE(ingested.ok()) << ingested.status();
  EXPECT_EQ(ingested->source, IngestSource::kSameContent);
  EXPECT_EQ(ingested->dataset, "dataset/copy@1");
  EXPECT_EQ(ingested->same_content, 2u);
  EXPECT_TRUE(absl::IsNotFound(
      store_->artifacts().Versions({Kind::kDataset, "stats-ingest"}).status()));
  EXPECT_TRUE(Has(Reached(*store_, "dataset/copy@1", LineageDirection::kDown),
                  "featureview/stats@1"));

  // A deleted version is not linked to.
  DeleteRequest rm;
  rm.artifact = {Kind::kDataset, "copy"};
  rm.version = 1;
  rm.who = "test";
  ASSERT_TRUE(store_->artifacts().Delete(rm).ok());
  ingested = IngestText("stats", rows);
  ASSERT_TRUE(ingested.ok()) << ingested.status();
  EXPECT_EQ(ingested->dataset, "dataset/clean@1");
  EXPECT_EQ(ingested->same_content, 1u);

  // With a dataset named, only its versions count; new content is stored as today.
  IngestOptions named;
  named.dataset = "mine";
  ingested = fs_->Ingest("stats", WriteFile("again.csv", rows), named);
  ASSERT_TRUE(ingested.ok()) << ingested.status();
  EXPECT_EQ(ingested->source, IngestSource::kStored);
  EXPECT_EQ(ingested->dataset, "dataset/mine@1");
  ingested = fs_->Ingest("stats", WriteFile("again.csv", rows), named);
  ASSERT_TRUE(ingested.ok()) << ingested.status();
  EXPECT_EQ(ingested->source, IngestSource::kSameContent);
  EXPECT_EQ(ingested->dataset, "dataset/mine@1");
  ingested = IngestText("stats", rows + "2,100,100,2,b\n");
  ASSERT_TRUE(ingested.ok()) << ingested.status();
  EXPECT_EQ(ingested->source, IngestSource::kStored);
  EXPECT_EQ(ingested->dataset, "dataset/stats-ingest@1");
}

TEST_F(FeatureStoreTest, IngestInputsAreRecordedAndBadReferencesWriteNothing) {
  const std::string rows = "customer_id,event_timestamp,x\n1,100,1.5\n";
  testing::StoreTest::CommitContent("dataset/raw", "raw bytes");
  testing::StoreTest::CommitContent("config/cleaning", "drop nulls");
  testing::StoreTest::CommitContent("model/m", "weights");
  IngestOptions options;
  options.inputs = {"dataset/raw", "config/cleaning@1", "dataset/raw@1"};
  auto ingested = fs_->Ingest("stats", WriteFile("clean.csv", rows), options);
  ASSERT_TRUE(ingested.ok()) << ingested.status();
  EXPECT_EQ(ingested->inputs,
            (std::vector<std::string>{"config/cleaning@1", "dataset/raw@1"}));
  for (const char* input : {"config/cleaning@1", "dataset/raw@1"}) {
    const auto down = Reached(*store_, input, LineageDirection::kDown);
    EXPECT_TRUE(Has(down, "featureview/stats@1")) << input;
  }
  // The view's definition does not protect them: the log holds the rows.
  auto kept = store_->artifacts().WhyKept({Kind::kDataset, "raw"}, 1);
  ASSERT_TRUE(kept.ok());
  EXPECT_TRUE(kept->empty());

  const auto position = fs_->Position();
  const size_t log_rows = LogRows();
  struct Case {
    std::string source;
    std::vector<std::string> inputs;
    std::string dataset;
    absl::StatusCode code;
    std::string error;
  };
  const std::string file = WriteFile("new.csv", rows + "2,100,2\n");
  const std::vector<Case> cases = {
      {file, {"dataset/nope@1"}, "", absl::StatusCode::kNotFound, "dataset/nope"},
      {file, {"dataset/raw@7"}, "", absl::StatusCode::kNotFound, "no version 7"},
      {file, {"dataset/raw@@"}, "", absl::StatusCode::kInvalidArgument, "raw@@"},
      {"dataset/raw@9", {}, "", absl::StatusCode::kNotFound, "no version 9"},
      {"dataset/none", {}, "", absl::StatusCode::kNotFound, "dataset/none"},
      {"model/m", {}, "", absl::StatusCode::kInvalidArgument,
       "\"model/m\" is a model, not a dataset"},
      {"featureview/stats", {}, "", absl::StatusCode::kInvalidArgument, "not a dataset"},
      {"dataset/raw@1", {}, "other", absl::StatusCode::kInvalidArgument,
       "is stored already"},
  };
  for (const Case& c : cases) {
    IngestOptions bad;
    bad.inputs = c.inputs;
    bad.dataset = c.dataset;
    auto r = fs_->Ingest("stats", c.source, bad);
    EXPECT_EQ(r.status().code(), c.code) << c.source << ": " << r.status();
    EXPECT_NE(r.status().message().find(c.error), std::string::npos)
        << c.source << ": " << r.status();
    EXPECT_EQ(LogRows(), log_rows) << c.source;
    EXPECT_EQ(fs_->Position()->position, position->position) << c.source;
    EXPECT_EQ(store_->artifacts().Versions({Kind::kDataset, "stats-ingest"})->size(),
              1u)
        << c.source;
  }
}

TEST_F(FeatureStoreTest, SavedTrainingSetsRecordTheirInputsAndTheirSpines) {
  ASSERT_TRUE(IngestText("stats", "customer_id,event_timestamp,x\n1,100,1.5\n").ok());
  testing::StoreTest::CommitContent("dataset/labels", "customer_id,label\n1,1\n");
  const std::string spine = WriteFile("spine.csv", "customer_id,event_timestamp\n1,150\n");
  HistoricalRequest request;
  request.features = {"stats:x"};
  SaveLineage lineage;
  lineage.inputs = {"dataset/labels"};
  lineage.spine_inputs = {"dataset/labels@1"};
  auto saved = fs_->SaveHistorical(request, spine, "train", "test", "", nullptr, lineage);
  ASSERT_TRUE(saved.ok()) << saved.status();
  auto train = store_->artifacts().Resolve(*ParseRef(saved->dataset));
  ASSERT_TRUE(train.ok());
  EXPECT_EQ(std::vector<std::string>(train->inputs().begin(), train->inputs().end()),
            (std::vector<std::string>{"dataset/labels@1", "dataset/train-spine@1",
                                      "featureview/stats@1"}));
  auto spine_version = store_->artifacts().Resolve(*ParseRef(saved->spine));
  ASSERT_TRUE(spine_version.ok());
  EXPECT_EQ(std::vector<std::string>(spine_version->inputs().begin(),
                                     spine_version->inputs().end()),
            (std::vector<std::string>{"dataset/labels@1"}));

  // A stored spine is already an input of the set; its own inputs are fixed.
  saved = fs_->SaveHistorical(request, "dataset/train-spine@1", "train", "test", "",
                              nullptr);
  ASSERT_TRUE(saved.ok()) << saved.status();
  train = store_->artifacts().Resolve(*ParseRef(saved->dataset));
  EXPECT_TRUE(Has(std::vector<std::string>(train->inputs().begin(), train->inputs().end()),
                  "dataset/train-spine@1"));

  const auto heads = store_->artifacts().List(Kind::kDataset);
  SaveLineage stored_spine;
  stored_spine.spine_inputs = {"dataset/labels@1"};
  auto r = fs_->SaveHistorical(request, "dataset/train-spine@1", "train", "test", "",
                               nullptr, stored_spine);
  EXPECT_TRUE(absl::IsInvalidArgument(r.status())) << r.status();
  for (const SaveLineage& bad : {SaveLineage{{"dataset/nope"}, {}},
                                 SaveLineage{{}, {"dataset/labels@3"}}}) {
    r = fs_->SaveHistorical(request, spine, "train", "test", "", nullptr, bad);
    EXPECT_TRUE(absl::IsNotFound(r.status())) << r.status();
  }
  r = fs_->SaveHistorical(request, spine, "other", "test", "", nullptr,
                          SaveLineage{{"dataset/nope"}, {}});
  EXPECT_TRUE(absl::IsNotFound(r.status())) << r.status();
  // Nothing was stored.
  const auto after = store_->artifacts().List(Kind::kDataset);
  ASSERT_EQ(after->size(), heads->size());
  for (size_t i = 0; i < after->size(); ++i) {
    EXPECT_EQ((*after)[i].head.SerializeAsString(), (*heads)[i].head.SerializeAsString());
  }
}

}  // namespace
}  // namespace strata::features
