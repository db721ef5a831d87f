// How store records look to people and programs: JSON objects for versions, runs and
// alias moves, and lineage graphs as a tree, JSON, Graphviz DOT or Mermaid. The CLI
// and the HTTP API both render through here.
#ifndef STRATA_STORE_RENDER_H_
#define STRATA_STORE_RENDER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "store/artifacts.h"
#include "store/json_writer.h"
#include "store/lineage.h"
#include "store/store.pb.h"

namespace strata {

// RFC 3339 in UTC with microseconds, always six digits: "2026-11-22T10:00:00.500000Z".
std::string FormatTime(int64_t unix_micros);
// RFC 3339 in UTC to the second, for text tables: "2026-11-22T10:00:00Z".
std::string FormatTimeShort(int64_t unix_micros);
// "0 B", "812 B", "1.2 KiB", "136.4 MiB", "2.0 GiB".
std::string FormatBytes(uint64_t bytes);
// A count and its noun, singular for one: Count(1, "chunk") is "1 chunk",
// Count(2, "chunk") "2 chunks", Count(0, "entity", "entities") "0 entities".
std::string Count(uint64_t n, absl::string_view one, absl::string_view many = {});
// "KIND/NAME@N".
std::string VersionRef(const store::Version& v);

// {"ref","kind","name","version","content_id":"sha256:..","size","created",
//  "creator","message","metadata":{},"inputs":[],"run":null|"ID","aliases":[],
//  "deleted":null|{"by","at","reason","overridden":[]}}
void WriteVersionJson(JsonWriter& w, const store::Version& v,
                      const std::vector<std::string>& aliases);
// [{"node","aliases":[],"current_definition":false,"path":[]}, ...]
void WriteKeptByJson(JsonWriter& w, const std::vector<KeptBy>& kept);
// {"id","name","status","creator","start","end"|null,"params":{},"metrics":{},
//  "metric_history":{"NAME":[{"value","at"}]},"inputs":[],"outputs":[]}
void WriteRunJson(JsonWriter& w, const store::Run& run);
// {"sequence","alias","from"|null,"to"|null,"who","at","reason"}
void WriteAliasMoveJson(JsonWriter& w, const store::AliasMove& move);
// {"artifact","kind","name","latest","created","updated","aliases":{ALIAS:N}}
void WriteArtifactSummaryJson(JsonWriter& w, const ArtifactSummary& summary);

enum class LineageFormat { kTree, kJson, kDot, kMermaid };
// Errors: InvalidArgument for anything but tree, json, dot, mermaid.
absl::StatusOr<LineageFormat> ParseLineageFormat(absl::string_view text);

// Renders `graph` (from Lineage::Walk in `direction`). JSON is
// {"root":..,"nodes":[{"id","kind","depth",...}],"edges":[{"from","to","kind"}]}.
std::string RenderLineage(const LineageGraph& graph, LineageFormat format,
                          LineageDirection direction);

}  // namespace strata

#endif  // STRATA_STORE_RENDER_H_
