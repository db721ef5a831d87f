// The one place a rocksdb::Status becomes an absl::Status.
#ifndef STRATA_STORE_INTERNAL_ROCKS_STATUS_H_
#define STRATA_STORE_INTERNAL_ROCKS_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rocksdb/slice.h"
#include "rocksdb/status.h"

namespace strata::internal {

// Maps `s` to the matching absl code; `context` (may be empty) prefixes the message.
// Corruption becomes DataLoss, Busy/TimedOut/TryAgain become Aborted (a retryable
// conflict), lock failures on open become Unavailable.
absl::Status FromRocks(const rocksdb::Status& s, absl::string_view context = {});

// Debian's abseil has its own string_view: these cross between it and rocksdb::Slice.
inline rocksdb::Slice ToSlice(absl::string_view s) { return {s.data(), s.size()}; }
inline absl::string_view ToView(const rocksdb::Slice& s) { return {s.data(), s.size()}; }

}  // namespace strata::internal

#endif  // STRATA_STORE_INTERNAL_ROCKS_STATUS_H_
