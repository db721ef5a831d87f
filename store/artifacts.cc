#include "store/artifacts.h"

#include <algorithm>
#include <deque>
#include <unordered_map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "store/internal/db.h"
#include "store/internal/keys.h"
#include "store/internal/records.h"
#include "store/internal/rocks_status.h"
#include "store/lineage.h"
#include "store/render.h"
#include "store/runs.h"
#include "store/status_macros.h"

namespace strata {
namespace {

using internal::Cf;

std::string Key(const ArtifactId& a) {
  return internal::ArtifactKey(KindName(a.kind), a.name);
}

absl::Status ValidateMetadata(const std::map<std::string, std::string>& metadata) {
  for (const auto& [k, v] : metadata) {
    if (k.empty()) return absl::InvalidArgumentError("metadata key is empty");
    if (k.size() > 256) {
      return absl::InvalidArgumentError(
          absl::StrCat("metadata key '", k.substr(0, 40), "...' is longer than 256"));
    }
    if (v.size() > 64 * 1024) {
      return absl::InvalidArgumentError(
          absl::StrCat("metadata value of '", k, "' is longer than 64 KiB"));
    }
  }
  return absl::OkStatus();
}

bool SameMetadata(const google::protobuf::Map<std::string, std::string>& a,
                  const std::map<std::string, std::string>& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [k, v] : b) {
    auto it = a.find(k);
    if (it == a.end() || it->second != v) return false;
  }
  return true;
}

// Locks kProtectionLockKey in `txn` until it ends.
absl::Status LockProtection(rocksdb::Transaction* txn, const internal::Db& db) {
  return internal::GetForUpdate(txn, db, Cf::kDefault, internal::kProtectionLockKey)
      .status();
}

}  // namespace

absl::Status CheckNotDeleted(const store::Version& version) {
  if (!version.has_deleted()) return absl::OkStatus();
  const store::Deletion& d = version.deleted();
  return absl::FailedPreconditionError(absl::StrCat(
      version.kind(), "/", version.name(), "@", version.number(), " was deleted by ",
      d.who().empty() ? "(unknown)" : DescribeActor(d.who(), d.on_behalf_of()), " at ",
      FormatTime(d.at_us()), d.reason().empty() ? "" : absl::StrCat(": ", d.reason())));
}

std::string DescribeKeptBy(const KeptBy& kept) {
  std::vector<std::string> uses = kept.aliases;
  if (kept.current_definition) {
    uses.push_back(absl::StartsWith(kept.node, "featureservice/")
                       ? "the service's current definition"
                       : "the view's current definition");
  }
  std::string text = absl::StrCat(kept.node, " (", absl::StrJoin(uses, ", "), ")");
  if (kept.path.size() == 2) {
    absl::StrAppend(&text, ", made directly from it");
  } else if (kept.path.size() > 2) {
    absl::StrAppend(&text, ", downstream through ",
                    absl::StrJoin(kept.path.begin() + 1, kept.path.end() - 1, ", "));
  }
  return text;
}

absl::StatusOr<store::ArtifactHead> ArtifactStore::Head(
    const ArtifactId& artifact) const {
  ASSIGN_OR_RETURN(auto head,
                   internal::ReadRecord<store::ArtifactHead>(
                       *db_, Cf::kArtifacts, Key(artifact), artifact.ToString()));
  if (!head.has_value()) {
    return absl::NotFoundError(absl::StrCat("no artifact ", artifact.ToString()));
  }
  return *head;
}

absl::StatusOr<uint64_t> ArtifactStore::LatestVersion(const ArtifactId& artifact) const {
  ASSIGN_OR_RETURN(store::ArtifactHead head, Head(artifact));
  return head.latest_version();
}

absl::StatusOr<store::Version> ArtifactStore::Resolve(const Ref& ref) const {
  ASSIGN_OR_RETURN(store::Version version, ResolveRecord(ref));
  RETURN_IF_ERROR(CheckNotDeleted(version));
  return version;
}

