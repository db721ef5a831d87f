#include "features/codec.h"

#include <charconv>
#include <cstring>
#include <random>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/testing.h"

namespace strata::features {
namespace {

TEST(TimestampTest, ParsesRfc3339Forms) {
  const Micros base = 1714564800LL * 1000000;  // 2024-05-01T12:00:00Z
  EXPECT_EQ(*ParseTimestamp("2024-05-01T12:00:00Z", TimeUnit::kSeconds), base);
  EXPECT_EQ(*ParseTimestamp("2024-05-01t12:00:00z", TimeUnit::kSeconds), base);
  EXPECT_EQ(*ParseTimestamp("2024-05-01 12:00:00", TimeUnit::kSeconds), base);
  EXPECT_EQ(*ParseTimestamp("2024-05-01T14:00:00+02:00", TimeUnit::kSeconds), base);
  EXPECT_EQ(*ParseTimestamp("2024-05-01T11:30:00-00:30", TimeUnit::kSeconds), base);
  EXPECT_EQ(*ParseTimestamp("2024-05-01T12:00:00.5Z", TimeUnit::kSeconds), base + 500000);
  EXPECT_EQ(*ParseTimestamp("2024-05-01T12:00:00.123456789Z", TimeUnit::kSeconds),
            base + 123456);
  EXPECT_EQ(*ParseTimestamp("2024-05-01", TimeUnit::kSeconds), base - 12 * 3600000000LL);
  EXPECT_EQ(*ParseTimestamp("1969-12-31T23:59:59Z", TimeUnit::kSeconds), -1000000);
  EXPECT_EQ(*ParseTimestamp("2024-02-29T00:00:00Z", TimeUnit::kSeconds),
            1709164800LL * 1000000);
  EXPECT_EQ(*ParseTimestamp("2024-05-01T12:00Z", TimeUnit::kSeconds), base);
  EXPECT_EQ(*ParseTimestamp("2024-05-01T14:00:00+0200", TimeUnit::kSeconds), base);
  EXPECT_EQ(*ParseTimestamp("2024-05-01T07:00:00-05", TimeUnit::kSeconds), base);
  EXPECT_EQ(*ParseTimestamp("2024-05-01T12:00:00,25Z", TimeUnit::kSeconds),
            base + 250000);
}

TEST(TimestampTest, ParsesEpochIntegersInTheDeclaredUnit) {
  EXPECT_EQ(*ParseTimestamp("1714564800", TimeUnit::kSeconds), 1714564800000000);
  EXPECT_EQ(*ParseTimestamp("1714564800123", TimeUnit::kMillis), 1714564800123000);
  EXPECT_EQ(*ParseTimestamp("1714564800123456", TimeUnit::kMicros), 1714564800123456);
  EXPECT_EQ(*ParseTimestamp("-5", TimeUnit::kSeconds), -5000000);
  EXPECT_FALSE(ParseTimestamp("99999999999999999", TimeUnit::kSeconds).ok());
}

TEST(TimestampTest, RejectsMalformedText) {
  for (const char* bad :
       {"", "yesterday", "2024-13-01T00:00:00Z", "2024-02-30T00:00:00Z",
        "2023-02-29T00:00:00Z", "2024-05-01T24:00:00Z", "2024-05-01T12Z",
        "2024-05-01T12:00:00+2", "2024-05-01T12:00:00Zjunk", "2024-05-01T12:00:00.Z",
        "2024-05-01T12:00:00+02:0", "2024-05-01T12:00:00+24:00", "2024-05-01Z",
        "+2024-05-01", "12024-05-01", "0x10", " 2024-05-01"}) {
    auto t = ParseTimestamp(bad, TimeUnit::kSeconds);
    EXPECT_FALSE(t.ok()) << bad;
    if (!t.ok()) {
      EXPECT_NE(t.status().message().find("not a timestamp"), std::string::npos);
    }
  }
}

TEST(TimestampTest, FormatRoundTrips) {
  EXPECT_EQ(FormatTimestamp(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatTimestamp(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatTimestamp(1714564800123456), "2024-05-01T12:00:00.123456Z");
  EXPECT_EQ(FormatTimestamp(1714564800000010), "2024-05-01T12:00:00.000010Z");
  EXPECT_EQ(FormatTimestamp(-62135596800LL * 1000000), "0001-01-01T00:00:00Z");
  EXPECT_EQ(FormatTimestamp(253402300799LL * 1000000 + 999999),
            "9999-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatTimestamp(253402300800LL * 1000000), "10000-01-01T00:00:00Z");
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> dist(-62135596800LL * 1000000,
                                              253402300799LL * 1000000);
  for (int i = 0; i < 10000; ++i) {
    const Micros t = dist(rng);
    auto back = ParseTimestamp(FormatTimestamp(t), TimeUnit::kSeconds);
    ASSERT_TRUE(back.ok()) << FormatTimestamp(t);
    ASSERT_EQ(*back, t) << FormatTimestamp(t);
  }
}

TEST(ValueTest, ParsesEachType) {
  EXPECT_EQ(std::get<int64_t>(*ParseValue("-42", VALUE_TYPE_INT64, TimeUnit::kSeconds)),
            -42);
  EXPECT_EQ(std::get<double>(*ParseValue("2.5e3", VALUE_TYPE_DOUBLE, TimeUnit::kSeconds)),
            2500.0);
  EXPECT_EQ(std::get<bool>(*ParseValue("TRUE", VALUE_TYPE_BOOL, TimeUnit::kSeconds)),
            true);
  EXPECT_EQ(std::get<bool>(*ParseValue("0", VALUE_TYPE_BOOL, TimeUnit::kSeconds)), false);
  EXPECT_EQ(
      std::get<std::string>(*ParseValue("aGk=", VALUE_TYPE_BYTES, TimeUnit::kSeconds)),
      "hi");
  EXPECT_EQ(std::get<int64_t>(*ParseValue("10", VALUE_TYPE_TIMESTAMP, TimeUnit::kMillis)),
            10000);
  auto bad = ParseValue("1.5", VALUE_TYPE_INT64, TimeUnit::kSeconds);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "\"1.5\" is not an int64 (an optional sign and decimal digits)");
  EXPECT_FALSE(ParseValue("abc", VALUE_TYPE_DOUBLE, TimeUnit::kSeconds).ok());
  EXPECT_FALSE(ParseValue("yes", VALUE_TYPE_BOOL, TimeUnit::kSeconds).ok());
  EXPECT_FALSE(ParseValue("!!", VALUE_TYPE_BYTES, TimeUnit::kSeconds).ok());
}

// The table of docs/features.md, "Values and timestamps": each row, as text (CSV
// fields, JSON strings and the tokens of JSON numbers all go through ParseValue).
struct TableRow {
  ValueType type;
  TimeUnit unit;
  const char* input;
  const char* result;  // the value as AppendValueText writes it, or "" when refused
  const char* error;   // part of the error when refused
};

class ValuesAndTimestampsTable : public ::testing::TestWithParam<TableRow> {};

TEST_P(ValuesAndTimestampsTable, ParsesOrRefusesAsDocumented) {
  const TableRow& row = GetParam();
  auto v = ParseValue(row.input, row.type, row.unit);
  if (*row.result != '\0') {
    ASSERT_TRUE(v.ok()) << row.input << ": " << v.status();
    std::string text;
    AppendValueText(*v, row.type, &text);
    EXPECT_EQ(text, row.result) << row.input;
    // What strata writes reads back to the same value.
    auto back = ParseValue(text, row.type, TimeUnit::kMicros);
    ASSERT_TRUE(back.ok()) << text;
    EXPECT_EQ(*back, *v) << text;
  } else {
    ASSERT_FALSE(v.ok()) << row.input << " gave a value";
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(v.status().message().find(row.error), std::string::npos)
        << row.input << ": " << v.status().message();
  }
}

constexpr auto kI = VALUE_TYPE_INT64;
constexpr auto kD = VALUE_TYPE_DOUBLE;
constexpr auto kB = VALUE_TYPE_BOOL;
constexpr auto kT = VALUE_TYPE_TIMESTAMP;
constexpr auto kS = TimeUnit::kSeconds;

INSTANTIATE_TEST_SUITE_P(
    Docs, ValuesAndTimestampsTable,
    ::testing::Values(
        // int64
        TableRow{kI, kS, "42", "42", ""}, TableRow{kI, kS, "-7", "-7", ""},
        TableRow{kI, kS, "+7", "7", ""}, TableRow{kI, kS, "007", "7", ""},
        TableRow{kI, kS, "9223372036854775807", "9223372036854775807", ""},
        TableRow{kI, kS, "-9223372036854775808", "-9223372036854775808", ""},
        TableRow{kI, kS, "9223372036854775808", "", "out of range for int64"},
        TableRow{kI, kS, "123456789012345678901234567890", "", "out of range for int64"},
        TableRow{kI, kS, "1.0", "", "is not an int64"},
        TableRow{kI, kS, "1e3", "", "is not an int64"},
        TableRow{kI, kS, "0x10", "", "hexadecimal"},
        TableRow{kI, kS, " 5", "", "is not an int64"},
        TableRow{kI, kS, "++5", "", "is not an int64"},
        // double
        TableRow{kD, kS, "2.5", "2.5", ""}, TableRow{kD, kS, "+1.5", "1.5", ""},
        TableRow{kD, kS, ".5", "0.5", ""}, TableRow{kD, kS, "5.", "5", ""},
        TableRow{kD, kS, "2.5e3", "2500", ""}, TableRow{kD, kS, "1E-3", "0.001", ""},
        TableRow{kD, kS, "123456789012345678901234567890", "1.2345678901234568e+29", ""},
        TableRow{kD, kS, "1.7976931348623157e308", "1.7976931348623157e+308", ""},
        TableRow{kD, kS, "1e309", "", "out of range for double"},
        TableRow{kD, kS, "-1e309", "", "out of range for double"},
        TableRow{kD, kS, "4.9e-324", "5e-324", ""},
        TableRow{kD, kS, "1e-320", "1e-320", ""}, TableRow{kD, kS, "2.4e-324", "0", ""},
        TableRow{kD, kS, "1e-400", "0", ""}, TableRow{kD, kS, "-1e-400", "-0", ""},
        TableRow{kD, kS, "NaN", "", "not a finite number"},
        TableRow{kD, kS, "nan", "", "not a finite number"},
        TableRow{kD, kS, "inf", "", "not a finite number"},
        TableRow{kD, kS, "-inf", "", "not a finite number"},
        TableRow{kD, kS, "Infinity", "", "not a finite number"},
        TableRow{kD, kS, "0x10", "", "hexadecimal"},
        TableRow{kD, kS, "1,5", "", "is not a double"},
        // bool
        TableRow{kB, kS, "true", "true", ""}, TableRow{kB, kS, "FALSE", "false", ""},
        TableRow{kB, kS, "1", "true", ""}, TableRow{kB, kS, "yes", "", "is not a bool"},
        // timestamps
        TableRow{kT, kS, "2024-05-01T12:00:00Z", "2024-05-01T12:00:00Z", ""},
        TableRow{kT, kS, "2024-05-01T14:00:00+02:00", "2024-05-01T12:00:00Z", ""},
        TableRow{kT, kS, "2024-05-01T14:00:00+0200", "2024-05-01T12:00:00Z", ""},
        TableRow{kT, kS, "2024-05-01T14:00:00+02", "2024-05-01T12:00:00Z", ""},
        TableRow{kT, kS, "2024-05-01 12:00:00", "2024-05-01T12:00:00Z", ""},
        TableRow{kT, kS, "2024-05-01T12:00", "2024-05-01T12:00:00Z", ""},
        TableRow{kT, kS, "2024-05-01", "2024-05-01T00:00:00Z", ""},
        TableRow{kT, kS, "2024-05-01T12:00:00.123456789Z", "2024-05-01T12:00:00.123456Z",
                 ""},
        TableRow{kT, kS, "1969-07-20T20:17:40Z", "1969-07-20T20:17:40Z", ""},
        TableRow{kT, kS, "0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z", ""},
        TableRow{kT, kS, "9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z",
                 ""},
        TableRow{kT, kS, "0000-12-31T00:00:00Z", "", "out of range"},
        TableRow{kT, kS, "9999-12-31T23:59:59-01:00", "", "out of range"},
        TableRow{kT, kS, "2016-12-31T23:59:60Z", "", "leap second"},
        TableRow{kT, kS, "2024-05-01T24:00:00Z", "", "is not a timestamp"},
        TableRow{kT, kS, "2024-05-01T12:00:00 UTC", "", "is not a timestamp"},
        TableRow{kT, kS, "1714564800", "2024-05-01T12:00:00Z", ""},
        TableRow{kT, kS, "-1", "1969-12-31T23:59:59Z", ""},
        TableRow{kT, TimeUnit::kMillis, "1714564800123", "2024-05-01T12:00:00.123000Z",
                 ""},
        TableRow{kT, TimeUnit::kMicros, "1714564800123456", "2024-05-01T12:00:00.123456Z",
                 ""},
        TableRow{kT, TimeUnit::kNanos, "1714564800123456789",
                 "2024-05-01T12:00:00.123456Z", ""},
        TableRow{kT, TimeUnit::kNanos, "-1", "1969-12-31T23:59:59.999999Z", ""},
        TableRow{kT, kS, "-62135596800", "0001-01-01T00:00:00Z", ""},
        TableRow{kT, kS, "-62135596801", "", "out of range"},
        TableRow{kT, kS, "1701234567894067", "", "out of range"},
        TableRow{kT, kS, "99999999999999999999", "", "out of range"},
        TableRow{kT, kS, "1714564800.5", "", "not a whole number of s"},
        TableRow{kT, kS, "1.7e9", "", "not a whole number of s"}),
    [](const ::testing::TestParamInfo<TableRow>& info) {
      std::string name = std::to_string(info.index) + "_";
      for (const char* c = info.param.input; *c != '\0'; ++c) {
        name += std::isalnum(static_cast<unsigned char>(*c)) ? *c : '_';
      }
      return name;
    });

TEST(ValueTest, ErrorsCutLongText) {
  const std::string long_text(100000, '9');
  for (ValueType type : {kI, kD, kT, VALUE_TYPE_BYTES}) {
    auto v = ParseValue(long_text + "x", type, kS);
    ASSERT_FALSE(v.ok());
    EXPECT_LT(v.status().message().size(), 300u) << v.status().message();
    EXPECT_NE(v.status().message().find("(100001 bytes)"), std::string::npos)
        << v.status().message();
  }
}

TEST(TimeUnitTest, NamesParseBack) {
  for (TimeUnit unit :
       {TimeUnit::kSeconds, TimeUnit::kMillis, TimeUnit::kMicros, TimeUnit::kNanos}) {
    EXPECT_EQ(*ParseTimeUnit(TimeUnitName(unit)), unit);
  }
  EXPECT_EQ(*ParseTimeUnit("ns"), TimeUnit::kNanos);
  EXPECT_FALSE(ParseTimeUnit("min").ok());
}

// Parsing, formatting and parsing again gives the same value for every accepted
// input: random ISO 8601 texts (offsets, fractions of any length, dates alone)
// and epochs in every unit, over the whole range and near its ends.
TEST(TimestampTest, EveryAcceptedInputRoundTrips) {
  const uint64_t seed = testing::TestSeed();
  std::mt19937_64 rng(seed);
  const auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  int accepted = 0;
  for (int i = 0; i < 100000; ++i) {
    std::string text;
    TimeUnit unit = TimeUnit::kSeconds;
    if (rng() % 2) {
      char buf[64];
      snprintf(buf, sizeof(buf), "%04d-%02d-%02d", static_cast<int>(pick(0, 9999)),
               static_cast<int>(pick(1, 12)), static_cast<int>(pick(1, 31)));
      text = buf;
      if (rng() % 8 != 0) {
        snprintf(buf, sizeof(buf), "%c%02d:%02d", "T t"[rng() % 3],
                 static_cast<int>(pick(0, 23)), static_cast<int>(pick(0, 59)));
        text += buf;
        if (rng() % 4 != 0) {
          snprintf(buf, sizeof(buf), ":%02d", static_cast<int>(pick(0, 59)));
          text += buf;
          if (rng() % 2) {
            text += rng() % 4 ? '.' : ',';
            for (int64_t d = pick(1, 12); d > 0; --d) text += '0' + rng() % 10;
          }
        }
        switch (rng() % 5) {
          case 0:
            break;
          case 1:
            text += 'Z';
            break;
          default:
            snprintf(buf, sizeof(buf), "%c%02d%s%02d", rng() % 2 ? '+' : '-',
                     static_cast<int>(pick(0, 23)), rng() % 2 ? ":" : "",
                     static_cast<int>(pick(0, 59)));
            text += buf;
        }
      }
    } else {
      unit = static_cast<TimeUnit>(rng() % 4);
      const int64_t per_second[] = {1, 1000, 1000000, 1000000000};
      const int64_t scale = per_second[static_cast<int>(unit)];
      const int64_t lo = -62135596800LL, hi = 253402300799LL;
      const int64_t s = rng() % 4 ? pick(lo, hi) : (rng() % 2 ? lo : hi) + pick(-2, 2);
      const int64_t frac = pick(0, scale - 1);
      if (unit == TimeUnit::kNanos &&
          (s > INT64_MAX / scale - 1 || s < INT64_MIN / scale + 1)) {
        text = absl::StrCat(s);  // beyond int64 nanoseconds: as seconds
        unit = TimeUnit::kSeconds;
      } else {
        text = absl::StrCat(s * scale + frac);
      }
    }
    auto t = ParseTimestamp(text, unit);
    if (!t.ok()) continue;
    ++accepted;
    ASSERT_GE(*t, kMinTimestamp) << text << " (seed " << seed << ")";
    ASSERT_LE(*t, kMaxTimestamp) << text << " (seed " << seed << ")";
    const std::string formatted = FormatTimestamp(*t);
    auto back = ParseTimestamp(formatted, unit);
    ASSERT_TRUE(back.ok()) << text << " -> " << formatted << ": " << back.status()
                           << " (seed " << seed << ")";
    ASSERT_EQ(*back, *t) << text << " -> " << formatted << " (seed " << seed << ")";
  }
  EXPECT_GT(accepted, 50000);
}

TEST(RowTest, EncodesAndDecodesEveryTypeAndNulls) {
  const std::vector<ValueType> types = {VALUE_TYPE_INT64,  VALUE_TYPE_DOUBLE,
                                        VALUE_TYPE_STRING, VALUE_TYPE_BOOL,
                                        VALUE_TYPE_BYTES,  VALUE_TYPE_TIMESTAMP};
  const std::vector<Value> values = {
      Value(int64_t{-7}), Value(0.25), Value(std::string("a,b")),
      Value(true),        Value(),     Value(int64_t{123})};
  std::vector<codec::Cell> cells;
  for (uint32_t c = 0; c < values.size(); ++c) cells.push_back({c, &values[c]});
  std::string row;
  codec::AppendRow(&row, cells, types);
  std::vector<Value> out(3);
  ASSERT_TRUE(
      codec::ReadRow(row, codec::ColumnSlots({5, 4, 2}, types.size()), types, &out).ok());
  EXPECT_EQ(std::get<int64_t>(out[0]), 123);
  EXPECT_EQ(out[1].index(), 0u);  // null
  EXPECT_EQ(std::get<std::string>(out[2]), "a,b");
  // Every truncation is refused, not misread.
  for (size_t n = 0; n < row.size(); ++n) {
    EXPECT_FALSE(codec::ReadRow(row.substr(0, n), codec::ColumnSlots({0}, types.size()),
                                types, &out)
                     .ok())
        << n;
  }
}

TEST(NumberTest, FastPathsAgreeWithFromChars) {
  std::mt19937_64 rng(testing::TestSeed());
  const auto check = [](const std::string& text) {
    double fast;
    if (codec::ParseSimpleDecimal(text, &fast)) {
      double slow;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), slow);
      ASSERT_TRUE(ec == std::errc() && p == text.data() + text.size()) << text;
      EXPECT_EQ(std::memcmp(&fast, &slow, 8), 0) << text;  // bit for bit, -0 too
    }
    int64_t fast_int;
    if (codec::ParseSimpleInt(text, &fast_int)) {
      int64_t slow;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), slow);
      ASSERT_TRUE(ec == std::errc() && p == text.data() + text.size()) << text;
      EXPECT_EQ(fast_int, slow) << text;
    }
  };
  for (const char* text : {"0", "-0", "0.0", "-0.0", "1.", ".5", "-.5", "007", "1.5",
                           "123456789012345", "0.000000000000001", "999999999999999",
                           "-999999999999999999", "9.007199254740993"}) {
    check(text);
  }
  for (int i = 0; i < 200000; ++i) {
    std::string text = rng() % 2 ? "-" : "";
    const int digits = 1 + rng() % 16;
    const int point = rng() % (digits + 2);
    for (int d = 0; d < digits; ++d) {
      if (d == point) text += '.';
      text += static_cast<char>('0' + rng() % 10);
    }
    check(text);
  }
  double d;
  int64_t n;
  // Not the simple forms: left to the full parsers.
  for (const char* text :
       {"", "-", ".", "1e5", "+1", "1.2.3", "nan", "1234567890123456", " 1", "0x10"}) {
    EXPECT_FALSE(codec::ParseSimpleDecimal(text, &d)) << text;
  }
  for (const char* text : {"", "-", "1.5", "1234567890123456789", "+1", "1 "}) {
    EXPECT_FALSE(codec::ParseSimpleInt(text, &n)) << text;
  }
}

