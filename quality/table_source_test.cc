#include "quality/table_source.h"

#include <bit>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "features/feature_store_testing.h"
#include "gtest/gtest.h"
#include "store/status_macros.h"

namespace strata::quality {
namespace {

class TableSourceTest : public features::FeatureStoreFixture {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    ApplyDefinitions(testing::kExampleDefinitions);
  }

  // Commits `text` as the next version of dataset/NAME; returns its reference.
  std::string Dataset(absl::string_view text, const std::string& name = "d") {
    const store::Version v = CommitContent("dataset/" + name, text);
    return absl::StrCat("dataset/", name, "@", v.number());
  }

  absl::StatusOr<TableBlock> Read(const std::string& ref, const std::string& view = "",
                                  const std::vector<std::string>& columns = {}) {
    ASSIGN_OR_RETURN(SourceRef source, ParseSourceRef(ref));
    source.view = view;
    return ReadSource(*store_, *fs_, source, Options(3), columns);
  }

  static ScanOptions Options(size_t block_rows, size_t read_bytes = size_t{8} << 20) {
    ScanOptions o;
    o.block_rows = block_rows;
    o.read_bytes = read_bytes;
    return o;
  }

  static const Column& Named(const TableBlock& b, absl::string_view name) {
    for (const Column& c : b.columns) {
      if (c.name == name) return c;
    }
    ADD_FAILURE() << "no column " << name;
    return b.columns.at(0);
  }
};

TEST(ParseSourceRefTest, DatasetsAndWindows) {
  auto d = ParseSourceRef("dataset/events@3");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->kind, SourceRef::Kind::kDataset);
  EXPECT_EQ(d->name, "dataset/events@3");

  auto w = ParseSourceRef("featureview/stats[2024-01-01T00:00:00Z..1704153600]");
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->kind, SourceRef::Kind::kWindow);
  EXPECT_EQ(w->name, "stats");
  EXPECT_EQ(w->from, int64_t{1704067200} * 1000000);
  EXPECT_EQ(w->to, int64_t{1704153600} * 1000000);
  EXPECT_EQ(w->ToString(),
            "featureview/stats[2024-01-01T00:00:00Z..2024-01-02T00:00:00Z]");

  auto open = ParseSourceRef("featureview/stats[..2024-01-02T00:00:00Z]");
  ASSERT_TRUE(open.ok()) << open.status();
  EXPECT_EQ(open->from, INT64_MIN);

  EXPECT_EQ(ParseSourceRef("model/m@1").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseSourceRef("featureview/stats[5..1]").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseSourceRef("featureview/stats[x..1]").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseSourceRef("featureview/stats[1..2").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(TableSourceTest, InfersTypesFromTheWholeFile) {
  // "n" is int64 until its last row; "b" mixes cases of true/false.
  const std::string ref = Dataset(
      "i,n,b,t,s,e\n"
      "1,1,true,2024-01-01T00:00:00Z,a,\n"
      "2,2,False,2024-01-02T00:00:00Z,b,\n"
      "-3,2.5,TRUE,2024-01-03 00:00:00,1,\n"
      ",1e3,,,,\n");
  auto t = Read(ref);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->rows, 4u);
  ASSERT_EQ(t->columns.size(), 6u);
  EXPECT_EQ(Named(*t, "i").type, ColumnType::kInt64);
  EXPECT_EQ(Named(*t, "n").type, ColumnType::kDouble);
  EXPECT_EQ(Named(*t, "b").type, ColumnType::kBool);
  EXPECT_EQ(Named(*t, "t").type, ColumnType::kTimestamp);
  EXPECT_EQ(Named(*t, "s").type, ColumnType::kString);
  EXPECT_EQ(Named(*t, "e").type, ColumnType::kString);
  EXPECT_EQ(Named(*t, "i").numbers, (std::vector<double>{1, 2, -3, 0}));
  EXPECT_EQ(Named(*t, "i").present, (std::vector<uint8_t>{1, 1, 1, 0}));
  EXPECT_EQ(Named(*t, "n").numbers, (std::vector<double>{1, 2, 2.5, 1000}));
  EXPECT_EQ(Named(*t, "b").numbers, (std::vector<double>{1, 0, 1, 0}));
  EXPECT_EQ(Named(*t, "t").numbers[1], 1704153600.0 * 1e6);
  EXPECT_EQ(Named(*t, "s").strings, (std::vector<std::string>{"a", "b", "1", ""}));
  EXPECT_EQ(Named(*t, "e").present, (std::vector<uint8_t>{0, 0, 0, 0}));
}