absl::StatusOr<store::Version> ArtifactStore::ResolveRecord(const Ref& ref) const {
  ASSIGN_OR_RETURN(store::ArtifactHead head, Head(ref.artifact));
  uint64_t number = ref.version;
  if (ref.is_latest()) {
    number = head.latest_version();
  } else if (!ref.alias.empty()) {
    ASSIGN_OR_RETURN(auto target, internal::ReadRecord<store::AliasTarget>(
                                      *db_, Cf::kAliases,
                                      internal::AliasKey(Key(ref.artifact), ref.alias),
                                      ref.ToString()));
    if (!target.has_value()) {
      return absl::NotFoundError(
          absl::StrCat(ref.artifact.ToString(), " has no alias '", ref.alias, "'"));
    }
    number = target->version();
  }
  ASSIGN_OR_RETURN(auto version,
                   internal::ReadRecord<store::Version>(
                       *db_, Cf::kVersions,
                       internal::VersionKey(Key(ref.artifact), number), ref.ToString()));
  if (!version.has_value()) {
    return absl::NotFoundError(absl::StrCat(ref.artifact.ToString(), " has no version ",
                                            number, " (latest is ", head.latest_version(),
                                            ")"));
  }
  return *version;
}

absl::StatusOr<std::vector<std::string>> ArtifactStore::ResolveInputs(
    const NewVersion& request) const {
  RETURN_IF_ERROR(ValidateArtifactName(request.artifact.name));
  RETURN_IF_ERROR(ValidateMetadata(request.metadata));
  if (!request.alias.empty()) RETURN_IF_ERROR(ValidateAliasName(request.alias));
  if (!request.run_id.empty()) RETURN_IF_ERROR(ValidateRunId(request.run_id));
  // Resolved outside any transaction: versions are immutable, so a resolved
  // KIND/NAME@N stays valid.
  std::vector<std::string> inputs;
  for (const std::string& text : request.inputs) {
    ASSIGN_OR_RETURN(Ref ref, ParseRef(text));
    ASSIGN_OR_RETURN(store::Version v, Resolve(ref));
    inputs.push_back(internal::VersionNode(v.kind(), v.name(), v.number()));
  }
  std::sort(inputs.begin(), inputs.end());
  inputs.erase(std::unique(inputs.begin(), inputs.end()), inputs.end());
  return inputs;
}

absl::Status ArtifactStore::Check(const NewVersion& request) const {
  RETURN_IF_ERROR(ResolveInputs(request).status());
  if (!request.run_id.empty()) {
    ASSIGN_OR_RETURN(auto run, internal::ReadRecord<store::Run>(*db_, Cf::kRuns,
                                                                request.run_id, "run"));
    if (!run.has_value())
      return absl::NotFoundError(absl::StrCat("no run ", request.run_id));
  }
  return absl::OkStatus();
}

