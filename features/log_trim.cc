// FeatureStore::TrimLog: offline log retention. The view's log is read once under a
// snapshot; per entity, the rows at or before the horizon that no answer at or after
// it can pick are found, and one SST file carrying range tombstones over the chunks
// holding them, and the rewritten chunks of those that also hold kept rows, is
// ingested: the trim is one atomic step (docs/format.md, "Trimming the log").
//
// Why not the alternatives: a compaction filter sees one chunk at a time, but whether
// a row may go depends on the entity's other rows; a WriteBatch of range deletions
// would put one tombstone per entity in the memtable, where every new iterator
// fragments them all again, and would be bounded by memory rather than streamed.
#include <algorithm>
#include <mutex>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "features/codec.h"
#include "features/feature_log.h"
#include "features/feature_store.h"
#include "features/tables.h"
#include "features/view_catalog.h"
#include "features/scratch.h"
#include "features/training_sets.h"
#include "gc/retention.h"
#include "rocksdb/sst_file_writer.h"
#include "store/database.h"
#include "store/internal/records.h"
#include "store/internal/rocks_status.h"
#include "store/render.h"
#include "store/status_macros.h"

namespace strata::features {
namespace {

using internal::Cf;

// Trims of one process run one at a time: two trims of a view could otherwise
// each rewrite a chunk from what it read, the later undoing the earlier. (The
// store's RocksDB lock keeps other processes out.) Trims are rare; one lock for
// all views is enough.
std::mutex trim_mu;

// One row at or before the horizon.
struct OldRow : codec::RowStamp {
  uint32_t chunk, row;  // index into the entity's chunks, row in the chunk
  bool Beats(const OldRow& o) const {
    return static_cast<const codec::RowStamp&>(*this) > o;
  }
};

// Marks in `keep` (by position in `rows`) the rows at or before the horizon that
// some answer at a time t >= horizon can pick. Such an answer picks the largest
// (event, created, ingest) among rows created at most at some limit c >= horizon
// (c: the as-of time or, with created-cutoff, t; unbounded without either). As c
// grows the candidates only grow, so the rows picked are the successive maxima:
// the largest of the rows created at or before the horizon, then each row, in
// created order, that beats every row created no later than itself.
void MarkKept(std::vector<OldRow>* rows, Micros horizon, std::vector<bool>* keep) {
  std::vector<uint32_t> order(rows->size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return (*rows)[a].created < (*rows)[b].created;
  });
  keep->assign(rows->size(), false);
  int64_t best = -1;
  size_t i = 0;
  for (; i < order.size() && (*rows)[order[i]].created <= horizon; ++i) {
    if (best < 0 || (*rows)[order[i]].Beats((*rows)[best])) best = order[i];
  }
  if (best >= 0) (*keep)[best] = true;
  while (i < order.size()) {
    // One created time at a time: its best row, when it beats all earlier ones.
    const Micros created = (*rows)[order[i]].created;
    int64_t group_best = -1;
    for (; i < order.size() && (*rows)[order[i]].created == created; ++i) {
      if (group_best < 0 || (*rows)[order[i]].Beats((*rows)[group_best])) {
        group_best = order[i];
      }
    }
    if (best < 0 || (*rows)[group_best].Beats((*rows)[best])) {
      best = group_best;
      (*keep)[best] = true;
    }
  }
}

// One chunk of the entity at hand, as read.
struct ChunkRead {
  std::string key, value;
  uint64_t ingest;
  bool visible;
  uint32_t kept = 0, old = 0;  // rows kept, rows at or before the horizon
};

// One pass over a view's log: what a trim to a horizon drops and, unless a dry run,
// the SST file that drops it.
struct TrimPass {
  LogTrimReport report;
  std::optional<ScratchPath> file;
  std::unique_ptr<rocksdb::SstFileWriter> sst;
  uint64_t tombstones = 0, puts = 0;
};

// Plans the trim of a view's log one entity at a time, and writes what changes to
// the pass's SST file (when it has one).
class EntityTrimmer {
 public:
  // `pending`: the ingests the pass's position does not include.
  EntityTrimmer(const std::string& view_name, Micros horizon,
                std::vector<uint64_t> pending, TrimPass* pass)
      : view_name_(view_name), horizon_(horizon), pending_(std::move(pending)),
        pass_(pass) {
    std::sort(pending_.begin(), pending_.end());
  }

