// The ingest's parallel stages, run over a whole input before anything is written:
//   read      the caller's thread cuts the input into blocks of whole records;
//   validate  kWorkers threads parse each block, checking every value against the
//             view and encoding its rows as log entries (ingest_parse.h), then
//             hands it to the ingest's observers, one block at a time in file order
//             (ingest_observer.h), and leaves out the rows they drop; then,
//             out of turn, their OnBlockConcurrent;
//   sort/spill the same thread sorts the block's rows by key and appends them to
//             the run file as one sorted run (ingest_runs.h).
// Buffers go back to pools once used: fresh memory costs page faults. Internal to
// features/.
#ifndef STRATA_FEATURES_INGEST_PIPELINE_H_
#define STRATA_FEATURES_INGEST_PIPELINE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "features/csv.h"
#include "features/feature_store.h"
#include "features/ingest_block.h"
#include "features/ingest_observer.h"
#include "features/ingest_parse.h"
#include "features/ingest_runs.h"
#include "store/io.h"

namespace strata::features::ingest {

// The input, opened and its header read (the "read" stage's start): what the
// pipeline parses.
struct Input {
  std::unique_ptr<ByteSource> source;
  std::optional<CsvBlockReader> reader;  // reads `source`
  ByteBuffer first;                      // the first block
  size_t first_start = 0;                // where its rows start (after the header)
  uint64_t header_lines = 0;             // lines before the first row's block
  BlockFormat format;
};

// Every row of the input, checked, sorted into runs in the run file.
struct SortedRuns {
  std::vector<std::unique_ptr<ParsedBlock>> blocks;  // in file order
  std::vector<std::pair<uint64_t, uint64_t>> runs;   // [begin, end) per block
  uint64_t rows = 0;     // rows parsed and kept (in-block duplicates included)
  uint64_t dropped = 0;  // rows observers dropped
  Micros min_event = INT64_MAX, max_event = INT64_MIN;
};

// The observers of one ingest, each called as ingest_observer.h says.
class Observers {
 public:
  explicit Observers(const std::vector<IngestObserver*>& observers)
      : observers_(observers) {}
  bool empty() const { return observers_.empty(); }
  // OnStart of each, until one fails.
  absl::Status Start(const IngestStart& start);
  absl::Status Block(IngestBlock& block);
  // OnBlockConcurrent of each; may run for several blocks at once.
  absl::Status BlockConcurrent(const IngestBlock& block);
  absl::Status BeforeCommit(const IngestSummary& summary);
  // AfterCommit of each, every one called; the first error.
  absl::Status AfterCommit(IngestResult& result);
  // OnEnd of each observer whose OnStart was called.
  void End(const absl::StatusOr<IngestResult>& outcome);

 private:
  const std::vector<IngestObserver*>& observers_;
  size_t started_ = 0;
};

// The columns observers see for `view` (IngestStart::columns).
std::vector<IngestColumn> ObservedColumns(const ResolvedView& view);

// Runs read, validate and sort/spill over `input` with `workers` threads besides
// the caller's. `progress`: IngestOptions::progress. `source_name` names the input
// in errors ("FILE:LINE: ...").
// Errors: the first bad record or value or observer error in file order, the
// input's read errors, the run file's write errors.
absl::StatusOr<SortedRuns> ParseAndSort(Input& input, int workers,
                                        const std::string& source_name,
                                        const std::function<void(uint64_t)>& progress,
                                        RunFile* run_file, Observers& observers);

}  // namespace strata::features::ingest

#endif  // STRATA_FEATURES_INGEST_PIPELINE_H_