namespace {

// The latest version of `head` when `request` would commit the same thing again
// (same content, metadata, inputs and run): a put of what is already there makes no
// new version.
absl::StatusOr<std::optional<store::Version>> SameAsLatest(
    const internal::Db& db, const std::string& key, const store::ArtifactHead& head,
    const NewVersion& request, const std::vector<std::string>& inputs) {
  ASSIGN_OR_RETURN(
      auto latest,
      internal::ReadRecord<store::Version>(
          db, Cf::kVersions, internal::VersionKey(key, head.latest_version()), key));
  if (latest.has_value() && !latest->has_deleted() &&
      latest->content_id() == request.content_id.Raw() &&
      SameMetadata(latest->metadata(), request.metadata) &&
      std::equal(latest->inputs().begin(), latest->inputs().end(), inputs.begin(),
                 inputs.end()) &&
      latest->run_id() == request.run_id) {
    return latest;
  }
  return std::nullopt;
}

// Writes version head.latest_version() + 1 of `request` with its edges (inputs, and
// the run it is an output of) into `txn`, and advances `head`.
absl::StatusOr<store::Version> WriteNewVersion(
    rocksdb::Transaction* txn, const internal::Db& db, const std::string& key,
    const NewVersion& request, const std::vector<std::string>& inputs, uint64_t size,
    std::optional<store::Run>& run, store::ArtifactHead& head, int64_t now) {
  const std::string kind(KindName(request.artifact.kind));
  store::Version v;
  v.set_kind(kind);
  v.set_name(request.artifact.name);
  v.set_number(head.latest_version() + 1);
  v.set_content_id(std::string(request.content_id.Raw()));
  v.set_size(size);
  v.mutable_metadata()->insert(request.metadata.begin(), request.metadata.end());
  v.set_message(request.message);
  v.set_creator(request.creator.who);
  v.set_on_behalf_of(request.creator.on_behalf_of);
  v.set_created_us(now);
  for (const auto& in : inputs) v.add_inputs(in);
  v.set_run_id(request.run_id);
  head.set_latest_version(v.number());
  head.set_updated_us(now);
  RETURN_IF_ERROR(internal::PutRecord(txn, db, Cf::kVersions,
                                      internal::VersionKey(key, v.number()), v));
  const std::string node = internal::VersionNode(kind, v.name(), v.number());
  for (const auto& in : inputs) {
    RETURN_IF_ERROR(internal::PutEdge(txn, db, in, node, store::EDGE_KIND_DERIVED, now));
  }
  if (run.has_value()) {
    RETURN_IF_ERROR(internal::PutEdge(txn, db, internal::RunNode(run->id()), node,
                                      store::EDGE_KIND_OUTPUT, now));
    run->add_outputs(node);
    RETURN_IF_ERROR(internal::PutRecord(txn, db, Cf::kRuns, run->id(), *run));
  }
  return v;
}

// Points `request.alias` at `version` in `txn` (a put with --alias), logging the
// move in `head`'s alias log; nothing when it points there already.
absl::Status MoveAliasOnCommit(rocksdb::Transaction* txn, const internal::Db& db,
                               const std::string& key, const NewVersion& request,
                               uint64_t version, store::ArtifactHead& head, int64_t now) {
  const std::string alias_key = internal::AliasKey(key, request.alias);
  ASSIGN_OR_RETURN(auto target, internal::LockRecord<store::AliasTarget>(
                                    txn, db, Cf::kAliases, alias_key, alias_key));
  const uint64_t from = target.has_value() ? target->version() : 0;
  if (from == version) return absl::OkStatus();
  store::AliasTarget t;
  t.set_version(version);
  t.set_updated_by(request.creator.who);
  t.set_on_behalf_of(request.creator.on_behalf_of);
  t.set_updated_us(now);
  store::AliasMove move;
  move.set_alias(request.alias);
  move.set_from_version(from);
  move.set_to_version(version);
  move.set_who(request.creator.who);
  move.set_on_behalf_of(request.creator.on_behalf_of);
  move.set_at_us(now);
  move.set_reason(request.message.empty() ? "put" : request.message);
  move.set_sequence(head.alias_moves());
  head.set_alias_moves(head.alias_moves() + 1);
  RETURN_IF_ERROR(internal::PutRecord(txn, db, Cf::kAliases, alias_key, t));
  RETURN_IF_ERROR(internal::PutRecord(txn, db, Cf::kAliasLog,
                                      internal::AliasLogKey(key, move.sequence()), move));
  head.set_updated_us(now);
  return absl::OkStatus();
}

// Commit's locks in `txn`: with an alias, the protection lock and every input still
// there; with a run, the run (returned). Errors: NotFound.
absl::StatusOr<std::optional<store::Run>> LockForCommit(
    rocksdb::Transaction* txn, const internal::Db& db, const ArtifactStore& artifacts,
    const NewVersion& request, const std::vector<std::string>& inputs) {
  if (!request.alias.empty()) {
    // The aliased version will protect its inputs: none may be deleted by now.
    RETURN_IF_ERROR(LockProtection(txn, db));
    for (const std::string& in : inputs) {
      ASSIGN_OR_RETURN(Ref ref, ParseRef(in));
      RETURN_IF_ERROR(artifacts.Resolve(ref).status());
    }
  }
  std::optional<store::Run> run;
  if (!request.run_id.empty()) {
    ASSIGN_OR_RETURN(
        run, internal::LockRecord<store::Run>(txn, db, Cf::kRuns, request.run_id, "run"));
    if (!run.has_value())
      return absl::NotFoundError(absl::StrCat("no run ", request.run_id));
  }
  return run;
}

}  // namespace

