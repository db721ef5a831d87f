// CSV (RFC 4180: comma-separated, double-quoted fields with "" for a quote, LF or
// CRLF line ends) read in blocks of whole records, so blocks can be parsed on
// several threads. Internal to features/.
#ifndef STRATA_FEATURES_CSV_H_
#define STRATA_FEATURES_CSV_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "store/io.h"

namespace strata::features {

// Reads the records of one block (or a whole file) held in memory.
class CsvRecords {
 public:
  explicit CsvRecords(absl::string_view data) : data_(data) {}

  // Reads the next record; false at the end. Fields point into the block or into
  // scratch owned by this object, valid until the next call. An empty line is a
  // record with one empty field.
  // Errors: InvalidArgument for a quote that does not close, or text after one;
  // line() is then the line the bad record starts on.
  absl::StatusOr<bool> Next();

  // As Next, but skips blank lines, and a record whose field count is not
  // `columns` is an error ("5 fields, but the header has 4").
  absl::StatusOr<bool> NextRow(size_t columns);

  const std::vector<absl::string_view>& fields() const { return fields_; }
  // Whether field i was quoted: "" is an empty string, an empty field is nothing.
  bool quoted(size_t i) const { return quoted_[i]; }
  // The record's text, without its line end.
  absl::string_view raw() const { return raw_; }
  // Line of the block the record starts on, from 1.
  uint64_t line() const { return line_; }
  // Lines the records read so far span.
  uint64_t lines_read() const { return next_line_ - 1; }

 private:
  absl::string_view data_;
  size_t pos_ = 0;
  uint64_t line_ = 0, next_line_ = 1;
  std::vector<absl::string_view> fields_;
  std::vector<bool> quoted_;
  std::vector<std::string> scratch_;
  absl::string_view raw_;
};

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

// Cuts a stream into blocks of whole records of about `block_bytes` each.
class CsvBlockReader {
 public:
  CsvBlockReader(ByteSource* source, size_t block_bytes)
      : source_(source), block_bytes_(block_bytes) {}

  // Fills `*block` with the next records (the last block may lack a final line
  // end); false at the end. `block` may be a used buffer: its memory is reused.
  // Errors: as ByteSource::Read.
  absl::StatusOr<bool> Next(ByteBuffer* block);
  uint64_t bytes_read() const { return bytes_read_; }

 private:
  // Reads up to `n` more bytes onto the end of `block`; false at the end.
  absl::StatusOr<bool> ReadMore(ByteBuffer* block, size_t n);

  ByteSource* source_;
  size_t block_bytes_;
  ByteBuffer carry_;
  bool eof_ = false;
  uint64_t bytes_read_ = 0;
};

// The end of the last whole record in `data` (just past its LF), or 0 when there
// is none. `data` starts at a record boundary.
size_t WholeRecordsEnd(absl::string_view data);

// The offset in `data` just past its first record, whose text is `raw` (from
// CsvRecords::raw()), and that record's line end.
size_t AfterRecord(absl::string_view data, absl::string_view raw);

// Appends `field` to `out`, quoted when it holds a comma, quote, CR or LF, or is
// empty and `empty_quoted` (an empty string, as opposed to a missing value).
void AppendCsvField(absl::string_view field, bool empty_quoted, std::string* out);

}  // namespace strata::features

#endif  // STRATA_FEATURES_CSV_H_
