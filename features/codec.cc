#include "features/codec.h"

#include <charconv>
#include <cmath>

#include "absl/base/casts.h"
#include "absl/base/internal/endian.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "features/definitions.h"

namespace strata::features {
namespace {

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Reads exactly `n` digits at p[0..n).
bool Digits(const char* p, int n, unsigned* out) {
  unsigned v = 0;
  for (int i = 0; i < n; ++i) {
    if (p[i] < '0' || p[i] > '9') return false;
    v = v * 10 + static_cast<unsigned>(p[i] - '0');
  }
  *out = v;
  return true;
}

// "YYYY-MM-DD[(T| )HH:MM:SS[.frac]][Z|(+|-)HH:MM]".
std::optional<Micros> ParseRfc3339(absl::string_view s) {
  const char* p = s.data();
  const char* end = p + s.size();
  unsigned year, month, day, hour = 0, minute = 0, second = 0;
  if (s.size() < 10 || !Digits(p, 4, &year) || p[4] != '-' || !Digits(p + 5, 2, &month) ||
      p[7] != '-' || !Digits(p + 8, 2, &day)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) {
    return std::nullopt;
  }
  p += 10;
  int64_t micros = 0;
  if (p < end && (*p == 'T' || *p == 't' || *p == ' ')) {
    if (end - p < 9 || !Digits(p + 1, 2, &hour) || p[3] != ':' ||
        !Digits(p + 4, 2, &minute) || p[6] != ':' || !Digits(p + 7, 2, &second)) {
      return std::nullopt;
    }
    if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
    p += 9;
    if (p < end && *p == '.') {
      ++p;
      int digits = 0;
      int64_t frac = 0;
      while (p < end && *p >= '0' && *p <= '9') {
        if (digits < 6) frac = frac * 10 + (*p - '0');
        ++digits;
        ++p;
      }
      if (digits == 0) return std::nullopt;
      for (int i = digits; i < 6; ++i) frac *= 10;
      micros = frac;
    }
  }
  int64_t offset_seconds = 0;
  if (p < end) {
    if (*p == 'Z' || *p == 'z') {
      ++p;
    } else if (*p == '+' || *p == '-') {
      unsigned oh, om;
      if (end - p != 6 || !Digits(p + 1, 2, &oh) || p[3] != ':' ||
          !Digits(p + 4, 2, &om) || oh > 23 || om > 59) {
        return std::nullopt;
      }
      offset_seconds = (*p == '+' ? 1 : -1) * static_cast<int64_t>(oh * 3600 + om * 60);
      p += 6;
    }
  }
  if (p != end) return std::nullopt;
  const int64_t seconds = DaysFromCivil(year, month, day) * 86400 + hour * 3600 +
                          minute * 60 + second - offset_seconds;
  return seconds * 1000000 + micros;
}

}  // namespace

absl::StatusOr<TimeUnit> ParseTimeUnit(absl::string_view text) {
  if (text == "s") return TimeUnit::kSeconds;
  if (text == "ms") return TimeUnit::kMillis;
  if (text == "us") return TimeUnit::kMicros;
  return absl::InvalidArgumentError(
      absl::StrCat("timestamp unit \"", text, "\" is not s, ms or us"));
}

absl::StatusOr<Micros> ParseTimestamp(absl::string_view text, TimeUnit unit) {
  int64_t n;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, n);
  if (ec == std::errc() && ptr == end && !text.empty()) {
    const int64_t scale = unit == TimeUnit::kSeconds  ? 1000000
                          : unit == TimeUnit::kMillis ? 1000
                                                      : 1;
    // Keep within +-292,000 years of microseconds.
    if (n > INT64_MAX / scale || n < INT64_MIN / scale) {
      return absl::InvalidArgumentError(
          absl::StrCat("timestamp ", text, " is out of range"));
    }
    return n * scale;
  }
  if (auto t = ParseRfc3339(text); t.has_value()) return *t;
  return absl::InvalidArgumentError(absl::StrCat(
      "\"", absl::CEscape(text.substr(0, 64)),
      "\" is not a timestamp (RFC 3339 like 2024-05-01T12:00:00Z, or an integer epoch)"));
}

