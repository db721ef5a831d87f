// The ingest's "validate" stage for one block: CSV records or JSON lines parsed,
// each value checked against the view and the row encoded as a log entry
// (features/ingest.cc runs it on its worker threads). Internal to features/.
#ifndef STRATA_FEATURES_INGEST_PARSE_H_
#define STRATA_FEATURES_INGEST_PARSE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "features/csv.h"
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

// How the blocks of one input are parsed: what its columns are and what its values
// mean.
struct BlockFormat {
  const ResolvedView* view = nullptr;
  bool json = false;
  std::vector<Role> roles;          // CSV: each header column's role
  std::vector<std::string> labels;  // CSV: column names as errors print them
  size_t max_record_bytes = 0;
  TimeUnit unit = TimeUnit::kSeconds;
  absl::string_view reader;  // whose unit `unit` is, for errors ("this view")
  Micros now = 0;            // created time of rows without one
};

// Parses the rows of `data` from offset `start` into `out` (ParseCsvBlock or
// ParseJsonBlock); `data` may grow (JSON lines need padding past their end).
void ParseBlock(const BlockFormat& format, ByteBuffer& data, size_t start,
                ParsedBlock* out);

// Whether the input is JSON lines: by the name, else by its first bytes `head`.
bool LooksLikeJsonLines(const std::string& path, absl::string_view head);

}  // namespace strata::features::ingest

#endif  // STRATA_FEATURES_INGEST_PARSE_H_
