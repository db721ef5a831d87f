// FeatureStore::RebuildOnline and RemoveOnline: the online table repaired from the
// offline log (docs/features.md, "Repairing the online table").
//
// A rebuild step reads the log at one snapshot and then the online rows of its
// entities (OnlineTable), and replaces the rows that differ with one write. Pushes
// wait for the step (OnlineServing::LockForRepair); ingests do not, so a step checks
// afterwards whether an ingest into the view committed since its snapshot (its rows
// may have been read online, or have landed before the step's write, which replaces
// them) and if so runs again.
#include <algorithm>
#include <optional>
#include <shared_mutex>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "features/codec.h"
#include "features/definitions.h"
#include "features/feature_store.h"
#include "features/feature_log.h"
#include "features/online_serving.h"
#include "features/tables.h"
#include "features/view_catalog.h"
#include "store/database.h"
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
  std::vector<OnlineRow> puts;        // rows rewritten
  std::vector<std::string> deletes;  // rows removed
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
                   const absl::string_view* online, Step* step) const {
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
        step->deletes.emplace_back(entity);
      }
      return absl::OkStatus();
    }
    std::string value;
    codec::AppendOnlineHeader(&value, best->event, best->created, best->ingest);
    value += best_row;
    if (online != nullptr && *online == value) {
      ++step->unchanged;
      return absl::OkStatus();
    }
    ++step->rewritten;
    step->puts.emplace_back(std::string(entity), std::move(value));
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

// One rebuild of a view's online rows, a step (a snapshot of the log, one write)
// at a time: every entity of the view (in the log or online) in key order, or the
// named ones.
class OnlineRebuild {
 public:
  OnlineRebuild(internal::Db& db, const FeatureTables& tables, OnlineServing& online,
                std::shared_ptr<const ResolvedView> view, std::vector<std::string> keys,
                const OnlineRebuildOptions& options)
      : tables_(tables),
        online_(online),
        db_(db),
        view_(std::move(view)),
        named_(!keys.empty()),
        keys_(std::move(keys)),
        batch_(std::max<size_t>(options.batch_entities, 1)),
        progress_(options.progress),
        prefix_end_(OnlineViewPrefix(view_->id + 1)),
        upper_(prefix_end_),
        resume_(view_->Prefix()) {
    report_.view = view_->def.name();
  }

  absl::StatusOr<OnlineRebuildReport> Run() {
    const uint64_t total = named_ ? keys_.size() : LogBytes();
    while (true) {
      std::string step_resume;
      ASSIGN_OR_RETURN(Step step, RunStep(&step_resume));
      Count(step);
      const bool done = named_ ? next_ + batch_ >= keys_.size() : step_resume.empty();
      if (named_) next_ = std::min(keys_.size(), next_ + batch_);
      if (progress_) {
        if (named_) {
          progress_(next_, total);
        } else {
          progress_(log_bytes_, std::max(total, log_bytes_));
        }
      }
      if (done) return report_;
      resume_ = std::move(step_resume);
    }
  }

 private:
  // RocksDB's estimate of the bytes of the view's log.
  uint64_t LogBytes() const {
    return FeatureLog(db_, nullptr, view_->id, view_->def.name()).ApproximateBytes();
  }

  // One step, run again while ingests into the view commit during it: pushes wait
  // for it, ingests do not, and their rows may have landed before its write, which
  // replaced them. Sets `step_resume` to the next step's first entity (all
  // entities; empty: the view is done).
  absl::StatusOr<Step> RunStep(std::string* step_resume) {
    for (int attempt = 0; attempt < kStepAttempts; ++attempt) {
      step_resume->clear();
      auto pushes = online_.LockForRepair();
      ASSIGN_OR_RETURN(Step step, ReadStep(step_resume));
      if (!step.puts.empty() || !step.deletes.empty()) {
        RETURN_IF_ERROR(online_.Write(
            {.puts = step.puts, .deletes = step.deletes},
            Change{ChangeKind::kRebuildOnline,
                   absl::StrCat("featureview/", view_->def.name())}));
      }
      pushes.unlock();
      ASSIGN_OR_RETURN(IngestPosition after, tables_.Position());
      ASSIGN_OR_RETURN(bool raced, IngestedBetween(db_, view_->def.name(), report_.at, after));
      if (!raced) return step;
    }
    return absl::AbortedError(absl::StrCat(
        "ingests into feature view ", view_->def.name(), " kept committing during one "
        "step of the online rebuild (", kStepAttempts, " tries); run it again"));
  }

  // Reads the step's entities: the log at one snapshot, then their online rows (an
  // ingest committed after the snapshot is caught by RunStep, a push cannot land).
  absl::StatusOr<Step> ReadStep(std::string* step_resume) {
    Step step;
    rocksdb::ManagedSnapshot snapshot(db_.raw());
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot.snapshot();
    ASSIGN_OR_RETURN(report_.at, tables_.Position(snapshot.snapshot()));
    RETURN_IF_ERROR(ReadIngests(db_, ro, unread_, &ingests_));
    unread_ = report_.at.position + 1;
    for (uint64_t p : report_.at.pending) unread_ = std::min(unread_, p);
    const EntityRebuild rebuild(*view_, report_.at, ingests_);
    ro.iterate_upper_bound = &upper_;
    std::unique_ptr<rocksdb::Iterator> log(db_.raw()->NewIterator(ro, db_.cf(Cf::kFeatureLog)));
    if (named_) {
      RETURN_IF_ERROR(ReadNamed(rebuild, log.get(), &step));
    } else {
      RETURN_IF_ERROR(ReadAll(rebuild, log.get(), &step, step_resume));
    }
    return step;
  }

