// The Feast JSON writer of online answers: numbers written through a pointer into a
// reused thread buffer, on the online lookup's hot path.
#include "features/feast_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "absl/base/attributes.h"
#include "absl/strings/str_cat.h"
#include "store/json_writer.h"

namespace strata::features {

namespace {

constexpr char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

// Writes v's decimal digits to end at `end`, two at a time; returns the first.
char* DigitsBefore(uint64_t v, char* end) {
  for (; v >= 100; v /= 100) {
    end -= 2;
    std::memcpy(end, kDigitPairs + 2 * (v % 100), 2);
  }
  if (v >= 10) {
    end -= 2;
    std::memcpy(end, kDigitPairs + 2 * v, 2);
  } else {
    *--end = static_cast<char>('0' + v);
  }
  return end;
}

// Length of the exponent form of a number of `significant` digits: 1e+06, 1.25e-05.
int ExponentFormSize(int significant) { return significant + (significant > 1) + 4; }

// Writes `d` as std::to_chars(d) would (the shortest text that reads back as `d`,
// fixed or exponent form, whichever is shorter; fixed on a tie) when `d` is a decimal
// of at most 6 fraction digits and |d| < 4e9, and returns the end; else returns
// nullptr. Such decimals (prices, rates, counts) are most doubles of an online
// response, and this takes a third of the time of to_chars. Below 4e9 a double's
// rounding interval is narrower than 10^-6, so the decimal is its only shortest text.
char* ShortDecimal(double d, char* out) {
  const double scaled = d * 1e6;
  if (!(std::fabs(scaled) < 4e15) || d == 0) return nullptr;  // -0 and NaN to to_chars
  const int64_t k = static_cast<int64_t>(scaled < 0 ? scaled - 0.5 : scaled + 0.5);
  // Division is correctly rounded, as strtod is: k / 10^6 reads back as d.
  if (static_cast<double>(k) / 1e6 != d) return nullptr;
  const uint64_t m = k < 0 ? 0 - static_cast<uint64_t>(k) : static_cast<uint64_t>(k);
  const uint64_t whole = m / 1000000;
  uint64_t fraction = m % 1000000;
  char buf[24];
  char* const end = buf + sizeof(buf);
  const char* first;    // of the text in buf
  if (fraction == 0) {  // 1250; but 1e+06
    first = DigitsBefore(whole, end);
    const int n = static_cast<int>(end - first);
    int zeros = 0;
    while (zeros < n - 1 && end[-1 - zeros] == '0') ++zeros;
    if (ExponentFormSize(n - zeros) < n) return nullptr;
  } else {
    int places = 6;
    for (const auto& [divisor, digits] : {std::pair{1000, 3}, {100, 2}, {10, 1}}) {
      if (fraction % divisor == 0) {
        fraction /= divisor;
        places -= digits;
      }
    }
    char* const point = end - places - 1;
    char* const digits = DigitsBefore(fraction, end);
    std::fill(point + 1, digits, '0');
    *point = '.';
    if (whole == 0) {  // 0.0125; but 1.25e-05
      if (ExponentFormSize(static_cast<int>(end - digits)) < 2 + places) return nullptr;
      first = point - 1;
      *(point - 1) = '0';
    } else {  // 12.5
      first = DigitsBefore(whole, point);
    }
  }
  if (k < 0) *out++ = '-';
  return std::copy(first, static_cast<const char*>(end), out);
}

// JSON text written through a pointer into this thread's buffer, which is reused and
// only grows (but for a rare huge answer): a batch of 100 x 50 doubles is ~15,000
// short pieces (values, statuses, event times), each a bounds check and a copy of a
// fixed size here rather than a std::string append. One per thread at a time.
class JsonText {
 public:
  // The text of the thread's previous JsonText ends here.
  JsonText() : buffer_(ThreadBuffer()) {
    if (buffer_.size() > (8 << 20)) std::string(64 << 10, '\0').swap(buffer_);
  }
  JsonText(const JsonText&) = delete;
  JsonText& operator=(const JsonText&) = delete;

