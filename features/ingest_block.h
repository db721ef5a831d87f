// The unit the ingest's stages hand along (features/ingest.cc): a block of the input,
// its rows encoded as log entries in an arena, then sorted and spilled as a run.
// Internal to features/.
#ifndef STRATA_FEATURES_INGEST_BLOCK_H_
#define STRATA_FEATURES_INGEST_BLOCK_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "features/ingest_observer.h"
#include "features/values.h"

namespace strata::features::ingest {

// A block's row, encoded in its arena: KEY then VALUE. 32 bytes: a block's hundred
// thousand of them are sorted in cache-sized memory.
struct Entry {
  uint64_t k0 = 0, k1 = 0;  // key bytes 4..20, big-endian: most comparisons end here
  char* rec = nullptr;      // during the parse: the offset in the arena
  uint32_t klen = 0, vlen = 0;

  absl::string_view key() const { return {rec, klen}; }
  absl::string_view value() const { return {rec + klen, vlen}; }
};

inline int CompareKeys(const Entry& a, const Entry& b) {
  if (a.k0 != b.k0) return a.k0 < b.k0 ? -1 : 1;
  if (a.k1 != b.k1) return a.k1 < b.k1 ? -1 : 1;
  return a.key().compare(b.key());
}

// Key order; equal keys of one block in file order (their arena offsets grow).
inline bool EntryLess(const Entry& a, const Entry& b) {
  const int c = CompareKeys(a, b);
  return c != 0 ? c < 0 : a.rec < b.rec;
}

// A block's kept rows, sorted, in the run file: records of RunHeader, key, value.
struct RunHeader {
  uint32_t klen, vlen;
};
constexpr size_t kRunSampleEvery = 64;  // records between two samples of a run
struct Run {
  uint64_t offset = 0, bytes = 0;
  // Every kRunSampleEvery-th record: its offset in the file and its key.
  std::vector<std::pair<uint64_t, std::string>> samples;
};

struct ParsedBlock {
  size_t index = 0;
  std::string arena;           // rows as parsed (pooled)
  std::vector<Entry> entries;  // their keys, sorted once the block is parsed (pooled)
  Run run;                     // the sorted rows, once spilled
  uint64_t rows = 0;           // parsed (the run drops in-block duplicates)
  uint64_t lines = 0;
  std::optional<std::pair<uint64_t, std::string>> error;  // local line, message
  absl::StatusCode error_code = absl::StatusCode::kInvalidArgument;
  Micros min_event = INT64_MAX, max_event = INT64_MIN;
  // For the ingest's observers (IngestBlock): when `observed`, the rows' values
  // (IngestStart::columns of them) and each row's line in the block, from 1.
  bool observed = false;
  std::vector<IngestColumnValues> columns;
  std::vector<uint64_t> row_lines;
  uint64_t dropped = 0;         // rows an observer dropped (not in `rows`)
  absl::Status observer_error;  // an observer's, which fails the ingest as it is
};

}  // namespace strata::features::ingest

#endif  // STRATA_FEATURES_INGEST_BLOCK_H_
