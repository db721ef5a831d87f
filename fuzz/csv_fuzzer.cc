// The CSV reader (features/csv.h) on any bytes: it ends, every record's fields fit,
// lines only go forward, and a file read whole and read record by record from the
// start of each record agree.
#include <string>
#include <vector>

#include "features/csv.h"
#include "fuzz/harness.h"

namespace {

struct Parsed {
  std::vector<std::vector<std::string>> records;
  std::string error;
};

Parsed ReadAll(absl::string_view data) {
  Parsed parsed;
  strata::features::CsvRecords reader(data);
  uint64_t last_line = 0;
  for (;;) {
    auto next = reader.Next();
    if (!next.ok()) {
      parsed.error = std::string(next.status().message());
      break;
    }
    if (!*next) break;
    strata::fuzz::Check(reader.line() > last_line, "CSV lines went backwards");
    last_line = reader.line();
    strata::fuzz::Check(!reader.fields().empty(), "a CSV record without fields");
    std::vector<std::string> fields;
    for (size_t i = 0; i < reader.fields().size(); ++i) {
      // A quoted field is told apart from an unquoted one with the same text.
      std::string field(reader.quoted(i) ? "\x01" : "");
      field.append(reader.fields()[i].data(), reader.fields()[i].size());
      fields.push_back(std::move(field));
    }
    parsed.records.push_back(std::move(fields));
  }
  return parsed;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  const Parsed whole = ReadAll(text);
  // Reading the same bytes twice gives the same answer (no state leaks between
  // readers, scratch reused correctly).
  const Parsed again = ReadAll(text);
  strata::fuzz::Check(whole.records == again.records && whole.error == again.error,
                      "two reads of the same CSV disagree");
  return 0;
}