TEST_F(TableSourceTest, InferenceChecksNumbersAtTheirEdges) {
  // big: past int64, a double; huge: past the largest double, text; odd: "1.2.3".
  auto t =
      Read(Dataset("big,huge,odd,exp,signed\n"
                   "9223372036854775808,1e999,1.2.3,2E-3,+5\n"
                   "1,2,1,1e+2,-.5\n"));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(Named(*t, "big").type, ColumnType::kDouble);
  EXPECT_EQ(Named(*t, "huge").type, ColumnType::kString);
  EXPECT_EQ(Named(*t, "odd").type, ColumnType::kString);
  EXPECT_EQ(Named(*t, "exp").type, ColumnType::kDouble);
  EXPECT_EQ(Named(*t, "exp").numbers, (std::vector<double>{0.002, 100}));
  EXPECT_EQ(Named(*t, "signed").numbers, (std::vector<double>{5, -0.5}));
}

TEST_F(TableSourceTest, ReadsCrlfBomAndQuotedFields) {
  const std::string ref = Dataset(
      "\xEF\xBB\xBFid,text\r\n"
      "1,\"a, b\"\r\n"
      "2,\"two\r\nlines\"\r\n"
      "3,\"say \"\"hi\"\"\"\r\n");
  auto t = Read(ref);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->rows, 3u);
  EXPECT_EQ(t->columns[0].name, "id");
  EXPECT_EQ(t->columns[0].type, ColumnType::kInt64);
  EXPECT_EQ(t->columns[1].strings,
            (std::vector<std::string>{"a, b", "two\r\nlines", "say \"hi\""}));
}

TEST_F(TableSourceTest, ReadsJsonLines) {
  const std::string ref = Dataset(
      "{\"a\": 1, \"b\": \"x\"}\n"
      "{\"a\": 2.5, \"c\": true}\n"
      "\n"
      "{\"b\": null, \"a\": 3, \"c\": false}\n");
  auto t = Read(ref);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->rows, 3u);
  ASSERT_EQ(t->columns.size(), 3u);
  EXPECT_EQ(Named(*t, "a").type, ColumnType::kDouble);
  EXPECT_EQ(Named(*t, "a").numbers, (std::vector<double>{1, 2.5, 3}));
  EXPECT_EQ(Named(*t, "b").present, (std::vector<uint8_t>{1, 0, 0}));
  EXPECT_EQ(Named(*t, "c").type, ColumnType::kBool);
  EXPECT_EQ(Named(*t, "c").numbers, (std::vector<double>{0, 1, 0}));
}

TEST_F(TableSourceTest, BadJsonLineNamesItsLine) {
  const std::string ref = Dataset("{\"a\": 1}\n{\"a\": \n");
  auto t = Read(ref);
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(t.status().message(), ref + ":2:")) << t.status();
}

