// The ingest's "validate" stage for one block: CSV records or JSON lines parsed,
// each value checked against the view and the row encoded as a log entry
// (features/ingest.cc runs it on its worker threads). Internal to features/.
#ifndef STRATA_FEATURES_INGEST_PARSE_H_
#define STRATA_FEATURES_INGEST_PARSE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "features/ingest_block.h"
#include "features/tables.h"
#include "features/values.h"

namespace strata::features::ingest {

// Where a column's values go.
struct Role {
  enum Kind { kJoinKey, kEvent, kCreated, kFeature } kind;
  int index = 0;  // join key or feature index
};

// Maps column names to roles. Errors: unknown or repeated columns, a missing join
// key or event_timestamp column.
absl::StatusOr<std::vector<Role>> MapColumns(const ResolvedView& view,
                                             const std::vector<std::string>& names,
                                             bool require_all);

// Parses the CSV records of one block.
void ParseCsvBlock(const ResolvedView& view, const std::vector<Role>& roles,
                   const std::vector<std::string>& labels, size_t max_record_bytes,
                   TimeUnit unit, absl::string_view reader, Micros now,
                   absl::string_view data, ParsedBlock* out);

// Parses the JSON lines of one block; each line is one object. `capacity`: the
// bytes readable from data.data() (simdjson reads past the end of a line).
void ParseJsonBlock(const ResolvedView& view, TimeUnit unit, absl::string_view reader,
                    Micros now, absl::string_view data, size_t capacity,
                    ParsedBlock* out);

constexpr absl::string_view kUtf8Bom = "\xEF\xBB\xBF";

// Whether the input is JSON lines: by the name, else by its first bytes `head`.
bool LooksLikeJsonLines(const std::string& path, absl::string_view head);

}  // namespace strata::features::ingest

#endif  // STRATA_FEATURES_INGEST_PARSE_H_
