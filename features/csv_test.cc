#include "features/csv.h"

#include <random>

#include "gtest/gtest.h"

namespace strata::features {
namespace {

std::vector<std::vector<std::string>> ReadAll(absl::string_view data) {
  CsvRecords records(data);
  std::vector<std::vector<std::string>> out;
  while (true) {
    auto more = records.Next();
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    out.emplace_back(records.fields().begin(), records.fields().end());
  }
  return out;
}

TEST(CsvRecordsTest, ReadsQuotedFieldsAndLineEnds) {
  auto rows =
      ReadAll("a,b,c\r\n1,\"x,y\",\"he said \"\"hi\"\"\"\n2,\"two\nlines\",\n3,,");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"1", "x,y", "he said \"hi\""}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"2", "two\nlines", ""}));
  EXPECT_EQ(rows[3], (std::vector<std::string>{"3", "", ""}));
}

TEST(CsvRecordsTest, TracksLinesAndQuotedness) {
  CsvRecords r("h\n\"a\nb\"\n\"\"\nx");
  ASSERT_TRUE(*r.Next());
  EXPECT_EQ(r.line(), 1u);
  ASSERT_TRUE(*r.Next());
  EXPECT_EQ(r.line(), 2u);
  ASSERT_TRUE(*r.Next());
  EXPECT_EQ(r.line(), 4u);
  EXPECT_TRUE(r.quoted(0));
  EXPECT_EQ(r.fields()[0], "");
  EXPECT_EQ(r.raw(), "\"\"");
  ASSERT_TRUE(*r.Next());
  EXPECT_EQ(r.line(), 5u);
  EXPECT_FALSE(r.quoted(0));
  EXPECT_FALSE(*r.Next());
}

TEST(CsvRecordsTest, RefusesBrokenQuotes) {
  for (const char* bad : {"a,\"open\n", "a,\"x\"y,b\n"}) {
    CsvRecords r(bad);
    EXPECT_FALSE(r.Next().ok()) << bad;
  }
}

TEST(CsvBlockReaderTest, BlocksEndOnRecordBoundaries) {
  std::mt19937_64 rng(3);
  std::string data;
  for (int i = 0; i < 2000; ++i) {
    data += std::to_string(i) + ",";
    if (rng() % 5 == 0) {
      data += "\"q,\n\"\"" + std::to_string(rng() % 1000) + "\"";
    } else {
      data += std::string(rng() % 40, 'x');
    }
    data += (rng() % 3 == 0) ? "\r\n" : "\n";
  }
  const auto expected = ReadAll(data);
  for (size_t block : {1, 7, 64, 1000, 1 << 20}) {
    auto source = StringSource(data);
    CsvBlockReader reader(source.get(), block);
    std::vector<std::vector<std::string>> got;
    ByteBuffer b;
    while (*reader.Next(&b)) {
      auto rows = ReadAll(b.view());
      got.insert(got.end(), rows.begin(), rows.end());
    }
    EXPECT_EQ(got, expected) << "block " << block;
  }
}

TEST(CsvFieldTest, QuotesOnlyWhenNeeded) {
  std::string out;
  AppendCsvField("plain", true, &out);
  out += '|';
  AppendCsvField("a,\"b\"", false, &out);
  out += '|';
  AppendCsvField("", true, &out);
  out += '|';
  AppendCsvField("", false, &out);
  EXPECT_EQ(out, "plain|\"a,\"\"b\"\"\"|\"\"|");
}

}  // namespace
}  // namespace strata::features
