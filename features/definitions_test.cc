#include "features/definitions.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/testing.h"

namespace strata::features {
namespace {

constexpr absl::string_view kIssueExample = testing::kExampleDefinitions;

TEST(DefinitionsTest, ParsesTheDocumentedShape) {
  auto defs = ParseDefinitions(kIssueExample, "defs.yaml");
  ASSERT_TRUE(defs.ok()) << defs.status();
  ASSERT_EQ(defs->entities_size(), 1);
  EXPECT_EQ(defs->entities(0).name(), "customer");
  EXPECT_EQ(defs->entities(0).join_keys(0).type(), VALUE_TYPE_INT64);
  ASSERT_EQ(defs->feature_views_size(), 1);
  const FeatureView& view = defs->feature_views(0);
  EXPECT_EQ(view.name(), "customer_stats");
  EXPECT_EQ(view.ttl_seconds(), 7 * 86400);
  ASSERT_EQ(view.entities_size(), 1);
  EXPECT_EQ(view.entities(0).join_keys(0).name(), "customer_id");  // embedded
  ASSERT_EQ(view.features_size(), 2);
  EXPECT_EQ(view.features(1).name(), "segment");
  EXPECT_EQ(view.features(1).type(), VALUE_TYPE_STRING);
}

TEST(DefinitionsTest, JsonIsAcceptedToo) {
  auto defs = ParseDefinitions(R"({
    "entities": [{"name": "driver", "join_keys": [{"name": "driver_id", "type": "string"}]},
                 {"name": "city", "join_keys": [{"name": "city_id", "type": "int64"}]}],
    "feature_views": [{
      "name": "team/driver_city", "entities": ["driver", "city"], "ttl": "90m",
      "description": "trips per driver and city", "owner": "ml-platform",
      "tags": {"tier": "gold"},
      "features": [{"name": "trips", "type": "int64"}, {"name": "active", "type": "bool"},
                   {"name": "last_trip", "type": "timestamp"}, {"name": "blob", "type": "bytes"}]
    }]
  })",
                               "defs.json");
  ASSERT_TRUE(defs.ok()) << defs.status();
  const FeatureView& view = defs->feature_views(0);
  EXPECT_EQ(view.name(), "team/driver_city");
  EXPECT_EQ(view.ttl_seconds(), 5400);
  EXPECT_EQ(view.entities_size(), 2);
  EXPECT_EQ(view.owner(), "ml-platform");
  EXPECT_EQ(view.tags().at("tier"), "gold");
  EXPECT_EQ(view.features(2).type(), VALUE_TYPE_TIMESTAMP);
}

TEST(DefinitionsTest, TtlDefaultsToUnbounded) {
  auto defs = ParseDefinitions(R"(
entities: [{name: e, join_keys: [{name: id, type: string}]}]
feature_views: [{name: v, entities: [e], features: [{name: x, type: double}]}]
)",
                               "d.yaml");
  ASSERT_TRUE(defs.ok()) << defs.status();
  EXPECT_EQ(defs->feature_views(0).ttl_seconds(), 0);
}

struct BadDefinitions {
  const char* name;
  const char* text;
  const char* message_part;  // what and where
};

class BadDefinitionsTest : public ::testing::TestWithParam<BadDefinitions> {};

