// Feature values and timestamps as strata reads and writes them (docs/features.md,
// "Values and timestamps"): the typed value, the time unit of integer timestamps,
// and the one parser and formatter of each. Public: the domain's types, no encoding.
#ifndef STRATA_FEATURES_VALUES_H_
#define STRATA_FEATURES_VALUES_H_

#include <cstdint>
#include <string>
#include <variant>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "features/features.pb.h"

namespace strata::features {

// Microseconds since the Unix epoch, UTC.
using Micros = int64_t;

// A typed feature value; monostate is null.
using Value = std::variant<std::monostate, int64_t, double, bool, std::string>;

enum class TimeUnit { kSeconds, kMillis, kMicros, kNanos };

// Parses "s", "ms", "us", "ns". Errors: InvalidArgument.
absl::StatusOr<TimeUnit> ParseTimeUnit(absl::string_view text);
// "s", "ms", "us", "ns".
absl::string_view TimeUnitName(TimeUnit unit);

// The timestamps strata accepts: years 0001 to 9999 in UTC, to the microsecond.
constexpr Micros kMinTimestamp = -62135596800LL * 1000000;           // 0001-01-01
constexpr Micros kMaxTimestamp = 253402300799LL * 1000000 + 999999;  // 9999-12-31

// A timestamp (docs/features.md, "Values and timestamps"): ISO 8601 / RFC 3339
// ("2024-05-01T12:00:00Z"; a space may replace the T; seconds optional; fractional
// seconds of any length, digits past the microsecond dropped; offsets Z, +HH:MM,
// +HHMM, +HH; no offset means UTC), or an integer count of `unit` since the epoch
// (nanoseconds rounded down to the microsecond). Second 60 (a leap second) is
// refused: strata's times, like POSIX time, have none.
// Errors: InvalidArgument saying what is wrong: not a timestamp, out of range
// (outside kMinTimestamp..kMaxTimestamp), a leap second.
absl::StatusOr<Micros> ParseTimestamp(absl::string_view text, TimeUnit unit);

// RFC 3339 in UTC: "2024-05-01T12:00:00Z", with 6 fractional digits when needed.
// Every t in kMinTimestamp..kMaxTimestamp parses back to t.
std::string FormatTimestamp(Micros t);

// Parses `text` as a value of `type` (bytes: base64), by the rules of
// docs/features.md, "Values and timestamps": int64 is an optional sign and decimal
// digits; double adds a fraction and an exponent, rounds to the nearest double
// (below the smallest subnormal: to zero), and refuses NaN, infinities and values
// beyond the largest double; neither takes hexadecimal. Empty text is not accepted
// here: the caller decides whether an empty field is null.
// Errors: InvalidArgument saying what is wrong ("out of range for int64", "not a
// finite number", ...) with `text` cut by Excerpt.
absl::StatusOr<Value> ParseValue(absl::string_view text, ValueType type, TimeUnit unit);

// Appends `value` as text: integers and doubles (shortest round trip), true/false,
// timestamps as FormatTimestamp, bytes as base64, strings as they are. Null appends
// nothing.
void AppendValueText(const Value& value, ValueType type, std::string* out);

}  // namespace strata::features

#endif  // STRATA_FEATURES_VALUES_H_
