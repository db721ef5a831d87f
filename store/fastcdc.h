// FastCDC content-defined chunking (Xia et al., USENIX ATC 2016): a Gear rolling hash
// with normalized chunking, so an edit near the start of a file moves only the chunk
// boundaries around it and every later chunk keeps its bytes and its id.
#ifndef STRATA_STORE_FASTCDC_H_
#define STRATA_STORE_FASTCDC_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace strata {

struct ChunkerOptions {
  // No chunk is shorter than this, except the last one of a stream. Default 16 KiB.
  // Larger values chunk faster (bytes below the minimum are skipped) but dedup less.
  size_t min_size = 16 * 1024;
  // Target mean chunk size; must be a power of two. Default 64 KiB. Smaller chunks
  // find more duplicates but cost more keys and manifest bytes per GB.
  size_t avg_size = 64 * 1024;
  // No chunk is longer than this. Default 256 KiB; bounds per-chunk memory.
  size_t max_size = 256 * 1024;
};

// Finds chunk boundaries. Stateless between calls and thread-safe: the caller keeps
// the stream position and passes the bytes that follow the previous cut.
class FastCdc {
 public:
  // REQUIRES: min_size < avg_size < max_size, avg_size a power of two >= 256.
  explicit FastCdc(const ChunkerOptions& options = {});

  // Returns the length of the chunk that starts at data[0].
  // REQUIRES: data.size() >= max_size(), or `data` holds the rest of the stream.
  // Returns data.size() when data is no longer than min_size, and 0 only for empty
  // data.
  size_t NextCut(absl::string_view data) const;

  size_t max_size() const { return options_.max_size; }

  // The Gear table is part of the on-disk contract (it decides chunk ids).
  static const uint64_t* GearTable();

 private:
  ChunkerOptions options_;
  uint64_t mask_small_;  // harder to match: used before avg_size
  uint64_t mask_large_;  // easier to match: used after avg_size
};

}  // namespace strata

#endif  // STRATA_STORE_FASTCDC_H_
