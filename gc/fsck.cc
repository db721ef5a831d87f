#include "gc/fsck.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "store/digest.h"
#include "store/io.h"
#include "store/json_writer.h"
#include "store/ref.h"
#include "store/render.h"
#include "store/status_macros.h"

namespace strata::gc {
namespace {

// A content and the live versions holding it.
struct Content {
  uint64_t size = 0;
  std::vector<std::string> versions;
  std::string sizes_differ_from;  // a version whose size disagrees, if any
};

class Checker {
 public:
  Checker(Store& store, const FsckOptions& options)
      : store_(store), options_(options) {}

  absl::StatusOr<FsckReport> Run() {
    RETURN_IF_ERROR(ReadVersions());
    RETURN_IF_ERROR(CheckContents());
    RETURN_IF_ERROR(CheckEdges());
    RETURN_IF_ERROR(CheckAliases());
    std::stable_sort(report_.problems.begin(), report_.problems.end(),
                     [](const FsckProblem& a, const FsckProblem& b) {
                       return a.versions < b.versions;
                     });
    return std::move(report_);
  }

 private:
  void Problem(std::string kind, std::string detail, std::vector<std::string> versions) {
    std::sort(versions.begin(), versions.end());
    versions.erase(std::unique(versions.begin(), versions.end()), versions.end());
    report_.problems.push_back({std::move(kind), std::move(detail), std::move(versions)});
  }

  // Every version record; the live ones grouped by content.
  absl::Status ReadVersions() {
    return store_.artifacts().ScanVersions([this](const store::Version& v) {
      ++report_.versions;
      const std::string node = VersionRef(v);
      versions_[node] = !v.has_deleted();
      if (v.has_deleted()) return absl::OkStatus();
      Content& c = contents_[v.content_id()];
      c.size = v.size();
      c.versions.push_back(node);
      if (c.sizes_differ_from.empty() && c.versions.size() > 1 && c.size != v.size()) {
        c.sizes_differ_from = node;
      }
      return absl::OkStatus();
    });
  }

  absl::Status CheckContents() {
    uint64_t done = 0, total = 0;
    for (const auto& entry : contents_) total += entry.second.size;
    for (auto& [id_raw, content] : contents_) {
      ASSIGN_OR_RETURN(Digest id, Digest::FromRaw(id_raw));
      RETURN_IF_ERROR(CheckContent(id, content));
      ++report_.contents;
      done += content.size;
      if (options_.progress) options_.progress(done, total);
    }
    return absl::OkStatus();
  }

  absl::Status CheckContent(const Digest& id, const Content& content);

  absl::Status CheckEdges() {
    return store_.lineage().ScanEdges([this](const EdgeRecord& edge) -> absl::Status {
      if (!edge.well_formed) {
        Problem("malformed edge",
                absl::StrCat("edge key \"", edge.key, "\" is malformed"), {});
        return absl::OkStatus();
      }
      const bool down = edge.direction == LineageDirection::kDown;
      if (down) ++report_.edges;
      const std::string node(edge.node);
      const std::string other(edge.other);
      const std::string from = down ? node : other;
      const std::string to = down ? other : node;
      const auto mirror = down ? LineageDirection::kUp : LineageDirection::kDown;
      ASSIGN_OR_RETURN(bool back, store_.lineage().HasEdgeRecord(mirror, other, node));
      if (!back) {
        Problem("one-way edge",
                absl::StrCat("the edge ", from, " -> ", to, " is recorded only in its ",
                             down ? "down" : "up", " direction"),
                VersionsAmong({from, to}));
      }
      if (!down) return absl::OkStatus();  // each edge's ends are checked once
      for (const std::string& end : {from, to}) {
        ASSIGN_OR_RETURN(bool exists, NodeExists(end));
        if (!exists) {
          Problem("dangling edge",
                  absl::StrCat("the edge ", from, " -> ", to, " names ", end,
                               ", which does not exist"),
                  VersionsAmong({from, to}));
        }
      }
      return absl::OkStatus();
    });
  }

  absl::Status CheckAliases() {
    return store_.artifacts().ScanAliases([this](absl::string_view artifact,
                                                 absl::string_view alias,
                                                 const store::AliasTarget& target) {
      ++report_.aliases;
      const std::string node = absl::StrCat(artifact, "@", target.version());
      auto found = versions_.find(node);
      if (found == versions_.end()) {
        Problem("dangling alias",
                absl::StrCat(artifact, "@", alias, " points at ", node,
                             ", which does not exist"),
                {});
      } else if (!found->second) {
        Problem(
            "alias to a deleted version",
            absl::StrCat(artifact, "@", alias, " points at ", node, ", which is deleted"),
            {node});
      }
      return absl::OkStatus();
    });
  }