absl::StatusOr<CommitResult> ArtifactStore::Commit(const NewVersion& request) {
  ASSIGN_OR_RETURN(std::vector<std::string> inputs, ResolveInputs(request));
  // Referenced before the manifest is checked, so a running gc keeps the content
  // (or has deleted it already, and the check fails).
  const auto reservation = db_->gc_gate().Reserve();
  reservation->ReferenceContent(request.content_id);
  ASSIGN_OR_RETURN(auto manifest,
                   internal::ReadRecord<store::Manifest>(
                       *db_, Cf::kManifests, request.content_id.Raw(), "manifest"));
  if (!manifest.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("content sha256:", request.content_id.Hex(), " is not stored"));
  }

  const std::string key = Key(request.artifact);
  Change change{ChangeKind::kCommitVersion, {}};
  return internal::CommitChange(
      *db_, change, [&](rocksdb::Transaction* txn) -> absl::StatusOr<CommitResult> {
        const int64_t now = internal::NowMicros();
        ASSIGN_OR_RETURN(std::optional<store::Run> run,
                         LockForCommit(txn, *db_, *this, request, inputs));
        ASSIGN_OR_RETURN(auto head, internal::LockRecord<store::ArtifactHead>(
                                        txn, *db_, Cf::kArtifacts, key, key));
        CommitResult out;
        std::optional<store::Version> same;
        if (head.has_value()) {
          ASSIGN_OR_RETURN(same, SameAsLatest(*db_, key, *head, request, inputs));
        } else {
          head.emplace();
          head->set_created_us(now);
        }
        out.created = !same.has_value();
        if (same.has_value()) {
          out.version = std::move(*same);
        } else {
          ASSIGN_OR_RETURN(out.version,
                           WriteNewVersion(txn, *db_, key, request, inputs,
                                           manifest->size(), run, *head, now));
        }
        if (!request.alias.empty()) {
          RETURN_IF_ERROR(MoveAliasOnCommit(txn, *db_, key, request, out.version.number(),
                                            *head, now));
        }
        RETURN_IF_ERROR(internal::PutRecord(txn, *db_, Cf::kArtifacts, key, *head));
        change.subject = internal::VersionNode(out.version.kind(), out.version.name(),
                                               out.version.number());
        return out;
      });
}

absl::StatusOr<std::vector<store::Version>> ArtifactStore::Versions(
    const ArtifactId& artifact) const {
  RETURN_IF_ERROR(Head(artifact).status());
  std::vector<store::Version> out;
  auto it = db_->Scan(Cf::kVersions, internal::ArtifactPrefix(Key(artifact)));
  for (; it->Valid(); it->Next()) {
    ASSIGN_OR_RETURN(auto v,
                     internal::ParseRecord<store::Version>(it->value(), "version"));
    out.push_back(std::move(v));
  }
  RETURN_IF_ERROR(it->status());
  return out;
}

absl::StatusOr<std::map<uint64_t, std::vector<std::string>>>
ArtifactStore::AliasesByVersion(const ArtifactId& artifact) const {
  ASSIGN_OR_RETURN(auto aliases, Aliases(artifact));
  std::map<uint64_t, std::vector<std::string>> out;
  for (const auto& [name, target] : aliases) out[target.version()].push_back(name);
  return out;
}

absl::StatusOr<std::map<std::string, store::AliasTarget>> ArtifactStore::Aliases(
    const ArtifactId& artifact) const {
  RETURN_IF_ERROR(Head(artifact).status());
  std::map<std::string, store::AliasTarget> out;
  const std::string prefix = internal::ArtifactPrefix(Key(artifact));
  auto it = db_->Scan(Cf::kAliases, prefix);
  for (; it->Valid(); it->Next()) {
    ASSIGN_OR_RETURN(auto t,
                     internal::ParseRecord<store::AliasTarget>(it->value(), "alias"));
    out.emplace(std::string(it->key().substr(prefix.size())), std::move(t));
  }
  RETURN_IF_ERROR(it->status());
  return out;
}

absl::Status ArtifactStore::ScanVersions(const VersionVisitor& visit) const {
  auto it = db_->Scan(Cf::kVersions, "");
  for (; it->Valid(); it->Next()) {
    ASSIGN_OR_RETURN(auto v,
                     internal::ParseRecord<store::Version>(it->value(), "version"));
    RETURN_IF_ERROR(visit(v));
  }
  return it->status();
}

uint64_t ArtifactStore::ApproximateVersionCount() const {
  uint64_t n = 0;
  db_->raw()->GetIntProperty(db_->cf(Cf::kVersions), "rocksdb.estimate-num-keys", &n);
  return n;
}

absl::Status ArtifactStore::ScanAliases(const AliasVisitor& visit) const {
  auto it = db_->Scan(Cf::kAliases, "");
  for (; it->Valid(); it->Next()) {
    const absl::string_view key = it->key();
    const size_t zero = key.find('\0');
    ASSIGN_OR_RETURN(auto target,
                     internal::ParseRecord<store::AliasTarget>(it->value(), "alias"));
    RETURN_IF_ERROR(visit(key.substr(0, zero),
                          zero == absl::string_view::npos ? "" : key.substr(zero + 1),
                          target));
  }
  return it->status();
}

