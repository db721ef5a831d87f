#include "features/rules.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "features/definitions.h"
#include "features/feature_store.h"
#include "features/feature_store_testing.h"
#include "gtest/gtest.h"

namespace strata::features {
namespace {

constexpr char kHeader[] = R"(
entities: [{name: customer, join_keys: [{name: customer_id, type: int64}]}]
feature_views:
  - name: stats
    entities: [customer]
)";
constexpr char kFeatures[] = R"(
    features:
      - {name: spend, type: double, min: 0, max: 1000}
      - {name: segment, type: string, allowed: [gold, silver], not_null: true}
      - {name: code, type: string, pattern: "[A-Z]{2}[0-9]+"}
      - {name: visits, type: int64, max_null_fraction: 0.5}
)";

std::string Definitions(absl::string_view mode) {
  return absl::StrCat(kHeader, mode.empty() ? "" : absl::StrCat("    on_invalid: ", mode, "\n"),
                      kFeatures);
}

FeatureView ViewOf(absl::string_view mode) {
  auto defs = ParseDefinitions(Definitions(mode), "defs.yaml");
  EXPECT_TRUE(defs.ok()) << defs.status();
  return defs->feature_views(0);
}

TEST(ViewRulesTest, ChecksEachRowRule) {
  auto rules = ViewRules::Compile(ViewOf(""));
  ASSERT_TRUE(rules.ok()) << rules.status();
  EXPECT_FALSE(rules->empty());
  EXPECT_EQ(rules->on_invalid(), OnInvalid::kReject);
  std::string broken;
  EXPECT_TRUE(rules->CheckValue(0, Value(0.0), &broken));
  EXPECT_TRUE(rules->CheckValue(0, Value(1000.0), &broken));
  EXPECT_TRUE(rules->CheckValue(0, Value(), &broken));  // null: no not_null
  EXPECT_FALSE(rules->CheckValue(0, Value(-0.5), &broken));
  EXPECT_EQ(broken, "min 0");
  EXPECT_FALSE(rules->CheckValue(0, Value(1000.5), &broken));
  EXPECT_EQ(broken, "max 1000");
  EXPECT_TRUE(rules->CheckValue(1, Value(std::string("gold")), &broken));
  EXPECT_FALSE(rules->CheckValue(1, Value(std::string("bronze")), &broken));
  EXPECT_EQ(broken, "allowed");
  EXPECT_FALSE(rules->CheckValue(1, Value(), &broken));
  EXPECT_EQ(broken, "not_null");
  EXPECT_TRUE(rules->CheckValue(2, Value(std::string("AB12")), &broken));
  EXPECT_FALSE(rules->CheckValue(2, Value(std::string("AB12x")), &broken));  // full match
  EXPECT_EQ(broken, "pattern [A-Z]{2}[0-9]+");
  EXPECT_TRUE(rules->CheckValue(3, Value(), &broken));
  EXPECT_EQ(rules->CheckNulls({0, 0, 0, 2}, 4).size(), 0u);  // 0.5 is allowed
  const auto batch = rules->CheckNulls({0, 0, 0, 3}, 4);
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0],
            "column visits: 3 of 4 values are null (0.75), more than max_null_fraction 0.5");
}