  // Whether a lineage node exists: a version record (deleted or not) or a run.
  absl::StatusOr<bool> NodeExists(const std::string& node) {
    if (node.rfind("run/", 0) == 0) return store_.runs().Exists(node.substr(4));
    return versions_.count(node) > 0;
  }

  std::vector<std::string> VersionsAmong(std::initializer_list<std::string> nodes) const {
    std::vector<std::string> out;
    for (const std::string& n : nodes) {
      if (versions_.count(n) > 0) out.push_back(n);
    }
    return out;
  }

  Store& store_;
  const FsckOptions& options_;
  FsckReport report_;
  // Every version node: true when live.
  std::unordered_map<std::string, bool> versions_;
  std::map<std::string, Content> contents_;  // by raw content id
  // Chunks found stored (and, deep, verified), and those found wanting.
  std::unordered_set<std::string> good_chunks_;
  std::unordered_map<std::string, std::string> bad_chunks_;  // id -> what is wrong
};

absl::Status Checker::CheckContent(const Digest& id, const Content& content) {
  const std::string what = absl::StrCat("content sha256:", id.Hex());
  const std::string holders = absl::StrJoin(content.versions, ", ");
  if (!content.sizes_differ_from.empty()) {
    Problem("size mismatch", absl::StrCat(what, " has different sizes in ", holders),
            content.versions);
  }
  absl::StatusOr<store::Manifest> loaded = store_.content().ReadManifest(id);
  if (absl::IsNotFound(loaded.status())) {
    Problem("missing manifest",
            absl::StrCat("the manifest of ", what, " (", holders, ") is missing"),
            content.versions);
    return absl::OkStatus();
  }
  if (absl::IsDataLoss(loaded.status())) {
    Problem("malformed manifest",
            absl::StrCat("the manifest of ", what, " (", holders, ") is malformed"),
            content.versions);
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(loaded.status());
  const store::Manifest& manifest = *loaded;
  uint64_t sum = 0;
  for (uint32_t s : manifest.chunk_sizes()) sum += s;
  if (manifest.size() != content.size || sum != manifest.size()) {
    Problem("size mismatch",
            absl::StrCat(what, " (", holders, "): the version says ", content.size,
                         " bytes, the manifest ", manifest.size(), ", its chunks ", sum),
            content.versions);
  }
  std::vector<std::string> missing;
  for (int i = 0; i < manifest.chunk_sizes_size(); ++i) {
    const std::string chunk = manifest.chunk_ids().substr(32 * i, 32);
    if (good_chunks_.count(chunk) > 0) continue;
    if (auto bad = bad_chunks_.find(chunk); bad != bad_chunks_.end()) {
      missing.push_back(bad->second);
      continue;
    }
    ASSIGN_OR_RETURN(Digest chunk_id, Digest::FromRaw(chunk));
    ASSIGN_OR_RETURN(bool stored, store_.chunks().Contains(chunk_id));
    ++report_.chunks;
    if (!stored) {
      const std::string text = absl::StrCat("chunk sha256:", chunk_id.Hex());
      bad_chunks_[chunk] = text;
      missing.push_back(text);
    } else if (!options_.deep) {
      good_chunks_.insert(chunk);
    }
  }
  if (!missing.empty()) {
    Problem("missing chunk",
            absl::StrCat(what, " (", holders, ") lacks ", missing.size(), " chunk",
                         missing.size() == 1 ? "" : "s", ": ", missing.front(),
                         missing.size() > 1 ? ", ..." : ""),
            content.versions);
    return absl::OkStatus();
  }
  if (!options_.deep) return absl::OkStatus();
  // Get verifies every chunk's hash as it reads; the whole is hashed here.
  HashingSink sink;
  absl::Status read = store_.content().Get(id, sink);
  report_.bytes_read += sink.bytes();
  if (read.ok() && sink.Finish() != id) {
    read = absl::DataLossError("its chunks do not hash to its id");
  }
  if (!read.ok()) {
    Problem("corrupt content", absl::StrCat(what, " (", holders, "): ", read.message()),
            content.versions);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<FsckReport> Fsck(Store& store, const FsckOptions& options) {
  return Checker(store, options).Run();
}

}  // namespace strata::gc
