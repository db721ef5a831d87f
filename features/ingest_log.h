// The ingest's "write log" stage: the sorted runs merged into the offline log under
// the ingest's number (invisible until the ingest commits), through a write batch or,
// for large inputs, as SST files ingested whole; each entity's newest row is kept for
// the online table. Internal to features/.
#ifndef STRATA_FEATURES_INGEST_LOG_H_
#define STRATA_FEATURES_INGEST_LOG_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "features/feature_store.h"
#include "features/ingest_pipeline.h"
#include "features/ingest_runs.h"
#include "store/internal/db.h"
#include "store/store.h"

namespace strata::features::ingest {

// Online table rows: key (VIEW ENTITY) and value (header and packed row).
using OnlineRows = std::vector<std::pair<std::string, std::string>>;

// What WriteLog wrote.
struct LogWrite {
  uint64_t written = 0;  // rows: in-file duplicates count once
  uint64_t shadowed = 0;  // rows written that one of them hides (IngestResult)
  OnlineRows online;     // each entity's newest row, in key order
};

// Merges `sorted`'s runs into the offline log under `ingest`: through one write
// batch, or when `bulk`, as two SST files (split at an entity boundary once the rows
// reach twice options.bulk_threshold_rows) written in parallel and ingested.
// Errors: the run file's read errors, RocksDB's write errors.
absl::StatusOr<LogWrite> WriteLog(const Store& store, internal::Db& db, uint64_t ingest,
                                  const IngestOptions& options, const RunFile& run_file,
                                  const SortedRuns& sorted, bool bulk);

}  // namespace strata::features::ingest

#endif  // STRATA_FEATURES_INGEST_LOG_H_
