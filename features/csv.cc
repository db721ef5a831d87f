#include "features/csv.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "store/status_macros.h"

namespace strata::features {

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

absl::StatusOr<bool> CsvRecords::Next() {
  fields_.clear();
  quoted_.clear();
  scratch_.clear();
  if (pos_ >= data_.size()) return false;
  line_ = next_line_;
  const char* const begin = data_.data();
  const char* const end = begin + data_.size();
  const char* p = begin + pos_;
  const char* const record_start = p;
  while (true) {
    if (p < end && *p == '"') {
      // Quoted field: up to the closing quote; "" is a quote.
      const char* q = p + 1;
      std::string* copy = nullptr;
      const char* run = q;
      while (true) {
        const char* hit = static_cast<const char*>(std::memchr(q, '"', end - q));
        if (hit == nullptr) {
          return absl::InvalidArgumentError("a quoted field does not end");
        }
        next_line_ += std::count(q, hit, '\n');
        if (hit + 1 < end && hit[1] == '"') {
          if (copy == nullptr) copy = &scratch_.emplace_back();
          copy->append(run, hit + 1);
          q = run = hit + 2;
          continue;
        }
        if (copy != nullptr) {
          copy->append(run, hit);
          fields_.emplace_back(*copy);
        } else {
          fields_.emplace_back(p + 1, hit - p - 1);
        }
        quoted_.push_back(true);
        p = hit + 1;
        break;
      }
      if (p < end && *p != ',' && *p != '\n' && *p != '\r') {
        return absl::InvalidArgumentError(
            absl::StrCat("text after the closing quote of field ", fields_.size()));
      }
    } else {
      const char* q = p;
      while (q < end && *q != ',' && *q != '\n') ++q;
      const char* stop = q;
      if (stop > p && stop[-1] == '\r' && (stop == end || *stop == '\n')) --stop;
      fields_.emplace_back(p, stop - p);
      quoted_.push_back(false);
      p = q;
    }
    if (p < end && *p == ',') {
      ++p;
      continue;
    }
    // End of record: CR? LF, or the end of the block.
    const char* raw_end = p;
    if (p < end && *p == '\r') ++p;
    if (p < end && *p == '\n') ++p;
    raw_ = absl::string_view(record_start, raw_end - record_start);
    ++next_line_;
    pos_ = p - begin;
    return true;
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
    size_t cut = WholeRecordsEnd(block->view());
    // One record longer than a block: keep reading until it ends.
    while (cut == 0 && !eof_) {
      RETURN_IF_ERROR(ReadMore(block, block_bytes_).status());
      cut = WholeRecordsEnd(block->view());
    }
    if (cut == 0) return true;
    carry_.Append(block->view().substr(cut));
    block->Resize(cut);
  }
  return true;
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

size_t AfterRecord(absl::string_view data, absl::string_view raw) {
  size_t at = raw.size();
  if (at < data.size() && data[at] == '\r') ++at;
  if (at < data.size() && data[at] == '\n') ++at;
  return at;
}

void AppendCsvField(absl::string_view field, bool empty_quoted, std::string* out) {
  bool quote = field.empty() ? empty_quoted : false;
  for (char c : field) {
    if (c == ',' || c == '"' || c == '\n' || c == '\r') {
      quote = true;
      break;
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
