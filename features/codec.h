// Encodings of the feature tables (docs/format.md, "Feature tables"): keys of the
// offline log and the online table, packed rows, typed values and timestamps.
// Internal to features/.
//
//   feature_log     VIEW(4) ENTITY ~EVENT(8) ~CREATED(8) ~INGEST(8)  -> ROW
//   feature_online  VIEW(4) ENTITY -> EVENT(8) CREATED(8) INGEST(8) ROW
//
// VIEW is the view's id (big-endian), ENTITY its join key values in declaration
// order (int64: 8 bytes, order-preserving; string: varint length, bytes), times are
// microseconds mapped to order-preserving unsigned, and ~ is bitwise not, so within
// one entity the log is sorted newest event first, then newest created, then the
// latest ingest: one seek at ~t finds the row in force at t.
#ifndef STRATA_FEATURES_CODEC_H_
#define STRATA_FEATURES_CODEC_H_

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "features/features.pb.h"
#include "features/values.h"

namespace strata::features {

namespace codec {

inline uint64_t Ordered(int64_t v) { return static_cast<uint64_t>(v) ^ (1ULL << 63); }
inline int64_t Unordered(uint64_t v) { return static_cast<int64_t>(v ^ (1ULL << 63)); }

inline void PutBE32(std::string* out, uint32_t v) {
  char b[4];
  for (int i = 3; i >= 0; --i, v >>= 8) b[i] = static_cast<char>(v & 0xff);
  out->append(b, 4);
}
inline void PutBE64(std::string* out, uint64_t v) {
  char b[8];
  for (int i = 7; i >= 0; --i, v >>= 8) b[i] = static_cast<char>(v & 0xff);
  out->append(b, 8);
}
// `v` read from little-endian bytes, in host order.
inline uint64_t LittleEndian64(uint64_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  return __builtin_bswap64(v);
#else
  return v;
#endif
}
inline uint32_t LittleEndian32(uint32_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  return __builtin_bswap32(v);
#else
  return v;
#endif
}
inline uint64_t GetBE64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return __builtin_bswap64(v);
}
// Bytes [at, at + 8) of a key as a big-endian word, zero-padded past its end: words
// compare as the bytes do, so sorts compare them before falling back to the keys.
inline uint64_t KeyWord(const char* key, size_t size, size_t at) {
  char buf[8] = {0};
  if (at < size) std::memcpy(buf, key + at, size - at < 8 ? size - at : 8);
  return GetBE64(buf);
}
void PutVarint(std::string* out, uint64_t v);
// Reads a varint at *p (< end), advancing *p. False when malformed.
bool GetVarintSlow(const char** p, const char* end, uint64_t* v);
inline bool GetVarint(const char** p, const char* end, uint64_t* v) {
  if (*p < end && static_cast<uint8_t>(**p) < 0x80) {  // one byte: most column ids
    *v = static_cast<uint8_t>(*(*p)++);
    return true;
  }
  return GetVarintSlow(p, end, v);
}

// Fast paths for the numbers of large files; false means "not this simple form",
// never "invalid": the caller falls back to a full parser.
// An optional '-' and 1 to 18 digits.
inline bool ParseSimpleInt(absl::string_view text, int64_t* out) {
  const char* p = text.data();
  const char* end = p + text.size();
  const bool negative = p != end && *p == '-';
  p += negative;
  if (p == end || end - p > 18) return false;
  int64_t v = 0;
  for (; p != end; ++p) {
    const unsigned d = static_cast<unsigned>(*p) - '0';
    if (d > 9) return false;
    v = v * 10 + d;
  }
  *out = negative ? -v : v;
  return true;
}
// An optional '-', then digits with at most one '.', 1 to 15 digits in all: the
// digits as an integer m (< 2^53) and 10^k (k <= 15) are exact doubles, so m / 10^k
// is the correctly rounded value (Clinger's fast path), as std::from_chars gives.
inline bool ParseSimpleDecimal(absl::string_view text, double* out) {
  static constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  const char* p = text.data();
  const char* end = p + text.size();
  const bool negative = p != end && *p == '-';
  p += negative;
  uint64_t m = 0;
  int digits = 0, fraction = -1;
  for (; p != end; ++p) {
    const unsigned d = static_cast<unsigned>(*p) - '0';
    if (d <= 9) {
      m = m * 10 + d;
      ++digits;
      fraction += fraction >= 0;
    } else if (*p == '.' && fraction < 0) {
      fraction = 0;
    } else {
      return false;
    }
  }
  if (digits == 0 || digits > 15) return false;
  const double v = static_cast<double>(m) / kPow10[fraction < 0 ? 0 : fraction];
  *out = negative ? -v : v;
  return true;
}

// An epoch count of `unit` as microseconds (nanoseconds rounded down); false when
// outside kMinTimestamp..kMaxTimestamp.
inline bool EpochToMicros(int64_t n, TimeUnit unit, Micros* out) {
  Micros t = 0;
  switch (unit) {
    case TimeUnit::kSeconds:
      if (n < kMinTimestamp / 1000000 || n > kMaxTimestamp / 1000000) return false;
      t = n * 1000000;
      break;
    case TimeUnit::kMillis:
      if (n < kMinTimestamp / 1000 || n > kMaxTimestamp / 1000) return false;
      t = n * 1000;
      break;
    case TimeUnit::kMicros:
      t = n;
      break;
    case TimeUnit::kNanos:
      t = n / 1000 - (n % 1000 < 0);
      break;
  }
  if (t < kMinTimestamp || t > kMaxTimestamp) return false;
  *out = t;
  return true;
}

// Appends one join key value to an entity key. `value` must hold int64 or string.
void AppendEntityPart(std::string* key, const Value& value);

// An ingest sorts its rows by VIEW ENTITY then this suffix: event time newest first,
// then created time newest first (the order the log keeps within a chunk).
constexpr size_t kRowOrderBytes = 16;
void AppendRowOrder(std::string* key, Micros event, Micros created);

// When a row happened, when it was created, and which ingest brought it.
// Ordered as rows compete: event time, then created time, then ingest.
struct RowStamp {
  Micros event, created;
  uint64_t ingest;
  friend auto operator<=>(const RowStamp&, const RowStamp&) = default;
};
// Decodes the last kRowOrderBytes of a sort key (size >= kRowOrderBytes); ingest 0.
RowStamp DecodeRowOrder(absl::string_view key);

// The offline log keeps chunks: rows of one entity brought by one ingest, a bounded
// number of bytes each (IngestOptions::log_chunk_bytes). Key: VIEW ENTITY BE64(ingest)
// BE32(chunk), the chunks of an entity and ingest numbered from 0 in row order.
constexpr size_t kLogChunkSuffixBytes = 12;
void AppendLogChunkSuffix(std::string* key, uint64_t ingest, uint32_t chunk);
// The ingest of a chunk key (key.size() >= kLogChunkSuffixBytes).
uint64_t LogChunkIngest(absl::string_view key);

// A chunk's value: VARINT(n), n event times, n created times (8 bytes little-endian
// each), n row ends (4 bytes little-endian: offsets past each row in the row area),
// then the packed rows. Rows are in descending (event, created) order, no two equal.
class LogChunkBuilder {
 public:
  // Rows must come in the chunk's order.
  void Add(Micros event, Micros created, absl::string_view row);
  size_t rows() const { return events_.size(); }
  size_t row_bytes() const { return rows_.size(); }
  // Replaces *out with the encoded chunk and empties the builder.
  void Finish(std::string* out);

