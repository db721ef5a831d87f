#include "store/lineage.h"

#include <deque>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "store/internal/db.h"
#include "store/internal/keys.h"
#include "store/internal/records.h"
#include "store/status_macros.h"

namespace strata {
namespace {

using internal::Cf;
using internal::EdgeDirection;

bool IsRunNode(absl::string_view id) { return absl::StartsWith(id, "run/"); }

// The versions CF key of a "KIND/NAME@N" node. Errors: InvalidArgument.
absl::StatusOr<std::string> VersionKeyOf(absl::string_view id) {
  const size_t at = id.rfind('@');
  uint64_t number = 0;
  if (at == absl::string_view::npos || !absl::SimpleAtoi(id.substr(at + 1), &number)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", id, "' is not a lineage node (KIND/NAME@N or run/ID)"));
  }
  return internal::VersionKey(id.substr(0, at), number);
}

}  // namespace

absl::Status Lineage::Load(LineageNode* node) const {
  if (IsRunNode(node->id)) {
    ASSIGN_OR_RETURN(auto run, internal::ReadRecord<store::Run>(
                                   *db_, Cf::kRuns, node->id.substr(4), node->id));
    if (!run.has_value())
      return absl::NotFoundError(absl::StrCat("no run ", node->id.substr(4)));
    node->run = std::move(*run);
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(std::string key, VersionKeyOf(node->id));
  ASSIGN_OR_RETURN(auto version, internal::ReadRecord<store::Version>(*db_, Cf::kVersions,
                                                                      key, node->id));
  if (!version.has_value())
    return absl::NotFoundError(absl::StrCat("no version ", node->id));
  node->version = std::move(*version);
  return absl::OkStatus();
}

absl::Status Lineage::LoadAll(std::vector<LineageNode>* nodes) const {
  // One batched read per column family: a walk of hundreds of nodes costs a
  // fraction of as many single reads.
  std::vector<std::string> version_keys, run_keys;
  std::vector<size_t> version_nodes, run_nodes;
  for (size_t i = 0; i < nodes->size(); ++i) {
    if ((*nodes)[i].version.has_value() || (*nodes)[i].run.has_value())
      continue;  // the root
    const std::string& id = (*nodes)[i].id;
    if (IsRunNode(id)) {
      run_keys.push_back(id.substr(4));
      run_nodes.push_back(i);
    } else {
      ASSIGN_OR_RETURN(std::string key, VersionKeyOf(id));
      version_keys.push_back(std::move(key));
      version_nodes.push_back(i);
    }
  }
  ASSIGN_OR_RETURN(auto versions, db_->MultiGet(Cf::kVersions, version_keys));
  for (size_t j = 0; j < versions.size(); ++j) {
    if (!versions[j].has_value()) continue;  // a dangling edge: fsck reports those
    LineageNode& node = (*nodes)[version_nodes[j]];
    ASSIGN_OR_RETURN(node.version,
                     internal::ParseRecord<store::Version>(*versions[j], node.id));
  }
  ASSIGN_OR_RETURN(auto runs, db_->MultiGet(Cf::kRuns, run_keys));
  for (size_t j = 0; j < runs.size(); ++j) {
    if (!runs[j].has_value()) continue;
    LineageNode& node = (*nodes)[run_nodes[j]];
    ASSIGN_OR_RETURN(node.run, internal::ParseRecord<store::Run>(*runs[j], node.id));
  }
  return absl::OkStatus();
}

absl::StatusOr<LineageGraph> Lineage::Walk(const std::string& root,
                                           const LineageOptions& options) const {
  LineageGraph graph;
  graph.root = root;
  LineageNode first{root, 0, std::nullopt, std::nullopt};
  RETURN_IF_ERROR(Load(&first));  // the root must exist
  graph.nodes.push_back(std::move(first));

  absl::flat_hash_set<std::string> in_graph{root};
  absl::flat_hash_set<std::pair<std::string, std::string>> seen_edges;
  std::vector<EdgeDirection> directions;
  if (options.direction != LineageDirection::kDown)
    directions.push_back(EdgeDirection::kUp);
  if (options.direction != LineageDirection::kUp)
    directions.push_back(EdgeDirection::kDown);

  auto cursor = db_->NewCursor(Cf::kEdges);
  for (EdgeDirection dir : directions) {
    // Each direction walks from the root on its own, so with kBoth a node's depth
    // is its distance in the direction it was first reached.
    absl::flat_hash_set<std::string> visited{root};
    std::deque<std::pair<std::string, int>> frontier{{root, 0}};
    while (!frontier.empty()) {
      auto [node, depth] = std::move(frontier.front());
      frontier.pop_front();
      if (depth >= options.max_depth) continue;
      const std::string prefix = internal::EdgePrefix(dir, node);
      for (cursor->Seek(prefix); cursor->Valid(); cursor->Next()) {
        std::string other(cursor->key().substr(prefix.size()));
        ASSIGN_OR_RETURN(auto edge,
                         internal::ParseRecord<store::Edge>(cursor->value(), "edge"));
        std::string from = dir == EdgeDirection::kUp ? other : node;
        std::string to = dir == EdgeDirection::kUp ? node : other;
        if (seen_edges.emplace(from, to).second) {
          graph.edges.push_back({std::move(from), std::move(to), edge.kind()});
        }
        if (!visited.insert(other).second) continue;
        frontier.emplace_back(other, depth + 1);
        if (in_graph.insert(other).second) {
          graph.nodes.push_back(
              {std::move(other), depth + 1, std::nullopt, std::nullopt});
        }
      }
      RETURN_IF_ERROR(cursor->status());
    }
  }
  if (options.load_records) {
    RETURN_IF_ERROR(LoadAll(&graph.nodes));
  } else {
    graph.nodes[0].version.reset();
    graph.nodes[0].run.reset();
  }
  return graph;
}

absl::Status Lineage::ScanEdges(const EdgeVisitor& visit) const {
  auto it = db_->Scan(Cf::kEdges, "");
  for (; it->Valid(); it->Next()) {
    EdgeRecord edge;
    edge.key = it->key();
    const size_t zero = edge.key.find('\0');
    edge.well_formed = !edge.key.empty() && zero != absl::string_view::npos;
    if (edge.well_formed) {
      edge.direction = edge.key[0] == static_cast<char>(EdgeDirection::kDown)
                           ? LineageDirection::kDown
                           : LineageDirection::kUp;
      edge.node = edge.key.substr(1, zero - 1);
      edge.other = edge.key.substr(zero + 1);
    }
    RETURN_IF_ERROR(visit(edge));
  }
  return it->status();
}

absl::StatusOr<bool> Lineage::HasEdgeRecord(LineageDirection direction,
                                            absl::string_view node,
                                            absl::string_view other) const {
  const EdgeDirection dir =
      direction == LineageDirection::kDown ? EdgeDirection::kDown : EdgeDirection::kUp;
  ASSIGN_OR_RETURN(auto record, db_->Get(Cf::kEdges, internal::EdgeKey(dir, node, other)));
  return record.has_value();
}

}  // namespace strata
