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
//       plausible_time: {from: 2000-01-01, until: 2100-01-01}   # optional
//       features:
//         - {name: spend_7d, type: double}
//         - {name: segment, type: string}
//       source: customer_push                 # optional: its push source
//   push_sources:                             # optional
//     - name: customer_push
//   feature_services:                         # optional
//     - name: churn_model
//       features: [customer_stats:spend_7d, other_view]   # a view: all its features
#ifndef STRATA_FEATURES_DEFINITIONS_H_
#define STRATA_FEATURES_DEFINITIONS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "features/features.pb.h"
#include "features/values.h"

namespace strata::features {

// Parses and validates a definitions file. `source` (a file name) prefixes errors.
// Each feature view gets its entities' full definitions embedded. A feature
// service's entries keep their form (VIEW or VIEW:FEATURE) and places; those of views
// in the file are checked here, the others by FeatureRegistry::Apply.
// Errors: InvalidArgument naming the place ("defs.yaml:7:9: ...") and the problem:
// malformed YAML, an unknown or missing key, a wrong type, a bad name, a duplicate,
// an unknown entity or push source, a feature named like a join key or a reserved
// column, a view named like a push source, a service entry naming no feature of a
// view of the file.
absl::StatusOr<Definitions> ParseDefinitions(absl::string_view text,
                                             absl::string_view source);

// "int64", "double", "string", "bool", "bytes", "timestamp".
// Errors: InvalidArgument listing the types.
absl::StatusOr<ValueType> ParseValueType(absl::string_view text);
absl::string_view ValueTypeName(ValueType type);

// A duration: an integer with a unit s, m, h or d ("7d", "90m"); "0" is unbounded.
// Errors: InvalidArgument.
absl::StatusOr<int64_t> ParseDuration(absl::string_view text);

// The event and created times a feature view's rows may carry: from <= t < until.
// A time outside is refused on ingest and push, and fsck flags an online row outside
// it: an epoch in the wrong unit (milliseconds read as seconds) would otherwise
// land in the year 55000 and beat every later row online. The view's
// `plausible_time` sets it; each bound absent is the default.
struct PlausibleTime {
  static constexpr Micros kDefaultFrom = 0;                          // 1970-01-01
  static constexpr Micros kDefaultUntil = 7258118400LL * 1000000;   // 2200-01-01
  Micros from = kDefaultFrom;
  Micros until = kDefaultUntil;

  bool Contains(Micros t) const { return from <= t && t < until; }
  // "1970-01-01T00:00:00Z .. 2200-01-01T00:00:00Z"
  std::string Text() const;
};

// The window of `view`: its plausible_time bounds, else the defaults.
PlausibleTime PlausibleTimeOf(const FeatureView& view);

// Parses the event or created time of a row of a view (ParseTimestamp: ISO 8601 or
// an integer count of `unit`) and checks it is in `window`. `reader` names whose
// unit `unit` is, for the suggestion ("this view").
// Errors: InvalidArgument: as ParseTimestamp, or a time outside the window ("1701388800000
// s is past 9999-12-31T23:59:59.999999Z" or "2500-01-01T00:00:00Z is outside the
// plausible time 1970-01-01T00:00:00Z .. 2200-01-01T00:00:00Z of the view"); when the
// text is an integer that falls in the window in another unit, the error ends with
// "1701388800000 looks like milliseconds; this view reads seconds".
absl::StatusOr<Micros> ParseRowTime(absl::string_view text, TimeUnit unit,
                                    const PlausibleTime& window,
                                    absl::string_view reader = "this view");

// Checks a time already parsed (rows given as values, rows read back from the log).
// Errors: InvalidArgument "2500-01-01T00:00:00Z is outside the plausible time ...".
absl::Status CheckRowTime(Micros t, const PlausibleTime& window);

// Whether `updated` may replace `existing` as the next version of a feature view:
// features may be added or removed, descriptions, TTL, unit, plausible time, owner
// and tags may change,
// but a feature keeps its type and the view keeps its entities and join keys (rows
// already ingested are keyed and typed by them).
// Errors: FailedPrecondition naming the feature or entity that changed.
absl::Status CheckCompatible(const FeatureView& existing, const FeatureView& updated);

}  // namespace strata::features

#endif  // STRATA_FEATURES_DEFINITIONS_H_
