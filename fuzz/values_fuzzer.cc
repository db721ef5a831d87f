// Typed values and timestamps as CSV and JSON lines carry them (features/codec.h):
// the first byte picks a type and a time unit, the rest is the text. Whatever is
// accepted is printed and parsed back to the same value.
#include <bit>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "features/codec.h"
#include "fuzz/harness.h"

using strata::features::ParseValue;
using strata::features::TimeUnit;
using strata::features::Value;
using strata::features::ValueType;

namespace {

bool Same(const Value& a, const Value& b) {
  if (a.index() != b.index()) return false;
  if (const double* x = std::get_if<double>(&a)) {
    const double y = std::get<double>(b);
    return std::bit_cast<uint64_t>(*x) == std::bit_cast<uint64_t>(y) ||
           (std::isnan(*x) && std::isnan(y));
  }
  return a == b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr ValueType kTypes[] = {
      strata::features::VALUE_TYPE_INT64, strata::features::VALUE_TYPE_DOUBLE,
      strata::features::VALUE_TYPE_STRING, strata::features::VALUE_TYPE_BOOL,
      strata::features::VALUE_TYPE_BYTES, strata::features::VALUE_TYPE_TIMESTAMP};
  static constexpr TimeUnit kUnits[] = {TimeUnit::kSeconds, TimeUnit::kMillis,
                                        TimeUnit::kMicros, TimeUnit::kNanos};
  const ValueType type = kTypes[data[0] % 6];
  const TimeUnit unit = kUnits[(data[0] / 6) % 4];
  const absl::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

  auto value = ParseValue(text, type, unit);
  if (value.ok()) {
    std::string printed;
    strata::features::AppendValueText(*value, type, &printed);
    auto again = ParseValue(printed, type, TimeUnit::kMicros);
    strata::fuzz::Check(again.ok(), absl::StrCat("accepted \"", text, "\" printed as \"",
                                                 printed, "\" which does not parse: ",
                                                 again.status().message()));
    strata::fuzz::Check(Same(*value, *again),
                        absl::StrCat("\"", text, "\" printed as \"", printed,
                                     "\" parses to another value"));
  }
  auto time = strata::features::ParseTimestamp(text, unit);
  if (time.ok()) {
    const std::string printed = strata::features::FormatTimestamp(*time);
    auto again = strata::features::ParseTimestamp(printed, TimeUnit::kSeconds);
    strata::fuzz::Check(again.ok() && *again == *time,
                        absl::StrCat("timestamp \"", text, "\" printed as \"", printed,
                                     "\" does not parse back to it"));
  }
  return 0;
}
