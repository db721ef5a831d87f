// HistoricalOutput: the CSV and JSON-lines formats of a join's result, byte for byte,
// for every value type, none, and the forms of untyped spine fields.
#include "features/historical_output.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace strata::features {
namespace {

constexpr Micros kT = 1767225600LL * 1000000;  // 2026-01-01T00:00:00Z

ResultColumns Columns() {
  ResultColumns c;
  c.spine = {"id", "event_timestamp", "note", "flag", "n", "q", "code"};
  c.spine_types = {VALUE_TYPE_INT64, std::nullopt, std::nullopt, std::nullopt,
                   std::nullopt,     std::nullopt, std::nullopt};
  c.features = {"i", "d", "d3", "nan", "b", "s", "empty", "bytes", "no_bytes", "ts", "none"};
  c.feature_types = {VALUE_TYPE_INT64,  VALUE_TYPE_DOUBLE, VALUE_TYPE_DOUBLE,
                     VALUE_TYPE_DOUBLE, VALUE_TYPE_BOOL,   VALUE_TYPE_STRING,
                     VALUE_TYPE_STRING, VALUE_TYPE_BYTES,  VALUE_TYPE_BYTES,
                     VALUE_TYPE_TIMESTAMP, VALUE_TYPE_INT64};
  return c;
}

const std::vector<Value>& Values() {
  static const std::vector<Value> values = {
      Value(int64_t{-5}),
      Value(12.5),
      Value(3.0),
      Value(std::numeric_limits<double>::quiet_NaN()),
      Value(true),
      Value(std::string("a,\"b\"\nc")),
      Value(std::string()),
      Value(std::string("\x01\x02")),
      Value(std::string()),
      Value(int64_t{kT}),
      Value(std::monostate())};
  return values;
}

constexpr absl::string_view kSpine = "7,2026-01-01T00:00:00Z,,true,1.5e3,\"x\",007";

std::string Write(HistoricalOutput& output) {
  std::string out;
  output.Begin(Columns(), &out);
  output.AppendRow(kSpine, Values(), &out);
  return out;
}

TEST(HistoricalOutputTest, CsvWritesTheSpineRecordAndTheValuesAsFields) {
  auto csv = NewCsvOutput();
  EXPECT_EQ(Write(*csv),
            "id,event_timestamp,note,flag,n,q,code,i,d,d3,nan,b,s,empty,bytes,no_bytes,"
            "ts,none\n"
            "7,2026-01-01T00:00:00Z,,true,1.5e3,\"x\",007,-5,12.5,3,nan,true,"
            "\"a,\"\"b\"\"\nc\",\"\",AQI=,,2026-01-01T00:00:00Z,\n");
}

TEST(HistoricalOutputTest, JsonLinesTypesFeaturesAndJoinKeysAndInfersTheRest) {
  auto jsonl = NewJsonLinesOutput();
  EXPECT_EQ(Write(*jsonl),
            "{\"id\":7,\"event_timestamp\":\"2026-01-01T00:00:00Z\",\"note\":null,"
            "\"flag\":true,\"n\":1500,\"q\":\"x\",\"code\":\"007\","
            "\"i\":-5,\"d\":12.5,\"d3\":3,\"nan\":null,\"b\":true,"
            "\"s\":\"a,\\\"b\\\"\\nc\",\"empty\":\"\",\"bytes\":\"AQI=\","
            "\"no_bytes\":null,\"ts\":\"2026-01-01T00:00:00Z\",\"none\":null}\n");
}

TEST(HistoricalOutputTest, FormatsByName) {
  std::string out;
  NewHistoricalOutput(ResultFormat::kCsv)->Begin(Columns(), &out);
  EXPECT_EQ(out.substr(0, 3), "id,");
  out.clear();
  NewHistoricalOutput(ResultFormat::kJsonLines)->Begin(Columns(), &out);
  EXPECT_EQ(out, "");  // no header line
}

}  // namespace
}  // namespace strata::features