  // Where the next `n` bytes go; Advance past those written.
  char* Room(size_t n) {
    if (buffer_.size() - size_ < n) {
      buffer_.resize(std::max(2 * buffer_.size(), size_ + n));
    }
    return buffer_.data() + size_;
  }
  void Advance(const char* end) { size_ = static_cast<size_t>(end - buffer_.data()); }
  void Append(absl::string_view s) {
    std::memcpy(Room(s.size()), s.data(), s.size());
    size_ += s.size();
  }
  // Appends a copy of the `n` bytes written from offset `at`.
  void AppendOwn(size_t at, size_t n) {
    char* p = Room(n);  // may move the buffer: the source is taken after
    std::memcpy(p, buffer_.data() + at, n);
    size_ += n;
  }
  size_t size() const { return size_; }
  // The text, valid until the thread's next JsonText.
  absl::string_view view() const { return absl::string_view(buffer_.data(), size_); }

 private:
  static std::string& ThreadBuffer() {
    thread_local std::string buffer(64 << 10, '\0');
    return buffer;
  }
  std::string& buffer_;
  size_t size_ = 0;
};

// A quoted status or time, copied as kSize bytes (the rest is padding) so that the copy
// is a few moves. FormatTimestamp's text is at most 30 characters.
struct Snippet {
  static constexpr size_t kSize = 40;
  explicit Snippet(absl::string_view text = "") { Set(text); }
  void Set(absl::string_view text) {
    size = std::min(text.size(), kSize);
    std::memcpy(bytes, text.data(), size);
  }
  char* CopyTo(char* p) const {
    std::memcpy(p, bytes, kSize);
    return p + size;
  }
  char bytes[kSize] = {};
  size_t size = 0;
};

template <size_t N>
char* Copy(char* p, const char (&literal)[N]) {
  std::memcpy(p, literal, N - 1);
  return p + N - 1;
}

constexpr size_t kNumberRoom = 32;  // the longest number, and a comma

// Writes `d` at `p` (kNumberRoom bytes) and returns the end: the shortest text that
// reads back as the same double; JSON has no NaN. Not inlined into the value loops,
// so that ShortDecimal is inlined here (a call per double cost 1.5% of a response).
ABSL_ATTRIBUTE_NOINLINE char* WriteDouble(double d, char* p) {
  if (char* end = ShortDecimal(d, p); end != nullptr) return end;
  if (std::isfinite(d)) return std::to_chars(p, p + kNumberRoom, d).ptr;
  return Copy(p, "null");
}

// Writes a number, bool or null value at `p` (kNumberRoom bytes) and returns the end.
char* WriteNumber(const Value& v, char* p) {
  if (const auto* d = std::get_if<double>(&v)) return WriteDouble(*d, p);
  if (const auto* i = std::get_if<int64_t>(&v)) {
    return std::to_chars(p, p + kNumberRoom, *i).ptr;
  }
  if (const auto* b = std::get_if<bool>(&v))
    return *b ? Copy(p, "true") : Copy(p, "false");
  return Copy(p, "null");
}

// Writes a present value of a number `type` column (OnlineColumn::number_bits) at
// `p` (kNumberRoom bytes) and returns the end.
char* WriteNumberBits(ValueType type, uint64_t bits, char* p) {
  if (type == VALUE_TYPE_DOUBLE) {
    double d;
    std::memcpy(&d, &bits, 8);
    return WriteDouble(d, p);
  }
  if (type == VALUE_TYPE_BOOL) return bits != 0 ? Copy(p, "true") : Copy(p, "false");
  return std::to_chars(p, p + kNumberRoom, static_cast<int64_t>(bits)).ptr;
}

bool SameStatuses(const OnlineColumn& a, const OnlineColumn& b) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (a.status(i) != b.status(i)) return false;
  }
  return true;
}

bool SameEventTimes(const OnlineColumn& a, const OnlineColumn& b) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (a.event_time(i) != b.event_time(i)) return false;
  }
  return true;
}

