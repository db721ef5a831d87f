// FeatureStore::RebuildOnline and RemoveOnline: the online table repaired from the
// offline log (docs/features.md, "Repairing the online table").
//
// A rebuild step reads the log and the online table at one snapshot and replaces
// the rows that differ with one write. Pushes wait for the step (Impl::online_repair);
// ingests do not, so a step checks afterwards whether an ingest into the view
// committed since its snapshot (its merge operands may have landed before the
// step's write, which replaces them) and if so runs again.
#include <algorithm>
#include <optional>
#include <shared_mutex>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "features/codec.h"
#include "features/definitions.h"
#include "features/feature_store.h"
#include "features/impl.h"
#include "store/internal/records.h"
#include "store/internal/rocks_status.h"
#include "store/json_writer.h"
#include "store/status_macros.h"

namespace strata::features {
namespace {

using internal::Cf;

// Times a step runs again, because ingests into the view committed during it,
// before the rebuild gives up.
constexpr int kStepAttempts = 10;

// Committed ingests: view, and whether the rows may be online (the ingest updated
// the online table, or its record predates the flag: most did).
struct IngestInfo {
  std::string view;
  bool online = true;
};
using IngestMap = absl::flat_hash_map<uint64_t, IngestInfo>;

std::string IngestRecordKey(uint64_t ingest) {
  std::string key = "i/";
  codec::PutBE64(&key, ingest);
  return key;
}

// Adds the records of ingests numbered `from` and up.
absl::Status ReadIngests(const internal::Db& db, const rocksdb::ReadOptions& ro,
                         uint64_t from, IngestMap* out) {
  std::unique_ptr<rocksdb::Iterator> it(
      db.raw()->NewIterator(ro, db.cf(Cf::kFeatureMeta)));
  for (it->Seek(IngestRecordKey(from)); it->Valid() && it->key().starts_with("i/");
       it->Next()) {
    ASSIGN_OR_RETURN(IngestRecord r,
                     internal::ParseRecord<IngestRecord>(
                         {it->value().data(), it->value().size()}, "ingest record"));
    (*out)[r.ingest()] = {r.view(), !r.has_update_online() || r.update_online()};
  }
  return internal::FromRocks(it->status(), "reading ingest records");
}

// Whether an ingest into `view` committed after `before` and by `after`.
absl::StatusOr<bool> IngestedBetween(const internal::Db& db, const std::string& view,
                                     const IngestPosition& before,
                                     const IngestPosition& after) {
  std::vector<uint64_t> fresh = before.pending;
  for (uint64_t n = before.position + 1; n <= after.position; ++n) fresh.push_back(n);
  for (uint64_t n : fresh) {
    if (!after.Includes(n)) continue;
    ASSIGN_OR_RETURN(auto value, db.Get(Cf::kFeatureMeta, IngestRecordKey(n)));
    if (!value.has_value()) continue;
    ASSIGN_OR_RETURN(IngestRecord r,
                     internal::ParseRecord<IngestRecord>(*value, "ingest record"));
    if (r.view() == view) return true;
  }
  return false;
}

// One step's findings and the writes they call for.
struct Step {
  std::vector<std::pair<std::string, std::optional<std::string>>> writes;  // none: delete
  uint64_t entities = 0, rewritten = 0, removed = 0, unchanged = 0, skipped = 0;
  uint64_t log_bytes = 0;
};

// What an entity's online row should be, from the log at one snapshot.
class EntityRebuild {
 public:
  EntityRebuild(const ResolvedView& view, const IngestPosition& at,
                const IngestMap& ingests)
      : view_(view), window_(PlausibleTimeOf(view.def)), at_(at), ingests_(ingests) {}

