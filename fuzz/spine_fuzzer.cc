// A point-in-time retrieval with any bytes as the spine. Either it fails cleanly or
// its output is CSV with one record per spine row, each as wide as the header.
#include <string>

#include "absl/strings/str_cat.h"
#include "features/csv.h"
#include "fuzz/harness.h"
#include "store/io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t pick = data[0];
  const absl::string_view spine_text(reinterpret_cast<const char*>(data + 1), size - 1);
  strata::features::HistoricalRequest request;
  request.features = {"customer_stats:spend_7d", "customer_stats:segment"};
  request.full_names = pick & 1;
  request.created_cutoff = pick & 2;
  request.timestamp_unit = pick & 4 ? strata::features::TimeUnit::kMillis
                                    : strata::features::TimeUnit::kSeconds;
  request.max_spine_rows = 1000;
  auto spine = strata::StringSource(spine_text);
  std::string out;
  auto sink = strata::StringSink(&out);
  auto result = strata::fuzz::SharedFeatures().Historical(request, *spine, *sink);
  if (!result.ok()) {
    strata::fuzz::Check(!absl::IsInternal(result.status()) &&
                            !absl::IsDataLoss(result.status()),
                        absl::StrCat("retrieval failed as the store's fault: ",
                                     result.status().ToString()));
    return 0;
  }
  strata::features::CsvRecords records(out);
  auto header = records.Next();
  strata::fuzz::Check(header.ok() && *header, "a retrieval without a header");
  const size_t columns = records.fields().size();
  uint64_t rows = 0;
  for (;;) {
    auto next = records.NextRow(columns);
    strata::fuzz::Check(next.ok(), absl::StrCat("the retrieval wrote bad CSV: ",
                                                next.status().message()));
    if (!*next) break;
    ++rows;
  }
  strata::fuzz::Check(rows == result->rows,
                      absl::StrCat("the retrieval wrote ", rows, " rows for ", result->rows,
                                   " spine rows"));
  return 0;
}
