// The CSV cases (csv_cases.h) through the feature store: ingest and spines read them
// alike at every block size, and what a spine carries comes out with the same values.
#include <fstream>

#include "absl/strings/str_cat.h"
#include "features/csv.h"
#include "features/csv_cases.h"
#include "features/definitions.h"
#include "features/feature_store.h"
#include "gtest/gtest.h"
#include "store/internal/db.h"
#include "store/ref.h"
#include "store/status_macros.h"
#include "tests/testing.h"

namespace strata::features {
namespace {

using csv_cases::CsvField;
using csv_cases::CsvRow;

constexpr absl::string_view kDefinitions = R"(
entities:
  - name: customer
    join_keys: [{name: customer_id, type: int64}]
feature_views:
  - name: v
    entities: [customer]
    features:
      - {name: s, type: string}
      - {name: x, type: double}
)";

constexpr size_t kBlockSizes[] = {1, 2, 3, 7, 64, 1 << 20};

// A CSV text read back with the strict reader: rows after the header.
struct Table {
  std::vector<std::string> header;
  std::vector<CsvRow> rows;
};

absl::StatusOr<Table> ReadTable(absl::string_view text) {
  Table t;
  ASSIGN_OR_RETURN(CsvHeader header, ReadCsvHeader(text));
  t.header = header.names;
  CsvRecords records(text.substr(header.end));
  while (true) {
    ASSIGN_OR_RETURN(bool more, records.NextRow(header.names.size()));
    if (!more) break;
    CsvRow row;
    for (size_t c = 0; c < records.fields().size(); ++c) {
      const absl::string_view f = records.fields()[c];
      row.push_back(f.empty() && !records.quoted(c) ? std::nullopt : CsvField(f));
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

class CsvStoreTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    auto defs = ParseDefinitions(kDefinitions, "defs");
    ASSERT_TRUE(defs.ok()) << defs.status();
    fs_ = std::make_unique<FeatureStore>(store_.get());
    ASSERT_TRUE(fs_->registry().Apply(*defs, "test", "").ok());
  }

  std::string WriteFile(const std::string& name, const std::string& text) {
    const std::string path = dir_.Sub(name);
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  absl::StatusOr<IngestResult> Ingest(const std::string& text, size_t block_bytes,
                                      size_t max_record_bytes = kDefaultMaxRecordBytes) {
    IngestOptions options;
    options.creator = "test";
    options.parse_block_bytes = block_bytes;
    options.max_record_bytes = max_record_bytes;
    options.source_name = "case.csv";
    options.format = InputFormat::kCsv;
    return fs_->Ingest("v", WriteFile("case.csv", text), options);
  }

  absl::StatusOr<std::string> Retrieve(const std::string& spine, size_t block_bytes,
                                       bool full_names = true) {
    HistoricalRequest request;
    request.features = {"v:s"};
    request.full_names = full_names;
    request.spine_name = "case.csv";
    request.spine_block_bytes = block_bytes;
    auto source = StringSource(spine);
    std::string out;
    auto sink = StringSink(&out);
    auto r = fs_->Historical(request, *source, *sink);
    if (!r.ok()) return r.status();
    return out;
  }

  size_t LogRows() {
    size_t n = 0;
    for (auto c = store_->internal_db().Scan(internal::Cf::kFeatureLog, ""); c->Valid();
         c->Next()) {
      ++n;
    }
    return n;
  }

  std::unique_ptr<FeatureStore> fs_;
};

void ExpectError(const absl::Status& status, const csv_cases::CsvCase& c) {
  ASSERT_FALSE(status.ok());
  const std::string message(status.message());
  EXPECT_EQ(message.rfind(absl::StrCat("case.csv:", c.error_line, ": "), 0), 0u)
      << message;
  EXPECT_NE(message.find(c.error), std::string::npos) << message;
}

TEST_F(CsvStoreTest, IngestReadsEveryCaseAtEveryBlockSize) {
  for (const auto& c : csv_cases::CsvCases()) {
    for (size_t block : kBlockSizes) {
      SCOPED_TRACE(absl::StrCat(c.name, ", block ", block));
      const size_t log_rows = LogRows();
      auto r = Ingest(c.input, block);
      if (c.error_line != 0) {
        ExpectError(r.status(), c);
        EXPECT_EQ(LogRows(), log_rows) << "written half-way";
        continue;
      }
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_EQ(r->rows, c.rows.size());
      // Each row's s, as the newest ingest of its customer wrote it.
      std::string spine = "customer_id,event_timestamp\n";
      for (const CsvRow& row : c.rows) absl::StrAppend(&spine, *row[0], ",100\n");
      auto out = Retrieve(spine, 1 << 20, false);
      ASSERT_TRUE(out.ok()) << out.status();
      auto table = ReadTable(*out);
      ASSERT_TRUE(table.ok()) << table.status() << "\n" << *out;
      ASSERT_EQ(table->rows.size(), c.rows.size());
      for (size_t i = 0; i < c.rows.size(); ++i) {
        EXPECT_EQ(table->rows[i][2], c.rows[i][2]) << "row " << i;
      }
    }
  }
}

TEST_F(CsvStoreTest, SpinesReadEveryCaseAtEveryBlockSize) {
  for (const auto& c : csv_cases::CsvCases()) {
    for (size_t block : kBlockSizes) {
      SCOPED_TRACE(absl::StrCat(c.name, ", block ", block));
      auto out = Retrieve(c.input, block);
      if (c.error_line != 0) {
        ExpectError(out.status(), c);
        continue;
      }
      ASSERT_TRUE(out.ok()) << out.status();
      auto table = ReadTable(*out);
      ASSERT_TRUE(table.ok()) << table.status() << "\n" << *out;
      EXPECT_EQ(table->header, (std::vector<std::string>{"customer_id", "event_timestamp",
                                                         "s", "v__s"}));
      std::vector<CsvRow> spine_columns;
      for (CsvRow row : table->rows) {
        row.pop_back();
        spine_columns.push_back(std::move(row));
      }
      EXPECT_EQ(spine_columns, c.rows) << *out;
      // Every row ends in LF: a CR only inside a quoted value.
      bool cr_in_values = false;
      for (const CsvRow& row : c.rows) {
        cr_in_values |= row[2].has_value() && row[2]->find('\r') != std::string::npos;
      }
      if (!cr_in_values) {
        EXPECT_EQ(out->find('\r'), std::string::npos);
      }
    }
  }
}

// The bug the issue found: a CRLF spine kept the CR in its last column, before the
// features, on every output path.
TEST_F(CsvStoreTest, CrlfSpineGivesCleanRowsSavedAndReproduced) {
  ASSERT_TRUE(
      Ingest("customer_id,event_timestamp,s,x\n1,5,one,1.5\n2,5,\"t,wo\",2.5\n", 1 << 20)
          .ok());
  const std::string spine =
      "customer_id,event_timestamp,label\r\n1,10,a\r\n2,10,\"b,\r\nc\"\r\n";
  const std::string expected =
      "customer_id,event_timestamp,label,s\n1,10,a,one\n2,10,\"b,\r\nc\",\"t,wo\"\n";
  auto out = Retrieve(spine, 1 << 20, false);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, expected);

  HistoricalRequest request;
  request.features = {"v:s"};
  std::string saved_out;
  auto sink = StringSink(&saved_out);
  auto saved = fs_->SaveHistorical(request, WriteFile("spine.csv", spine), "train",
                                   "test", "", sink.get());
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_EQ(saved_out, expected);
  auto repro = fs_->Reproduce(saved->dataset, nullptr);
  ASSERT_TRUE(repro.ok()) << repro.status();
  EXPECT_TRUE(repro->identical);

  // A set saved with the CR in it (as strata wrote them before) is not identical.
  auto version = store_->artifacts().Resolve(*ParseRef(saved->dataset));
  ASSERT_TRUE(version.ok());
  const std::string corrupt =
      "customer_id,event_timestamp,label\r,s\n1,10,a\r,one\n2,10,\"b,\r\nc\"\r,\"t,wo\"\n";
  auto source = StringSource(corrupt);
  auto put = store_->content().Put(*source);
  ASSERT_TRUE(put.ok());
  NewVersion nv;
  nv.artifact = {Kind::kDataset, "train"};
  nv.content_id = put->content_id;
  nv.metadata = {version->metadata().begin(), version->metadata().end()};
  nv.creator = "old strata";
  auto committed = store_->artifacts().Commit(nv);
  ASSERT_TRUE(committed.ok()) << committed.status();
  auto old = fs_->Reproduce("dataset/train", nullptr);
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_FALSE(old->identical);
}

TEST_F(CsvStoreTest, SpineColumnsPassThroughRequoted) {
  const std::string spine =
      "\xEF\xBB\xBF\"customer_id\",event_timestamp,note,\"a b\"\n"
      "\"1\",10, lead,\"x\"\"y\"\n"
      "2,10,\"\",\n"
      "3,10,\"plain\",\"comma,here\"\n";
  auto out = Retrieve(spine, 1 << 20, false);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out,
            "customer_id,event_timestamp,note,a b,s\n"
            "1,10,\" lead\",\"x\"\"y\",\n"
            "2,10,\"\",,\n"
            "3,10,plain,\"comma,here\",\n");
}

TEST_F(CsvStoreTest, RecordLimitBoundsIngestAndSpines) {
  const std::string head = "customer_id,event_timestamp,s\n1,10,a\n";
  const std::string endless(3000, 'z');  // no line end, as /dev/zero
  for (size_t block : kBlockSizes) {
    SCOPED_TRACE(block);
    auto in = Ingest(head + endless, block, 1000);
    EXPECT_EQ(in.status().code(), absl::StatusCode::kResourceExhausted);
    EXPECT_EQ(in.status().message().rfind(
                  "case.csv:3: a record is longer than the limit of 1000 bytes", 0),
              0u)
        << in.status();
    HistoricalRequest request;
    request.features = {"v:s"};
    request.spine_name = "case.csv";
    request.spine_block_bytes = block;
    request.max_record_bytes = 1000;
    const std::string spine = head + endless;
    auto source = StringSource(spine);
    std::string out;
    auto sink = StringSink(&out);
    auto r = fs_->Historical(request, *source, *sink);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
    EXPECT_EQ(r.status().message().rfind(
                  "case.csv:3: a record is longer than the limit of 1000 bytes", 0),
              0u)
        << r.status();
  }
  IngestOptions options;
  options.max_record_bytes = 0;
  EXPECT_EQ(fs_->Ingest("v", WriteFile("a.csv", head), options).status().code(),
            absl::StatusCode::kInvalidArgument);
  HistoricalRequest request;
  request.features = {"v:s"};
  request.max_record_bytes = (size_t{1} << 30) + 1;
  auto source = StringSource(head);
  std::string out;
  auto sink = StringSink(&out);
  EXPECT_EQ(fs_->Historical(request, *source, *sink).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(CsvStoreTest, LongColumnNamesAreCut) {
  const std::string name(10 << 20, 'n');
  auto in = Ingest("customer_id,event_timestamp," + name + "\n1,10,a\n", 8 << 20,
                   64 << 20);
  ASSERT_FALSE(in.ok());
  EXPECT_LT(in.status().message().size(), 400u);
  EXPECT_NE(in.status().message().find("unknown column \"nnnn"), std::string::npos)
      << in.status();
}

}  // namespace
}  // namespace strata::features
