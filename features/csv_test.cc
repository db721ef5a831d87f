#include "features/csv.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "features/csv_cases.h"
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

// Found by the csv fuzz target: the unescaped copies of fields with doubled quotes
// lived in a vector, and the second copy moved the first (short strings keep their
// bytes inline), leaving the first field pointing at freed memory.
TEST(CsvRecordsTest, SeveralFieldsWithDoubledQuotes) {
  auto rows = ReadAll("\"a\"\"\",\"\"\"b\",\"c\"\"d\",\"a, \"\"b\"\n");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"a\"", "\"b", "c\"d", "a, \"b"}));
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

// What a whole file reads to: the rows after the header, or the first error as
// "LINE: message".
struct FileRead {
  std::vector<csv_cases::CsvRow> rows;
  std::string error;
};

FileRead ReadFile(const std::string& data, size_t block_bytes, size_t max_record_bytes) {
  FileRead out;
  auto source = StringSource(data);
  CsvBlockReader reader(source.get(), block_bytes, max_record_bytes);
  ByteBuffer block;
  auto any = reader.Next(&block);
  if (!any.ok() || !*any) {
    out.error = any.ok() ? "empty" : absl::StrCat("1: ", any.status().message());
    return out;
  }
  auto header = ReadCsvHeader(reader, &block, max_record_bytes);
  if (!header.ok()) {
    out.error = std::string(header.status().message());
    return out;
  }
  uint64_t line = header->lines;
  size_t start = header->end;
  while (true) {
    CsvRecords records(block.view().substr(start), &header->labels, max_record_bytes);
    while (true) {
      auto more = records.NextRow(header->names.size());
      if (!more.ok()) {
        out.error = absl::StrCat(line + records.line(), ": ", more.status().message());
        return out;
      }
      if (!*more) break;
      csv_cases::CsvRow row;
      for (size_t c = 0; c < records.fields().size(); ++c) {
        const absl::string_view f = records.fields()[c];
        row.push_back(f.empty() && !records.quoted(c) ? std::nullopt
                                                      : csv_cases::CsvField(f));
      }
      out.rows.push_back(std::move(row));
    }
    line += records.lines_read();
    start = 0;
    auto more = reader.Next(&block);
    if (!more.ok()) {
      out.error = absl::StrCat(line + 1, ": ", more.status().message());
      return out;
    }
    if (!*more) break;
  }
  return out;
}

constexpr size_t kBlockSizes[] = {1, 2, 3, 7, 64, 1 << 20};

TEST(CsvCasesTest, EveryCaseAtEveryBlockSize) {
  const auto cases = csv_cases::CsvCases();
  ASSERT_GE(cases.size(), 64u);
  for (const auto& c : cases) {
    for (size_t block : kBlockSizes) {
      SCOPED_TRACE(absl::StrCat(c.name, ", block ", block));
      const FileRead got = ReadFile(c.input, block, kDefaultMaxRecordBytes);
      if (c.error_line == 0) {
        EXPECT_EQ(got.error, "");
        EXPECT_EQ(got.rows, c.rows);
      } else {
        EXPECT_EQ(got.error.rfind(absl::StrCat(c.error_line, ": "), 0), 0u) << got.error;
        EXPECT_NE(got.error.find(c.error), std::string::npos) << got.error;
      }
    }
  }
}

TEST(CsvRecordsTest, ErrorsNameTheColumn) {
  const FileRead got = ReadFile(csv_cases::kCaseHeader + "\n1,10,a\"b\n", 1 << 20,
                                kDefaultMaxRecordBytes);
  EXPECT_EQ(got.error, "2: column \"s\": a quote inside an unquoted field");
}

TEST(CsvRecordsTest, LongNamesAreCutInErrors) {
  const std::string name(10 << 20, 'n');
  const FileRead got =
      ReadFile("a," + name + "," + name + "\n", 1 << 20, size_t{64} << 20);
  EXPECT_LT(got.error.size(), 200u);
  EXPECT_NE(got.error.find("appears twice"), std::string::npos) << got.error;
  EXPECT_NE(got.error.find("(10485760 bytes)"), std::string::npos) << got.error;
}

TEST(CsvRecordsTest, RecordsLongerThanTheLimitAreRefused) {
  const std::string ok = csv_cases::kCaseHeader + "\n1,10," + std::string(100, 'x') + "\n";
  // The header and the row are 29 and 105 bytes long.
  EXPECT_EQ(ReadFile(ok, 1 << 20, 106).error, "");
  for (size_t block : kBlockSizes) {
    const FileRead got = ReadFile(ok + "2,10," + std::string(200, 'y') + "\n3,10,z\n",
                                  block, 106);
    EXPECT_EQ(got.error.rfind("3: a record is longer than the limit of 106 bytes", 0),
              0u)
        << got.error << ", block " << block;
  }
  // No line end at all (as /dev/zero): refused at the limit, whatever the block.
  for (size_t block : kBlockSizes) {
    const FileRead got = ReadFile(std::string(5000, 'a'), block, 1000);
    EXPECT_EQ(got.error.rfind("1: a record is longer than the limit of 1000", 0), 0u)
        << got.error << ", block " << block;
  }
}

TEST(CsvRecordsTest, AppendRecordKeepsValues) {
  const std::string text =
      "plain,x\n\"q,1\",\"\"\n a,b \n\"\"\"\",\"no\"\n\"a\r\nb\",\n";
  CsvRecords records(text);
  std::string out;
  while (*records.Next()) {
    records.AppendRecord(&out);
    out.push_back('\n');
  }
  EXPECT_EQ(out, "plain,x\n\"q,1\",\"\"\n\" a\",\"b \"\n\"\"\"\",no\n\"a\r\nb\",\n");
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
  out += '|';
  AppendCsvField(" lead", false, &out);
  out += '|';
  AppendCsvField("trail\t", false, &out);
  out += '|';
  AppendCsvField("in side", false, &out);
  EXPECT_EQ(out, "plain|\"a,\"\"b\"\"\"|\"\"||\" lead\"|\"trail\t\"|in side");
}

}  // namespace
}  // namespace strata::features
