#include "tools/flags.h"

#include <cstdint>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "store/excerpt.h"

namespace strata::cli {
namespace {

// The bounds and values checked here fit in an int64 or a uint64.
std::string Decimal(absl::int128 v) {
  return v < 0 ? absl::StrCat(static_cast<int64_t>(v))
               : absl::StrCat(static_cast<uint64_t>(v));
}

}  // namespace

CLI::Validator IntegerIn(absl::int128 min, absl::int128 max, std::string unit) {
  const std::string range = absl::StrCat(Decimal(min), "..", Decimal(max));
  const std::string suffix = unit.empty() ? "" : absl::StrCat(" (", unit, ")");
  return CLI::Validator(
      [min, max, range, suffix](std::string& text) -> std::string {
        const size_t digits = !text.empty() && text[0] == '-' ? 1 : 0;
        absl::int128 value = 0;
        if (text.size() == digits ||
            text.find_first_not_of("0123456789", digits) != std::string::npos ||
            !absl::SimpleAtoi(text, &value) || value < min || value > max) {
          return absl::StrCat(Excerpt(text), " is not an integer in ", range, suffix);
        }
        text = Decimal(value);
        return "";
      },
      range, "IntegerIn");
}

CLI::Validator Fraction() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        double value = 0;
        if (!absl::SimpleAtod(text, &value) || !(value >= 0 && value <= 1) ||
            text.find_first_not_of("0123456789.eE+-") != std::string::npos) {
          return absl::StrCat(Excerpt(text), " is not a number in 0..1");
        }
        return "";
      },
      "0..1", "Fraction");
}

CLI::Validator NotEmpty() {
  return CLI::Validator(
      [](const std::string& text) -> std::string {
        return text.empty() ? "must not be empty" : "";
      },
      "", "NotEmpty");
}

}  // namespace strata::cli