TEST_P(BadDefinitionsTest, IsInvalidArgumentSayingWhatAndWhere) {
  auto defs = ParseDefinitions(GetParam().text, "defs.yaml");
  ASSERT_FALSE(defs.ok());
  EXPECT_EQ(defs.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(defs.status().message().find(GetParam().message_part),
            absl::string_view::npos)
      << defs.status().message();
  EXPECT_EQ(defs.status().message().rfind("defs.yaml", 0), 0u) << defs.status().message();
}

constexpr char kEntity[] =
    "entities: [{name: c, join_keys: [{name: cid, type: int64}]}]\n";

INSTANTIATE_TEST_SUITE_P(
    Cases, BadDefinitionsTest,
    ::testing::Values(
        BadDefinitions{"Empty", "", "the file is empty"},
        BadDefinitions{"Malformed", "entities: [ {name: c", "defs.yaml:1:"},
        BadDefinitions{"NotAMapping", "- a\n- b\n", "the file must be a mapping"},
        BadDefinitions{"UnknownTopKey", "entites: []\n",
                       "defs.yaml:1:1: unknown key \"entites\""},
        BadDefinitions{"EntitiesNotList", "entities: {name: c}\n",
                       "'entities' must be a list"},
        BadDefinitions{"EntityNoName",
                       "entities: [{join_keys: [{name: a, type: int64}]}]\n",
                       "an entity has no 'name'"},
        BadDefinitions{"EntityBadName", "entities: [{name: Cust, join_keys: []}]\n",
                       "entity name \"Cust\" must match"},
        BadDefinitions{"NoJoinKeys", "entities: [{name: c}]\n", "has no 'join_keys'"},
        BadDefinitions{"EmptyJoinKeys", "entities: [{name: c, join_keys: []}]\n",
                       "at least one join key"},
        BadDefinitions{
            "JoinKeyDouble",
            "entities: [{name: c, join_keys: [{name: k, type: double}]}]\n",
            "defs.yaml:1:50: join key 'k' must be int64 or string, not double"},
        BadDefinitions{"UnknownType",
                       "entities: [{name: c, join_keys: [{name: k, type: long}]}]\n",
                       "unknown type \"long\""},
        BadDefinitions{"DuplicateEntity",
                       "entities: [{name: c, join_keys: [{name: k, type: int64}]},"
                       " {name: c, join_keys: [{name: k, type: int64}]}]\n",
                       "entity 'c' is defined twice"},
        BadDefinitions{
            "UnknownViewKey",
            "entities: [{name: c, join_keys: [{name: cid, type: int64}]}]\n"
            "feature_views: [{name: v, entities: [c], ttl: 1d, featurs: []}]\n",
            "defs.yaml:2:51: unknown key \"featurs\" in a feature view"},
        BadDefinitions{
            "UnknownEntity",
            "entities: [{name: c, join_keys: [{name: cid, type: int64}]}]\n"
            "feature_views: [{name: v, entities: [d], features: [{name: x, type: "
            "double}]}]\n",
            "uses entity \"d\", which this file does not define"},
        BadDefinitions{
            "BadTtlUnit",
            "entities: [{name: c, join_keys: [{name: cid, type: int64}]}]\n"
            "feature_views: [{name: v, entities: [c], ttl: 7w, features: [{name: x, "
            "type: double}]}]\n",
            "needs a unit: s, m, h or d"},
        BadDefinitions{
            "BareTtl",
            "entities: [{name: c, join_keys: [{name: cid, type: int64}]}]\n"
            "feature_views: [{name: v, entities: [c], ttl: 30, features: [{name: x, "
            "type: double}]}]\n",
            "needs a unit"},
        BadDefinitions{
            "NegativeTtl",
            "entities: [{name: c, join_keys: [{name: cid, type: int64}]}]\n"
            "feature_views: [{name: v, entities: [c], ttl: -1d, features: [{name: x, "
            "type: double}]}]\n",
            "not a whole, non-negative number"},
        BadDefinitions{
            "BadViewName",
            "entities: [{name: c, join_keys: [{name: cid, type: int64}]}]\n"
            "feature_views: [{name: ../x, entities: [c], features: [{name: x, type: "
            "double}]}]\n",
            "feature view artifact name \"../x\""},
        BadDefinitions{"NoFeatures",
                       "entities: [{name: c, join_keys: [{name: cid, type: int64}]}]\n"
                       "feature_views: [{name: v, entities: [c], features: []}]\n",
                       "needs a feature"},
        BadDefinitions{
            "FeatureIsJoinKey",
            "entities: [{name: c, join_keys: [{name: cid, type: int64}]}]\n"
            "feature_views: [{name: v, entities: [c], features: [{name: cid, type: "
            "double}]}]\n",
            "feature 'cid' of feature view 'v' clashes"},
        BadDefinitions{"FeatureIsReserved",
                       "entities: [{name: c, join_keys: [{name: cid, type: int64}]}]\n"
                       "feature_views: [{name: v, entities: [c], features: [{name: "
                       "event_timestamp, type: timestamp}]}]\n",
                       "clashes with a join key, a reserved column"},
        BadDefinitions{
            "DuplicateFeature",
            "entities: [{name: c, join_keys: [{name: cid, type: int64}]}]\n"
            "feature_views: [{name: v, entities: [c], features: [{name: x, type: "
            "double}, {name: x, type: int64}]}]\n",
            "feature 'x' of feature view 'v' clashes"},
        BadDefinitions{
            "SharedJoinKey",
            "entities: [{name: a, join_keys: [{name: id, type: int64}]},"
            " {name: b, join_keys: [{name: id, type: int64}]}]\n"
            "feature_views: [{name: v, entities: [a, b], features: [{name: x, type: "
            "double}]}]\n",
            "join key 'id' of entity 'b' is already a column"},
        BadDefinitions{
            "FeatureTypeList",
            "entities: [{name: c, join_keys: [{name: cid, type: int64}]}]\n"
            "feature_views: [{name: v, entities: [c], features: [{name: x, type: "
            "[double]}]}]\n",
            "'type' of a feature must be a single value"},
        BadDefinitions{
            "DuplicateView",
            "entities: [{name: c, join_keys: [{name: cid, type: int64}]}]\n"
            "feature_views: [{name: v, entities: [c], features: [{name: x, type: "
            "double}]}, {name: v, entities: [c], features: [{name: x, type: "
            "double}]}]\n",
            "feature view 'v' is defined twice"},
        // Push sources and feature services.
        BadDefinitions{"PushSourceNoName", "push_sources: [{description: x}]\n",
                       "defs.yaml:1:16: a push source has no 'name'"},
        BadDefinitions{"PushSourceTwice", "push_sources: [{name: p}, {name: p}]\n",
                       "defs.yaml:1:27: push source 'p' is defined twice"},
        BadDefinitions{"PushSourceUnknownKey", "push_sources: [{name: p, batch: x}]\n",
                       "unknown key \"batch\" in a push source"},
        BadDefinitions{
            "UndefinedPushSource",
            "entities: [{name: c, join_keys: [{name: cid, type: int64}]}]\n"
            "feature_views: [{name: v, entities: [c], source: p, features: [{name: x, "
            "type: double}]}]\n",
            "defs.yaml:2:50: feature view 'v' names push source \"p\", which this file "
            "does not define"},
        BadDefinitions{
            "ViewNamedLikeAPushSource",
            "push_sources: [{name: v}]\n"
            "entities: [{name: c, join_keys: [{name: cid, type: int64}]}]\n"
            "feature_views: [{name: v, entities: [c], features: [{name: x, type: "
            "double}]}]\n",
            "defs.yaml:3:24: feature view 'v' has the name of a push source"},
        BadDefinitions{"ServiceNoFeatures", "feature_services: [{name: s}]\n",
                       "feature service 's' has no 'features'"},
        BadDefinitions{"ServiceEmpty", "feature_services: [{name: s, features: []}]\n",
                       "defs.yaml:1:40: feature service 's' needs a feature"},
        BadDefinitions{"ServiceBadEntry",
                       "feature_services: [{name: s, features: [\"Bad View:x\"]}]\n",
                       "defs.yaml:1:41: feature service 's': \"Bad View:x\" is not "
                       "VIEW:FEATURE or VIEW"},
        BadDefinitions{"ServiceEntryTwice",
                       "feature_services: [{name: s, features: [v:x, v:x]}]\n",
                       "defs.yaml:1:46: feature service 's' lists \"v:x\" twice"},
        BadDefinitions{
            "ServiceUnknownFeatureOfAViewOfTheFile",
            "entities: [{name: c, join_keys: [{name: cid, type: int64}]}]\n"
            "feature_views: [{name: v, entities: [c], features: [{name: x, type: "
            "double}]}]\n"
            "feature_services:\n  - name: s\n    features: [v:x, v:y]\n",
            "defs.yaml:5:21: feature service 's': feature view 'v' has no feature \"y\""},
        BadDefinitions{"ServiceTwice",
                       "feature_services: [{name: s, features: [v]}, {name: s, "
                       "features: [v]}]\n",
                       "feature service 's' is defined twice"},
        BadDefinitions{"ServiceBadName",
                       "feature_services: [{name: S, features: [v]}]\n",
                       "feature service artifact name \"S\""}),
    [](const ::testing::TestParamInfo<BadDefinitions>& info) { return info.param.name; });

TEST(DefinitionsTest, PushSourcesAndFeatureServices) {
  auto defs = ParseDefinitions(R"(
push_sources:
  - {name: clicks_push, description: the click stream}
entities:
  - name: c
    join_keys: [{name: cid, type: int64}]
feature_views:
  - name: clicks
    entities: [c]
    source: clicks_push
    features: [{name: n, type: int64}, {name: rate, type: double}]
feature_services:
  - name: ranker
    description: what the ranker reads
    owner: search
    tags: {tier: gold}
    features: [clicks:rate, other_view, other_view:f]
)",
                               "defs.yaml");
  ASSERT_TRUE(defs.ok()) << defs.status();
  ASSERT_EQ(defs->push_sources_size(), 1);
  EXPECT_EQ(defs->push_sources(0).name(), "clicks_push");
  EXPECT_EQ(defs->feature_views(0).push_source(), "clicks_push");
  ASSERT_EQ(defs->feature_services_size(), 1);
  const FeatureService& s = defs->feature_services(0);
  EXPECT_EQ(s.name(), "ranker");
  EXPECT_EQ(s.owner(), "search");
  EXPECT_EQ(s.tags().at("tier"), "gold");
  // Entries as written (views of other files are checked when applied), with places.
  EXPECT_EQ(std::vector<std::string>(s.features().begin(), s.features().end()),
            (std::vector<std::string>{"clicks:rate", "other_view", "other_view:f"}));
  EXPECT_EQ(std::vector<std::string>(s.feature_places().begin(), s.feature_places().end()),
            (std::vector<std::string>{"defs.yaml:17:16", "defs.yaml:17:29",
                                      "defs.yaml:17:41"}));
}