// The column loop (MarkBroken, what ingests run) marks exactly the rows CheckValue
// refuses, for every type and rule, nulls and bounds' edges included.
TEST(ViewRulesTest, ColumnsAreMarkedAsEachValueIsChecked) {
  auto defs = ParseDefinitions(absl::StrCat(kHeader, R"(
    features:
      - {name: d, type: double, min: -1.5, max: 2.5, not_null: true}
      - {name: i, type: int64, min: -3}
      - {name: t, type: timestamp, max: 1700000000}
      - {name: s, type: string, allowed: [a, b, AB1], pattern: "[A-Za-z]+[0-9]*"}
      - {name: p, type: string, pattern: "[A-Z]{2}[0-9]+"}
      - {name: b, type: bool, not_null: true}
      - {name: n, type: int64, allowed: [1, 2, 3]}
      - {name: free, type: double}
)"), "defs.yaml");
  ASSERT_TRUE(defs.ok()) << defs.status();
  auto rules = ViewRules::Compile(defs->feature_views(0));
  ASSERT_TRUE(rules.ok()) << rules.status();
  const std::vector<ValueType> types = {VALUE_TYPE_DOUBLE, VALUE_TYPE_INT64,
                                        VALUE_TYPE_TIMESTAMP, VALUE_TYPE_STRING,
                                        VALUE_TYPE_STRING, VALUE_TYPE_BOOL,
                                        VALUE_TYPE_INT64, VALUE_TYPE_DOUBLE};
  const std::vector<std::vector<Value>> samples = {
      {Value(-1.5), Value(-1.5000001), Value(2.5), Value(2.6), Value(0.0), Value()},
      {Value(int64_t{-3}), Value(int64_t{-4}), Value(int64_t{99}), Value()},
      {Value(int64_t{1700000000000000}), Value(int64_t{1700000000000001}), Value()},
      {Value(std::string("a")), Value(std::string("c")), Value(std::string("AB1")),
       Value(std::string("")), Value()},
      {Value(std::string("AB12")), Value(std::string("AB12x")), Value(std::string("")),
       Value()},
      {Value(true), Value(false), Value()},
      {Value(int64_t{1}), Value(int64_t{4}), Value()},
      {Value(-1e300), Value()},
  };
  std::mt19937_64 rng(7);
  for (size_t f = 0; f < types.size(); ++f) {
    IngestColumnValues column;
    column.Clear(types[f], 64);
    std::vector<uint8_t> expected;
    std::string broken;
    for (int r = 0; r < 64; ++r) {
      const Value& v = samples[f][rng() % samples[f].size()];
      column.Append(v);
      expected.push_back(rules->CheckValue(f, v, &broken) ? 0 : 1);
    }
    std::vector<uint8_t> bad(64, 0);
    rules->MarkBroken(f, column, bad.data());
    EXPECT_EQ(bad, expected) << "feature " << f;
    EXPECT_EQ(std::count(expected.begin(), expected.end(), 1) > 0, f != 7) << "feature " << f;
  }
}

// A pattern is checked over many values at once, joined by line ends, where it
// cannot match across one; elsewhere value by value. Either way exactly the rows
// CheckValue refuses are marked: values that break it at the start, middle and end
// of long columns (runs of 64 KiB), a value holding a line end, nulls, empty values,
// anchors, and patterns that a joined check would let through ("b" and "c" joined
// match `b\nc`; "a" joined to "b,c" matches `[^,]+,[^,]+`).
TEST(ViewRulesTest, PatternsOverManyValuesMarkWhatEachValueBreaks) {
  auto defs = ParseDefinitions(absl::StrCat(kHeader, R"(
    features:
      - {name: code, type: string, pattern: '[A-Z]{2}[0-9]+'}
      - {name: newline, type: string, pattern: 'b\nc|x'}
      - {name: negated, type: string, pattern: '[^,]+,[^,]+'}
      - {name: dotall, type: string, pattern: '(?s:.+,.+)'}
      - {name: word, type: string, pattern: '\w+\b'}
      - {name: anchored, type: string, pattern: '^[a-z]+$'}
      - {name: empty, type: string, pattern: 'x*'}
)"), "defs.yaml");
  ASSERT_TRUE(defs.ok()) << defs.status();
  auto rules = ViewRules::Compile(defs->feature_views(0));
  ASSERT_TRUE(rules.ok()) << rules.status();
  const std::vector<std::vector<std::string>> samples = {
      {"AB1", "ZZ9876543210", "ab1", "AB", "AB1\nCD2", "", "A\xC3\x89" "1"},
      {"b", "c", "x", "b\nc"},
      {"a", "b,c", "d,e", ","},
      {"a", "b,c"},
      {"ab", "ab ", "_9", ""},
      {"abc", "ABC", ""},
      {"", "x", "xx", "y"},
  };
  std::mt19937_64 rng(11);
  for (size_t f = 0; f < samples.size(); ++f) {
    for (size_t rows : {size_t{1}, size_t{7}, size_t{30000}}) {
      IngestColumnValues column;
      column.Clear(VALUE_TYPE_STRING, rows);
      std::vector<uint8_t> expected;
      std::string broken;
      for (size_t r = 0; r < rows; ++r) {
        // Mostly the first sample (which keeps a matching pattern), some nulls.
        Value v;
        const uint64_t draw = rng() % 100;
        if (draw >= 3) {
          v = samples[f][draw < 90 ? 0 : rng() % samples[f].size()];
        }
        if (rows > 2 && (r == 0 || r == rows - 1)) v = samples[f].back();
        column.Append(v);
        expected.push_back(rules->CheckValue(f, v, &broken) ? 0 : 1);
      }
      std::vector<uint8_t> bad(rows, 0);
      rules->MarkBroken(f, column, bad.data());
      EXPECT_EQ(bad, expected) << "feature " << f << ", " << rows << " rows";
    }
  }
  // Columns whose values, joined by line ends, match the pattern as a whole though
  // some break it alone.
  const std::vector<std::pair<size_t, std::vector<std::string>>> joined = {
      {1, {"b", "c"}}, {2, {"a", "b,c"}}, {3, {"a", "b,c"}}};
  for (const auto& [f, values] : joined) {
    IngestColumnValues column;
    column.Clear(VALUE_TYPE_STRING, values.size());
    for (const std::string& v : values) column.Append(Value(v));
    std::vector<uint8_t> bad(values.size(), 0);
    rules->MarkBroken(f, column, bad.data());
    EXPECT_EQ(bad[0], 1) << "feature " << f;
  }
}

TEST(ViewRulesTest, AViewWithoutRulesHasNone) {
  auto defs = ParseDefinitions(testing::kExampleDefinitions, "d.yaml");
  ASSERT_TRUE(defs.ok());
  auto rules = ViewRules::Compile(defs->feature_views(0));
  ASSERT_TRUE(rules.ok());
  EXPECT_TRUE(rules->empty());
}

// Rows 2..7 of the file (line 1 is the header): 3 break a rule. A Windows export:
// BOM, CRLF, quoted fields.
constexpr char kRows[] =
    "\xEF\xBB\xBF" "customer_id,event_timestamp,spend,segment,code,visits\r\n"
    "1,1000,10,gold,AB1,1\r\n"
    "2,1000,-5,gold,AB2,2\r\n"          // min
    "3,1000,20,\"silver\",AB3,\r\n"
    "4,1000,30,bronze,\"ab,4\",4\r\n"   // allowed and pattern
    "5,1000,40,silver,CD5,\r\n"
    "6,1000,50,,CD6,6\r\n";             // not_null

class RulesIngestTest : public FeatureStoreFixture {
 protected:
  absl::StatusOr<IngestResult> Ingest(absl::string_view mode) {
    ApplyDefinitions(Definitions(mode));
    IngestOptions options;
    options.creator = "ana";
    return fs_->Ingest("stats", WriteFile("rows.csv", kRows), options);
  }
};

TEST_F(RulesIngestTest, RejectWritesNothingAndListsTheViolations) {
  auto result = Ingest("");
  ASSERT_TRUE(absl::IsInvalidArgument(result.status())) << result.status();
  const std::string message(result.status().message());
  EXPECT_TRUE(absl::StrContains(message, "4 value(s) in 3 of 6 row(s)")) << message;
  EXPECT_TRUE(absl::StrContains(message, "rows.csv:3: column spend: value \"-5\" breaks min 0"))
      << message;
  EXPECT_TRUE(absl::StrContains(message, "rows.csv:5: column segment: value \"bronze\" breaks allowed"))
      << message;
  EXPECT_TRUE(absl::StrContains(message, "rows.csv:5: column code: value \"ab,4\" breaks pattern"))
      << message;
  EXPECT_TRUE(absl::StrContains(message, "rows.csv:7: column segment: null value breaks not_null"))
      << message;
  EXPECT_EQ(LogRows(), 0u);
  EXPECT_TRUE(absl::IsNotFound(
      store_->artifacts().Versions({Kind::kDataset, "stats-ingest"}).status()));
}

TEST_F(RulesIngestTest, DropWritesTheValidRowsAndQuarantinesTheOthers) {
  auto result = Ingest("drop");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->rows, 3u);
  EXPECT_EQ(result->dropped, 3u);
  EXPECT_EQ(LogRows(), 3u);
  EXPECT_EQ(result->rules.on_invalid, "drop");
  EXPECT_EQ(result->rules.invalid_rows, 3u);
  EXPECT_EQ(result->rules.violations, 4u);
  EXPECT_EQ(result->rules.quarantine, "dataset/stats-quarantine@1");
  auto version = store_->artifacts().Resolve(*ParseRef("dataset/stats-quarantine@1"));
  ASSERT_TRUE(version.ok()) << version.status();
  ASSERT_EQ(version->inputs_size(), 1);
  EXPECT_EQ(version->inputs(0), result->dataset);
  std::string content;
  auto sink = StringSink(&content);
  ASSERT_TRUE(store_->content().Get(*Digest::FromRaw(version->content_id()), *sink).ok());
  EXPECT_EQ(content,
            "customer_id,event_timestamp,created_timestamp,spend,segment,code,visits,"
            "line,rule\n"
            "2,1970-01-01T00:16:40Z,,-5,gold,AB2,2,3,spend min 0\n"
            "4,1970-01-01T00:16:40Z,,30,bronze,\"ab,4\",4,5,"
            "segment allowed; code pattern [A-Z]{2}[0-9]+\n"
            "6,1970-01-01T00:16:40Z,,50,,CD6,6,7,segment not_null\n");
}

TEST_F(RulesIngestTest, WarnWritesEverythingAndReportsTheViolations) {
  auto result = Ingest("warn");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->rows, 6u);
  EXPECT_EQ(result->dropped, 0u);
  EXPECT_EQ(LogRows(), 6u);
  EXPECT_EQ(result->rules.invalid_rows, 3u);
  EXPECT_EQ(result->rules.violations, 4u);
  ASSERT_EQ(result->rules.examples.size(), 4u);
  EXPECT_TRUE(absl::EndsWith(result->rules.examples[0].Text(),
            "/rows.csv:3: column spend: value \"-5\" breaks min 0"));
  EXPECT_TRUE(result->rules.quarantine.empty());
  EXPECT_TRUE(absl::IsNotFound(
      store_->artifacts().Versions({Kind::kDataset, "stats-quarantine"}).status()));
}

