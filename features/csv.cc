#include "features/csv.h"

#include <algorithm>
#include <cstring>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "store/excerpt.h"
#include "store/status_macros.h"

namespace strata::features {
namespace {

constexpr absl::string_view kBom = "\xEF\xBB\xBF";

constexpr absl::string_view kLoneCr =
    "a CR not followed by LF (a line end must be LF or CRLF)";

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// Sets *error to `what` and returns null: how a field reader fails.
const char* Fail(absl::string_view what, absl::string_view* error) {
  *error = what;
  return nullptr;
}

// Where the unquoted field at `p` ends (at a comma, a line end or `end`); clears
// *plain for a field with blanks at its ends. Returns null with *error set for a
// byte that cannot be in it. The fast case: '-' to DEL, no byte that ends or breaks
// a field.
const char* UnquotedFieldEnd(const char* p, const char* end, bool* plain,
                             absl::string_view* error) {
  const char* q = p;
  while (true) {
    while (q < end && static_cast<unsigned char>(*q - '-') < 0x53) ++q;
    if (q == end) break;
    const auto b = static_cast<unsigned char>(*q);
    if (b == ',' || b == '\n') break;
    if (b == '\r') {
      if (q + 1 < end && q[1] == '\n') break;
      return Fail(kLoneCr, error);
    }
    if (b == '"') return Fail("a quote inside an unquoted field", error);
    if (b == 0) return Fail("a NUL byte", error);
    if (b >= 0x80) {
      const size_t n = Utf8Length(absl::string_view(q, end - q));
      if (n == 0) return Fail("invalid UTF-8", error);
      q += n;
      continue;
    }
    if (IsBlank(*q) && (q == p || q + 1 == end || q[1] == ',' || q[1] == '\n' ||
                        q[1] == '\r')) {
      *plain = false;  // written quoted, so no reader trims it
    }
    ++q;
  }
  return q;
}

}  // namespace

absl::Status CheckMaxRecordBytes(int64_t bytes, absl::string_view what) {
  if (bytes < 1 || static_cast<uint64_t>(bytes) > kMaxMaxRecordBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " ", bytes, " is out of range: 1 to ", kMaxMaxRecordBytes, " (1 GiB)"));
  }
  return absl::OkStatus();
}

namespace {
// CR LF after a record and a UTF-8 byte-order mark before the first: bytes a block
// holds that the record limit does not count.
constexpr size_t kLineEndAndBomBytes = 5;
}  // namespace

absl::Status RecordTooLong(size_t max_record_bytes) {
  return absl::ResourceExhaustedError(absl::StrCat(
      "a record is longer than the limit of ", max_record_bytes,
      " bytes (max_record_bytes, --max-record-bytes): is the file CSV, with line ends?"));
}

size_t WholeRecordsEnd(absl::string_view data) {
  if (std::memchr(data.data(), '"', data.size()) == nullptr) {
    const void* nl = memrchr(data.data(), '\n', data.size());
    return nl == nullptr ? 0 : static_cast<const char*>(nl) - data.data() + 1;
  }
  bool in_quotes = false;
  size_t end = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    const char c = data[i];
    if (c == '"') {
      in_quotes = !in_quotes;
    } else if (c == '\n' && !in_quotes) {
      end = i + 1;
    }
  }
  return end;
}

absl::Status CsvRecords::Error(absl::string_view what) const {
  const size_t i = fields_.size();
  if (columns_ != nullptr && i < columns_->size()) {
    return absl::InvalidArgumentError(absl::StrCat("column ", (*columns_)[i], ": ", what));
  }
  return absl::InvalidArgumentError(absl::StrCat("field ", i + 1, ": ", what));
}