absl::StatusOr<std::vector<ArtifactSummary>> ArtifactStore::List(
    std::optional<Kind> kind) const {
  std::vector<ArtifactSummary> out;
  const std::string prefix = kind.has_value() ? absl::StrCat(KindName(*kind), "/") : "";
  auto it = db_->Scan(Cf::kArtifacts, prefix);
  for (; it->Valid(); it->Next()) {
    ArtifactSummary s;
    ASSIGN_OR_RETURN(s.artifact, ParseArtifactId(it->key()));
    ASSIGN_OR_RETURN(s.head,
                     internal::ParseRecord<store::ArtifactHead>(it->value(), it->key()));
    ASSIGN_OR_RETURN(auto aliases, Aliases(s.artifact));
    for (const auto& [name, target] : aliases) s.aliases[name] = target.version();
    out.push_back(std::move(s));
  }
  RETURN_IF_ERROR(it->status());
  return out;
}

absl::StatusOr<store::AliasMove> ArtifactStore::SetAlias(
    const ArtifactId& artifact, const std::string& alias, uint64_t version,
    std::optional<uint64_t> expect, const Actor& who, const std::string& reason) {
  if (version == 0) return absl::InvalidArgumentError("versions are numbered from 1");
  return MoveAlias(artifact, alias, version, expect, who, reason);
}

absl::StatusOr<store::AliasMove> ArtifactStore::RemoveAlias(
    const ArtifactId& artifact, const std::string& alias, std::optional<uint64_t> expect,
    const Actor& who, const std::string& reason) {
  return MoveAlias(artifact, alias, 0, expect, who, reason);
}

absl::StatusOr<store::AliasMove> ArtifactStore::MoveAlias(
    const ArtifactId& artifact, const std::string& alias, uint64_t version,
    std::optional<uint64_t> expect, const Actor& who, const std::string& reason) {
  RETURN_IF_ERROR(ValidateArtifactName(artifact.name));
  RETURN_IF_ERROR(ValidateAliasName(alias));
  const std::string key = Key(artifact);
  const std::string alias_key = internal::AliasKey(key, alias);
  return internal::CommitChange(
      *db_, Change{ChangeKind::kMoveAlias, absl::StrCat(key, "@", alias)},
      [&](rocksdb::Transaction* txn) -> absl::StatusOr<store::AliasMove> {
        if (version != 0) RETURN_IF_ERROR(LockProtection(txn, *db_));
        ASSIGN_OR_RETURN(auto head, internal::LockRecord<store::ArtifactHead>(
                                        txn, *db_, Cf::kArtifacts, key, key));
        if (!head.has_value()) {
          return absl::NotFoundError(absl::StrCat("no artifact ", artifact.ToString()));
        }
        if (version > head->latest_version()) {
          return absl::NotFoundError(absl::StrCat(artifact.ToString(), " has no version ",
                                                  version, " (latest is ",
                                                  head->latest_version(), ")"));
        }
        if (version != 0) {
          ASSIGN_OR_RETURN(
              auto target_version,
              internal::ReadRecord<store::Version>(
                  *db_, Cf::kVersions, internal::VersionKey(key, version), key));
          if (target_version.has_value())
            RETURN_IF_ERROR(CheckNotDeleted(*target_version));
        }
        ASSIGN_OR_RETURN(auto target, internal::LockRecord<store::AliasTarget>(
                                          txn, *db_, Cf::kAliases, alias_key, alias_key));
        const uint64_t from = target.has_value() ? target->version() : 0;
        if (expect.has_value() && *expect != from) {
          return absl::FailedPreconditionError(absl::StrCat(
              artifact.ToString(), "@", alias, " points to ",
              from == 0 ? std::string("nothing") : absl::StrCat("version ", from),
              ", expected ",
              *expect == 0 ? std::string("no alias")
                           : absl::StrCat("version ", *expect)));
        }
        if (version == 0 && from == 0) {
          return absl::NotFoundError(
              absl::StrCat(artifact.ToString(), " has no alias '", alias, "'"));
        }
        const int64_t now = internal::NowMicros();
        store::AliasMove move;
        move.set_alias(alias);
        move.set_from_version(from);
        move.set_to_version(version);
        move.set_who(who.who);
        move.set_on_behalf_of(who.on_behalf_of);
        move.set_at_us(now);
        move.set_reason(reason);
        if (from == version) return move;  // nothing moves, nothing is logged
        move.set_sequence(head->alias_moves());
        head->set_alias_moves(head->alias_moves() + 1);
        head->set_updated_us(now);
        if (version == 0) {
          RETURN_IF_ERROR(
              internal::FromRocks(txn->Delete(db_->cf(Cf::kAliases), alias_key)));
        } else {
          store::AliasTarget t;
          t.set_version(version);
          t.set_updated_by(who.who);
          t.set_on_behalf_of(who.on_behalf_of);
          t.set_updated_us(now);
          RETURN_IF_ERROR(internal::PutRecord(txn, *db_, Cf::kAliases, alias_key, t));
        }
        RETURN_IF_ERROR(internal::PutRecord(
            txn, *db_, Cf::kAliasLog, internal::AliasLogKey(key, move.sequence()), move));
        RETURN_IF_ERROR(internal::PutRecord(txn, *db_, Cf::kArtifacts, key, *head));
        return move;
      });
}