// Hostile and careless files: each refused with its place and what is wrong.
struct HostileCase {
  const char* name;
  std::string text;
  std::string message;  // the whole message, place included
};

std::string Nested(int depth, const char* open, const char* close) {
  std::string text = "entities: ";
  for (int i = 0; i < depth; ++i) text += open;
  for (int i = 0; i < depth; ++i) text += close;
  return text + "\n";
}

TEST(DefinitionsTest, RefusesDuplicateKeysNulsAndDeepNesting) {
  const std::string view =
      "entities: [{name: c, join_keys: [{name: cid, type: int64}]}]\n"
      "feature_views:\n"
      "  - name: v\n"
      "    entities: [c]\n"
      "    ttl: 7d\n"
      "    ttl: 1d\n"
      "    features: [{name: x, type: double}]\n";
  std::string billion = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'i'; ++c) {
    billion += absl::StrCat(std::string(1, c), ": &", std::string(1, c), " [");
    for (int i = 0; i < 10; ++i)
      absl::StrAppend(&billion, i ? ", " : "", "*", std::string(1, c - 1));
    billion += "]\n";
  }
  std::string deep_block;
  for (int i = 0; i < 100000; ++i) deep_block += "- ";
  deep_block += "x\n";
  const std::vector<HostileCase> cases = {
      {"YamlDuplicateKey", view,
       "defs.yaml:6:5: key \"ttl\" appears twice in this "
       "mapping (first at line 5)"},
      {"JsonDuplicateKey",
       "{\"entities\": [{\"name\": \"c\", \"name\": \"d\", \"join_keys\": "
       "[{\"name\": \"cid\", \"type\": \"int64\"}]}]}",
       "defs.yaml:1:29: key \"name\" appears twice in this mapping (first at line 1)"},
      {"TopDuplicate", std::string(kEntity) + kEntity,
       "defs.yaml:2:1: key \"entities\" appears twice"},
      {"NonScalarKey", "{[a]: 1}\n", "defs.yaml:1:2: a key must be a single value"},
      {"Nul", std::string("entities:\n  - name: c\0d\n", 24),
       "defs.yaml:2:12: a NUL byte (YAML and JSON text cannot hold one)"},
      {"Deep65", Nested(65, "[", "]"), "nested deeper than 64 levels"},
      {"DeepFlow", Nested(100000, "[", "]"), "nested deeper than 64 levels"},
      {"DeepMaps", Nested(100000, "{a: ", "}"), "nested deeper than 64 levels"},
      {"DeepBlock", "entities:\n" + deep_block, "nested deeper than 64 levels"},
      {"BillionLaughs", billion, "more than 1000000 values"},
  };
  for (const HostileCase& c : cases) {
    auto defs = ParseDefinitions(c.text, "defs.yaml");
    ASSERT_FALSE(defs.ok()) << c.name;
    EXPECT_EQ(defs.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_NE(defs.status().message().find(c.message), std::string::npos)
        << c.name << ": " << defs.status().message();
    EXPECT_EQ(defs.status().message().rfind("defs.yaml:", 0), 0u)
        << c.name << ": " << defs.status().message();
    EXPECT_LT(defs.status().message().size(), 300u) << c.name;
  }
  // 64 levels are fine as far as nesting goes (the schema refuses them after).
  auto ok_depth = ParseDefinitions(Nested(63, "[", "]"), "defs.yaml");
  EXPECT_EQ(ok_depth.status().message().find("deeper"), std::string::npos)
      << ok_depth.status();
}

