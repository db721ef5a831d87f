#include "features/csv.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "store/status_macros.h"

namespace strata::features {
namespace {

// The end of the last whole record in `data` (just past its LF), or 0 when there
// is none. `data` starts at a record boundary.
size_t LastRecordEnd(absl::string_view data) {
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

}  // namespace

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
          return absl::InvalidArgumentError(
              absl::StrCat("line ", line_, ": a quoted field does not end"));
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
        return absl::InvalidArgumentError(absl::StrCat(
            "line ", next_line_, ": text after the closing quote of field ",
            fields_.size()));
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

absl::StatusOr<bool> CsvBlockReader::Next(std::string* block) {
  block->clear();
  block->swap(carry_);
  while (!eof_ && block->size() < block_bytes_) {
    const size_t old = block->size();
    const size_t want = block_bytes_ + (block_bytes_ >> 2) - old;
    block->resize(old + want);
    ASSIGN_OR_RETURN(size_t n, source_->Read(block->data() + old, want));
    block->resize(old + n);
    bytes_read_ += n;
    if (n == 0) eof_ = true;
  }
  if (block->empty()) return false;
  if (!eof_) {
    size_t cut = LastRecordEnd(*block);
    if (cut == 0) {
      // One record longer than a block: keep reading until it ends.
      while (cut == 0 && !eof_) {
        const size_t old = block->size();
        block->resize(old + block_bytes_);
        ASSIGN_OR_RETURN(size_t n, source_->Read(block->data() + old, block_bytes_));
        block->resize(old + n);
        bytes_read_ += n;
        if (n == 0) eof_ = true;
        cut = LastRecordEnd(*block);
      }
      if (cut == 0) return true;
    }
    carry_.assign(*block, cut, std::string::npos);
    block->resize(cut);
  }
  return true;
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