absl::StatusOr<std::vector<store::AliasMove>> ArtifactStore::AliasLog(
    const ArtifactId& artifact) const {
  RETURN_IF_ERROR(Head(artifact).status());
  std::vector<store::AliasMove> out;
  auto it = db_->Scan(Cf::kAliasLog, internal::ArtifactPrefix(Key(artifact)));
  for (; it->Valid(); it->Next()) {
    ASSIGN_OR_RETURN(auto m,
                     internal::ParseRecord<store::AliasMove>(it->value(), "alias move"));
    out.push_back(std::move(m));
  }
  RETURN_IF_ERROR(it->status());
  return out;
}

absl::StatusOr<std::vector<KeptBy>> ArtifactStore::WhyKept(const ArtifactId& artifact,
                                                           uint64_t version) const {
  RETURN_IF_ERROR(ResolveRecord(Ref{artifact, version, ""}).status());
  return KeptByAliases(
      internal::VersionNode(KindName(artifact.kind), artifact.name, version));
}

absl::StatusOr<std::vector<KeptBy>> ArtifactStore::KeptByAliases(
    const std::string& node) const {
  LineageOptions options;
  options.direction = LineageDirection::kDown;
  ASSIGN_OR_RETURN(LineageGraph graph, Lineage(db_).Walk(node, options));
  // Each node's parent on a shortest path from `node`: the walk's edges, breadth
  // first again, but for ingests' (kind fed): the feature log keeps what an ingest
  // read, so a feature view does not need the files it was fed.
  std::unordered_map<std::string, std::vector<const std::string*>> next;
  for (const LineageEdge& e : graph.edges) {
    if (e.kind != store::EDGE_KIND_FED) next[e.from].push_back(&e.to);
  }
  std::unordered_map<std::string, std::string> parent;
  parent[node] = "";
  std::deque<std::string> queue = {node};
  while (!queue.empty()) {
    const std::string at = queue.front();
    queue.pop_front();
    for (const std::string* to : next[at]) {
      if (parent.emplace(*to, at).second) queue.push_back(*to);
    }
  }
  std::vector<KeptBy> out;
  // Per artifact: its aliases by version, and its latest version (feature views).
  struct Uses {
    std::map<uint64_t, std::vector<std::string>> aliases;
    uint64_t latest = 0;
  };
  std::map<std::string, Uses> uses;  // by "KIND/NAME"
  for (const LineageNode& n : graph.nodes) {
    // Runs and deleted versions protect nothing, but paths pass through them.
    if (!n.version.has_value() || n.version->has_deleted() || !parent.count(n.id)) {
      continue;
    }
    const store::Version& v = *n.version;
    const std::string artifact_key = internal::ArtifactKey(v.kind(), v.name());
    auto it = uses.find(artifact_key);
    if (it == uses.end()) {
      ASSIGN_OR_RETURN(ArtifactId id, ParseArtifactId(artifact_key));
      Uses u;
      ASSIGN_OR_RETURN(u.aliases, AliasesByVersion(id));
      if (id.kind == Kind::kFeatureView || id.kind == Kind::kFeatureService) {
        ASSIGN_OR_RETURN(u.latest, LatestVersion(id));
      }
      it = uses.emplace(artifact_key, std::move(u)).first;
    }
    KeptBy kept;
    kept.node = n.id;
    if (auto found = it->second.aliases.find(v.number());
        found != it->second.aliases.end()) {
      kept.aliases = found->second;
      std::sort(kept.aliases.begin(), kept.aliases.end());
    }
    kept.current_definition = v.number() == it->second.latest;
    if (kept.aliases.empty() && !kept.current_definition) continue;
    for (std::string at = n.id; !at.empty(); at = parent[at]) kept.path.push_back(at);
    std::reverse(kept.path.begin(), kept.path.end());
    out.push_back(std::move(kept));
  }
  return out;
}

