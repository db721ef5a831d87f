// Outside text quoted in error messages, cut to a readable length: a 10 MB column
// name or a binary value must not become a 10 MB, unprintable error.
#ifndef STRATA_STORE_EXCERPT_H_
#define STRATA_STORE_EXCERPT_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace strata {

// `text` in double quotes, C-escaped (control bytes, quotes, backslashes and bytes
// that are not valid UTF-8 as \n, \", \\, \xNN), cut after `max_bytes` of input with
// "..." and the full length: "aaaa..." (10485760 bytes). Thread-safe, pure.
std::string Excerpt(absl::string_view text, size_t max_bytes = 64);

// The length of the valid UTF-8 sequence (RFC 3629: no overlong forms, surrogates or
// code points past U+10FFFF) at the start of `text`, whose first byte is >= 0x80;
// 0 when it is not one. Thread-safe, pure.
size_t Utf8Length(absl::string_view text);

}  // namespace strata

#endif  // STRATA_STORE_EXCERPT_H_