const char* CsvRecords::ReadQuotedField(const char* p, const char* end,
                                        absl::string_view* error) {
  // Up to the closing quote; "" is a quote.
  plain_ = false;
  const char* q = p + 1;
  std::string* copy = nullptr;
  const char* run = q;
  while (true) {
    const char* hit = static_cast<const char*>(std::memchr(q, '"', end - q));
    if (hit == nullptr) return Fail("a quoted field does not end", error);
    for (const char* c = q; c < hit; ++c) {
      const auto b = static_cast<unsigned char>(*c);
      if (b >= 0x80) {
        const size_t n = Utf8Length(absl::string_view(c, hit - c));
        if (n == 0) return Fail("invalid UTF-8", error);
        c += n - 1;
      } else if (b == '\n') {
        ++next_line_;
      } else if (b == 0) {
        return Fail("a NUL byte", error);
      }
    }
    if (hit + 1 < end && hit[1] == '"') {
      if (copy == nullptr) copy = &scratch_.emplace_back();
      copy->append(run, hit + 1);
      q = run = hit + 2;
      continue;
    }
    p = hit + 1;
    if (p < end && *p == '\r' && !(p + 1 < end && p[1] == '\n')) {
      return Fail(kLoneCr, error);
    }
    if (p < end && *p != ',' && *p != '\n' && *p != '\r') {
      return Fail("text after the closing quote", error);
    }
    if (copy != nullptr) {
      copy->append(run, hit);
      fields_.emplace_back(*copy);
    } else {
      fields_.emplace_back(run, hit - run);
    }
    quoted_.push_back(true);
    return p;
  }
}

absl::StatusOr<bool> CsvRecords::Next() {
  fields_.clear();
  quoted_.clear();
  scratch_.clear();
  plain_ = true;
  if (pos_ >= data_.size()) return false;
  line_ = next_line_;
  const char* const begin = data_.data();
  const char* const end = begin + data_.size();
  const char* p = begin + pos_;
  const char* const record_start = p;
  while (true) {
    absl::string_view error;
    if (p < end && *p == '"') {
      p = ReadQuotedField(p, end, &error);
      if (p == nullptr) return Error(error);
    } else {
      const char* const q = UnquotedFieldEnd(p, end, &plain_, &error);
      if (q == nullptr) return Error(error);
      fields_.emplace_back(p, q - p);
      quoted_.push_back(false);
      p = q;
    }
    if (p < end && *p == ',') {
      ++p;
      continue;
    }
    // End of record: CRLF, LF, or the end of the block.
    if (static_cast<size_t>(p - record_start) > max_record_bytes_) {
      return RecordTooLong(max_record_bytes_);
    }
    raw_ = absl::string_view(record_start, p - record_start);
    if (p < end && *p == '\r') ++p;
    if (p < end && *p == '\n') ++p;
    ++next_line_;
    pos_ = p - begin;
    return true;
  }
}

absl::StatusOr<bool> CsvRecords::NextRow(size_t columns) {
  while (true) {
    ASSIGN_OR_RETURN(bool more, Next());
    if (!more) return false;
    if (fields_.size() == 1 && fields_[0].empty() && !quoted_[0]) continue;  // blank
    if (fields_.size() != columns) {
      return absl::InvalidArgumentError(
          absl::StrCat(fields_.size(), " fields, but the header has ", columns));
    }
    return true;
  }
}

void CsvRecords::AppendRecord(std::string* out) const {
  if (plain_) {
    out->append(raw_.data(), raw_.size());
    return;
  }
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendCsvField(fields_[i], quoted_[i], out);
  }
}

absl::StatusOr<CsvHeader> ReadCsvHeader(absl::string_view block,
                                        size_t max_record_bytes) {
  const size_t bom = absl::StartsWith(block, kBom) ? kBom.size() : 0;
  CsvRecords records(block.substr(bom), nullptr, max_record_bytes);
  CsvHeader header;
  while (true) {
    auto more = records.Next();
    if (!more.ok()) {
      return absl::Status(more.status().code(),
                          absl::StrCat(records.line(), ": ", more.status().message()));
    }
    if (!*more) {
      header.lines = records.lines_read();
      return header;  // no names: blank lines only
    }
    const auto& f = records.fields();
    if (f.size() == 1 && f[0].empty() && !records.quoted(0)) continue;  // blank
    break;
  }
  const auto& fields = records.fields();
  absl::flat_hash_map<absl::string_view, size_t> seen;
  for (size_t c = 0; c < fields.size(); ++c) {
    const auto bad = [&](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat(records.line(), ": ", what));
    };
    if (fields[c].empty()) {
      return bad(absl::StrCat("column ", c + 1, " of the header has an empty name"));
    }
    auto [it, inserted] = seen.emplace(fields[c], c);
    if (!inserted) {
      return bad(absl::StrCat("column ", Excerpt(fields[c]), " appears twice (columns ",
                              it->second + 1, " and ", c + 1, ")"));
    }
    header.names.emplace_back(fields[c]);
    header.labels.push_back(Excerpt(fields[c]));
  }
  header.end = bom + records.position();
  header.lines = records.lines_read();
  return header;
}