TEST(KeyTest, RowOrderSortsNewestFirstWithinAnEntity) {
  std::string a = "VIEW", b = "VIEW";
  codec::AppendEntityPart(&a, Value(int64_t{-3}));
  codec::AppendEntityPart(&b, Value(int64_t{-3}));
  std::string older = a, newer = b, later_created = b;
  codec::AppendRowOrder(&older, -100, 5);
  codec::AppendRowOrder(&newer, 100, 5);
  codec::AppendRowOrder(&later_created, 100, 6);
  EXPECT_LT(newer, older);
  EXPECT_LT(later_created, newer);
  const codec::RowStamp s = codec::DecodeRowOrder(older);
  EXPECT_EQ(s.event, -100);
  EXPECT_EQ(s.created, 5);
  // Entity parts are prefix-free: "a" never prefixes "ab".
  std::string x, y;
  codec::AppendEntityPart(&x, Value(std::string("a")));
  codec::AppendEntityPart(&y, Value(std::string("ab")));
  EXPECT_NE(y.compare(0, x.size(), x), 0);
  // Chunk keys sort by ingest, then chunk number.
  std::string k1 = a, k2 = a, k3 = a;
  codec::AppendLogChunkSuffix(&k1, 2, 7);
  codec::AppendLogChunkSuffix(&k2, 3, 0);
  codec::AppendLogChunkSuffix(&k3, 3, 1);
  EXPECT_LT(k1, k2);
  EXPECT_LT(k2, k3);
  EXPECT_EQ(codec::LogChunkIngest(k2), 3u);
}