TEST_F(TableSourceTest, ViewDeclaresTypesAndBadValuesNameLineAndColumn) {
  const std::string ok_ref = Dataset(
      "customer_id,event_timestamp,spend_7d,segment,extra\n"
      "7,1704067200,1,0012,5\n"
      "8,2024-01-01T00:00:00Z,2.5,0013,6\n");
  auto t = Read(ok_ref, "featureview/customer_stats");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(Named(*t, "customer_id").type, ColumnType::kInt64);
  EXPECT_EQ(Named(*t, "event_timestamp").type, ColumnType::kTimestamp);
  EXPECT_EQ(Named(*t, "event_timestamp").numbers,
            (std::vector<double>{1704067200e6, 1704067200e6}));
  EXPECT_EQ(Named(*t, "spend_7d").type, ColumnType::kDouble);
  // Declared a string, though every value is a number.
  EXPECT_EQ(Named(*t, "segment").type, ColumnType::kString);
  EXPECT_EQ(Named(*t, "segment").strings, (std::vector<std::string>{"0012", "0013"}));
  EXPECT_EQ(Named(*t, "extra").type, ColumnType::kInt64);  // not in the view: inferred

  const std::string bad_ref = Dataset(
      "customer_id,event_timestamp,spend_7d\n"
      "7,1704067200,1\n"
      "\"8\",1704067200,lots\n",
      "bad");
  auto bad = Read(bad_ref, "customer_stats");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(
      absl::StrContains(bad.status().message(), bad_ref + ":3: column \"spend_7d\""))
      << bad.status();

  EXPECT_EQ(Read(ok_ref, "featureview/nope").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(TableSourceTest, BadCsvRecordNamesItsLine) {
  const std::string ref = Dataset("a,b\n1,2\n3,4\n5\n");
  auto t = Read(ref);
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(t.status().message(), ref + ":4:")) << t.status();
}

TEST_F(TableSourceTest, BlocksStreamInOrderAndAnEmptyTableGivesItsColumns) {
  const std::string ref = Dataset("a\n1\n2\n3\n4\n5\n6\n7\n");
  auto source = ParseSourceRef(ref);
  ASSERT_TRUE(source.ok());
  std::vector<size_t> sizes;
  std::vector<double> all;
  ASSERT_TRUE(ScanSource(*store_, *fs_, *source, Options(3, 4), [&](const TableBlock& b) {
                sizes.push_back(b.rows);
                for (double v : b.columns[0].numbers) all.push_back(v);
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(sizes, (std::vector<size_t>{3, 3, 1}));
  EXPECT_EQ(all, (std::vector<double>{1, 2, 3, 4, 5, 6, 7}));

  auto empty = Read(Dataset("a,b\n", "empty"));
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->rows, 0u);
  EXPECT_EQ(empty->columns.size(), 2u);
}

TEST_F(TableSourceTest, ReadSourcePicksColumnsAndNamesAMissingOne) {
  const std::string ref = Dataset("a,b,c\n1,x,2\n3,y,4\n");
  auto t = Read(ref, "", {"c", "a"});
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->columns.size(), 2u);
  EXPECT_EQ(t->columns[0].name, "c");
  EXPECT_EQ(t->columns[0].numbers, (std::vector<double>{2, 4}));
  EXPECT_EQ(Read(ref, "", {"zz"}).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Read("dataset/none@1").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(TableSourceTest, PandasToCsvReadsBack) {
  const std::string csv = dir_.Sub("pandas.csv");
  const std::string script = absl::StrCat(
      "import pandas as pd, numpy as np\n"
      "df = pd.DataFrame({'x': [1.5, np.nan, -2.25], 'n': [1, 2, 3],"
      " 'flag': [True, False, True], 's': ['a,b', None, 'q\"uote'],"
      " 't': pd.to_datetime(['2024-01-01', '2024-01-02 03:04:05', None], utc=True)})\n"
      "df.to_csv('",
      csv, "', index=False)\n");
  const std::string py = dir_.Sub("gen.py");
  std::ofstream(py) << script;
  ASSERT_EQ(std::system(("/usr/bin/python3 " + py).c_str()), 0);
  std::ifstream in(csv, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  auto t = Read(Dataset(text.str()));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->rows, 3u);
  EXPECT_EQ(Named(*t, "x").type, ColumnType::kDouble);
  EXPECT_EQ(Named(*t, "x").present, (std::vector<uint8_t>{1, 0, 1}));
  EXPECT_EQ(Named(*t, "n").type, ColumnType::kInt64);
  EXPECT_EQ(Named(*t, "flag").type, ColumnType::kBool);
  EXPECT_EQ(Named(*t, "s").strings, (std::vector<std::string>{"a,b", "", "q\"uote"}));
  EXPECT_EQ(Named(*t, "t").type, ColumnType::kTimestamp);
  EXPECT_EQ(Named(*t, "t").numbers[1], (1704153600.0 + 3 * 3600 + 4 * 60 + 5) * 1e6);
}

// Reads `ref` with ScanSource, blocks of `read_bytes` of text, with a restart
// callback (read once, starting over when a guess fails) or without (a first
// pass): both give the whole table, typed from every value.
struct Scanned {
  TableBlock table;
  int restarts = 0;
};
absl::StatusOr<Scanned> ScanWhole(Store& store, features::FeatureStore& fs,
                                  const std::string& ref, size_t read_bytes,
                                  bool restartable) {
  ASSIGN_OR_RETURN(SourceRef source, ParseSourceRef(ref));
  Scanned out;
  ScanOptions options;
  options.block_rows = 5;
  options.read_bytes = read_bytes;
  if (restartable) {
    options.restart = [&] {
      ++out.restarts;
      out.table = TableBlock();
    };
  }
  RETURN_IF_ERROR(ScanSource(store, fs, source, options, [&](const TableBlock& b) {
    if (out.table.columns.empty()) {
      for (const Column& c : b.columns) {
        Column& to = out.table.columns.emplace_back();
        to.name = c.name;
        to.type = c.type;
      }
    }
    for (size_t i = 0; i < b.columns.size(); ++i) {
      Column& to = out.table.columns[i];
      const Column& from = b.columns[i];
      EXPECT_EQ(from.type, to.type) << from.name;
      to.numbers.insert(to.numbers.end(), from.numbers.begin(), from.numbers.end());
      to.strings.insert(to.strings.end(), from.strings.begin(), from.strings.end());
      to.present.insert(to.present.end(), from.present.begin(), from.present.end());
    }
    out.table.rows += b.rows;
    return absl::OkStatus();
  }));
  return out;
}

// Types guessed from the first block and proved wrong by a later one: the reader
// starts over, and the table is the one a first pass over the whole file gives.
TEST_F(TableSourceTest, ColumnsWhoseTypeWidensInALateBlock) {
  // 300 rows; in row 250: "n" gets a decimal, "s" a word, "late" its first value,
  // "t" a word after timestamps, "b" a number after bools.
  std::string csv = "i,n,s,late,t,b\n";
  for (int r = 0; r < 300; ++r) {
    const bool odd_row = r == 250;
    absl::StrAppend(&csv, r, ",", odd_row ? "2.5" : absl::StrCat(r), ",",
                    odd_row ? "word" : "7", ",", odd_row ? "1" : "", ",",
                    odd_row ? "never" : "2024-01-01T00:00:00Z", ",",
                    odd_row ? "3" : (r % 2 ? "true" : "false"), "\n");
  }
  const std::string ref = Dataset(csv);
  for (bool restartable : {true, false}) {
    SCOPED_TRACE(restartable ? "read once" : "first pass");
    auto t = ScanWhole(*store_, *fs_, ref, 256, restartable);
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_EQ(t->restarts, restartable ? 1 : 0);
    const TableBlock& table = t->table;
    EXPECT_EQ(table.rows, 300u);
    EXPECT_EQ(Named(table, "i").type, ColumnType::kInt64);
    EXPECT_EQ(Named(table, "n").type, ColumnType::kDouble);
    EXPECT_EQ(Named(table, "n").numbers.size(), 300u);
    EXPECT_EQ(Named(table, "n").numbers[250], 2.5);
    EXPECT_EQ(Named(table, "n").numbers[249], 249);
    EXPECT_EQ(Named(table, "s").type, ColumnType::kString);
    EXPECT_EQ(Named(table, "s").strings[250], "word");
    EXPECT_EQ(Named(table, "s").strings[0], "7");
    EXPECT_EQ(Named(table, "late").type, ColumnType::kInt64);
    EXPECT_EQ(Named(table, "late").present[250], 1);
    EXPECT_EQ(Named(table, "late").present[0], 0);
    EXPECT_EQ(Named(table, "t").type, ColumnType::kString);
    EXPECT_EQ(Named(table, "b").type, ColumnType::kString);
    EXPECT_EQ(Named(table, "b").strings[1], "true");
  }
  // Read once when every value fits the first block's guess (blocks of 12 bytes:
  // the header and the first row, then a row each).
  auto misfit =
      ScanWhole(*store_, *fs_, Dataset("a,b\n1,x\n2,y\n3.5,z\n", "misfit"), 12, true);
  ASSERT_TRUE(misfit.ok()) << misfit.status();
  EXPECT_EQ(misfit->restarts, 1);
  EXPECT_EQ(Named(misfit->table, "a").numbers, (std::vector<double>{1, 2, 3.5}));
  auto once =
      ScanWhole(*store_, *fs_, Dataset("a,b\n1.5,x\n2,y\n3,z\n", "once"), 12, true);
  ASSERT_TRUE(once.ok()) << once.status();
  EXPECT_EQ(once->restarts, 0);
  EXPECT_EQ(Named(once->table, "a").type, ColumnType::kDouble);
  EXPECT_EQ(Named(once->table, "a").numbers, (std::vector<double>{1.5, 2, 3}));
}

// One block, none (a header only), no header at all, and a bad record in a late
// block, read with the blocks parsed on several threads.
TEST_F(TableSourceTest, OneBlockEmptyFilesAndLateErrors) {
  for (bool restartable : {true, false}) {
    SCOPED_TRACE(restartable ? "read once" : "first pass");
    auto one =
        ScanWhole(*store_, *fs_, Dataset("x,y\n1,a\n2,b\n", "one"), 1 << 20, restartable);
    ASSERT_TRUE(one.ok()) << one.status();
    EXPECT_EQ(one->table.rows, 2u);
    EXPECT_EQ(Named(one->table, "x").numbers, (std::vector<double>{1, 2}));

    auto header_only =
        ScanWhole(*store_, *fs_, Dataset("x,y\n", "header"), 4, restartable);
    ASSERT_TRUE(header_only.ok()) << header_only.status();
    EXPECT_EQ(header_only->table.rows, 0u);
    EXPECT_EQ(header_only->table.columns.size(), 2u);

    auto empty = ScanWhole(*store_, *fs_, Dataset("", "empty"), 4, restartable);
    EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);

    std::string csv = "a,b\n";
    for (int r = 0; r < 200; ++r) absl::StrAppend(&csv, r, ",", r, "\n");
    csv += "1,2,3\n";  // line 202
    for (int r = 0; r < 50; ++r) absl::StrAppend(&csv, r, ",", r, "\n");
    const std::string bad = Dataset(csv, "bad");
    auto t = ScanWhole(*store_, *fs_, bad, 64, restartable);
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(t.status().message(), bad + ":202:")) << t.status();
  }
}

// Declared integer timestamps take a shortcut past ParseTimestamp: the same
// microseconds, and the same error past year 9999.
TEST_F(TableSourceTest, DeclaredIntegerTimestampsAsParseTimestampReadsThem) {
  auto t = Read(Dataset("customer_id,event_timestamp\n1,+1704067200\n2,-86400\n", "ts"),
                "customer_stats");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(Named(*t, "event_timestamp").numbers,
            (std::vector<double>{1704067200e6, -86400e6}));
  const std::string far =
      Dataset("customer_id,event_timestamp\n1,1\n2,999999999999\n", "far");
  auto bad = Read(far, "customer_stats");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(
      absl::StrContains(bad.status().message(), far + ":3: column \"event_timestamp\""))
      << bad.status();
}

// Plain decimals take a shortcut past from_chars: the same doubles, to the bit.
TEST_F(TableSourceTest, DecimalsParseAsFromChars) {
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  std::mt19937_64 rng(seed);
  std::vector<std::string> texts = {"0.1",
                                    "-0.0",
                                    "+2.5",
                                    "9007199254740993",
                                    "9007199254740992.5",
                                    "1234567890123456789",
                                    "0.0000000000000000000001",
                                    "00012.500",
                                    "-7"};
  for (int i = 0; i < 2000; ++i) {
    std::string t = rng() % 2 ? "-" : "";
    const int before = 1 + rng() % 12, after = rng() % 14;
    for (int d = 0; d < before; ++d) t += static_cast<char>('0' + rng() % 10);
    if (after > 0) t += ".";
    for (int d = 0; d < after; ++d) t += static_cast<char>('0' + rng() % 10);
    texts.push_back(t);
  }
  std::string csv = "x\n";
  for (const std::string& t : texts) absl::StrAppend(&csv, t, "\n");
  auto table = Read(Dataset(csv, "decimals"));
  ASSERT_TRUE(table.ok()) << table.status();
  const Column& x = Named(*table, "x");
  ASSERT_EQ(x.type, ColumnType::kDouble);
  ASSERT_EQ(x.numbers.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    absl::string_view t = texts[i];
    if (t[0] == '+') t.remove_prefix(1);
    double expected = 0;
    std::from_chars(t.data(), t.data() + t.size(), expected);
    EXPECT_EQ(std::bit_cast<uint64_t>(x.numbers[i]), std::bit_cast<uint64_t>(expected))
        << texts[i];
  }
}

TEST_F(TableSourceTest, WindowGivesTheRowsInForceWithDeclaredTypes) {
  const std::string path =
      WriteFile("rows.csv",
                "customer_id,event_timestamp,created_timestamp,spend_7d,segment\n"
                "1,1000,1000,1.0,a\n"
                "1,1000,1500,2.0,b\n"  // replaces the row above
                "1,2000,2000,3.0,\n"
                "2,1500,1500,4.0,c\n"
                "2,5000,5000,9.0,z\n");  // outside the window
  ASSERT_TRUE(fs_->Ingest("customer_stats", path, {}).ok());
  auto t = Read("featureview/customer_stats[0..3000]");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->rows, 3u);
  EXPECT_EQ(Named(*t, "customer_id").type, ColumnType::kInt64);
  EXPECT_EQ(Named(*t, "event_timestamp").type, ColumnType::kTimestamp);
  std::vector<double> spend = Named(*t, "spend_7d").numbers;
  std::sort(spend.begin(), spend.end());
  EXPECT_EQ(spend, (std::vector<double>{2, 3, 4}));
  EXPECT_EQ(Named(*t, "segment").present.size(), 3u);

  // As of 1200, the row created at 1500 is not known yet, nor is entity 2's.
  auto source = ParseSourceRef("featureview/customer_stats[0..3000]");
  ASSERT_TRUE(source.ok());
  source->as_of = 1200 * int64_t{1000000};
  auto known = ReadSource(*store_, *fs_, *source, {}, {"spend_7d"});
  ASSERT_TRUE(known.ok()) << known.status();
  EXPECT_EQ(known->columns[0].numbers, (std::vector<double>{1}));

  EXPECT_EQ(Read("featureview/nope[0..1]").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace strata::quality
