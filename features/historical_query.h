// The historical request as callers write it, checked in one place.
//
// A HistoricalQuery (features/historical_query.proto) holds what a caller typed: the
// query string of POST /v1/features/historical, or `strata historical`'s flags.
// ParseHistoricalQuery is the one place that text is checked and turned into a
// HistoricalRequest; HistoricalQueryOf is its inverse, for a client that sends a
// request it holds; QueryParameters and HistoricalQueryOfParameters are the query
// string's one encoder and decoder.
//
//   client:  ParsedHistoricalQuery -> HistoricalQueryOf -> QueryParameters -> URL
//   server:  URL -> HistoricalQueryOfParameters -> ParseHistoricalQuery -> FeatureStore
//   CLI:     flags -> HistoricalQuery -> ParseHistoricalQuery -> StoreClient
#ifndef STRATA_FEATURES_HISTORICAL_QUERY_H_
#define STRATA_FEATURES_HISTORICAL_QUERY_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "features/feature_store.h"
#include "features/historical_query.pb.h"

namespace strata::features {

// How errors name a query's parameters: as the HTTP route's query parameters
// ("as_of: ...", "save=x: ...") or as the command line's flags ("--as-of: ...",
// "--save x: ...").
enum class QueryDialect { kHttp, kCommandLine };

// A checked query.
struct ParsedHistoricalQuery {
  // Its features, as_of, created_cutoff, full_names, timestamp_unit, format and
  // spine_name; the limits (max_spine_rows, max_record_bytes) are the caller's.
  HistoricalRequest request;
  std::optional<std::string> save;   // the saved dataset's NAME (without "dataset/")
  std::string message;               // of the saved version
  SaveLineage lineage;               // only with `save`
  std::optional<std::string> spine;  // a stored spine, "dataset/NAME[@REF]"
};

// Checks `query` and turns it into a request. Errors: InvalidArgument naming the
// parameter as `dialect` does, for the first of: no features; an unknown
// timestamp_unit; an as_of that is not a timestamp; a format other than csv or jsonl;
// a save that is not dataset/NAME with a valid NAME; inputs or spine_inputs without
// save; a spine that is not dataset/NAME[@REF].
absl::StatusOr<ParsedHistoricalQuery> ParseHistoricalQuery(const HistoricalQuery& query,
                                                           QueryDialect dialect);

// The query that ParseHistoricalQuery turns back into `parsed` (as_of written as
// RFC 3339 text, the unit by name; spine_name only without a stored spine).
HistoricalQuery HistoricalQueryOf(const ParsedHistoricalQuery& parsed);

// The query string's parameters, NAME and VALUE (not URL-encoded), in field order:
// the fields that are set (a bool when true), a repeated field's values joined with
// commas.
std::vector<std::pair<std::string, std::string>> QueryParameters(
    const HistoricalQuery& query);

// The query of decoded query-string parameters (a NAME may repeat: a repeated field
// collects every value's comma-separated items; a singular one takes the first).
// Parameters that are no field are passed over: the route refuses them first
// (HistoricalQueryParameterNames). Errors: InvalidArgument "NAME=VALUE is not true or
// false" for a bool field.
absl::StatusOr<HistoricalQuery> HistoricalQueryOfParameters(
    const std::multimap<std::string, std::string>& params);

// The parameter names a query has: its fields' names.
std::vector<std::string> HistoricalQueryParameterNames();

}  // namespace strata::features

#endif  // STRATA_FEATURES_HISTORICAL_QUERY_H_