std::string FormatTimestamp(Micros t) {
  int64_t seconds = t / 1000000;
  int64_t micros = t % 1000000;
  if (micros < 0) {
    micros += 1000000;
    seconds -= 1;
  }
  int64_t days = seconds / 86400;
  int64_t rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  if (y >= 0 && y <= 9999) {  // by hand: snprintf's cost showed in online answers
    char text[27];            // YYYY-MM-DDTHH:MM:SS.ffffffZ
    const auto two = [&text](int at, int64_t v) {
      text[at] = static_cast<char>('0' + v / 10);
      text[at + 1] = static_cast<char>('0' + v % 10);
    };
    two(0, y / 100);
    two(2, y % 100);
    text[4] = '-';
    two(5, m);
    text[7] = '-';
    two(8, d);
    text[10] = 'T';
    two(11, rem / 3600);
    text[13] = ':';
    two(14, rem / 60 % 60);
    text[16] = ':';
    two(17, rem % 60);
    size_t n = 19;
    if (micros != 0) {
      text[n++] = '.';
      for (int64_t scale = 100000; scale > 0; scale /= 10) {
        text[n++] = static_cast<char>('0' + micros / scale % 10);
      }
    }
    text[n++] = 'Z';
    return std::string(text, n);
  }
  char buf[48];
  int n = snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02d:%02d:%02d",
                   static_cast<long long>(y), m, d, static_cast<int>(rem / 3600),
                   static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60));
  if (micros != 0) {
    n += snprintf(buf + n, sizeof(buf) - n, ".%06lld", static_cast<long long>(micros));
  }
  buf[n++] = 'Z';
  return std::string(buf, n);
}

absl::StatusOr<Value> ParseValue(absl::string_view text, ValueType type, TimeUnit unit) {
  const char* end = text.data() + text.size();
  switch (type) {
    case VALUE_TYPE_INT64: {
      int64_t v;
      auto [ptr, ec] = std::from_chars(text.data(), end, v);
      if (ec == std::errc() && ptr == end && !text.empty()) return Value(v);
      break;
    }
    case VALUE_TYPE_DOUBLE: {
      double v;
      auto [ptr, ec] = std::from_chars(text.data(), end, v);
      if (ec == std::errc() && ptr == end && !text.empty()) return Value(v);
      break;
    }
    case VALUE_TYPE_BOOL: {
      if (text == "1" || absl::EqualsIgnoreCase(text, "true")) return Value(true);
      if (text == "0" || absl::EqualsIgnoreCase(text, "false")) return Value(false);
      break;
    }
    case VALUE_TYPE_STRING:
      return Value(std::string(text));
    case VALUE_TYPE_BYTES: {
      std::string raw;
      if (absl::Base64Unescape(text, &raw)) return Value(std::move(raw));
      return absl::InvalidArgumentError(
          absl::StrCat("\"", absl::CEscape(text.substr(0, 64)),
                       "\" is not base64 (bytes values are)"));
    }
    case VALUE_TYPE_TIMESTAMP: {
      auto t = ParseTimestamp(text, unit);
      if (!t.ok()) return t.status();
      return Value(*t);
    }
    default:
      return absl::InvalidArgumentError("unsupported value type");
  }
  return absl::InvalidArgumentError(
      absl::StrCat("\"", absl::CEscape(text.substr(0, 64)), "\" is not ",
                   type == VALUE_TYPE_INT64 ? "an " : "a ", ValueTypeName(type)));
}

void AppendValueText(const Value& value, ValueType type, std::string* out) {
  char buf[32];
  if (const auto* i = std::get_if<int64_t>(&value)) {
    if (type == VALUE_TYPE_TIMESTAMP) {
      out->append(FormatTimestamp(*i));
      return;
    }
    auto r = std::to_chars(buf, buf + sizeof(buf), *i);
    out->append(buf, r.ptr - buf);
  } else if (const auto* d = std::get_if<double>(&value)) {
    auto r = std::to_chars(buf, buf + sizeof(buf), *d);
    out->append(buf, r.ptr - buf);
  } else if (const auto* b = std::get_if<bool>(&value)) {
    out->append(*b ? "true" : "false");
  } else if (const auto* s = std::get_if<std::string>(&value)) {
    if (type == VALUE_TYPE_BYTES) {
      out->append(absl::Base64Escape(*s));
    } else {
      out->append(*s);
    }
  }
}

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