  // Takes the chunk `scan` is at, of the entity at hand.
  void Add(const FeatureLog::ChunkScan& scan) {
    ChunkRead& chunk = chunks_.emplace_back();
    chunk.key.assign(scan.key().data(), scan.key().size());
    chunk.value.assign(scan.value().data(), scan.value().size());
    chunk.ingest = scan.ingest();
    chunk.visible = scan.visible();
    if (!chunk.visible) return;
    const codec::LogChunk& parsed = scan.chunk();
    pass_->report.rows_before += parsed.size();
    const auto index = static_cast<uint32_t>(chunks_.size() - 1);
    for (size_t r = parsed.FirstAtOrBefore(horizon_); r < parsed.size(); ++r) {
      old_.push_back({{parsed.event(r), parsed.created(r), chunk.ingest},
                      index,
                      static_cast<uint32_t>(r)});
    }
  }

  // Decides the entity's chunks, writes what changes and forgets them; false when
  // there were none.
  absl::StatusOr<bool> Finish();

 private:
  // Whether an ingest that was not committed at the snapshot, and may still be
  // writing, could have keys between chunks of ingests `a` < `b`.
  bool PendingBetween(uint64_t a, uint64_t b) const {
    auto it = std::upper_bound(pending_.begin(), pending_.end(), a);
    return it != pending_.end() && *it < b;
  }
  // Drops the rows `drop` of `chunk`: the chunk goes, or is put back rewritten.
  absl::Status Rewrite(const ChunkRead& chunk, const std::vector<uint32_t>& drop);

