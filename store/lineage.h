// Lineage: walks the graph of versions and runs joined by edges
// (input -> run -> output, input -> output), upstream or downstream.
#ifndef STRATA_STORE_LINEAGE_H_
#define STRATA_STORE_LINEAGE_H_

#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "store/store.pb.h"

namespace strata {
namespace internal {
class Db;
}

enum class LineageDirection { kUp, kDown, kBoth };

struct LineageNode {
  std::string id;                         // "KIND/NAME@N" or "run/ID"
  int depth = 0;                          // edges from the root
  std::optional<store::Version> version;  // for version nodes, when records are loaded
  std::optional<store::Run> run;          // for run nodes, when records are loaded
};

struct LineageEdge {
  std::string from;  // data flows from -> to
  std::string to;
  store::EdgeKind kind = store::EDGE_KIND_UNSPECIFIED;
};

struct LineageGraph {
  std::string root;
  std::vector<LineageNode> nodes;  // root first, then in breadth-first order
  std::vector<LineageEdge> edges;  // each edge once
};

struct LineageOptions {
  LineageDirection direction = LineageDirection::kUp;
  // Edges followed from the root at most. Default: no limit (the walk still ends:
  // each node is visited once).
  int max_depth = std::numeric_limits<int>::max();
  // Load each node's version or run record. Default true; false walks ids only.
  bool load_records = true;
};

// One direction of a lineage edge as stored: every edge from -> to is recorded down
// from `from` and up from `to` (docs/format.md, the edges column family).
struct EdgeRecord {
  absl::string_view key;  // the stored key, for reports
  bool well_formed = false;  // false: the key has no separator; nothing below is set
  LineageDirection direction = LineageDirection::kUp;  // kDown or kUp
  absl::string_view node;   // the node it is stored under
  absl::string_view other;  // the node at the edge's other end
};

// Thread-safe; reads only.
class Lineage {
 public:
  explicit Lineage(const internal::Db* db) : db_(db) {}

  // Walks from node `root` ("KIND/NAME@N" or "run/ID"), breadth first, visiting each
  // node once. Cost: one seek per node visited, one step per edge, and one batched
  // read per column family for the records. A node whose record is missing (an
  // edge to a deleted version) is returned without one.
  // Errors: NotFound when `root` does not exist; DataLoss for unreadable records.
  absl::StatusOr<LineageGraph> Walk(const std::string& root,
                                    const LineageOptions& options) const;

  // For fsck: every edge record, in key order (each edge twice, once per
  // direction). An error from `visit` ends the scan and is returned.
  // Errors: Unavailable on I/O failure.
  using EdgeVisitor = std::function<absl::Status(const EdgeRecord& edge)>;
  absl::Status ScanEdges(const EdgeVisitor& visit) const;

  // Whether the edge record (direction, node, other) is stored: with kUp, whether
  // `node` records `other` as an input. REQUIRES: direction is kUp or kDown.
  // Errors: Unavailable on I/O failure.
  absl::StatusOr<bool> HasEdgeRecord(LineageDirection direction, absl::string_view node,
                                     absl::string_view other) const;

 private:
  absl::Status Load(LineageNode* node) const;
  absl::Status LoadAll(std::vector<LineageNode>* nodes) const;
  const internal::Db* db_;
};

}  // namespace strata

#endif  // STRATA_STORE_LINEAGE_H_