 private:
  std::vector<Micros> events_, created_;
  std::vector<uint32_t> ends_;
  std::string rows_;
};

// Reads a chunk in place; the value must outlive it.
class LogChunk {
 public:
  // False when `value` is not a well-formed chunk.
  bool Parse(absl::string_view value);
  size_t size() const { return n_; }
  Micros event(size_t i) const { return Load(events_ + 8 * i); }
  Micros created(size_t i) const { return Load(created_ + 8 * i); }
  absl::string_view row(size_t i) const {
    const uint32_t begin = i == 0 ? 0 : End(i - 1);
    return {rows_ + begin, End(i) - begin};
  }
  // The first row with event <= t (size() when none).
  size_t FirstAtOrBefore(Micros t) const;

 private:
  static Micros Load(const char* p) {
    uint64_t x;
    std::memcpy(&x, p, 8);
    return static_cast<Micros>(LittleEndian64(x));
  }
  uint32_t End(size_t i) const {
    uint32_t x;
    std::memcpy(&x, ends_ + 4 * i, 4);
    return LittleEndian32(x);
  }
  size_t n_ = 0;
  const char *events_ = nullptr, *created_ = nullptr, *ends_ = nullptr, *rows_ = nullptr;
};

// The online value's header: EVENT CREATED INGEST, order-preserving big-endian, so
// the merge operator (store/internal/keys.h, kMergeVersionBytes) keeps the newest.
constexpr size_t kOnlineHeaderBytes = 24;
void AppendOnlineHeader(std::string* out, Micros event, Micros created, uint64_t ingest);
RowStamp DecodeOnlineHeader(absl::string_view value);

// A packed row: varint count, then per non-null value a varint column id and the
// value (int64, timestamp, double: 8 bytes little-endian; bool: 1 byte; string,
// bytes: varint length and bytes). Columns absent from a row are null.
struct Cell {
  uint32_t column;
  const Value* value;
};
void AppendRow(std::string* out, const std::vector<Cell>& cells,
               const std::vector<ValueType>& column_types);

// Where ReadRow puts each column: slot[column id] is an index into its output, or
// -1 for a column not wanted. Built once per request from the wanted column ids.
std::vector<int> ColumnSlots(const std::vector<uint32_t>& columns, size_t column_count);

// Calls visit(slot, value) for each wanted column present in `row`, value being an
// int64_t (int64, timestamp), double, bool or std::string (string, bytes). The
// decoding loop of ReadRow, for callers that put values elsewhere.
// Errors: DataLoss for a malformed row.
template <typename Visit>
absl::Status VisitRow(absl::string_view row, const std::vector<int>& slots,
                      const std::vector<ValueType>& column_types, Visit visit) {
  const auto malformed = [] { return absl::DataLossError("malformed feature row"); };
  const char* p = row.data();
  const char* end = p + row.size();
  uint64_t count;
  if (!GetVarint(&p, end, &count)) return malformed();
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t column;
    if (!GetVarint(&p, end, &column) || column >= column_types.size()) return malformed();
    const int slot = column < slots.size() ? slots[column] : -1;
    const ValueType type = column_types[column];
    if (type == VALUE_TYPE_INT64 || type == VALUE_TYPE_TIMESTAMP ||
        type == VALUE_TYPE_DOUBLE) {
      if (end - p < 8) return malformed();
      if (slot >= 0) {
        uint64_t x;
        std::memcpy(&x, p, 8);
        x = LittleEndian64(x);
        if (type == VALUE_TYPE_DOUBLE) {
          double d;
          std::memcpy(&d, &x, 8);
          visit(slot, d);
        } else {
          visit(slot, static_cast<int64_t>(x));
        }
      }
      p += 8;
    } else if (type == VALUE_TYPE_BOOL) {
      if (end - p < 1) return malformed();
      if (slot >= 0) visit(slot, *p != 0);
      ++p;
    } else {
      uint64_t n;
      if (!GetVarint(&p, end, &n) || static_cast<uint64_t>(end - p) < n) {
        return malformed();
      }
      if (slot >= 0) visit(slot, std::string(p, n));
      p += n;
    }
  }
  return absl::OkStatus();
}

// Reads from `row` the wanted columns into `out`, one value per slot: absent
// columns become null. Errors: DataLoss for a malformed row.
absl::Status ReadRow(absl::string_view row, const std::vector<int>& slots,
                     const std::vector<ValueType>& column_types, std::vector<Value>* out);

}  // namespace codec
}  // namespace strata::features

#endif  // STRATA_FEATURES_CODEC_H_