TEST(DefinitionsTest, ErrorsCutLongText) {
  const std::string huge(1 << 20, 'k');
  for (const std::string& text :
       {"entities: [{name: c, join_keys: [{name: cid, type: int64}]}]\n" + huge + ": 1\n",
        "entities: [{name: " + huge + ", join_keys: []}]\n",
        "entities: [{name: c, join_keys: [{name: k, type: " + huge + "}]}]\n",
        std::string(kEntity) + "feature_views: [{name: v, entities: [c], ttl: " + huge +
            ", features: [{name: x, type: double}]}]\n",
        std::string(kEntity) + "feature_views: [{name: v, entities: [" + huge +
            "], features: [{name: x, type: double}]}]\n",
        std::string(kEntity) + "feature_views: [{name: " + huge +
            ", entities: [c], features: [{name: x, type: double}]}]\n"}) {
    auto defs = ParseDefinitions(text, "defs.yaml");
    ASSERT_FALSE(defs.ok());
    EXPECT_LT(defs.status().message().size(), 400u) << defs.status().message();
  }
}

TEST(DefinitionsTest, TimestampUnitIncludesNanoseconds) {
  auto defs = ParseDefinitions(
      std::string(kEntity) +
          "feature_views: [{name: v, entities: [c], timestamp_unit: ns, features: "
          "[{name: x, type: double}]}]\n",
      "defs.yaml");
  ASSERT_TRUE(defs.ok()) << defs.status();
  EXPECT_EQ(defs->feature_views(0).timestamp_unit(), "ns");
  auto bad = ParseDefinitions(
      std::string(kEntity) +
          "feature_views: [{name: v, entities: [c], timestamp_unit: min, features: "
          "[{name: x, type: double}]}]\n",
      "defs.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("defs.yaml:2:58: timestamp unit \"min\" is not "
                                        "s, ms, us or ns"),
            std::string::npos)
      << bad.status();
}

