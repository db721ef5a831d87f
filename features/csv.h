// The one CSV reader and writer of strata (ingest, spines over the CLI and HTTP,
// results, anything later). RFC 4180 (comma-separated, double-quoted fields with ""
// for a quote) plus what real files carry: LF, CRLF or mixed line ends, a UTF-8
// byte-order mark before the header, a last record without a line end, blank lines
// (skipped by NextRow). Strict otherwise: a ragged row, an unterminated quote, text
// after a closing quote, a quote inside an unquoted field, a lone CR, a NUL byte,
// invalid UTF-8, a record longer than the limit, an empty or repeated header name
// are errors. Read in blocks of whole records, so blocks can be parsed on several
// threads. Not a public API: features/, its callers (api/, client/, tools/) and
// bench/compare_csv use it.
#ifndef STRATA_FEATURES_CSV_H_
#define STRATA_FEATURES_CSV_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "store/io.h"

namespace strata::features {

// Longest record (its bytes, line ends inside quotes included) a reader accepts:
// the bound on a reader's memory whatever the input (a file without a line break is
// refused at it). Default 16 MiB: far above any real row, small beside a block.
inline constexpr size_t kDefaultMaxRecordBytes = size_t{16} << 20;
inline constexpr size_t kMaxMaxRecordBytes = size_t{1} << 30;

// OK when 1 <= `bytes` <= 1 GiB. Errors: InvalidArgument naming `what` otherwise.
absl::Status CheckMaxRecordBytes(int64_t bytes, absl::string_view what);

// The ResourceExhausted error of a record longer than `max_record_bytes`.
absl::Status RecordTooLong(size_t max_record_bytes);

// Reads the records of one block (or a whole file) held in memory. The block starts
// at a record boundary (after the header: see CsvHeader). Not thread-safe; one per
// thread.
class CsvRecords {
 public:
  // `columns`, when given, names the fields in errors (column "x": ...); it must
  // outlive this object and hold names already cut (ColumnLabels).
  explicit CsvRecords(absl::string_view data,
                      const std::vector<std::string>* columns = nullptr,
                      size_t max_record_bytes = kDefaultMaxRecordBytes)
      : data_(data), columns_(columns), max_record_bytes_(max_record_bytes) {}

  // Reads the next record; false at the end. Fields point into the block or into
  // scratch owned by this object, valid until the next call. An empty line is a
  // record with one empty field.
  // Errors (line() is then the line the bad record starts on):
  //   InvalidArgument: a quote that does not close, text after a closing quote, a
  //     quote inside an unquoted field, a CR not followed by LF outside quotes, a
  //     NUL byte, invalid UTF-8;
  //   ResourceExhausted: a record longer than max_record_bytes.
  absl::StatusOr<bool> Next();

  // As Next, but skips blank lines, and a record whose field count is not
  // `columns` is an error ("5 fields, but the header has 4").
  absl::StatusOr<bool> NextRow(size_t columns);

  const std::vector<absl::string_view>& fields() const { return fields_; }
  // Whether field i was quoted: "" is an empty string, an empty field is nothing.
  bool quoted(size_t i) const { return quoted_[i]; }
  // The record's text, without its line end.
  absl::string_view raw() const { return raw_; }
  // Whether raw() is the record as AppendRecord writes it (nothing quoted, no field
  // that needs quotes).
  bool plain() const { return plain_; }
  // Appends the record as AppendCsvField writes each field (the raw text when that
  // is the same), without a line end: passes a record through unchanged in meaning.
  void AppendRecord(std::string* out) const;
  // Line of the block the record starts on, from 1.
  uint64_t line() const { return line_; }
  // Lines the records read so far span.
  uint64_t lines_read() const { return next_line_ - 1; }
  // Offset in the block just past the last record read (and its line end).
  size_t position() const { return pos_; }

 private:
  absl::Status Error(absl::string_view what) const;
  // Next's quoted field at `p` (a quote), appended to fields_ and quoted_; returns
  // the byte after it, or null with *error saying what is wrong (for Error).
  const char* ReadQuotedField(const char* p, const char* end, absl::string_view* error);

