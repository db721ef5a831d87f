// ArtifactStore: immutable, numbered versions of artifacts, and the aliases that
// point at them.
#ifndef STRATA_STORE_ARTIFACTS_H_
#define STRATA_STORE_ARTIFACTS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "store/actor.h"
#include "store/digest.h"
#include "store/ref.h"
#include "store/store.pb.h"

namespace strata {
namespace internal {
class Db;
}

// A version to commit. Its content must already be stored (ContentStore::Put).
struct NewVersion {
  ArtifactId artifact;
  Digest content_id;
  std::map<std::string, std::string> metadata;
  std::vector<std::string> inputs;  // references, resolved to KIND/NAME@N at commit
  std::string run_id;               // the run that produced it; empty for none
  std::string message;
  Actor creator;      // also recorded as who moved `alias`
  std::string alias;  // when non-empty, pointed at the committed version
};

struct CommitResult {
  store::Version version;
  bool created = false;  // false: identical to the latest version, which is returned
};

// One reason a version is kept: a version in use that is the version itself or
// lies downstream of it in the lineage graph (made from it, directly or through
// runs and other versions), so deleting the version would lose what that one was
// made from. In use: aliased, or the latest version of a feature view or feature
// service (its current definition, which the feature store reads). Ingests' edges (kind fed)
// are not followed: the feature log keeps the rows an ingest read, so an ingested
// file is not needed by the view it fed.
struct KeptBy {
  std::string node;                  // the version in use, "KIND/NAME@N"
  std::vector<std::string> aliases;  // its aliases, sorted
  bool current_definition = false;   // the latest version of a feature view
  // Lineage nodes ("KIND/NAME@N" or "run/ID") from the version to `node`, both
  // included: a shortest path.
  std::vector<std::string> path;
};

// Renders a KeptBy for a message: "model/churn@3 (production), downstream through
// run/r1"; "featureview/f@2 (the view's current definition)".
std::string DescribeKeptBy(const KeptBy& kept);

struct DeleteRequest {
  ArtifactId artifact;
  uint64_t version = 0;
  Actor who;
  std::string reason;
  // Deletes a protected version too: its aliases are removed (each move logged
  // with the reason) and what protected it is recorded in the deletion.
  bool force = false;
};

struct ArtifactSummary {
  ArtifactId artifact;
  store::ArtifactHead head;
  std::map<std::string, uint64_t> aliases;  // alias -> version
};

// FailedPrecondition when `version` is deleted ("KIND/NAME@N was deleted by WHO at
// TIME: REASON"); OK otherwise. For every reader of a version's content.
absl::Status CheckNotDeleted(const store::Version& version);

// Thread-safe. Every change is one RocksDB transaction, committed with sync.
// Deletions, alias moves and commits with an alias also take one store-wide lock,
// so that what protects a version cannot change while a deletion checks it.
class ArtifactStore {
 public:
  // `db` must outlive this object.
  explicit ArtifactStore(internal::Db* db) : db_(db) {}

  // Commits a new version numbered latest + 1, with lineage edges from each input
  // (and from the run), unless content, metadata, inputs and run equal the latest
  // version's, in which case that version is returned (created = false). With
  // `alias`, the alias is moved to the result and the move logged.
  // Errors: InvalidArgument for a bad name, alias or metadata key; NotFound for an
  // unknown input or run; FailedPrecondition when the content is not stored.
  absl::StatusOr<CommitResult> Commit(const NewVersion& request);

  // Checks everything Commit checks except the content, without writing: lets a
  // caller refuse a bad request before streaming its content.
  // Errors: as Commit.
  absl::Status Check(const NewVersion& request) const;

  // The live version `ref` names: what readers of content, inputs and runs use.
  // Errors: NotFound naming the artifact, version or alias that does not exist;
  // FailedPrecondition when the version is deleted (CheckNotDeleted).
  absl::StatusOr<store::Version> Resolve(const Ref& ref) const;
  // The version record `ref` names, deleted or not (show, log, lineage).
  // Errors: NotFound as Resolve.
  absl::StatusOr<store::Version> ResolveRecord(const Ref& ref) const;

  // The number of the artifact's latest version: one read, for callers that cache
  // what they resolved. Errors: NotFound for an unknown artifact.
  absl::StatusOr<uint64_t> LatestVersion(const ArtifactId& artifact) const;

  // All versions, oldest first. Errors: NotFound for an unknown artifact.
  absl::StatusOr<std::vector<store::Version>> Versions(const ArtifactId& artifact) const;

