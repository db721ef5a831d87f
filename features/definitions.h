// Feature definitions files: entities and feature views declared in YAML (or JSON,
// which YAML reads too), parsed and validated into protobuf records.
//
//   entities:
//     - name: customer
//       join_keys:
//         - {name: customer_id, type: int64}
//   feature_views:
//     - name: customer_stats
//       entities: [customer]
//       ttl: 7d
//       features:
//         - {name: spend_7d, type: double}
//         - {name: segment, type: string}
#ifndef STRATA_FEATURES_DEFINITIONS_H_
#define STRATA_FEATURES_DEFINITIONS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "features/features.pb.h"

namespace strata::features {

// Parses and validates a definitions file. `source` (a file name) prefixes errors.
// Each feature view gets its entities' full definitions embedded.
// Errors: InvalidArgument naming the place ("defs.yaml:7:9: ...") and the problem:
// malformed YAML, an unknown or missing key, a wrong type, a bad name, a duplicate,
// an unknown entity, a feature named like a join key or a reserved column.
absl::StatusOr<Definitions> ParseDefinitions(absl::string_view text,
                                             absl::string_view source);

// "int64", "double", "string", "bool", "bytes", "timestamp".
// Errors: InvalidArgument listing the types.
absl::StatusOr<ValueType> ParseValueType(absl::string_view text);
absl::string_view ValueTypeName(ValueType type);

// A duration: an integer with a unit s, m, h or d ("7d", "90m"); "0" is unbounded.
// Errors: InvalidArgument.
absl::StatusOr<int64_t> ParseDuration(absl::string_view text);

// Whether `updated` may replace `existing` as the next version of a feature view:
// features may be added or removed, descriptions, TTL, owner and tags may change,
// but a feature keeps its type and the view keeps its entities and join keys (rows
// already ingested are keyed and typed by them).
// Errors: FailedPrecondition naming the feature or entity that changed.
absl::Status CheckCompatible(const FeatureView& existing, const FeatureView& updated);

}  // namespace strata::features

#endif  // STRATA_FEATURES_DEFINITIONS_H_