// drift: a view's thresholds, each optional, numbers >= 0 (a p-value at most 1).
TEST(DefinitionsTest, DriftThresholdsAreReadAndChecked) {
  const auto view = [](absl::string_view drift) {
    return ParseDefinitions(
        absl::StrCat(kEntity, "feature_views: [{name: v, entities: [c], ", drift,
                     "features: [{name: x, type: double}]}]\n"),
        "defs.yaml");
  };
  auto none = view("");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->feature_views(0).has_drift());
  auto some = view("drift: {psi: 0.3, ks_p_value: 0.01}, ");
  ASSERT_TRUE(some.ok()) << some.status();
  EXPECT_EQ(some->feature_views(0).drift().psi(), 0.3);
  EXPECT_EQ(some->feature_views(0).drift().ks_p_value(), 0.01);
  EXPECT_FALSE(some->feature_views(0).drift().has_ks_statistic());
  const std::pair<std::string, std::string> bad[] = {
      {"drift: {psi: -1}, ", "drift psi: \"-1\" is not a number >= 0"},
      {"drift: {ks_p_value: 1.5}, ", "drift ks_p_value: \"1.5\" is not a number in [0, 1]"},
      {"drift: {ks_statistic: high}, ", "drift ks_statistic: \"high\" is not a number"},
      {"drift: {js: 0.1}, ", "unknown key \"js\" in drift"},
      {"drift: 0.2, ", "drift must be a mapping"},
  };
  for (const auto& [drift, error] : bad) {
    auto defs = view(drift);
    ASSERT_FALSE(defs.ok()) << drift;
    EXPECT_TRUE(absl::IsInvalidArgument(defs.status()));
    EXPECT_NE(defs.status().message().find(error), std::string::npos) << defs.status();
  }
}

