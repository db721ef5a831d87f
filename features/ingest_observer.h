// IngestObserver: what sees an ingest while it runs (FeatureStore::Ingest): every
// parsed block of rows, typed, with each row's source line, before anything is
// written; then the moment before the ingest writes and commits, and its end. The
// seam where statistics and validation rules join an ingest (issue 17, quality/)
// without touching its stages (docs/architecture.md, "Ingest").
//
//   class RowCounter : public IngestObserver {
//     absl::Status OnBlock(IngestBlock& block) override {
//       rows += block.rows();
//       return absl::OkStatus();
//     }
//     uint64_t rows = 0;
//   };
//   RowCounter counter;
//   fs.Ingest("customer_stats", "events.csv", {.observers = {&counter}});
#ifndef STRATA_FEATURES_INGEST_OBSERVER_H_
#define STRATA_FEATURES_INGEST_OBSERVER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "features/feature_store.h"
#include "features/features.pb.h"
#include "features/values.h"

namespace strata::features {

// A column of the rows an observer sees. Every block of an ingest has the same
// columns, in this order: the view's join keys (in its entity's order), then
// event_timestamp, created_timestamp, then the view's features (in definition
// order), whether or not the input has them.
struct IngestColumn {
  enum class Role { kJoinKey, kEventTime, kCreatedTime, kFeature };
  std::string name;  // as the view names it ("event_timestamp", "created_timestamp")
  ValueType type = VALUE_TYPE_UNSPECIFIED;  // VALUE_TYPE_TIMESTAMP for the two times
  Role role = Role::kFeature;
};

// What an ingest reads, told once before its first block.
struct IngestStart {
  // The definition rows are checked against; valid until OnEnd returns.
  const FeatureView* view = nullptr;
  std::string view_version;  // "featureview/NAME@N"
  // What errors call the input ("events.csv", "<stdin>", "dataset/NAME@N", or
  // IngestOptions::source_name): the FILE of "FILE:LINE: ..." messages.
  std::string source_name;
  bool json_lines = false;  // JSON lines (else CSV with a header row)
  std::vector<IngestColumn> columns;
  // The created time the ingest records for rows without one (a null
  // created_timestamp in the blocks): when it started.
  Micros created_default = 0;
};

// A block's values of one column (IngestBlock::column), row by row, typed as the
// column is declared: int64 and timestamp (Micros) values in `ints`, bools as 0 and
// 1 in `ints`, doubles in `doubles`, strings and bytes in `chars` (row r's from
// ends[r - 1], or 0 for the first row, to ends[r]). A null has present[r] == 0 and
// a zero or empty slot. Columns, not Values: an observer's loops read plain arrays.
struct IngestColumnValues {
  ValueType type = VALUE_TYPE_UNSPECIFIED;
  std::vector<uint8_t> present;
  std::vector<int64_t> ints;
  std::vector<double> doubles;
  std::string chars;
  std::vector<uint64_t> ends;

  // Where the values of `type` are kept.
  static bool IsText(ValueType type) {
    return type == VALUE_TYPE_STRING || type == VALUE_TYPE_BYTES;
  }
  bool text() const { return IsText(type); }
  // REQUIRES: row < rows, text().
  absl::string_view string(size_t row) const {
    const size_t begin = row == 0 ? 0 : ends[row - 1];
    return absl::string_view(chars.data() + begin, ends[row] - begin);
  }
  // Row `row`'s value as a Value (std::monostate for a null).
  Value value(size_t row) const;

  // Empties the column, keeping its memory, for a block of about `rows` rows.
  void Clear(ValueType column_type, size_t rows);
  // Appends a row's value. REQUIRES: `v` is null or of the column's type (the
  // ingest's parse types every value so; any other is kept as a null). Numbers and
  // strings inline: the parse appends every value of every row it observes.
  void Append(const Value& v) {
    if (const double* d = std::get_if<double>(&v); d != nullptr && type == VALUE_TYPE_DOUBLE) {
      present.push_back(1);
      doubles.push_back(*d);
    } else if (const int64_t* i = std::get_if<int64_t>(&v);
               i != nullptr && !text() && type != VALUE_TYPE_DOUBLE &&
               type != VALUE_TYPE_BOOL) {
      present.push_back(1);
      ints.push_back(*i);
    } else if (const std::string* s = std::get_if<std::string>(&v); s != nullptr && text()) {
      present.push_back(1);
      chars.append(*s);
      ends.push_back(chars.size());
    } else {
      AppendOther(v);
    }
  }
  void AppendNull() {
    present.push_back(0);
    if (text()) {
      ends.push_back(chars.size());
    } else if (type == VALUE_TYPE_DOUBLE) {
      doubles.push_back(0);
    } else {
      ints.push_back(0);
    }
  }

 private:
  void AppendOther(const Value& v);  // bools and nulls
};

// One block of parsed rows, in file order within the block. Every value is checked
// and typed as its column is declared (timestamps as Micros in an int64_t); a value
// the input leaves out or empty is null, created_timestamp included (the ingest then
// records the time it started). Not thread-safe; valid only during the OnBlock call
// it is given to.
class IngestBlock {
 public:
  // Made by the ingest (and tests). `columns`: IngestStart::columns of them, each
  // holding the block's rows; `lines`: each row's line counted from the block's start
  // (from 1); `line_offset`: the source lines before the block (a CSV header's among
  // them). REQUIRES: every column holds lines.size() rows.
  IngestBlock(size_t index, absl::Span<const IngestColumnValues> columns,
              absl::Span<const uint64_t> lines, uint64_t line_offset)
      : index_(index),
        columns_(columns),
        lines_(lines),
        line_offset_(line_offset),
        dropped_(lines.size(), false) {}

