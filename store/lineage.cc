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

}  // namespace

absl::Status Lineage::Load(LineageNode* node) const {
  if (absl::StartsWith(node->id, "run/")) {
    ASSIGN_OR_RETURN(auto run, internal::ReadRecord<store::Run>(
                                   *db_, Cf::kRuns, node->id.substr(4), node->id));
    if (!run.has_value())
      return absl::NotFoundError(absl::StrCat("no run ", node->id.substr(4)));
    node->run = std::move(*run);
    return absl::OkStatus();
  }
  const size_t at = node->id.rfind('@');
  uint64_t number = 0;
  if (at == std::string::npos || !absl::SimpleAtoi(node->id.substr(at + 1), &number)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", node->id, "' is not a lineage node (KIND/NAME@N or run/ID)"));
  }
  ASSIGN_OR_RETURN(auto version,
                   internal::ReadRecord<store::Version>(
                       *db_, Cf::kVersions,
                       internal::VersionKey(node->id.substr(0, at), number), node->id));
  if (!version.has_value())
    return absl::NotFoundError(absl::StrCat("no version ", node->id));
  node->version = std::move(*version);
  return absl::OkStatus();
}

absl::StatusOr<LineageGraph> Lineage::Walk(const std::string& root,
                                           const LineageOptions& options) const {
  LineageGraph graph;
  graph.root = root;
  LineageNode first{root, 0, std::nullopt, std::nullopt};
  RETURN_IF_ERROR(Load(&first));
  if (!options.load_records) {
    first.version.reset();
    first.run.reset();
  }
  graph.nodes.push_back(std::move(first));

  absl::flat_hash_map<std::string, size_t> index{{root, 0}};
  absl::flat_hash_set<std::pair<std::string, std::string>> seen_edges;
  std::vector<EdgeDirection> directions;
  if (options.direction != LineageDirection::kDown)
    directions.push_back(EdgeDirection::kUp);
  if (options.direction != LineageDirection::kUp)
    directions.push_back(EdgeDirection::kDown);

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
      auto it = db_->Scan(Cf::kEdges, prefix);
      for (; it->Valid(); it->Next()) {
        std::string other(it->key().substr(prefix.size()));
        ASSIGN_OR_RETURN(auto edge,
                         internal::ParseRecord<store::Edge>(it->value(), "edge"));
        std::string from = dir == EdgeDirection::kUp ? other : node;
        std::string to = dir == EdgeDirection::kUp ? node : other;
        if (seen_edges.emplace(from, to).second) {
          graph.edges.push_back({std::move(from), std::move(to), edge.kind()});
        }
        if (!visited.insert(other).second) continue;
        frontier.emplace_back(other, depth + 1);
        if (index.contains(other)) continue;
        LineageNode n{other, depth + 1, std::nullopt, std::nullopt};
        if (options.load_records) RETURN_IF_ERROR(Load(&n));
        index.emplace(other, graph.nodes.size());
        graph.nodes.push_back(std::move(n));
      }
      RETURN_IF_ERROR(it->status());
    }
  }
  return graph;
}

}  // namespace strata
