// OnlineTable: the online table, the newest row of every (feature view, entity),
// which lookups serve and ingests, pushes and repairs write. Internal to features/:
// FeatureStore owns one (the RocksDB one, features/rocks_online_table.h) and every
// online read and write goes through it. A second implementation (issue 18's Redis)
// passes the same suite, features/online_table_conformance.h.
//
// A row is a key and a value, both bytes, encoded by features/codec.h:
//   key    VIEW(4) ENTITY   the view's id (big-endian) and the entity's join key values
//   value  EVENT(8) CREATED(8) INGEST(8) ROW
// The value's first kOnlineVersionBytes (codec::AppendOnlineHeader: event time,
// created time, ingest number, order-preserving big-endian) are its version.
//
// Newest wins (an upsert): of the stored row and the rows upserted to a key, the
// one whose version compares largest byte by byte (memcmp) stays: the larger event
// time, then the larger created time, then the larger ingest. Equal versions go to
// the later write. A value shorter than a version (never written by strata) loses
// to any other. The rule is applied by the table itself, atomically per key, so
// concurrent upserts of one entity need no lock and may land in any order.
//
// Thread-safe: every method may be called from many threads at once.
#ifndef STRATA_FEATURES_ONLINE_TABLE_H_
#define STRATA_FEATURES_ONLINE_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "store/change.h"

namespace rocksdb {
class Transaction;
}

namespace strata::features {

// Bytes of an online value that are its version (see above).
inline constexpr size_t kOnlineVersionBytes = 24;

// One row: first its key, second its value (the shapes above).
using OnlineRow = std::pair<std::string, std::string>;

// The writes of one change of the online table. The spans must outlive the Write.
struct OnlineWrite {
  // Newest wins against the stored row and against each other (a later one in the
  // span is the later write).
  absl::Span<const OnlineRow> upserts = {};
  // Replace the stored row whatever its version (a repair recomputed them).
  absl::Span<const OnlineRow> puts = {};
  // Removed, when present.
  absl::Span<const std::string> deletes = {};
};

// A page of rows read by Scan, kept in one buffer (no allocation per row).
class OnlinePage {
 public:
  size_t size() const { return ends_.size() / 2; }
  bool empty() const { return ends_.empty(); }
  // The `i`th row's key and value, in key order; valid while the page lives.
  absl::string_view key(size_t i) const { return Slice(2 * i); }
  absl::string_view value(size_t i) const { return Slice(2 * i + 1); }
  // Appends a row (for implementations). REQUIRES: after the rows added before it.
  void Add(absl::string_view key, absl::string_view value) {
    for (absl::string_view part : {key, value}) {
      bytes_.append(part.data(), part.size());
      ends_.push_back(bytes_.size());
    }
  }

  // Where the next page starts (pass it to Scan as `from`); empty: the view is done.
  std::string resume;

 private:
  absl::string_view Slice(size_t part) const {
    const size_t begin = part == 0 ? 0 : ends_[part - 1];
    return absl::string_view(bytes_).substr(begin, ends_[part] - begin);
  }
  std::string bytes_;
  std::vector<size_t> ends_;  // of each key and value in bytes_
};

class OnlineTable {
 public:
  virtual ~OnlineTable() = default;

  // Called by Lookup once for each key that has a row: `index` is the key's place in
  // `keys`, `value` its row's value, valid only during the call. A non-OK status
  // stops the lookup, which returns it.
  using FoundRow = absl::FunctionRef<absl::Status(size_t index, absl::string_view value)>;

  // Reads the rows of `keys` in one batch (RocksDB: one MultiGet; Redis: a pipeline
  // per node) and reports each row found to `found`, in any order; a key without a
  // row is not reported. Keys may repeat.
  // Errors: Unavailable or DataLoss when the table cannot be read; found's errors.
  virtual absl::Status Lookup(absl::Span<const absl::string_view> keys,
                              FoundRow found) const = 0;

  // The store's own records of an online change, written with `txn`, a transaction
  // on the store's database (records.h); called once per attempt of the commit.
  using StoreRecords = absl::FunctionRef<absl::Status(rocksdb::Transaction* txn)>;

  // Applies `write` (upserts newest-wins, puts, deletes) and commits `records` as one
  // store change `change` (store/change.h: the ChangeObserver sees it and may refuse
  // it). A table in the store's database (RocksOnlineTable) makes the rows and the
  // records one atomic write: both or neither. A table elsewhere cannot join the
  // store's transaction; it returns OK only when both are written, and a failure
  // between the two is repaired by an online rebuild.
  // Errors: the ChangeObserver's or records' error (nothing written); Aborted when
  // the commit kept conflicting; Unavailable when the table cannot be written.
  virtual absl::Status Write(const OnlineWrite& write, Change change,
                             StoreRecords records) = 0;
  // As above, with no records of the store's own.
  absl::Status Write(const OnlineWrite& write, Change change) {
    return Write(write, std::move(change), [](rocksdb::Transaction*) {
      return absl::OkStatus();
    });
  }

  // Up to `limit` rows of view `view` in key order, from the first key at or after
  // `from` (empty: the view's first row); the page's `resume` continues the scan.
  // Each row is as committed when the scan reached it: rows written during a scan
  // that pages over them may or may not be seen.
  // REQUIRES: limit >= 1; `from` empty or a key of `view` (a previous resume).
  // Errors: Unavailable or DataLoss when the table cannot be read.
  virtual absl::StatusOr<OnlinePage> Scan(uint32_t view, absl::string_view from,
                                          size_t limit) const = 0;

  // After a large write of `view`'s rows: a chance to make later lookups cheaper
  // (RocksDB folds upserts into plain rows). Best effort; no error, no effect on
  // what any read returns.
  virtual void CompactView(uint32_t view) = 0;

  // The rows of `keys` by place, nullopt where there is none: Lookup, copied.
  absl::StatusOr<std::vector<std::optional<std::string>>> LookupCopies(
      absl::Span<const std::string> keys) const;
};

// The first key of `view`'s rows: VIEW(4).
std::string OnlineViewPrefix(uint32_t view);

}  // namespace strata::features

#endif  // STRATA_FEATURES_ONLINE_TABLE_H_