  // Every artifact, or those of one kind, sorted by kind and name.
  absl::StatusOr<std::vector<ArtifactSummary>> List(std::optional<Kind> kind) const;

  // For gc, fsck and retention: every version record, deleted ones included, in
  // artifact and version order, as of one moment. An error from `visit` ends the
  // scan and is returned. Errors: DataLoss "unreadable record: version";
  // Unavailable on I/O failure.
  using VersionVisitor = std::function<absl::Status(const store::Version& v)>;
  absl::Status ScanVersions(const VersionVisitor& visit) const;
  // About how many version records there are, for progress reports; cheap (no I/O).
  uint64_t ApproximateVersionCount() const;
  // For fsck: every alias of every artifact, in artifact and alias order.
  // `artifact` is the artifact's key as stored ("KIND/NAME"), unchecked, so that
  // damage can be reported. An error from `visit` ends the scan and is returned.
  // Errors: DataLoss "unreadable record: alias"; Unavailable on I/O failure.
  using AliasVisitor =
      std::function<absl::Status(absl::string_view artifact, absl::string_view alias,
                                 const store::AliasTarget& target)>;
  absl::Status ScanAliases(const AliasVisitor& visit) const;

  // Errors: NotFound for an unknown artifact.
  absl::StatusOr<std::map<std::string, store::AliasTarget>> Aliases(
      const ArtifactId& artifact) const;
  // The aliases of each version that has any, by version number. Errors: as Aliases.
  absl::StatusOr<std::map<uint64_t, std::vector<std::string>>> AliasesByVersion(
      const ArtifactId& artifact) const;

  // Points `alias` at `version`, compare-and-set: with `expect`, fails unless the
  // alias now points at *expect (0: unless the alias does not exist). Logs the move
  // with `who` and `reason`; a move to where the alias already points logs nothing.
  // Errors: InvalidArgument for a bad alias; NotFound for an unknown artifact or
  // version; FailedPrecondition when `expect` does not hold, saying where it points.
  absl::StatusOr<store::AliasMove> SetAlias(const ArtifactId& artifact,
                                            const std::string& alias, uint64_t version,
                                            std::optional<uint64_t> expect,
                                            const Actor& who, const std::string& reason);

  // Removes `alias`, compare-and-set as SetAlias; the move is logged with to = 0.
  // Errors: NotFound when the alias does not exist; FailedPrecondition as SetAlias.
  absl::StatusOr<store::AliasMove> RemoveAlias(const ArtifactId& artifact,
                                               const std::string& alias,
                                               std::optional<uint64_t> expect,
                                               const Actor& who,
                                               const std::string& reason);

  // Every alias move of the artifact, oldest first. Errors: NotFound.
  absl::StatusOr<std::vector<store::AliasMove>> AliasLog(
      const ArtifactId& artifact) const;

  // Why a version may not be deleted: each aliased version among it and the live
  // versions downstream of it, nearest first. Empty: the version is not protected.
  // Errors: NotFound for an unknown artifact or version.
  absl::StatusOr<std::vector<KeptBy>> WhyKept(const ArtifactId& artifact,
                                              uint64_t version) const;

  // Marks a version deleted: its record stays, with who, when and why; its content
  // becomes garbage for gc unless a live version shares it. A deleted version
  // cannot be read, aliased or named as an input, and protects nothing.
  // Errors: NotFound for an unknown artifact or version; FailedPrecondition when
  // the version is already deleted, or protected (WhyKept) and !force, naming what
  // protects it.
  absl::StatusOr<store::Version> Delete(const DeleteRequest& request);

 private:
  absl::StatusOr<store::AliasMove> MoveAlias(const ArtifactId& artifact,
                                             const std::string& alias, uint64_t version,
                                             std::optional<uint64_t> expect,
                                             const Actor& who, const std::string& reason);
  absl::StatusOr<store::ArtifactHead> Head(const ArtifactId& artifact) const;
  // WhyKept, for a version known to exist.
  absl::StatusOr<std::vector<KeptBy>> KeptByAliases(const std::string& node) const;
  // Validates names and metadata; returns the inputs resolved, sorted, deduplicated.
  absl::StatusOr<std::vector<std::string>> ResolveInputs(const NewVersion& request) const;

  internal::Db* db_;
};

}  // namespace strata

#endif  // STRATA_STORE_ARTIFACTS_H_