absl::StatusOr<CsvHeader> ReadCsvHeader(CsvBlockReader& reader, ByteBuffer* block,
                                        size_t max_record_bytes) {
  ByteBuffer next;
  while (true) {
    auto header = ReadCsvHeader(block->view(), max_record_bytes);
    if (!header.ok() || !header->names.empty()) return header;
    auto more = reader.Next(&next);
    if (!more.ok()) {
      return absl::Status(more.status().code(), absl::StrCat(header->lines + 1, ": ",
                                                             more.status().message()));
    }
    if (!*more) {
      return absl::InvalidArgumentError(
          absl::StrCat(header->lines + 1, ": there is no header row"));
    }
    block->Append(next.view());
  }
}

void ByteBuffer::Reserve(size_t n) {
  if (n <= capacity_) return;
  const size_t cap = std::max(n, capacity_ + capacity_ / 2);
  std::unique_ptr<char[]> bigger(new char[cap]);
  if (size_ > 0) std::memcpy(bigger.get(), bytes_.get(), size_);
  bytes_ = std::move(bigger);
  capacity_ = cap;
}

void ByteBuffer::Append(absl::string_view bytes) {
  const size_t old = size_;
  Resize(old + bytes.size());
  if (!bytes.empty()) std::memcpy(bytes_.get() + old, bytes.data(), bytes.size());
}

absl::StatusOr<bool> CsvBlockReader::ReadMore(ByteBuffer* block, size_t n) {
  const size_t old = block->size();
  block->Resize(old + n);
  auto got = source_->Read(block->data() + old, n);
  if (!got.ok()) {
    block->Resize(old);
    return got.status();
  }
  block->Resize(old + *got);
  bytes_read_ += *got;
  if (*got == 0) eof_ = true;
  return *got > 0;
}

size_t CsvBlockReader::RecordsEnd(absl::string_view data) const {
  if (!lines_only_) return WholeRecordsEnd(data);
  const void* nl = memrchr(data.data(), '\n', data.size());
  return nl == nullptr ? 0 : static_cast<const char*>(nl) - data.data() + 1;
}

absl::StatusOr<bool> CsvBlockReader::Next(ByteBuffer* block) {
  block->Resize(0);
  block->Append(carry_.view());
  carry_.Resize(0);
  while (!eof_ && block->size() < block_bytes_) {
    RETURN_IF_ERROR(
        ReadMore(block, block_bytes_ + (block_bytes_ >> 2) - block->size()).status());
  }
  if (block->size() == 0) return false;
  if (!eof_) {
    size_t cut = RecordsEnd(block->view());
    // One record longer than a block: keep reading until it ends, up to the limit.
    // The limit is the parser's (CsvRecords): a record's bytes without its line end
    // and without a byte-order mark before the first one, so read that much further
    // before refusing, or a record of exactly the limit would be refused here and
    // read when whole.
    while (cut == 0 && !eof_) {
      if (block->size() > max_record_bytes_ + kLineEndAndBomBytes) {
        return RecordTooLong(max_record_bytes_);
      }
      RETURN_IF_ERROR(
          ReadMore(block, std::min(block_bytes_, max_record_bytes_ + 1)).status());
      cut = RecordsEnd(block->view());
    }
    if (cut == 0) return true;
    carry_.Append(block->view().substr(cut));
    block->Resize(cut);
  }
  return true;
}

void AppendCsvField(absl::string_view field, bool empty_quoted, std::string* out) {
  bool quote = field.empty() ? empty_quoted
                             : IsBlank(field.front()) || IsBlank(field.back());
  if (!quote) {
    for (char c : field) {
      if (c == ',' || c == '"' || c == '\n' || c == '\r') {
        quote = true;
        break;
      }
    }
  }
  if (!quote) {
    out->append(field.data(), field.size());
    return;
  }
  out->push_back('"');
  for (char c : field) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

}  // namespace strata::features
