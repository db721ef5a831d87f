// JSON request bodies: one JSON document each, read with simdjson's DOM parser, in
// which no object may hold a key twice (RFC 8259 leaves duplicates to the reader,
// and simdjson keeps both: a route reading fields in order would merge them
// silently). Internal to api/.
#ifndef STRATA_API_INTERNAL_JSON_BODY_H_
#define STRATA_API_INTERNAL_JSON_BODY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "simdjson.h"

namespace strata::api::internal {

// Parses `body` as exactly one JSON value (text after it is refused) with no key
// twice in any of its objects. The result lives in `parser` until its next parse.
// `what` names the body in errors ("the body", "spine line 3").
// Errors: InvalidArgument: not valid JSON (simdjson's reason), not an object, a key
// twice (named, with where it is: `key "x" appears twice in entities`).
absl::StatusOr<simdjson::dom::object> ParseJsonObject(
    simdjson::dom::parser& parser, const std::string& body,
    absl::string_view what = "the body");
absl::StatusOr<simdjson::dom::object> ParseJsonObject(simdjson::dom::parser& parser,
                                                      absl::string_view body,
                                                      absl::string_view what);

// OK unless an object in `value` holds a key twice. Iterative: simdjson bounds the
// depth (1024), the walk uses no stack for it.
// Errors: InvalidArgument naming the key and the path of the object holding it.
absl::Status CheckNoDuplicateKeys(simdjson::dom::element value);

}  // namespace strata::api::internal

#endif  // STRATA_API_INTERNAL_JSON_BODY_H_