  const std::string& view_name_;
  const Micros horizon_;
  std::vector<uint64_t> pending_;
  TrimPass* pass_;
  std::vector<ChunkRead> chunks_;
  std::vector<OldRow> old_;
  std::vector<bool> keep_;
  codec::LogChunk parsed_;
  codec::LogChunkBuilder builder_;
  std::string rewritten_, range_end_;
};

absl::StatusOr<bool> EntityTrimmer::Finish() {
  if (chunks_.empty()) return false;
  LogTrimReport& report = pass_->report;
  ++report.entities;
  MarkKept(&old_, horizon_, &keep_);
  for (size_t i = 0; i < old_.size(); ++i) {
    ++chunks_[old_[i].chunk].old;
    chunks_[old_[i].chunk].kept += keep_[i];
  }
  // Per chunk: whether it changes, and its kept rows.
  std::vector<std::vector<uint32_t>> dropped_rows(chunks_.size());
  for (size_t i = 0; i < old_.size(); ++i) {
    if (!keep_[i]) dropped_rows[old_[i].chunk].push_back(old_[i].row);
  }
  size_t c = 0;
  while (c < chunks_.size()) {
    if (!chunks_[c].visible || dropped_rows[c].empty()) {
      ++c;
      continue;
    }
    // A run of changing chunks with nothing between them that must stay: one
    // range tombstone, then the rewritten ones put back (same file, same
    // sequence number: the tombstone covers only older keys).
    size_t end = c + 1;
    while (end < chunks_.size() && chunks_[end].visible && !dropped_rows[end].empty() &&
           !PendingBetween(chunks_[end - 1].ingest, chunks_[end].ingest)) {
      ++end;
    }
    range_end_ = chunks_[end - 1].key;
    range_end_.push_back('\0');
    if (pass_->sst != nullptr) {
      RETURN_IF_ERROR(internal::FromRocks(
          pass_->sst->DeleteRange(chunks_[c].key, range_end_), "writing SST file"));
    }
    ++pass_->tombstones;
    for (size_t k = c; k < end; ++k) RETURN_IF_ERROR(Rewrite(chunks_[k], dropped_rows[k]));
    c = end;
  }
  for (const bool k : keep_) report.rows_kept_at_horizon += k;
  chunks_.clear();
  old_.clear();
  return true;
}

absl::Status EntityTrimmer::Rewrite(const ChunkRead& chunk,
                                    const std::vector<uint32_t>& drop) {
  LogTrimReport& report = pass_->report;
  report.rows_dropped += drop.size();
  if (!parsed_.Parse(chunk.value)) {
    return absl::DataLossError(
        absl::StrCat("malformed feature log chunk of view ", view_name_));
  }
  report.bytes_after -= chunk.key.size() + chunk.value.size();
  if (drop.size() == parsed_.size()) {
    ++report.chunks_dropped;
    return absl::OkStatus();
  }
  size_t d = 0;
  for (uint32_t r = 0; r < parsed_.size(); ++r) {
    if (d < drop.size() && drop[d] == r) {
      ++d;
      continue;
    }
    builder_.Add(parsed_.event(r), parsed_.created(r), parsed_.row(r));
  }
  builder_.Finish(&rewritten_);
  ++report.chunks_rewritten;
  report.bytes_after += chunk.key.size() + rewritten_.size();
  if (pass_->sst != nullptr) {
    RETURN_IF_ERROR(
        internal::FromRocks(pass_->sst->Put(chunk.key, rewritten_), "writing SST file"));
  }
  ++pass_->puts;
  return absl::OkStatus();
}

// Opens the SST file the pass writes its trim to.
absl::Status OpenTrimFile(Store& store, TrimPass* pass) {
  internal::Db& db = DatabaseOf(store);
  rocksdb::ColumnFamilyHandle* log_cf = db.cf(Cf::kFeatureLog);
  pass->file.emplace(store, "trim");
  pass->sst = std::make_unique<rocksdb::SstFileWriter>(
      rocksdb::EnvOptions(), db.raw()->GetOptions(log_cf), log_cf);
  return internal::FromRocks(pass->sst->Open(pass->file->path()), "opening SST file");
}

// Reads `view`'s log under one snapshot and plans the trim to `horizon` into `pass`.
absl::Status ReadLog(Store& store, const FeatureTables& tables, const ResolvedView& view,
                     Micros horizon, const LogTrimOptions& options, TrimPass* pass) {
  LogTrimReport& report = pass->report;
  report.view = view.def.name();
  report.horizon = horizon;
  report.dry_run = options.dry_run;
  internal::Db& db = DatabaseOf(store);

  // Everything is read at one snapshot: the position says which ingests are
  // committed in it, and a committed ingest's rows are all written.
  const rocksdb::Snapshot* snapshot = db.raw()->GetSnapshot();
  absl::Cleanup release = [&] {
    if (snapshot != nullptr) db.raw()->ReleaseSnapshot(snapshot);
  };
  ASSIGN_OR_RETURN(report.at, tables.Position(snapshot));
  const FeatureLog log(db, snapshot, view.id, view.def.name());
  const uint64_t total = log.ApproximateBytes();
  if (view.id != 0) {
    if (!options.dry_run) RETURN_IF_ERROR(OpenTrimFile(store, pass));
    FeatureLog::ChunkScan scan = log.Chunks(report.at);
    EntityTrimmer trimmer(view.def.name(), horizon, report.at.pending, pass);
    std::string entity;
    uint64_t bytes_read = 0;
    const auto finish = [&]() -> absl::Status {
      ASSIGN_OR_RETURN(bool any, trimmer.Finish());
      if (any && options.progress) options.progress(bytes_read, std::max(total, bytes_read));
      return absl::OkStatus();
    };
    while (scan.Next()) {
      const size_t bytes = scan.key().size() + scan.value().size();
      bytes_read += bytes;
      report.bytes_before += bytes;
      if (scan.entity() != entity) {
        RETURN_IF_ERROR(finish());
        entity.assign(scan.entity().data(), scan.entity().size());
      }
      trimmer.Add(scan);
    }
    RETURN_IF_ERROR(scan.status());
    RETURN_IF_ERROR(finish());
  }
  report.bytes_after += report.bytes_before;
  return absl::OkStatus();
}

// Fills report->breaks (which of them an alias protects) and safe_horizon: the kept
// saved training sets that reproduce now and would not once the trim in `report`
// is recorded (docs/features.md, "Log retention and training sets").
absl::Status FindBrokenSets(Store& store, const FeatureStore& fs,
                            const FeatureTables& tables, const LogTrimOptions& options,
                            LogTrimReport* report) {
  ASSIGN_OR_RETURN(std::optional<LogHorizon> current, tables.Horizon(report->view));
  std::vector<std::string> expiring;
  if (options.expiring.has_value()) {
    expiring = *options.expiring;
  } else {
    ASSIGN_OR_RETURN(gc::RetentionReport plan, gc::PlanRetention(store, 0));
    for (const gc::ExpiredVersion& e : plan.deleted) expiring.push_back(e.version);
  }
  ASSIGN_OR_RETURN(std::vector<LogReader> readers,
                   KeptLogReaders(store, fs, report->view, current, expiring));
  // What the trim records (FeatureTables::RecordHorizon).
  LogHorizon after = current.value_or(LogHorizon());
  after.set_horizon_us(current.has_value()
                           ? std::max(current->horizon_us(), report->horizon)
                           : report->horizon);
  if (report->rows_dropped > 0) {
    after.set_position(report->at.position);
    after.clear_pending();
    for (uint64_t p : report->at.pending) after.add_pending(p);
  }
  Micros safe = report->horizon;
  for (const LogReader& reader : readers) {
    if (Reproduces(reader, after)) continue;
    BrokenTrainingSet& broken = report->breaks.emplace_back();
    broken.dataset = reader.dataset;
    ASSIGN_OR_RETURN(Ref ref, ParseRef(reader.dataset));
    ASSIGN_OR_RETURN(std::vector<KeptBy> kept,
                     store.artifacts().WhyKept(ref.artifact, ref.version));
    for (const KeptBy& k : kept) {
      if (k.aliases.empty()) continue;
      broken.protected_by = DescribeKeptBy(k);
      break;
    }
  }
  if (report->breaks.empty()) return absl::OkStatus();
  for (const LogReader& reader : readers) {
    safe = std::min(safe, LatestSafeHorizon(reader, report->at));
  }
  // Below the recorded horizon, a trim that drops rows still breaks some.
  if (safe != INT64_MIN && (!current.has_value() || safe >= current->horizon_us())) {
    report->safe_horizon = safe;
  }
  return absl::OkStatus();
}

// "a, b, c and 2 more".
std::string SomeOf(const std::vector<std::string>& names) {
  constexpr size_t kShown = 3;
  std::vector<std::string> shown(names.begin(),
                                 names.begin() + std::min(names.size(), kShown));
  std::string out = absl::StrJoin(shown, ", ");
  if (names.size() > kShown)
    absl::StrAppend(&out, " and ", names.size() - kShown, " more");
  return out;
}

// OK when the trim in `report` breaks no kept training set, or only unprotected ones
// and `force`; else FailedPrecondition naming them.
absl::Status RefuseBreaking(const LogTrimReport& report, bool force) {
  std::vector<std::string> aliased, unprotected;
  for (const BrokenTrainingSet& b : report.breaks) {
    if (b.protected_by.empty()) {
      unprotected.push_back(b.dataset);
    } else {
      aliased.push_back(absl::StrCat(b.dataset, " (kept by ", b.protected_by, ")"));
    }
  }
  const std::string what =
      absl::StrCat("trimming feature view ", report.view, "'s offline log to ",
                   FormatTimestamp(report.horizon), " would make ");
  const std::string safe = report.safe_horizon.has_value()
                               ? absl::StrCat("the latest horizon that breaks none is ",
                                              FormatTimestamp(*report.safe_horizon))
                               : "no horizon that drops rows breaks none";
  if (!aliased.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        what, "training sets an alias protects unreproducible: ", SomeOf(aliased), "; ",
        safe, "; --force does not override an alias: remove it first (strata alias rm)"));
  }
  if (force) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      what, Count(unprotected.size(), "kept training set"),
      " unreproducible: ", SomeOf(unprotected), "; ", safe,
      "; --force trims anyway (strata features trim --dry-run lists them all)"));
}

}  // namespace