  // Entity `entity` (VIEW ENTITY) against its online value `online` (null: none).
  // `log` is an iterator over the view's log at the entity's first chunk, or at a
  // later entity's when it has none; it is left past the entity's chunks.
  absl::Status Add(absl::string_view entity, rocksdb::Iterator* log,
                   const rocksdb::Slice* online, Step* step) const {
    ++step->entities;
    std::optional<codec::RowStamp> best;
    std::string best_row;
    std::vector<codec::RowStamp> left_out;  // implausible rows above a chunk's pick
    const rocksdb::Slice entity_slice(entity.data(), entity.size());
    codec::LogChunk chunk;
    for (; log->Valid(); log->Next()) {
      const rocksdb::Slice key = log->key();
      if (key.size() != entity.size() + codec::kLogChunkSuffixBytes ||
          !key.starts_with(entity_slice)) {
        break;
      }
      step->log_bytes += key.size() + log->value().size();
      const uint64_t ingest = codec::LogChunkIngest({key.data(), key.size()});
      const auto info = ingests_.find(ingest);
      if (!at_.Includes(ingest) || info == ingests_.end() || !info->second.online) {
        continue;
      }
      if (!chunk.Parse({log->value().data(), log->value().size()})) {
        return absl::DataLossError(
            absl::StrCat("malformed feature log chunk of view ", view_.def.name()));
      }
      // Rows descend: the chunk's first plausible row is the one that counts.
      for (size_t i = 0; i < chunk.size(); ++i) {
        const codec::RowStamp stamp{chunk.event(i), chunk.created(i), ingest};
        if (!window_.Contains(stamp.event) || !window_.Contains(stamp.created)) {
          left_out.push_back(stamp);
          continue;
        }
        if (!best.has_value() || stamp > *best) {
          best = stamp;
          best_row.assign(chunk.row(i).data(), chunk.row(i).size());
        }
        break;
      }
    }
    RETURN_IF_ERROR(internal::FromRocks(log->status(), "reading the feature log"));
    for (const codec::RowStamp& s : left_out) {
      step->skipped += !best.has_value() || s > *best;
    }
    if (!best.has_value()) {
      if (online != nullptr) {
        ++step->removed;
        step->writes.emplace_back(std::string(entity), std::nullopt);
      }
      return absl::OkStatus();
    }
    std::string value;
    codec::AppendOnlineHeader(&value, best->event, best->created, best->ingest);
    value += best_row;
    if (online != nullptr && *online == rocksdb::Slice(value)) {
      ++step->unchanged;
      return absl::OkStatus();
    }
    ++step->rewritten;
    step->writes.emplace_back(std::string(entity), std::move(value));
    return absl::OkStatus();
  }