TEST_F(RulesIngestTest, ABrokenNullFractionRefusesTheBatchUnderDropAndIsReportedUnderWarn) {
  constexpr char kNulls[] =
      "customer_id,event_timestamp,spend,segment,code,visits\n"
      "1,1000,1,gold,AB1,\n2,1000,2,gold,AB2,\n3,1000,3,gold,AB3,1\n";
  ApplyDefinitions(Definitions("drop"));
  auto dropped = fs_->Ingest("stats", WriteFile("nulls.csv", kNulls), {});
  ASSERT_TRUE(absl::IsInvalidArgument(dropped.status())) << dropped.status();
  EXPECT_TRUE(absl::StrContains(dropped.status().message(),
                                "nulls.csv: column visits: 2 of 3 values are null"))
      << dropped.status();
  EXPECT_EQ(LogRows(), 0u);
  ApplyDefinitions(Definitions("warn"));
  auto warned = fs_->Ingest("stats", WriteFile("nulls.csv", kNulls), {});
  ASSERT_TRUE(warned.ok()) << warned.status();
  EXPECT_EQ(warned->rows, 3u);
  ASSERT_EQ(warned->rules.batch.size(), 1u);
  EXPECT_EQ(warned->rules.violations, 0u);
}

}  // namespace
}  // namespace strata::features