  absl::string_view data_;
  const std::vector<std::string>* columns_;
  size_t max_record_bytes_;
  size_t pos_ = 0;
  uint64_t line_ = 0, next_line_ = 1;
  bool plain_ = true;  // raw_ is the record as AppendCsvField writes it
  std::vector<absl::string_view> fields_;
  std::vector<bool> quoted_;
  // Unescaped copies of fields with doubled quotes; a deque, so a new copy never
  // moves the ones fields_ already points into.
  std::deque<std::string> scratch_;
  absl::string_view raw_;
};

// A file's header row: its column names.
struct CsvHeader {
  std::vector<std::string> names;
  // Names as errors print them: quoted and cut (Excerpt).
  std::vector<std::string> labels;
  size_t end = 0;      // offset in the block just past the header's line end
  uint64_t lines = 0;  // lines up to `end`
};

// Reads the header at the start of a file's first block: skips a UTF-8 byte-order
// mark and blank lines. No names when the block holds blank lines only.
// Errors: InvalidArgument "LINE: ..." (the line from 1) for what Next refuses, an
//   empty name or a name that appears twice; ResourceExhausted "LINE: ..." for a
//   header longer than max_record_bytes.
absl::StatusOr<CsvHeader> ReadCsvHeader(absl::string_view block,
                                        size_t max_record_bytes = kDefaultMaxRecordBytes);

// A byte buffer that grows without zero-filling (a parse reads gigabytes through
// buffers; filling each with zeros first cost a tenth of an ingest). Movable.
class ByteBuffer {
 public:
  char* data() { return bytes_.get(); }
  const char* data() const { return bytes_.get(); }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  absl::string_view view() const { return {bytes_.get(), size_}; }
  // Makes room for `n` bytes in all, keeping the contents.
  void Reserve(size_t n);
  // Sets the size; bytes past the old size are uninitialized. Reserves as needed.
  void Resize(size_t n) {
    Reserve(n);
    size_ = n;
  }
  void Append(absl::string_view bytes);

 private:
  std::unique_ptr<char[]> bytes_;
  size_t size_ = 0, capacity_ = 0;
};

// Cuts a stream into blocks of whole records of about `block_bytes` each (a quote
// state carried through each block, so line breaks inside quotes never cut). Its
// memory is bounded by about 1.25 * block_bytes + max_record_bytes. Not thread-safe.
class CsvBlockReader {
 public:
  CsvBlockReader(ByteSource* source, size_t block_bytes,
                 size_t max_record_bytes = kDefaultMaxRecordBytes)
      : source_(source), block_bytes_(block_bytes), max_record_bytes_(max_record_bytes) {}

  // Records end at every LF, quotes or not (JSON lines). Default false.
  void set_lines_only(bool lines_only) { lines_only_ = lines_only; }

  // Fills `*block` with the next records (the last block may lack a final line
  // end); false at the end. `block` may be a used buffer: its memory is reused.
  // Errors: as ByteSource::Read; ResourceExhausted (RecordTooLong) when a record
  // does not end within max_record_bytes (the caller knows its line: the one
  // after the blocks read so far).
  absl::StatusOr<bool> Next(ByteBuffer* block);
  uint64_t bytes_read() const { return bytes_read_; }

 private:
  // Reads up to `n` more bytes onto the end of `block`; false at the end.
  absl::StatusOr<bool> ReadMore(ByteBuffer* block, size_t n);
  size_t RecordsEnd(absl::string_view data) const;

  ByteSource* source_;
  size_t block_bytes_, max_record_bytes_;
  bool lines_only_ = false;
  ByteBuffer carry_;
  bool eof_ = false;
  uint64_t bytes_read_ = 0;
};

// As above, with `block` the first block of `reader`: while it holds blank lines
// only, the next blocks are appended to it.
// Errors: as above; "LINE: there is no header row" for a file of blank lines; the
// reader's errors.
absl::StatusOr<CsvHeader> ReadCsvHeader(CsvBlockReader& reader, ByteBuffer* block,
                                        size_t max_record_bytes = kDefaultMaxRecordBytes);

// The end of the last whole record in `data` (just past its LF), or 0 when there
// is none. `data` starts at a record boundary.
size_t WholeRecordsEnd(absl::string_view data);

// Appends `field` to `out`, quoted when it holds a comma, quote, CR or LF, starts or
// ends with a space or tab, or is empty and `empty_quoted` (an empty string, as
// opposed to a missing value).
void AppendCsvField(absl::string_view field, bool empty_quoted, std::string* out);

}  // namespace strata::features

#endif  // STRATA_FEATURES_CSV_H_
