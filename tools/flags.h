// Checks of flag values, shared by every command, so that a bad value stops the
// command line before anything runs (exit 2, "error: --FLAG: ...") with the same
// words everywhere.
#ifndef STRATA_TOOLS_FLAGS_H_
#define STRATA_TOOLS_FLAGS_H_

#include <string>

#include "CLI/CLI.hpp"
#include "absl/numeric/int128.h"

namespace strata::cli {

// For Option::transform: the value must be a decimal integer (an optional '-', then
// digits) in min..max, else "--FLAG: VALUE is not an integer in MIN..MAX" and, when
// `unit` is given, " (UNIT)". The value is handed on in canonical form: CLI11 alone
// would read "-1" as 2^64 - 1 for an unsigned flag, "010" as octal, "0x10" as hex,
// and a number too large for the flag's type as its largest value.
// REQUIRES: min <= max, each within int64 or uint64.
CLI::Validator IntegerIn(absl::int128 min, absl::int128 max, std::string unit = "");

// For Option::transform: the value must be a decimal fraction in 0..1 ("0.05",
// "1", "5e-3"), else "--FLAG: VALUE is not a number in 0..1".
CLI::Validator Fraction();

// For Option::check: refuses an empty value ("--FLAG: must not be empty"), which
// would otherwise mean the flag's default.
CLI::Validator NotEmpty();

}  // namespace strata::cli

#endif  // STRATA_TOOLS_FLAGS_H_