TEST(LogChunkTest, RoundTripsAndFindsRowsByTime) {
  std::mt19937_64 rng(testing::TestSeed());
  for (int round = 0; round < 200; ++round) {
    const size_t n = 1 + rng() % 50;
    std::vector<std::tuple<Micros, Micros, std::string>> rows;
    for (size_t i = 0; i < n; ++i) {
      rows.emplace_back(static_cast<Micros>(rng() % 40) - 20,
                        static_cast<Micros>(rng() % 1000),
                        std::string(rng() % 30, static_cast<char>('a' + i % 26)));
    }
    std::sort(rows.begin(), rows.end(), [](const auto& x, const auto& y) {
      return std::tie(std::get<0>(x), std::get<1>(x)) >
             std::tie(std::get<0>(y), std::get<1>(y));
    });
    codec::LogChunkBuilder builder;
    for (const auto& [e, c, r] : rows) builder.Add(e, c, r);
    EXPECT_EQ(builder.rows(), n);
    std::string value;
    builder.Finish(&value);
    EXPECT_EQ(builder.rows(), 0u);
    codec::LogChunk chunk;
    ASSERT_TRUE(chunk.Parse(value));
    ASSERT_EQ(chunk.size(), n);
    for (size_t i = 0; i < n; ++i) {
      EXPECT_EQ(chunk.event(i), std::get<0>(rows[i]));
      EXPECT_EQ(chunk.created(i), std::get<1>(rows[i]));
      EXPECT_EQ(chunk.row(i), std::get<2>(rows[i]));
    }
    for (Micros t = -22; t <= 22; ++t) {
      size_t want = 0;
      while (want < n && std::get<0>(rows[want]) > t) ++want;
      EXPECT_EQ(chunk.FirstAtOrBefore(t), want) << t;
    }
    // Every truncation, and a bad row end, is refused.
    for (size_t cut = 0; cut < value.size(); ++cut) {
      EXPECT_FALSE(codec::LogChunk().Parse(absl::string_view(value).substr(0, cut)))
          << cut;
    }
  }
  EXPECT_FALSE(codec::LogChunk().Parse(""));
}

}  // namespace
}  // namespace strata::features