// plausible_time bounds a view's event and created times; the default is 1970 to
// 2200, and no bound reaches past 9999.
TEST(DefinitionsTest, PlausibleTimeIsReadAndChecked) {
  const auto view = [](absl::string_view window) {
    return ParseDefinitions(
        absl::StrCat(kEntity, "feature_views: [{name: v, entities: [c], ", window,
                     "features: [{name: x, type: double}]}]\n"),
        "defs.yaml");
  };
  auto defaults = view("");
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_FALSE(defaults->feature_views(0).has_plausible_from_us());
  const PlausibleTime d = PlausibleTimeOf(defaults->feature_views(0));
  EXPECT_EQ(FormatTimestamp(d.from), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatTimestamp(d.until), "2200-01-01T00:00:00Z");
  EXPECT_TRUE(d.Contains(d.from));
  EXPECT_FALSE(d.Contains(d.until));
  EXPECT_FALSE(d.Contains(d.from - 1));

  auto both = view("plausible_time: {from: 2000-01-01, until: '2100-01-01T00:00:00Z'}, ");
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(PlausibleTimeOf(both->feature_views(0)).Text(),
            "2000-01-01T00:00:00Z .. 2100-01-01T00:00:00Z");
  auto until_only = view("plausible_time: {until: 9999-12-31T23:59:59.999999Z}, ");
  ASSERT_TRUE(until_only.ok()) << until_only.status();
  EXPECT_EQ(PlausibleTimeOf(until_only->feature_views(0)).from, 0);
  EXPECT_FALSE(until_only->feature_views(0).has_plausible_from_us());

  const std::pair<std::string, std::string> bad[] = {
      {"plausible_time: {from: 2100-01-01, until: 2000-01-01}, ",
       "plausible_time: from 2100-01-01T00:00:00Z is not before until "
       "2000-01-01T00:00:00Z"},
      {"plausible_time: {until: 10000-01-01}, ", "plausible_time until: "},
      {"plausible_time: {until: 253402300800}, ", "is out of range (years 0001 to 9999"},
      {"plausible_time: {to: 2000-01-01}, ", "unknown key \"to\" in plausible_time"},
      {"plausible_time: 2000-01-01, ", "plausible_time must be a mapping"},
      {"plausible_time: {from: soon}, ", "plausible_time from: \"soon\" is not a timestamp"},
  };
  for (const auto& [window, error] : bad) {
    auto defs = view(window);
    ASSERT_FALSE(defs.ok()) << window;
    EXPECT_TRUE(absl::IsInvalidArgument(defs.status()));
    EXPECT_NE(defs.status().message().find(error), std::string::npos) << defs.status();
    EXPECT_NE(defs.status().message().find("defs.yaml:2:"), std::string::npos)
        << defs.status();
  }
}

// A row's time outside the window is refused; an integer that would be plausible in
// another unit says which.
TEST(DefinitionsTest, RowTimesOutsideTheWindowSuggestTheUnit) {
  const PlausibleTime window;
  EXPECT_EQ(*ParseRowTime("1701388800", TimeUnit::kSeconds, window), 1701388800000000);
  EXPECT_EQ(*ParseRowTime("2023-12-01", TimeUnit::kMillis, window), 1701388800000000);
  struct Case {
    std::string text;
    TimeUnit unit;
    std::string error;
  };
  const Case cases[] = {
      {"1701388800000", TimeUnit::kSeconds,
       "1701388800000 looks like milliseconds; this view reads seconds"},
      {"1701388800000000", TimeUnit::kSeconds,
       "1701388800000000 looks like microseconds; this view reads seconds"},
      {"1701388800000000000", TimeUnit::kSeconds,
       "1701388800000000000 looks like nanoseconds; this view reads seconds"},
      {"1701388800000000000", TimeUnit::kMillis,
       "1701388800000000000 looks like nanoseconds; this view reads milliseconds"},
      {"1701388800000000", TimeUnit::kMillis,
       "1701388800000000 looks like microseconds; this view reads milliseconds"},
      {"+1701388800000", TimeUnit::kSeconds,
       "+1701388800000 looks like milliseconds; this view reads seconds"},
      {"-1", TimeUnit::kSeconds,
       "timestamp -1 (1969-12-31T23:59:59Z) is outside the plausible time "
       "1970-01-01T00:00:00Z .. 2200-01-01T00:00:00Z"},
      {"2500-01-01", TimeUnit::kSeconds,
       "timestamp \"2500-01-01\" is outside the plausible time 1970-01-01T00:00:00Z .. "
       "2200-01-01T00:00:00Z"},
      {"99999999999999999999", TimeUnit::kSeconds, "is out of range"},
      {"soon", TimeUnit::kSeconds, "is not a timestamp"},
  };
  for (const Case& c : cases) {
    auto t = ParseRowTime(c.text, c.unit, window);
    ASSERT_FALSE(t.ok()) << c.text;
    EXPECT_TRUE(absl::IsInvalidArgument(t.status()));
    EXPECT_NE(t.status().message().find(c.error), std::string::npos) << t.status();
  }
  // A narrower window catches seconds read as milliseconds, which the default
  // cannot (1701388800 ms is in January 1970).
  const PlausibleTime recent{.from = 946684800LL * 1000000};  // 2000-01-01
  auto t = ParseRowTime("1701388800", TimeUnit::kMillis, recent, "this ingest");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find(
                "1701388800 looks like seconds; this ingest reads milliseconds"),
            std::string::npos)
      << t.status();
  EXPECT_TRUE(CheckRowTime(recent.from, recent).ok());
  EXPECT_NE(CheckRowTime(recent.from - 1, recent).message().find(
                "1999-12-31T23:59:59.999999Z is outside the plausible time"),
            std::string::npos);
  EXPECT_FALSE(CheckRowTime(kMaxTimestamp + 1, {.until = kMaxTimestamp}).ok());
}