absl::StatusOr<LogTrimReport> FeatureStore::TrimLog(const std::string& view_name,
                                                    Micros horizon,
                                                    const LogTrimOptions& options) {
  ASSIGN_OR_RETURN(auto view, views_->View(view_name, 0));
  const Micros now = internal::NowMicros();
  if (horizon > now) {
    return absl::InvalidArgumentError(
        absl::StrCat("retention horizon ", FormatTimestamp(horizon), " of feature view ",
                     view_name, " is in the future (now is ", FormatTimestamp(now), ")"));
  }
  std::lock_guard lock(trim_mu);
  auto pass = std::make_unique<TrimPass>();
  RETURN_IF_ERROR(ReadLog(*store_, *tables_, *view, horizon, options, pass.get()));
  RETURN_IF_ERROR(FindBrokenSets(*store_, *this, *tables_, options, &pass->report));
  if (!pass->report.breaks.empty()) {
    if (options.stop_at_safe_horizon) {
      LogTrimReport held = std::move(pass->report);
      pass = std::make_unique<TrimPass>();
      bool trimmable = held.safe_horizon.has_value();
      if (trimmable) {
        RETURN_IF_ERROR(ReadLog(*store_, *tables_, *view, *held.safe_horizon, options,
                                pass.get()));
        // An ingest committed since the first pass may have made it unsafe.
        RETURN_IF_ERROR(FindBrokenSets(*store_, *this, *tables_, options, &pass->report));
        trimmable = pass->report.breaks.empty();
      }
      if (!trimmable) {
        // Nothing is safe: measured, not trimmed.
        pass = std::make_unique<TrimPass>();
        pass->report = held;
        pass->report.skipped = true;
        pass->report.rows_dropped = pass->report.rows_kept_at_horizon = 0;
        pass->report.chunks_dropped = pass->report.chunks_rewritten = 0;
        pass->report.bytes_after = pass->report.bytes_before;
      }
      pass->report.breaks = std::move(held.breaks);
      pass->report.safe_horizon = held.safe_horizon;
      pass->report.requested_horizon = horizon;
      if (pass->report.skipped) return pass->report;
    } else if (!options.dry_run) {
      RETURN_IF_ERROR(RefuseBreaking(pass->report, options.force));
    }
  }
  LogTrimReport& report = pass->report;
  if (options.dry_run) return report;

  // The horizon first: from here on a retrieval before it is refused, whether or
  // not the file below made it in (a crash before it leaves the log whole, and
  // trimming again finishes the job).
  RETURN_IF_ERROR(
      tables_
          ->RecordHorizon(view_name, report.horizon, report.at, report.rows_dropped)
          .status());
  if (pass->tombstones + pass->puts > 0) {
    RETURN_IF_ERROR(internal::FromRocks(pass->sst->Finish(), "finishing SST file"));
    rocksdb::IngestExternalFileOptions ingest;
    ingest.move_files = true;
    internal::Db& db = DatabaseOf(*store_);
    RETURN_IF_ERROR(
        internal::FromRocks(db.raw()->IngestExternalFile(db.cf(Cf::kFeatureLog),
                                                         {pass->file->path()}, ingest),
                            "ingesting the trimmed log"));
  }
  return report;
}

}  // namespace strata::features