 private:
  const ResolvedView& view_;
  const PlausibleTime window_;
  const IngestPosition& at_;
  const IngestMap& ingests_;
};

// InvalidArgument for a column that names no join key of `view`.
absl::Status CheckJoinKeys(const ResolvedView& view, const EntityColumns& entities) {
  for (const auto& [name, values] : entities) {
    if (std::find(view.join_key_names.begin(), view.join_key_names.end(), name) ==
        view.join_key_names.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "feature view ", view.def.name(), " has no join key ", name, " (its join keys: ",
          absl::StrJoin(view.join_key_names, ", "), ")"));
    }
    if (values.size() != entities.front().second.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("join key ", name, " has ", values.size(), " values, but ",
                       entities.front().first, " has ", entities.front().second.size()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<OnlineRebuildReport> FeatureStore::RebuildOnline(
    const std::string& view_name, const OnlineRebuildOptions& options) {
  ASSIGN_OR_RETURN(auto view, impl_->View(view_name, 0));
  OnlineRebuildReport report;
  report.view = view_name;
  const bool named = !options.entities.empty();
  std::vector<std::string> keys;  // named: the entities' keys, sorted
  if (named) {
    RETURN_IF_ERROR(CheckJoinKeys(*view, options.entities));
    EntityColumns entities = options.entities;
    RETURN_IF_ERROR(EntityKeys(*view, entities, &keys));
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  }
  if (view->id == 0) {  // nothing was ever ingested or pushed: nothing is online
    report.entities = keys.size();
    return report;
  }
  const size_t batch = std::max<size_t>(options.batch_entities, 1);
  internal::Db& db = store_->internal_db();
  const std::string prefix = view->Prefix();
  std::string prefix_end;
  codec::PutBE32(&prefix_end, view->id + 1);
  const rocksdb::Slice upper(prefix_end);
  uint64_t total = keys.size();
  if (!named) {
    rocksdb::Range range(prefix, prefix_end);
    rocksdb::SizeApproximationOptions sizes;
    sizes.include_memtables = true;
    sizes.include_files = true;
    db.raw()
        ->GetApproximateSizes(sizes, db.cf(Cf::kFeatureLog), &range, 1, &total)
        .PermitUncheckedError();
  }

  IngestMap ingests;
  uint64_t unread = 0;  // ingest records from this number on are not in `ingests`
  std::string resume = prefix;  // all entities: the first entity of the next step
  size_t next = 0;              // named: the first entity of the next step
  uint64_t log_bytes = 0;
  while (true) {
    Step step;
    std::string step_resume;
    for (int attempt = 0;; ++attempt) {
      if (attempt == kStepAttempts) {
        return absl::AbortedError(absl::StrCat(
            "ingests into feature view ", view_name, " kept committing during one step of "
            "the online rebuild (", kStepAttempts, " tries); run it again"));
      }
      step = Step();
      std::unique_lock pushes(impl_->online_repair);
      rocksdb::ManagedSnapshot snapshot(db.raw());
      rocksdb::ReadOptions ro;
      ro.snapshot = snapshot.snapshot();
      ASSIGN_OR_RETURN(report.at, impl_->tables.Position(snapshot.snapshot()));
      RETURN_IF_ERROR(ReadIngests(db, ro, unread, &ingests));
      unread = report.at.position + 1;
      for (uint64_t p : report.at.pending) unread = std::min(unread, p);
      const EntityRebuild rebuild(*view, report.at, ingests);

      rocksdb::ReadOptions view_ro = ro;
      view_ro.iterate_upper_bound = &upper;
      std::unique_ptr<rocksdb::Iterator> log(
          db.raw()->NewIterator(view_ro, db.cf(Cf::kFeatureLog)));
      if (named) {
        std::string online;
        for (size_t i = next; i < keys.size() && i < next + batch; ++i) {
          log->Seek(keys[i]);
          rocksdb::Status s =
              db.raw()->Get(ro, db.cf(Cf::kFeatureOnline), keys[i], &online);
          if (!s.ok() && !s.IsNotFound()) {
            return internal::FromRocks(s, "reading the online table");
          }
          const rocksdb::Slice online_slice(online);
          RETURN_IF_ERROR(
              rebuild.Add(keys[i], log.get(), s.ok() ? &online_slice : nullptr, &step));
        }
      } else {
        // The log and the online table in one walk, entity by entity (an entity key
        // is prefix-free, so both sort entities alike).
        std::unique_ptr<rocksdb::Iterator> online(
            db.raw()->NewIterator(view_ro, db.cf(Cf::kFeatureOnline)));
        log->Seek(resume);
        online->Seek(resume);
        while (true) {
          while (log->Valid() &&
                 log->key().size() < prefix.size() + codec::kLogChunkSuffixBytes) {
            log->Next();  // not a chunk key
          }
          std::optional<absl::string_view> entity;
          if (log->Valid()) {
            entity = absl::string_view(log->key().data(),
                                       log->key().size() - codec::kLogChunkSuffixBytes);
          }
          const bool online_first =
              online->Valid() &&
              (!entity.has_value() ||
               absl::string_view(online->key().data(), online->key().size()) <= *entity);
          if (online_first) {
            entity = absl::string_view(online->key().data(), online->key().size());
          }
          if (!entity.has_value()) break;  // the view is done
          if (step.entities == batch) {
            step_resume = std::string(*entity);
            break;
          }
          const std::string key(*entity);  // the iterators move on
          const rocksdb::Slice value = online->Valid() && online->key() == key
                                           ? online->value()
                                           : rocksdb::Slice();
          const bool has_online = online->Valid() && online->key() == key;
          RETURN_IF_ERROR(
              rebuild.Add(key, log.get(), has_online ? &value : nullptr, &step));
          if (has_online) online->Next();
        }
        RETURN_IF_ERROR(internal::FromRocks(online->status(), "reading the online table"));
        RETURN_IF_ERROR(internal::FromRocks(log->status(), "reading the feature log"));
      }

      if (!step.writes.empty()) {
        RETURN_IF_ERROR(
            internal::CommitChange(
                db,
                Change{ChangeKind::kRebuildOnline,
                       absl::StrCat("featureview/", view_name)},
                [&](rocksdb::Transaction* txn) -> absl::StatusOr<bool> {
                  for (const auto& [key, value] : step.writes) {
                    RETURN_IF_ERROR(internal::FromRocks(
                        value.has_value()
                            ? txn->PutUntracked(db.cf(Cf::kFeatureOnline), key, *value)
                            : txn->DeleteUntracked(db.cf(Cf::kFeatureOnline), key),
                        "write"));
                  }
                  return true;
                })
                .status());
        if (impl_->online_cache != nullptr) {
          for (const auto& write : step.writes) impl_->online_cache->Erase(write.first);
        }
      }
      pushes.unlock();
      ASSIGN_OR_RETURN(IngestPosition after, impl_->tables.Position());
      ASSIGN_OR_RETURN(bool raced, IngestedBetween(db, view_name, report.at, after));
      if (!raced) break;
    }

    report.entities += step.entities;
    report.rewritten += step.rewritten;
    report.removed += step.removed;
    report.unchanged += step.unchanged;
    report.skipped += step.skipped;
    log_bytes += step.log_bytes;
    const bool done = named ? next + batch >= keys.size() : step_resume.empty();
    if (named) next = std::min(keys.size(), next + batch);
    if (options.progress) {
      if (named) {
        options.progress(next, total);
      } else {
        options.progress(log_bytes, std::max(total, log_bytes));
      }
    }
    if (done) break;
    resume = std::move(step_resume);
  }
  return report;
}

absl::Status FeatureStore::RemoveOnline(const std::string& view_name,
                                        const EntityColumns& entity) {
  ASSIGN_OR_RETURN(auto view, impl_->View(view_name, 0));
  if (entity.empty()) return absl::InvalidArgumentError("no entity given");
  RETURN_IF_ERROR(CheckJoinKeys(*view, entity));
  if (entity.front().second.size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("give one entity (join key ", entity.front().first, " has ",
                     entity.front().second.size(), " values)"));
  }
  EntityColumns parsed = entity;
  std::vector<std::string> keys;
  RETURN_IF_ERROR(EntityKeys(*view, parsed, &keys));
  std::string who;
  for (const std::string& name : view->join_key_names) {
    for (const auto& [key, values] : parsed) {
      if (key != name) continue;
      absl::StrAppend(&who, who.empty() ? "" : ",", name, "=");
      AppendValueText(values[0], VALUE_TYPE_STRING, &who);
    }
  }
  const auto absent = [&] {
    return absl::NotFoundError(
        absl::StrCat("feature view ", view_name, " has no online row for ", who));
  };
  if (view->id == 0) return absent();
  internal::Db& db = store_->internal_db();
  std::unique_lock pushes(impl_->online_repair);
  ASSIGN_OR_RETURN(auto row, db.Get(Cf::kFeatureOnline, keys[0]));
  if (!row.has_value()) return absent();
  RETURN_IF_ERROR(
      internal::CommitChange(
          db, Change{ChangeKind::kRemoveOnline, absl::StrCat("featureview/", view_name)},
          [&](rocksdb::Transaction* txn) -> absl::StatusOr<bool> {
            RETURN_IF_ERROR(internal::FromRocks(
                txn->DeleteUntracked(db.cf(Cf::kFeatureOnline), keys[0]), "write"));
            return true;
          })
          .status());
  if (impl_->online_cache != nullptr) impl_->online_cache->Erase(keys[0]);
  return absl::OkStatus();
}

}  // namespace strata::features