TEST(DefinitionsTest, Durations) {
  EXPECT_EQ(*ParseDuration("0"), 0);
  EXPECT_EQ(*ParseDuration("45s"), 45);
  EXPECT_EQ(*ParseDuration("30m"), 1800);
  EXPECT_EQ(*ParseDuration("12h"), 43200);
  EXPECT_EQ(*ParseDuration("30d"), 2592000);
  EXPECT_FALSE(ParseDuration("d").ok());
  EXPECT_FALSE(ParseDuration("1.5h").ok());
  EXPECT_FALSE(ParseDuration("99999999999999999999d").ok());
}

TEST(DefinitionsTest, CompatibleChangesAndRefusedOnes) {
  auto defs = ParseDefinitions(kIssueExample, "defs.yaml");
  ASSERT_TRUE(defs.ok());
  const FeatureView before = defs->feature_views(0);

  FeatureView added = before;
  added.set_ttl_seconds(86400);
  added.set_description("now with a description");
  auto* f = added.add_features();
  f->set_name("orders_30d");
  f->set_type(VALUE_TYPE_INT64);
  EXPECT_TRUE(CheckCompatible(before, added).ok());

  FeatureView removed = before;
  removed.mutable_features()->RemoveLast();
  EXPECT_TRUE(CheckCompatible(before, removed).ok());

  FeatureView retyped = before;
  retyped.mutable_features(0)->set_type(VALUE_TYPE_STRING);
  absl::Status s = CheckCompatible(before, retyped);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(
      s.message().find("feature 'spend_7d' of feature view 'customer_stats' is double; "
                       "changing it to string is refused"),
      absl::string_view::npos)
      << s.message();

  FeatureView rekeyed = before;
  rekeyed.mutable_entities(0)->mutable_join_keys(0)->set_type(VALUE_TYPE_STRING);
  EXPECT_EQ(CheckCompatible(before, rekeyed).code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace strata::features

namespace strata::features {
namespace {

constexpr char kRulesView[] =
    "entities: [{name: c, join_keys: [{name: cid, type: int64}]}]\n"
    "feature_views:\n"
    "  - name: v\n"
    "    entities: [c]\n"
    "    on_invalid: drop\n"
    "    features:\n"
    "      - {name: n, type: int64, min: -1, max: +10, allowed: [1, 02, 3]}\n"
    "      - {name: x, type: double, min: 0.5, not_null: true}\n"
    "      - {name: s, type: string, allowed: [a, b], pattern: '[a-z]+', "
    "max_null_fraction: 0.25}\n"
    "      - {name: t, type: timestamp, min: 2020-01-01, max: '2030-01-01T00:00:00Z'}\n";

TEST(DefinitionsRulesTest, EachRuleIsParsedCanonical) {
  auto defs = ParseDefinitions(kRulesView, "defs.yaml");
  ASSERT_TRUE(defs.ok()) << defs.status();
  const FeatureView& view = defs->feature_views(0);
  EXPECT_EQ(view.on_invalid(), "drop");
  const FeatureRule& n = view.features(0).rules();
  EXPECT_EQ(n.min(), "-1");
  EXPECT_EQ(n.max(), "10");
  ASSERT_EQ(n.allowed_size(), 3);
  EXPECT_EQ(n.allowed(1), "2");
  EXPECT_FALSE(n.not_null());
  EXPECT_TRUE(view.features(1).rules().not_null());
  EXPECT_EQ(view.features(1).rules().min(), "0.5");
  EXPECT_FALSE(view.features(1).rules().has_max());
  EXPECT_EQ(view.features(2).rules().pattern(), "[a-z]+");
  EXPECT_EQ(view.features(2).rules().max_null_fraction(), 0.25);
  EXPECT_EQ(view.features(3).rules().min(), "2020-01-01T00:00:00Z");
  EXPECT_EQ(view.features(3).rules().max(), "2030-01-01T00:00:00Z");
}

TEST(DefinitionsRulesTest, AFeatureWithoutRulesHasNone) {
  auto defs = ParseDefinitions(testing::kExampleDefinitions, "defs.yaml");
  ASSERT_TRUE(defs.ok());
  EXPECT_FALSE(defs->feature_views(0).features(0).has_rules());
  EXPECT_EQ(defs->feature_views(0).on_invalid(), "");
}

// A view of one feature `feature` (a flow mapping) on line 2.
std::string RuleCase(absl::string_view feature, absl::string_view view_extra = "") {
  return absl::StrCat("entities: [{name: c, join_keys: [{name: cid, type: int64}]}]\n",
                      "feature_views: [{name: v, entities: [c], ", view_extra,
                      "features: [", feature, "]}]\n");
}

class BadRulesTest : public ::testing::TestWithParam<BadDefinitions> {};

TEST_P(BadRulesTest, IsRefusedAtItsPlace) {
  auto defs = ParseDefinitions(GetParam().text, "defs.yaml");
  ASSERT_TRUE(absl::IsInvalidArgument(defs.status())) << defs.status();
  EXPECT_NE(defs.status().message().find(GetParam().message_part),
            absl::string_view::npos)
      << defs.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadRulesTest,
    ::testing::Values(
        BadDefinitions{"MinAboveMax",
                       strdup(RuleCase("{name: n, type: int64, min: 5, max: 4}").c_str()),
                       "defs.yaml:2:81: feature 'n': min 5 is greater than max 4"},
        BadDefinitions{"MinNotANumber",
                       strdup(RuleCase("{name: n, type: double, min: low}").c_str()),
                       "defs.yaml:2:82: 'min' of feature 'n': \"low\" is not a double"},
        BadDefinitions{"MinOnAString",
                       strdup(RuleCase("{name: s, type: string, min: 1}").c_str()),
                       "defs.yaml:2:82: rule 'min' does not apply to feature 's' of "
                       "type string"},
        BadDefinitions{"AllowedWrongType",
                       strdup(RuleCase("{name: n, type: int64, allowed: [1, x]}").c_str()),
                       "defs.yaml:2:89: 'allowed' of feature 'n': \"x\" is not an int64"},
        BadDefinitions{"AllowedOnABool",
                       strdup(RuleCase("{name: b, type: bool, allowed: [true]}").c_str()),
                       "rule 'allowed' does not apply to feature 'b' of type bool"},
        BadDefinitions{"AllowedEmpty",
                       strdup(RuleCase("{name: n, type: int64, allowed: []}").c_str()),
                       "must be a non-empty list"},
        BadDefinitions{"PatternDoesNotCompile",
                       strdup(RuleCase("{name: s, type: string, pattern: '(a'}").c_str()),
                       "defs.yaml:2:86: pattern \"(a\" of feature 's' does not compile: "
                       "missing )"},
        BadDefinitions{"PatternOnAnInt",
                       strdup(RuleCase("{name: n, type: int64, pattern: a}").c_str()),
                       "rule 'pattern' does not apply to feature 'n' of type int64"},
        BadDefinitions{"FractionAboveOne",
                       strdup(RuleCase("{name: n, type: int64, max_null_fraction: 1.5}")
                                  .c_str()),
                       "defs.yaml:2:95: 'max_null_fraction' of feature 'n' must be a "
                       "number from 0 to 1"},
        BadDefinitions{"NotNullAndFraction",
                       strdup(RuleCase("{name: n, type: int64, not_null: true, "
                                       "max_null_fraction: 0.1}")
                                  .c_str()),
                       "has both not_null and max_null_fraction"},
        BadDefinitions{"NotNullNotABool",
                       strdup(RuleCase("{name: n, type: int64, not_null: maybe}").c_str()),
                       "defs.yaml:2:86: 'not_null' must be true or false"},
        BadDefinitions{"UnknownRule",
                       strdup(RuleCase("{name: n, type: int64, minimum: 1}").c_str()),
                       "defs.yaml:2:76: unknown key \"minimum\" in a feature"},
        BadDefinitions{"BadMode",
                       strdup(RuleCase("{name: n, type: int64}", "on_invalid: skip, ")
                                  .c_str()),
                       "defs.yaml:2:54: on_invalid \"skip\" must be reject, drop or warn"}),
    [](const ::testing::TestParamInfo<BadDefinitions>& info) { return info.param.name; });

}  // namespace
}  // namespace strata::features
