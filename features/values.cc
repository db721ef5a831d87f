#include "features/values.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "absl/base/casts.h"
#include "absl/base/internal/endian.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "features/codec.h"
#include "features/definitions.h"
#include "store/excerpt.h"
#include "store/status_macros.h"

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

// Why a text is not an accepted ISO 8601 timestamp.
enum class IsoProblem { kNone, kNotIso, kLeapSecond };

// "YYYY-MM-DD[(T|t| )HH:MM[:SS[(.|,)FRACTION]][Z|z|(+|-)HH[[:]MM]]]" as seconds since
// the epoch (*seconds, unchecked range) and microseconds (*micros, [0, 1e6)).
IsoProblem ParseIso8601(absl::string_view s, int64_t* seconds, int64_t* micros) {
  const char* p = s.data();
  const char* end = p + s.size();
  unsigned year, month, day, hour = 0, minute = 0, second = 0;
  if (s.size() < 10 || !Digits(p, 4, &year) || p[4] != '-' || !Digits(p + 5, 2, &month) ||
      p[7] != '-' || !Digits(p + 8, 2, &day)) {
    return IsoProblem::kNotIso;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) {
    return IsoProblem::kNotIso;
  }
  p += 10;
  *seconds = 0;  // the offset's, then the total
  *micros = 0;
  bool leap = false;
  if (p < end && (*p == 'T' || *p == 't' || *p == ' ')) {
    if (end - p < 6 || !Digits(p + 1, 2, &hour) || p[3] != ':' ||
        !Digits(p + 4, 2, &minute)) {
      return IsoProblem::kNotIso;
    }
    p += 6;
    if (p < end && *p == ':') {
      if (end - p < 3 || !Digits(p + 1, 2, &second)) return IsoProblem::kNotIso;
      p += 3;
      if (p < end && (*p == '.' || *p == ',')) {
        ++p;
        int digits = 0;
        for (; p < end && *p >= '0' && *p <= '9'; ++p, ++digits) {
          if (digits < 6) *micros = *micros * 10 + (*p - '0');
        }
        if (digits == 0) return IsoProblem::kNotIso;
        for (int i = digits; i < 6; ++i) *micros *= 10;
      }
    }
    if (hour > 23 || minute > 59 || second > 60) return IsoProblem::kNotIso;
    leap = second == 60;
    if (p < end && (*p == 'Z' || *p == 'z')) {
      ++p;
    } else if (p < end && (*p == '+' || *p == '-')) {
      const int sign = *p == '+' ? 1 : -1;
      unsigned oh, om = 0;
      if (end - p < 3 || !Digits(p + 1, 2, &oh)) return IsoProblem::kNotIso;
      p += 3;
      if (end - p == 3 && *p == ':' && Digits(p + 1, 2, &om)) {
        p += 3;
      } else if (end - p == 2 && Digits(p, 2, &om)) {
        p += 2;
      }
      if (oh > 23 || om > 59) return IsoProblem::kNotIso;
      *seconds = -sign * static_cast<int64_t>(oh * 3600 + om * 60);
    }
  }
  if (p != end) return IsoProblem::kNotIso;
  if (leap) return IsoProblem::kLeapSecond;
  *seconds +=
      DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
  return IsoProblem::kNone;
}

// `text` without one leading '+' before a digit or '.', which from_chars refuses.
absl::string_view WithoutPlus(absl::string_view text) {
  if (text.size() > 1 && text[0] == '+' &&
      (absl::ascii_isdigit(text[1]) || text[1] == '.')) {
    return text.substr(1);
  }
  return text;
}

// Why `text`, refused as an int64, is not one.
std::string NotAnInt64(absl::string_view text) {
  const absl::string_view t = WithoutPlus(text);
  const absl::string_view digits = !t.empty() && t[0] == '-' ? t.substr(1) : t;
  if (!digits.empty() &&
      digits.find_first_not_of("0123456789") == absl::string_view::npos) {
    return absl::StrCat(Excerpt(text), " is out of range for int64");
  }
  if (absl::StartsWithIgnoreCase(digits, "0x")) {
    return absl::StrCat(Excerpt(text), " is hexadecimal: int64 takes decimal digits");
  }
  return absl::StrCat(Excerpt(text),
                      " is not an int64 (an optional sign and decimal digits)");
}

