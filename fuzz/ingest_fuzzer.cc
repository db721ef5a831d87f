// An ingest of any file (CSV or JSON lines) into the shared store's example view,
// parsed in small blocks so records cross block ends. Either the ingest succeeds
// or it fails having written nothing: the ingest position does not move.
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "fuzz/harness.h"

using strata::features::InputFormat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t pick = data[0];
  const std::string path = strata::fuzz::ScratchDir() + "/ingest.input";
  {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file.write(reinterpret_cast<const char*>(data + 1), static_cast<std::streamsize>(size - 1));
  }
  strata::features::FeatureStore& fs = strata::fuzz::SharedFeatures();
  strata::features::IngestOptions options;
  options.format = pick % 3 == 0   ? InputFormat::kAuto
                   : pick % 3 == 1 ? InputFormat::kCsv
                                   : InputFormat::kJsonLines;
  options.parse_block_bytes = size_t{16} << ((pick / 3) % 8);  // 16 B .. 2 KiB
  options.bulk_threshold_rows = pick & 0x80 ? 1 : 100000;
  options.log_chunk_bytes = 64;
  options.creator = "fuzz";
  auto before = fs.Position();
  strata::fuzz::Check(before.ok(), "Position failed");
  auto result = fs.Ingest("customer_stats", path, options);
  auto after = fs.Position();
  strata::fuzz::Check(after.ok(), "Position failed");
  if (!result.ok()) {
    strata::fuzz::Check(!absl::IsInternal(result.status()) &&
                            !absl::IsDataLoss(result.status()),
                        absl::StrCat("ingest failed as the store's fault: ",
                                     result.status().ToString()));
    strata::fuzz::Check(after->position == before->position,
                        "a failed ingest moved the ingest position");
    return 0;
  }
  strata::fuzz::Check(result->written <= result->rows, "more rows written than read");
  strata::fuzz::Check(result->min_event <= result->max_event || result->rows == 0,
                      "min event after max event");
  return 0;
}
