#include "gc/gc.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "store/digest.h"
#include "store/json_writer.h"
#include "store/status_macros.h"

namespace strata::gc {
namespace {

// Deletions per batch. Each batch holds writers' next chunk lookups for the time it
// takes to read and delete this many records (a few ms).
constexpr size_t kSweepBatch = 4096;

Digest DigestAt(absl::string_view raw32) {
  Digest d;
  std::memcpy(d.bytes.data(), raw32.data(), 32);
  return d;
}

// A chunk that nothing named at mark time.
struct Candidate {
  Digest id;
  uint32_t stored_size = 0;
};

class Collector {
 public:
  Collector(Store& store, const GcOptions& options)
      : store_(store),
        chunks_(store.chunks()),
        content_(store.content()),
        options_(options) {}

  absl::StatusOr<GcReport> Run() {
    report_.dry_run = options_.dry_run;
    report_.grace = options_.grace;
    report_.disk_bytes_before = store_.ApproximateSizeBytes();
    cutoff_us_ = absl::ToUnixMicros(absl::Now()) - absl::ToInt64Microseconds(options_.grace);
    // The session begins before anything is read: a writer that references an
    // object after this point is seen by the sweep, one that finished before has
    // written what the mark reads.
    if (!options_.dry_run) {
      ASSIGN_OR_RETURN(session_, store_.gc_gate().BeginSession());
    }

    RETURN_IF_ERROR(MarkLiveContents());
    RETURN_IF_ERROR(MarkManifests());
    RETURN_IF_ERROR(FindGarbageChunks());
    if (options_.after_mark) options_.after_mark();
    if (!options_.dry_run) {
      RETURN_IF_ERROR(SweepManifests());
      RETURN_IF_ERROR(SweepChunks());
      RETURN_IF_ERROR(chunks_.Sync());  // the deletes are durable
      session_.reset();
      if (options_.reclaim && (report_.chunks_freed > 0 || report_.manifests_freed > 0)) {
        ASSIGN_OR_RETURN(report_.bytes_rewritten,
                         chunks_.Reclaim([this](uint64_t done, uint64_t total) {
                           Progress("reclaim", done, total);
                         }));
      }
    }
    report_.disk_bytes_after = store_.ApproximateSizeBytes();
    return report_;
  }

 private:
  void Progress(absl::string_view phase, uint64_t done, uint64_t total) {
    if (options_.progress) options_.progress(phase, done, std::max(done, total));
  }

  // Every live version's content id.
  absl::Status MarkLiveContents() {
    mark_total_ = store_.artifacts().ApproximateVersionCount() +
                  content_.ApproximateManifestCount() + chunks_.ApproximateCount();
    return store_.artifacts().ScanVersions([this](const store::Version& v) {
      ++report_.versions;
      if (v.has_deleted()) {
        ++report_.deleted_versions;
      } else if (v.content_id().size() == 32) {
        live_contents_.insert(DigestAt(v.content_id()));
      }
      if (++mark_done_ % 65536 == 0) Progress("mark", mark_done_, mark_total_);
      return absl::OkStatus();
    });
  }

  // The chunks of every manifest that a live version names or that is young; the
  // other manifests are garbage.
  absl::Status MarkManifests() {
    RETURN_IF_ERROR(content_.ScanManifests([this](const Digest& id,
                                                  const store::Manifest& m) {
      ++report_.manifests;
      if (++mark_done_ % 4096 == 0) Progress("mark", mark_done_, mark_total_);
      if (!live_contents_.contains(id)) {
        if (m.created_us() < cutoff_us_) {
          garbage_manifests_.push_back(id);
          return absl::OkStatus();
        }
        ++report_.manifests_young;
      }
      const absl::string_view ids = m.chunk_ids();
      for (size_t off = 0; off < ids.size(); off += 32) {
        live_chunks_.push_back(DigestAt(ids.substr(off, 32)));
      }
      return absl::OkStatus();
    }));
    report_.manifests_found = garbage_manifests_.size();
    std::sort(live_chunks_.begin(), live_chunks_.end());
    live_chunks_.erase(std::unique(live_chunks_.begin(), live_chunks_.end()),
                       live_chunks_.end());
    return absl::OkStatus();
  }

  // Walks the chunk records (in id order) beside the sorted live ids.
  absl::Status FindGarbageChunks() {
    auto it = chunks_.Scan();
    size_t live = 0;
    for (; it->Valid(); it->Next()) {
      const Digest& id = it->id();
      ++report_.chunks;
      if (++mark_done_ % 65536 == 0) Progress("mark", mark_done_, mark_total_);
      while (live < live_chunks_.size() && live_chunks_[live] < id) ++live;
      if (live < live_chunks_.size() && live_chunks_[live] == id) {
        ++report_.chunks_live;
        continue;
      }
      ASSIGN_OR_RETURN(const ChunkStat stat, it->Stat());
      if (Young(stat)) {
        ++report_.chunks_young;
        continue;
      }
      candidates_.push_back({id, stat.stored_size});
      report_.bytes_found += stat.stored_size;
    }
    RETURN_IF_ERROR(it->status());
    report_.chunks_found = candidates_.size();
    Progress("mark", mark_done_, mark_done_);
    live_chunks_ = {};  // the sweep asks the session and the records again
    return absl::OkStatus();
  }