// Where a JSON array's text was written: its offset and length.
struct Written {
  size_t at = 0, size = 0;
};

// A string, bytes (base64) or timestamp (RFC 3339) value, quoted.
std::string QuotedText(const Value& v, ValueType type) {
  std::string text;
  AppendValueText(v, type, &text);
  return JsonWriter::Quote(text);
}

bool IsNumber(ValueType type) {
  return type == VALUE_TYPE_INT64 || type == VALUE_TYPE_DOUBLE || type == VALUE_TYPE_BOOL;
}

// A join key column's values: integers through the pointer, strings quoted.
void WriteValues(const std::vector<Value>& values, JsonText& text) {
  for (size_t i = 0; i < values.size(); ++i) {
    const Value& v = values[i];
    if (std::holds_alternative<std::string>(v)) {
      if (i > 0) text.Append(",");
      text.Append(JsonWriter::Quote(std::get<std::string>(v)));
      continue;
    }
    char* p = text.Room(kNumberRoom + 1);
    if (i > 0) *p++ = ',';
    text.Advance(WriteNumber(v, p));
  }
}

// n copies of `snippet`, comma separated.
void WriteRepeated(const Snippet& snippet, size_t n, JsonText& text) {
  for (size_t i = 0; i < n; ++i) {
    char* p = text.Room(Snippet::kSize + 1);
    if (i > 0) *p++ = ',';
    text.Advance(snippet.CopyTo(p));
  }
}

// The quoted texts that results repeat: each status's name, and the epoch (the event
// time of a join key, and of a feature with none).
struct ResultSnippets {
  ResultSnippets() : epoch(absl::StrCat("\"", FormatTimestamp(0), "\"")) {
    for (const FeatureStatus s :
         {FeatureStatus::kPresent, FeatureStatus::kNotFound, FeatureStatus::kNullValue,
          FeatureStatus::kOutsideMaxAge}) {
      statuses[static_cast<int>(s)].Set(JsonWriter::Quote(FeatureStatusName(s)));
    }
  }
  const Snippet& status(FeatureStatus s) const { return statuses[static_cast<int>(s)]; }

  Snippet epoch;
  Snippet statuses[4];
};

// {"metadata":{"feature_names":[...]},"results":[ : join keys first, then features
// (VIEW__FEATURE with `full_names`, else FEATURE).
void WriteFeatureNames(const OnlineResult& result, bool full_names, JsonText& text) {
  text.Append("{\"metadata\":{\"feature_names\":[");
  bool first = true;
  for (const auto& [name, values] : result.entities) {
    if (!first) text.Append(",");
    first = false;
    text.Append(JsonWriter::Quote(name));
  }
  for (const std::string& f : result.features) {
    if (!first) text.Append(",");
    first = false;
    const size_t colon = f.find(':');
    text.Append(JsonWriter::Quote(full_names
                                      ? f.substr(0, colon) + "__" + f.substr(colon + 1)
                                      : f.substr(colon + 1)));
  }
  text.Append("]},\"results\":[");
}

// One result per join key: its values, each PRESENT at the epoch.
void WriteJoinKeyResults(const EntityColumns& entities, const ResultSnippets& snippets,
                         JsonText& text) {
  bool first = true;
  for (const auto& [name, values] : entities) {
    if (!first) text.Append(",");
    first = false;
    text.Append("{\"values\":[");
    WriteValues(values, text);
    text.Append("],\"statuses\":[");
    WriteRepeated(snippets.status(FeatureStatus::kPresent), values.size(), text);
    text.Append("],\"event_timestamps\":[");
    WriteRepeated(snippets.epoch, values.size(), text);
    text.Append("]}");
  }
}

// The results of the feature columns, one after another. A column whose statuses or
// event times are those of the column before (features of one view share their rows)
// copies that column's text rather than writing it again.
class FeatureResults {
 public:
  FeatureResults(size_t entities, const ResultSnippets& snippets, JsonText& text)
      : times_(entities), snippets_(snippets), text_(text) {}

