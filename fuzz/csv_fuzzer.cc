// The CSV reader and writer (features/csv.h) on any bytes. The first byte picks a
// block size and a record limit; the rest is the file. Checked: read whole and read
// in blocks of whole records (CsvBlockReader, as ingest and spines read) give the
// same records and the same verdict; lines only go forward; every record written
// back (AppendRecord) reads back to the same fields.
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "features/csv.h"
#include "fuzz/harness.h"
#include "store/io.h"

namespace {

using strata::features::CsvRecords;

struct Parsed {
  std::vector<std::vector<std::string>> records;
  absl::StatusCode error = absl::StatusCode::kOk;
};

std::vector<std::string> Fields(const CsvRecords& reader) {
  std::vector<std::string> fields;
  for (size_t i = 0; i < reader.fields().size(); ++i) {
    // A quoted field is told apart from an unquoted one with the same text.
    std::string field(reader.quoted(i) ? "\x01" : "");
    field.append(reader.fields()[i].data(), reader.fields()[i].size());
    fields.push_back(std::move(field));
  }
  return fields;
}

// Reads the records of `data` into `parsed`; false after an error.
bool ReadBlock(absl::string_view data, size_t max_record_bytes, Parsed* parsed) {
  CsvRecords reader(data, nullptr, max_record_bytes);
  uint64_t last_line = 0;
  for (;;) {
    auto next = reader.Next();
    if (!next.ok()) {
      parsed->error = next.status().code();
      return false;
    }
    if (!*next) return true;
    strata::fuzz::Check(reader.line() > last_line, "CSV lines went backwards");
    last_line = reader.line();
    strata::fuzz::Check(!reader.fields().empty(), "a CSV record without fields");
    parsed->records.push_back(Fields(reader));
    // Written back, the record reads back the same (quoting may differ: an
    // unquoted field may come back quoted, never the text).
    std::string written;
    reader.AppendRecord(&written);
    if (written.empty()) continue;  // a blank line: one empty field, as read
    CsvRecords again(written, nullptr, written.size() + 1);
    auto reread = again.Next();
    strata::fuzz::Check(reread.ok() && *reread, absl::StrCat("a record written back as \"",
                                                            absl::CHexEscape(written),
                                                            "\" does not read"));
    strata::fuzz::Check(again.fields().size() == reader.fields().size(),
                        "a record written back has another field count");
    for (size_t i = 0; i < again.fields().size(); ++i) {
      strata::fuzz::Check(again.fields()[i] == reader.fields()[i],
                          absl::StrCat("a record written back as \"", absl::CHexEscape(written),
                                       "\" reads another field ", i));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t block_bytes = 1 + data[0] % 64;
  const size_t max_record_bytes = data[0] & 0x80 ? 32 : 4096;
  const absl::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

  Parsed whole;
  ReadBlock(text, max_record_bytes, &whole);

  Parsed blocks;
  auto source = strata::StringSource(text);
  strata::features::CsvBlockReader reader(source.get(), block_bytes, max_record_bytes);
  strata::features::ByteBuffer block;
  for (;;) {
    auto next = reader.Next(&block);
    if (!next.ok()) {
      blocks.error = next.status().code();
      break;
    }
    if (!*next || !ReadBlock(block.view(), max_record_bytes, &blocks)) break;
  }
  strata::fuzz::Check(whole.records == blocks.records,
                      absl::StrCat("read whole: ", whole.records.size(), " records; in ",
                                   block_bytes, "-byte blocks: ", blocks.records.size()));
  strata::fuzz::Check((whole.error == absl::StatusCode::kOk) ==
                          (blocks.error == absl::StatusCode::kOk),
                      absl::StrCat("read whole: ", absl::StatusCodeToString(whole.error),
                                   "; in blocks: ", absl::StatusCodeToString(blocks.error)));
  return 0;
}