  // The named entities of this step, their online rows in one lookup.
  absl::Status ReadNamed(const EntityRebuild& rebuild, rocksdb::Iterator* log, Step* step) {
    const size_t end = std::min(keys_.size(), next_ + batch_);
    const absl::Span<const std::string> keys(keys_.data() + next_, end - next_);
    ASSIGN_OR_RETURN(auto online, online_.table().LookupCopies(keys));
    for (size_t i = 0; i < keys.size(); ++i) {
      log->Seek(keys[i]);
      absl::string_view row;
      if (online[i].has_value()) row = *online[i];
      RETURN_IF_ERROR(rebuild.Add(keys[i], log, online[i].has_value() ? &row : nullptr, step));
    }
    return absl::OkStatus();
  }

  // The log and a page of the online table in one walk, entity by entity (an entity
  // key is prefix-free, so both sort entities alike), from resume_. The page holds
  // batch_ rows: every online row the step reaches, since each one it consumes is an
  // entity; past the page, its resume key bounds the step.
  absl::Status ReadAll(const EntityRebuild& rebuild, rocksdb::Iterator* log, Step* step,
                       std::string* step_resume) {
    const bool first = resume_ == view_->Prefix();
    ASSIGN_OR_RETURN(OnlinePage page,
                     online_.table().Scan(view_->id, first ? "" : resume_, batch_));
    const size_t key_bytes = view_->Prefix().size() + codec::kLogChunkSuffixBytes;
    log->Seek(resume_);
    size_t j = 0;  // the next online row
    while (true) {
      while (log->Valid() && log->key().size() < key_bytes) log->Next();  // not a chunk
      std::optional<absl::string_view> entity;
      if (log->Valid()) {
        entity = absl::string_view(log->key().data(),
                                   log->key().size() - codec::kLogChunkSuffixBytes);
      }
      const absl::string_view online_key =
          j < page.size() ? page.key(j) : absl::string_view(page.resume);
      const bool online_first =
          !online_key.empty() && (!entity.has_value() || online_key <= *entity);
      if (online_first) entity = online_key;
      if (!entity.has_value()) break;  // the view is done
      if (step->entities == batch_) {
        *step_resume = std::string(*entity);
        break;
      }
      if (online_first && j == page.size()) {
        return absl::InternalError("online rebuild step ran past its page");
      }
      const bool has_online = j < page.size() && page.key(j) == *entity;
      const std::string key(*entity);  // the log iterator moves on
      const absl::string_view online = has_online ? page.value(j) : absl::string_view();
      RETURN_IF_ERROR(rebuild.Add(key, log, has_online ? &online : nullptr, step));
      if (has_online) ++j;
    }
    return internal::FromRocks(log->status(), "reading the feature log");
  }

  void Count(const Step& step) {
    report_.entities += step.entities;
    report_.rewritten += step.rewritten;
    report_.removed += step.removed;
    report_.unchanged += step.unchanged;
    report_.skipped += step.skipped;
    log_bytes_ += step.log_bytes;
  }

  const FeatureTables& tables_;
  OnlineServing& online_;
  internal::Db& db_;
  const std::shared_ptr<const ResolvedView> view_;
  const bool named_;
  const std::vector<std::string> keys_;  // named: the entities' keys, sorted
  const size_t batch_;
  const std::function<void(uint64_t, uint64_t)> progress_;
  const std::string prefix_end_;
  const rocksdb::Slice upper_;
  OnlineRebuildReport report_;
  IngestMap ingests_;
  uint64_t unread_ = 0;  // ingest records from this number on are not in ingests_
  std::string resume_;   // all entities: the first entity of the next step
  size_t next_ = 0;      // named: the first entity of the next step
  uint64_t log_bytes_ = 0;
};

}  // namespace

absl::StatusOr<OnlineRebuildReport> FeatureStore::RebuildOnline(
    const std::string& view_name, const OnlineRebuildOptions& options) {
  ASSIGN_OR_RETURN(auto view, views_->View(view_name, 0));
  std::vector<std::string> keys;  // named: the entities' keys, sorted
  if (!options.entities.empty()) {
    RETURN_IF_ERROR(CheckJoinKeys(*view, options.entities));
    EntityColumns entities = options.entities;
    RETURN_IF_ERROR(EntityKeys(*view, entities, &keys));
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  }
  if (view->id == 0) {  // nothing was ever ingested or pushed: nothing is online
    OnlineRebuildReport report;
    report.view = view_name;
    report.entities = keys.size();
    return report;
  }
  return OnlineRebuild(DatabaseOf(*store_), *tables_, *online_, std::move(view),
                       std::move(keys), options)
      .Run();
}

absl::Status FeatureStore::RemoveOnline(const std::string& view_name,
                                        const EntityColumns& entity) {
  ASSIGN_OR_RETURN(auto view, views_->View(view_name, 0));
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
  auto pushes = online_->LockForRepair();
  ASSIGN_OR_RETURN(auto rows, online_->table().LookupCopies(keys));
  if (!rows[0].has_value()) return absent();
  return online_->Write(
      {.deletes = keys},
      Change{ChangeKind::kRemoveOnline, absl::StrCat("featureview/", view_name)});
}

}  // namespace strata::features