  // {"values":[...],"statuses":[...],"event_timestamps":[...]} of `column`, whose
  // values are of `type`; `previous` is the column written before, if any.
  void Write(const OnlineColumn& column, const OnlineColumn* previous, ValueType type) {
    text_.Append("{\"values\":[");
    WriteValues(column, type);
    text_.Append("],\"statuses\":[");
    if (previous != nullptr && SameStatuses(column, *previous)) {
      CopyPrevious(last_statuses_);
    } else {
      last_statuses_.at = text_.size();
      WriteStatuses(column);
      last_statuses_.size = text_.size() - last_statuses_.at;
    }
    text_.Append("],\"event_timestamps\":[");
    if (previous != nullptr && SameEventTimes(column, *previous)) {
      CopyPrevious(last_times_);
    } else {
      last_times_.at = text_.size();
      WriteEventTimes(column);
      last_times_.size = text_.size() - last_times_.at;
    }
    text_.Append("]}");
  }

 private:
  // Appends the text `last` names again, and makes `last` name the copy.
  void CopyPrevious(Written& last) {
    const Written same = last;
    last.at = text_.size();
    text_.AppendOwn(same.at, same.size);
  }

  // Present values as JSON numbers or quoted text, the others null.
  void WriteValues(const OnlineColumn& column, ValueType type) {
    for (size_t i = 0; i < column.size(); ++i) {
      const bool present = column.status(i) == FeatureStatus::kPresent;
      if (present && !IsNumber(type)) {
        if (i > 0) text_.Append(",");
        text_.Append(QuotedText(column[i].value, type));
        continue;
      }
      char* p = text_.Room(kNumberRoom + 1);
      if (i > 0) *p++ = ',';
      text_.Advance(present ? WriteNumberBits(type, column.number_bits(i), p)
                            : Copy(p, "null"));
    }
  }

  void WriteStatuses(const OnlineColumn& column) {
    for (size_t i = 0; i < column.size(); ++i) {
      char* p = text_.Room(Snippet::kSize + 1);
      if (i > 0) *p++ = ',';
      text_.Advance(snippets_.status(column.status(i)).CopyTo(p));
    }
  }

  // Each value's event time, quoted (the epoch when it has none).
  void WriteEventTimes(const OnlineColumn& column) {
    for (size_t i = 0; i < column.size(); ++i) {
      char* p = text_.Room(Snippet::kSize + 1);
      if (i > 0) *p++ = ',';
      const std::optional<Micros> t = column.event_time(i);
      if (!t.has_value()) {
        text_.Advance(snippets_.epoch.CopyTo(p));
        continue;
      }
      auto& [cached_time, quoted] = times_[i];
      if (quoted.size == 0 || cached_time != *t) {
        cached_time = *t;
        quoted.Set(absl::StrCat("\"", FormatTimestamp(*t), "\""));  // no escapes
      }
      text_.Advance(quoted.CopyTo(p));
    }
  }

  // Each entity's event time, quoted; features of one view share it.
  std::vector<std::pair<Micros, Snippet>> times_;
  // The previous column's statuses and event times as written.
  Written last_statuses_, last_times_;
  const ResultSnippets& snippets_;
  JsonText& text_;
};

}  // namespace

std::string OnlineResponseJson(const OnlineResult& result, bool full_names) {
  return std::string(OnlineResponseJsonView(result, full_names));
}

absl::string_view OnlineResponseJsonView(const OnlineResult& result, bool full_names) {
  const size_t n = result.entities.empty() ? 0 : result.entities.front().second.size();
  JsonText text;
  WriteFeatureNames(result, full_names, text);
  const ResultSnippets snippets;
  WriteJoinKeyResults(result.entities, snippets, text);
  FeatureResults features(n, snippets, text);
  for (size_t f = 0; f < result.features.size(); ++f) {
    if (f > 0 || !result.entities.empty()) text.Append(",");
    features.Write(result.values[f], f > 0 ? &result.values[f - 1] : nullptr,
                   result.types[f]);
  }
  text.Append("]}");
  return text.view();
}

}  // namespace strata::features