  // The block's place in the input: 0, 1, 2... in file order.
  size_t index() const { return index_; }
  size_t rows() const { return lines_.size(); }
  size_t columns() const { return columns_.size(); }
  // The source line row `row` starts on, from 1, as the ingest's errors count
  // lines (a CSV header and blank lines included). REQUIRES: row < rows().
  uint64_t line(size_t row) const { return line_offset_ + lines_[row]; }
  // Column `column`'s values (IngestStart::columns order): what loops over many
  // rows read. REQUIRES: column < columns().
  const IngestColumnValues& column(size_t column) const { return columns_[column]; }
  // One value, as a Value. REQUIRES: row < rows(), column < columns().
  Value value(size_t row, size_t column) const { return columns_[column].value(row); }

  // Leaves row `row` out of the ingest: it is neither written to the offline log
  // nor to the online table, and counts in IngestResult::dropped rather than in
  // rows. Later observers of the block still see it (dropped() tells). Idempotent.
  // REQUIRES: row < rows().
  void Drop(size_t row) {
    if (!dropped_[row]) ++dropped_count_;
    dropped_[row] = true;
  }
  bool dropped(size_t row) const { return dropped_[row]; }
  size_t dropped_count() const { return dropped_count_; }

 private:
  size_t index_;
  absl::Span<const IngestColumnValues> columns_;
  absl::Span<const uint64_t> lines_;
  uint64_t line_offset_;
  std::vector<bool> dropped_;
  size_t dropped_count_ = 0;
};

// What an ingest knows once every row is read, checked and observed, before it
// writes anything.
struct IngestSummary {
  uint64_t rows = 0;     // rows to write (dropped ones left out; in-file duplicates
                         // still counted: the merge removes them while writing)
  uint64_t dropped = 0;  // rows observers dropped
  uint64_t blocks = 0;   // blocks observed
  Micros min_event = 0, max_event = 0;  // of the rows to write
};

// Sees one ingest. Each observer is called, in the order of IngestOptions::observers:
//   OnStart       once, after the input's header is read, before any row is parsed;
//   OnBlock       once per block of rows, in file order and one block at a time
//                 (calls never overlap), on one of the ingest's worker threads while
//                 the others parse the next blocks; a block holding a bad value
//                 and the blocks after it are not given (the ingest fails with that
//                 error);
//   OnBlockConcurrent  once per block whose OnBlock calls (of every observer)
//                 succeeded, after them, on the same worker thread, but in no order
//                 and possibly at the same time as for another block: the rows
//                 dropped are final. For work that needs no file order (a profile
//                 merged from each block's), which then does not hold up the
//                 other workers;
//   BeforeCommit  once, when every block was observed, before anything is written:
//                 the last moment an observer can stop the ingest;
//   AfterCommit   once, when the ingest committed, with its result (for what is
//                 written beside it: a quarantine, a profile);
//   OnEnd         once for every observer whose OnStart was called, whatever
//                 happened, with the ingest's outcome (its result, or its error).
// An error from OnStart, OnBlock, OnBlockConcurrent or BeforeCommit fails the ingest
// with that error, unchanged (so it should say what and where: "events.csv:12:
// column x: ..."): nothing is written, and no further call but OnEnd is made. An
// error from AfterCommit becomes the ingest's ("ingest N committed, but ...") though
// its rows stay committed; later observers' AfterCommit is still called. Observers
// given in IngestOptions are not owned by the ingest and must outlive it; those made
// by FeatureStoreOptions::ingest_observers live for one ingest. One observer watches
// one ingest at a time; it needs no locking of its own (its calls happen one after
// another), except in OnBlockConcurrent, whose calls may overlap each other (not the
// other calls).
class IngestObserver {
 public:
  virtual ~IngestObserver() = default;

  virtual absl::Status OnStart(const IngestStart& start) {
    (void)start;
    return absl::OkStatus();
  }
  // May Drop rows of `block`.
  virtual absl::Status OnBlock(IngestBlock& block) = 0;
  // Must not Drop rows. Default: nothing.
  virtual absl::Status OnBlockConcurrent(const IngestBlock& block) {
    (void)block;
    return absl::OkStatus();
  }
  virtual absl::Status BeforeCommit(const IngestSummary& summary) {
    (void)summary;
    return absl::OkStatus();
  }
  // `result`: the committed ingest's result, which the observer may add to (its
  // error is reported with the result's ingest number).
  virtual absl::Status AfterCommit(IngestResult& result) {
    (void)result;
    return absl::OkStatus();
  }
  // `outcome`: the result the ingest returns (its error when it failed, or when
  // this or another observer stopped it).
  virtual void OnEnd(const absl::StatusOr<IngestResult>& outcome) { (void)outcome; }
};

}  // namespace strata::features

#endif  // STRATA_FEATURES_INGEST_OBSERVER_H_