absl::StatusOr<store::Version> ArtifactStore::Delete(const DeleteRequest& request) {
  RETURN_IF_ERROR(ValidateArtifactName(request.artifact.name));
  if (request.version == 0) {
    return absl::InvalidArgumentError("versions are numbered from 1");
  }
  const std::string key = Key(request.artifact);
  const std::string version_key = internal::VersionKey(key, request.version);
  const std::string node = internal::VersionNode(KindName(request.artifact.kind),
                                                 request.artifact.name, request.version);
  return internal::CommitChange(
      *db_, Change{ChangeKind::kDeleteVersion, node},
      [&](rocksdb::Transaction* txn) -> absl::StatusOr<store::Version> {
        RETURN_IF_ERROR(LockProtection(txn, *db_));
        ASSIGN_OR_RETURN(auto head, internal::LockRecord<store::ArtifactHead>(
                                        txn, *db_, Cf::kArtifacts, key, key));
        if (!head.has_value()) {
          return absl::NotFoundError(
              absl::StrCat("no artifact ", request.artifact.ToString()));
        }
        ASSIGN_OR_RETURN(auto version, internal::LockRecord<store::Version>(
                                           txn, *db_, Cf::kVersions, version_key, node));
        if (!version.has_value()) {
          return absl::NotFoundError(
              absl::StrCat(request.artifact.ToString(), " has no version ",
                           request.version, " (latest is ", head->latest_version(), ")"));
        }
        if (version->has_deleted()) {
          return absl::FailedPreconditionError(
              absl::StrCat("already deleted: ", CheckNotDeleted(*version).message()));
        }
        ASSIGN_OR_RETURN(std::vector<KeptBy> kept, KeptByAliases(node));
        if (!kept.empty() && !request.force) {
          return absl::FailedPreconditionError(absl::StrCat(
              node, " is protected: kept by ", DescribeKeptBy(kept.front()),
              kept.size() > 1 ? absl::StrCat(" and ", kept.size() - 1, " more") : "",
              " (strata why-kept ", node, " lists all; --force deletes it anyway)"));
        }
        const int64_t now = internal::NowMicros();
        store::Deletion& deletion = *version->mutable_deleted();
        deletion.set_who(request.who.who);
        deletion.set_on_behalf_of(request.who.on_behalf_of);
        deletion.set_at_us(now);
        deletion.set_reason(request.reason);
        for (const KeptBy& k : kept) deletion.add_overridden(DescribeKeptBy(k));
        // A forced deletion takes the version's own aliases with it, logged.
        if (!kept.empty() && kept.front().node == node) {
          for (const std::string& alias : kept.front().aliases) {
            store::AliasMove move;
            move.set_alias(alias);
            move.set_from_version(request.version);
            move.set_to_version(0);
            move.set_who(request.who.who);
            move.set_on_behalf_of(request.who.on_behalf_of);
            move.set_at_us(now);
            move.set_reason(absl::StrCat("deleted with --force",
                                         request.reason.empty() ? "" : ": ",
                                         request.reason));
            move.set_sequence(head->alias_moves());
            head->set_alias_moves(head->alias_moves() + 1);
            RETURN_IF_ERROR(internal::FromRocks(
                txn->Delete(db_->cf(Cf::kAliases), internal::AliasKey(key, alias))));
            RETURN_IF_ERROR(
                internal::PutRecord(txn, *db_, Cf::kAliasLog,
                                    internal::AliasLogKey(key, move.sequence()), move));
          }
        }
        head->set_updated_us(now);
        RETURN_IF_ERROR(
            internal::PutRecord(txn, *db_, Cf::kVersions, version_key, *version));
        RETURN_IF_ERROR(internal::PutRecord(txn, *db_, Cf::kArtifacts, key, *head));
        return *version;
      });
}

}  // namespace strata