  bool Young(const ChunkStat& stat) const { return stat.reference_us >= cutoff_us_; }

  // Deletes garbage manifests first: a commit that checks a manifest after this
  // finds it gone and refuses, so no version can name a chunk swept next.
  absl::Status SweepManifests() {
    for (size_t begin = 0; begin < garbage_manifests_.size(); begin += kSweepBatch) {
      const size_t end = std::min(garbage_manifests_.size(), begin + kSweepBatch);
      std::vector<Digest> batch;
      const auto hold = session_->Exclusive();
      for (size_t i = begin; i < end; ++i) {
        const Digest& id = garbage_manifests_[i];
        if (session_->ContentKept(id)) continue;
        batch.push_back(id);
        ++report_.manifests_freed;
      }
      // The last batch is synced, so every manifest delete is durable.
      RETURN_IF_ERROR(content_.DeleteManifests(batch, /*sync=*/end == garbage_manifests_.size()));
    }
    return absl::OkStatus();
  }

  // Adds the chunks of contents that writers referenced since the mark (a commit of
  // a manifest the mark found unnamed, a put of content gc was about to free).
  // REQUIRES: the session's exclusive lock.
  absl::Status KeepNewContents() {
    for (const Digest& content : session_->TakeNewContents()) {
      absl::StatusOr<store::Manifest> m = content_.ReadManifest(content);
      if (absl::IsNotFound(m.status())) continue;
      RETURN_IF_ERROR(m.status());
      const absl::string_view ids = m->chunk_ids();
      for (size_t off = 0; off + 32 <= ids.size(); off += 32) {
        kept_late_.insert(DigestAt(ids.substr(off, 32)));
      }
    }
    return absl::OkStatus();
  }

  // Deletes each candidate still unnamed and old, re-checked under the exclusive
  // lock: its record (a touch by an upload makes it young) and the session (a
  // writer's reference keeps it).
  absl::Status SweepChunks() {
    std::vector<Digest> ids, doomed;
    for (size_t begin = 0; begin < candidates_.size(); begin += kSweepBatch) {
      const size_t end = std::min(candidates_.size(), begin + kSweepBatch);
      ids.clear();
      doomed.clear();
      for (size_t i = begin; i < end; ++i) ids.push_back(candidates_[i].id);
      {
        const auto hold = session_->Exclusive();
        RETURN_IF_ERROR(KeepNewContents());
        ASSIGN_OR_RETURN(auto stats, chunks_.StatMany(ids));
        for (size_t i = begin; i < end; ++i) {
          const Candidate& c = candidates_[i];
          const auto& stat = stats[i - begin];
          const bool keep = !stat.has_value() || Young(*stat) ||
                            kept_late_.contains(c.id) || session_->ChunkKept(c.id);
          if (keep) {
            ++report_.chunks_kept;
            continue;
          }
          doomed.push_back(c.id);
          ++report_.chunks_freed;
          report_.bytes_freed += c.stored_size;
        }
        RETURN_IF_ERROR(chunks_.Delete(doomed));
      }
      Progress("sweep", end, candidates_.size());
    }
    return absl::OkStatus();
  }

  Store& store_;
  ChunkStore& chunks_;
  ContentStore& content_;
  const GcOptions& options_;
  GcReport report_;
  int64_t cutoff_us_ = 0;
  std::unique_ptr<GcGate::Session> session_;
  uint64_t mark_done_ = 0, mark_total_ = 0;
  absl::flat_hash_set<Digest> live_contents_;
  std::vector<Digest> live_chunks_;  // sorted, distinct
  std::vector<Digest> garbage_manifests_;
  std::vector<Candidate> candidates_;  // in id order
  absl::flat_hash_set<Digest> kept_late_;
};

}  // namespace

absl::StatusOr<GcReport> CollectGarbage(Store& store, const GcOptions& options) {
  if (options.grace < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("the grace period cannot be negative");
  }
  return Collector(store, options).Run();
}

std::vector<std::pair<absl::string_view, uint64_t*>> GcReportCounters(GcReport& r) {
  return {
      {"versions", &r.versions},
      {"deleted_versions", &r.deleted_versions},
      {"manifests", &r.manifests},
      {"manifests_young", &r.manifests_young},
      {"manifests_found", &r.manifests_found},
      {"manifests_freed", &r.manifests_freed},
      {"chunks", &r.chunks},
      {"chunks_live", &r.chunks_live},
      {"chunks_young", &r.chunks_young},
      {"chunks_found", &r.chunks_found},
      {"bytes_found", &r.bytes_found},
      {"chunks_freed", &r.chunks_freed},
      {"bytes_freed", &r.bytes_freed},
      {"chunks_kept", &r.chunks_kept},
      {"bytes_rewritten", &r.bytes_rewritten},
      {"disk_bytes_before", &r.disk_bytes_before},
      {"disk_bytes_after", &r.disk_bytes_after},
  };
}

}  // namespace strata::gc
