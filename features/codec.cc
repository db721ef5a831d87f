#include "features/codec.h"

#include "absl/base/casts.h"
#include "absl/base/internal/endian.h"
#include "absl/strings/str_cat.h"
#include "store/status_macros.h"

namespace strata::features {
namespace codec {

void PutVarint(std::string* out, uint64_t v) {
  char b[10];
  int n = 0;
  while (v >= 0x80) {
    b[n++] = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  b[n++] = static_cast<char>(v);
  out->append(b, n);
}

bool GetVarintSlow(const char** p, const char* end, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && *p < end; shift += 7) {
    const auto byte = static_cast<uint8_t>(*(*p)++);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

void AppendEntityPart(std::string* key, const Value& value) {
  if (const auto* i = std::get_if<int64_t>(&value)) {
    PutBE64(key, Ordered(*i));
  } else if (const auto* s = std::get_if<std::string>(&value)) {
    PutVarint(key, s->size());
    key->append(*s);
  }
}

void AppendRowOrder(std::string* key, Micros event, Micros created) {
  PutBE64(key, ~Ordered(event));
  PutBE64(key, ~Ordered(created));
}

RowStamp DecodeRowOrder(absl::string_view key) {
  const char* p = key.data() + key.size() - kRowOrderBytes;
  return {Unordered(~GetBE64(p)), Unordered(~GetBE64(p + 8)), 0};
}

void AppendLogChunkSuffix(std::string* key, uint64_t ingest, uint32_t chunk) {
  PutBE64(key, ingest);
  PutBE32(key, chunk);
}

uint64_t LogChunkIngest(absl::string_view key) {
  return GetBE64(key.data() + key.size() - kLogChunkSuffixBytes);
}

void LogChunkBuilder::Add(Micros event, Micros created, absl::string_view row) {
  events_.push_back(event);
  created_.push_back(created);
  rows_.append(row.data(), row.size());
  ends_.push_back(static_cast<uint32_t>(rows_.size()));
}

void LogChunkBuilder::Finish(std::string* out) {
  out->clear();
  PutVarint(out, events_.size());
  const auto put64 = [&](Micros v) {
    const uint64_t x = LittleEndian64(static_cast<uint64_t>(v));
    out->append(reinterpret_cast<const char*>(&x), 8);
  };
  for (Micros e : events_) put64(e);
  for (Micros c : created_) put64(c);
  for (uint32_t end : ends_) {
    const uint32_t x = LittleEndian32(end);
    out->append(reinterpret_cast<const char*>(&x), 4);
  }
  out->append(rows_);
  events_.clear();
  created_.clear();
  ends_.clear();
  rows_.clear();
}

bool LogChunk::Parse(absl::string_view value) {
  const char* p = value.data();
  const char* end = p + value.size();
  uint64_t n;
  if (!GetVarint(&p, end, &n) || n == 0 ||
      n > static_cast<uint64_t>(end - p) / 20) {  // 20 bytes of arrays per row
    return false;
  }
  n_ = n;
  events_ = p;
  created_ = p + 8 * n;
  ends_ = p + 16 * n;
  rows_ = p + 20 * n;
  // Row ends grow and stay inside the row area.
  const size_t area = end - rows_;
  uint32_t last = 0;
  for (size_t i = 0; i < n_; ++i) {
    const uint32_t e = End(i);
    if (e < last || e > area) return false;
    last = e;
  }
  return last == area;
}

size_t LogChunk::FirstAtOrBefore(Micros t) const {
  size_t lo = 0, hi = n_;  // events descend: find the first event <= t
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (event(mid) > t) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

void AppendOnlineHeader(std::string* out, Micros event, Micros created, uint64_t ingest) {
  PutBE64(out, Ordered(event));
  PutBE64(out, Ordered(created));
  PutBE64(out, ingest);
}

RowStamp DecodeOnlineHeader(absl::string_view value) {
  const char* p = value.data();
  return {Unordered(GetBE64(p)), Unordered(GetBE64(p + 8)), GetBE64(p + 16)};
}

void AppendRow(std::string* out, const std::vector<Cell>& cells,
               const std::vector<ValueType>& column_types) {
  size_t present = 0;
  for (const Cell& c : cells) present += c.value->index() != 0;
  PutVarint(out, present);
  for (const Cell& c : cells) {
    const Value& v = *c.value;
    if (v.index() == 0) continue;
    PutVarint(out, c.column);
    switch (column_types[c.column]) {
      case VALUE_TYPE_INT64:
      case VALUE_TYPE_TIMESTAMP: {
        char b[8];
        absl::little_endian::Store64(b, static_cast<uint64_t>(std::get<int64_t>(v)));
        out->append(b, 8);
        break;
      }
      case VALUE_TYPE_DOUBLE: {
        char b[8];
        absl::little_endian::Store64(b, absl::bit_cast<uint64_t>(std::get<double>(v)));
        out->append(b, 8);
        break;
      }
      case VALUE_TYPE_BOOL:
        out->push_back(std::get<bool>(v) ? 1 : 0);
        break;
      default: {
        const std::string& s = std::get<std::string>(v);
        PutVarint(out, s.size());
        out->append(s);
      }
    }
  }
}

std::vector<int> ColumnSlots(const std::vector<uint32_t>& columns, size_t column_count) {
  std::vector<int> slots(column_count, -1);
  for (size_t j = 0; j < columns.size(); ++j) {
    if (columns[j] < column_count) slots[columns[j]] = static_cast<int>(j);
  }
  return slots;
}

absl::Status ReadRow(absl::string_view row, const std::vector<int>& slots,
                     const std::vector<ValueType>& column_types,
                     std::vector<Value>* out) {
  for (Value& v : *out) v = std::monostate();
  return VisitRow(row, slots, column_types, [&](int slot, auto&& v) {
    (*out)[slot] = std::forward<decltype(v)>(v);
  });
}

}  // namespace codec
}  // namespace strata::features
