// Statistics as the CLI prints them and the HTTP API answers them (docs/quality.md,
// "Statistics", and docs/http-api.md, "GET /v1/stats").
#ifndef STRATA_QUALITY_RENDER_H_
#define STRATA_QUALITY_RENDER_H_

#include <string>
#include <vector>

#include "quality/profile_store.h"

namespace strata::quality {

// {"source","stored","computed","method","ingest_profiles","rows","columns":[{"name","type","count","nulls",
// "distinct","min","max","mean","stddev","quantiles":{"p1",...,"p99"},
// "histogram":[{"lo","hi","count"}],"top":[{"value","count"}]}]}: a measure that
// does not apply to a column's type (or to a column without values) is absent.
// "method" (a window's only): "merged" from "ingest_profiles" stored profiles, or
// "scanned".
// Timestamps' min, max, mean, quantiles and bin edges are RFC 3339 text and their
// stddev is in seconds; bools' min and max are true/false and their top is the
// count of each.
std::string StatsJson(const StatsResult& result);

// The first line of the readable form: "SOURCE: N rows, M columns (WHERE)", WHERE
// being "stored as P", "read from P", "merged from N ingest profiles" or "scanned".
std::string StatsHeadline(const StatsResult& result);
// A row per column (after a header row): name, type, count, nulls, distinct, min,
// p25, p50, p75, max, mean, stddev (doubles to 6 significant digits; a time's
// stddev in seconds); "-" where a measure does not apply.
std::vector<std::vector<std::string>> StatsRows(const StatsResult& result);
// "COLUMN top: VALUE (COUNT), ..." for each string column with values.
std::vector<std::string> StatsTopLines(const StatsResult& result);

}  // namespace strata::quality

#endif  // STRATA_QUALITY_RENDER_H_