absl::StatusOr<double> ParseDouble(absl::string_view text) {
  const absl::string_view t = WithoutPlus(text);
  const char* end = t.data() + t.size();
  double v;
  auto [ptr, ec] = std::from_chars(t.data(), end, v);
  if (ptr == end && !t.empty()) {
    if (ec == std::errc() && std::isfinite(v)) return v;
    if (ec == std::errc()) {  // from_chars reads nan and inf(inity)
      return absl::InvalidArgumentError(absl::StrCat(
          Excerpt(text), " is not a finite number (an empty field is a null)"));
    }
    if (ec == std::errc::result_out_of_range) {
      // Overflow is refused; underflow rounds to the nearest double, as strtod does.
      const std::string copy(t);
      v = std::strtod(copy.c_str(), nullptr);
      if (std::isfinite(v)) return v;
      return absl::InvalidArgumentError(
          absl::StrCat(Excerpt(text), " is out of range for double (beyond ±1.8e308)"));
    }
  }
  const absl::string_view digits = !t.empty() && t[0] == '-' ? t.substr(1) : t;
  if (absl::StartsWithIgnoreCase(digits, "0x")) {
    return absl::InvalidArgumentError(
        absl::StrCat(Excerpt(text), " is hexadecimal: double takes decimal digits"));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      Excerpt(text), " is not a double (decimal digits, a fraction, an exponent)"));
}

}  // namespace

absl::StatusOr<TimeUnit> ParseTimeUnit(absl::string_view text) {
  for (TimeUnit unit :
       {TimeUnit::kSeconds, TimeUnit::kMillis, TimeUnit::kMicros, TimeUnit::kNanos}) {
    if (text == TimeUnitName(unit)) return unit;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("timestamp unit ", Excerpt(text), " is not s, ms, us or ns"));
}

absl::string_view TimeUnitName(TimeUnit unit) {
  switch (unit) {
    case TimeUnit::kSeconds:
      return "s";
    case TimeUnit::kMillis:
      return "ms";
    case TimeUnit::kMicros:
      return "us";
    case TimeUnit::kNanos:
      return "ns";
  }
  return "s";
}

absl::StatusOr<Micros> ParseTimestamp(absl::string_view text, TimeUnit unit) {
  const auto out_of_range = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        "timestamp ", Excerpt(text), " is out of range (years 0001 to 9999 UTC)"));
  };
  const absl::string_view number = WithoutPlus(text);
  const char* end = number.data() + number.size();
  int64_t n;
  auto [ptr, ec] = std::from_chars(number.data(), end, n);
  if (ptr == end && !number.empty()) {
    Micros t;
    if (ec != std::errc() || !codec::EpochToMicros(n, unit, &t)) return out_of_range();
    return t;
  }
  int64_t seconds = 0, micros = 0;
  switch (ParseIso8601(text, &seconds, &micros)) {
    case IsoProblem::kNone:
      if (seconds < kMinTimestamp / 1000000 || seconds > kMaxTimestamp / 1000000) {
        return out_of_range();
      }
      return seconds * 1000000 + micros;
    case IsoProblem::kLeapSecond:
      return absl::InvalidArgumentError(absl::StrCat(
          "timestamp ", Excerpt(text),
          " is a leap second (:60): strata's times, like POSIX time, have none"));
    case IsoProblem::kNotIso:
      break;
  }
  if (ec == std::errc::result_out_of_range ||
      (ptr != number.data() && ptr < end &&
       (*ptr == '.' || *ptr == 'e' || *ptr == 'E'))) {
    // 1.5e9, 1e30: numbers, but not whole ones in range.
    if (ec == std::errc::result_out_of_range && ptr == end) return out_of_range();
    return absl::InvalidArgumentError(
        absl::StrCat("timestamp ", Excerpt(text), " is not a whole number of ",
                     TimeUnitName(unit), " since the epoch"));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      Excerpt(text),
      " is not a timestamp (ISO 8601 like 2024-05-01T12:00:00Z, or an integer epoch)"));
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
  switch (type) {
    case VALUE_TYPE_INT64: {
      const absl::string_view t = WithoutPlus(text);
      int64_t v;
      auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
      if (ec == std::errc() && ptr == t.data() + t.size() && !t.empty()) return Value(v);
      return absl::InvalidArgumentError(NotAnInt64(text));
    }
    case VALUE_TYPE_DOUBLE: {
      ASSIGN_OR_RETURN(double v, ParseDouble(text));
      return Value(v);
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
          absl::StrCat(Excerpt(text), " is not base64 (bytes values are)"));
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
      absl::StrCat(Excerpt(text), " is not a ", ValueTypeName(type),
                   type == VALUE_TYPE_BOOL ? " (true, false, 1 or 0)" : ""));
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

}  // namespace strata::features
