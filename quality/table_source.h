// Tables to measure: a stored dataset version (CSV or JSON lines) or a window of a
// feature view's offline log, read as blocks of typed columns. Statistics
// (quality/profile.h) and drift read their inputs through here.
//
//   ASSIGN_OR_RETURN(SourceRef ref, ParseSourceRef("dataset/events@3"));
//   RETURN_IF_ERROR(ScanSource(store, fs, ref, {}, [&](const TableBlock& b) {...}));
#ifndef STRATA_QUALITY_TABLE_SOURCE_H_
#define STRATA_QUALITY_TABLE_SOURCE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "features/feature_store.h"
#include "store/store.h"

namespace strata::quality {

enum class ColumnType { kInt64, kDouble, kBool, kString, kTimestamp };

// "int64", "double", "bool", "string", "timestamp".
absl::string_view ColumnTypeName(ColumnType type);

// The column type values of a declared feature type take: int64, double, bool and
// timestamp as themselves, string and bytes as strings.
ColumnType ColumnTypeOf(features::ValueType type);

// One block's values of one column. Rows without a value (an empty field, a JSON
// null or missing key) have present 0 and a 0 / empty placeholder.
struct Column {
  std::string name;
  ColumnType type = ColumnType::kString;
  std::vector<double> numbers;  // int64, double, bool (0/1), timestamp (us) as double
  std::vector<std::string> strings;  // kString
  std::vector<uint8_t> present;      // 1 when the row has a value, 0 for null/empty
};

// Consecutive rows of a table: every column holds `rows` entries.
struct TableBlock {
  std::vector<Column> columns;
  size_t rows = 0;
};

using BlockFn = std::function<absl::Status(const TableBlock&)>;

// What to read. Written as text (ParseSourceRef):
//   "dataset/NAME[@REF]"             a dataset version's content, CSV or JSON lines;
//   "featureview/NAME[FROM..TO]"     the rows in force of a window of the view's
//                                    offline log, event times FROM <= t < TO (RFC 3339
//                                    or epoch seconds; either may be empty: unbounded);
//   "served:featureview/NAME[FROM..TO]"  the view's served-answer log
//                                    (FeatureStore::ScanServed), answers served at
//                                    FROM <= t < TO.
struct SourceRef {
  enum class Kind { kDataset, kWindow };
  Kind kind = Kind::kDataset;
  // kDataset: "dataset/NAME[@REF]" as given. kWindow: the view's name.
  std::string name;
  // kDataset: the feature view ("featureview/NAME" or "NAME") whose declared types
  // the columns take (join keys, event_timestamp, features); empty: inferred.
  std::string view;
  // kWindow: event times [from, to), and the knowledge time (rows created after it
  // hidden; none: all).
  features::Micros from = INT64_MIN, to = INT64_MAX;
  std::optional<features::Micros> as_of;
  // kWindow: the served-answer log's window rather than the offline log's.
  bool served = false;

  // "dataset/NAME@REF", "featureview/NAME[FROM..TO]" or
  // "served:featureview/NAME[FROM..TO]" (bounds in RFC 3339).
  std::string ToString() const;
};

// Parses the forms above. Errors: InvalidArgument naming what is wrong (another
// kind, a malformed reference or time, FROM after TO).
absl::StatusOr<SourceRef> ParseSourceRef(absl::string_view text);

// A time bound as the CLI and HTTP take it: RFC 3339 or integer epoch seconds.
// Errors: InvalidArgument.
absl::StatusOr<features::Micros> ParseTimeBound(absl::string_view text);

struct ScanOptions {
  // Rows per block handed to the callback. Default 65536: blocks of a few MB for
  // a few columns, enough to amortize the callback, small beside the input.
  // 0: blocks as they are parsed (a CSV's: a read_bytes block's rows, sizes
  // varying; at most 65536 rows otherwise), handed over without being copied into
  // blocks of a set size.
  size_t block_rows = 65536;
  // Bytes of a dataset read (and parsed) at once. Default 8 MiB, as ingest.
  size_t read_bytes = size_t{8} << 20;
  // CSV blocks parsed at once, each on a thread of its own, while the calling thread
  // reads the next and hands rows to the callback. Default 2 (this machine's
  // cores): more costs read_bytes and its rows per thread for no speed.
  size_t parse_threads = 2;
  // Called with the bytes (dataset) or rows (window) done so far and the total when
  // known (0 otherwise), from the calling thread.
  std::function<void(uint64_t done, uint64_t total)> progress;
  // For callers that can start over. When set, a CSV dataset whose types are
  // inferred is read once: the types are inferred from its first block (read_bytes)
  // and every later value checked against them. Should a later value not fit (a
  // column of integers meets 2.5, or a column without a value in the first block
  // gets one), the rest is read for its types, `restart` is called from the calling
  // thread, every block handed to the callback until then is void, and the table is
  // handed over again from its first row, typed as a first pass over it types it.
  // Unset (the default): such a dataset is read twice, a first pass for the types,
  // and the callback never sees a row twice.
  std::function<void()> restart;
};

// Calls `fn` with the table's rows in order, `options.block_rows` at a time (the
// last block may hold fewer; a table without rows gives one block of none, so the
// callback always learns the columns), from the calling thread. Memory is bounded
// by the blocks, not the table (about parse_threads + 1 times read_bytes of text
// and as much parsed). Types of columns a view does not declare are inferred from
// every value: int64 when every value parses as one, else double, else bool
// (true/false), else timestamp (RFC 3339), else string; a dataset is read twice for
// them (JSON lines always, CSV unless options.restart says otherwise).
// Errors: NotFound for an unknown dataset, version or view; FailedPrecondition for
// a deleted version; InvalidArgument naming the line and column of a bad record, or
// a value that does not parse as the view's declared type; DataLoss for corrupt
// content; fn's first error, unchanged.
absl::Status ScanSource(Store& store, features::FeatureStore& fs, const SourceRef& ref,
                        const ScanOptions& options, const BlockFn& fn);

// The values of the named columns (all columns when `columns` is empty), every
// block concatenated: for callers that need whole samples (drift). Memory grows
// with the table. A CSV dataset is read once (options.restart: ReadSource starts
// over itself, after calling the caller's).
// Errors: as ScanSource; NotFound naming a column the table does not have.
absl::StatusOr<TableBlock> ReadSource(Store& store, features::FeatureStore& fs,
                                      const SourceRef& ref, const ScanOptions& options,
                                      const std::vector<std::string>& columns);

}  // namespace strata::quality

#endif  // STRATA_QUALITY_TABLE_SOURCE_H_
