#include "gc/gc.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "rocksdb/metadata.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"
#include "store/digest.h"
#include "store/internal/db.h"
#include "store/internal/records.h"
#include "store/internal/rocks_status.h"
#include "store/json_writer.h"
#include "store/status_macros.h"

namespace strata::gc {
namespace {

using internal::Cf;

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

uint64_t EstimateKeys(const internal::Db& db, Cf cf) {
  uint64_t n = 0;
  db.raw()->GetIntProperty(db.cf(cf), "rocksdb.estimate-num-keys", &n);
  return n;
}

class Collector {
 public:
  Collector(Store& store, const GcOptions& options)
      : store_(store), db_(store.internal_db()), options_(options) {}

  absl::StatusOr<GcReport> Run() {
    report_.dry_run = options_.dry_run;
    report_.grace = options_.grace;
    report_.disk_bytes_before = store_.ApproximateSizeBytes();
    cutoff_us_ = internal::NowMicros() - absl::ToInt64Microseconds(options_.grace);
    // The session begins before anything is read: a writer that references an
    // object after this point is seen by the sweep, one that finished before has
    // written what the mark reads.
    if (!options_.dry_run) {
      ASSIGN_OR_RETURN(session_, db_.gc_gate().BeginSession());
    }

    RETURN_IF_ERROR(MarkLiveContents());
    RETURN_IF_ERROR(MarkManifests());
    RETURN_IF_ERROR(FindGarbageChunks());
    if (options_.after_mark) options_.after_mark();
    if (!options_.dry_run) {
      RETURN_IF_ERROR(SweepManifests());
      RETURN_IF_ERROR(SweepChunks());
      RETURN_IF_ERROR(internal::FromRocks(db_.raw()->FlushWAL(/*sync=*/true), "gc sync"));
      session_.reset();
      if (options_.reclaim && (report_.chunks_freed > 0 || report_.manifests_freed > 0)) {
        RETURN_IF_ERROR(Reclaim());
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
    mark_total_ = EstimateKeys(db_, Cf::kVersions) + EstimateKeys(db_, Cf::kManifests) +
                  EstimateKeys(db_, Cf::kChunkMeta);
    auto it = db_.Scan(Cf::kVersions, "");
    for (; it->Valid(); it->Next()) {
      ASSIGN_OR_RETURN(auto v,
                       internal::ParseRecord<store::Version>(it->value(), "version"));
      ++report_.versions;
      if (v.has_deleted()) {
        ++report_.deleted_versions;
      } else if (v.content_id().size() == 32) {
        live_contents_.insert(DigestAt(v.content_id()));
      }
      if (++mark_done_ % 65536 == 0) Progress("mark", mark_done_, mark_total_);
    }
    return it->status();
  }

  // The chunks of every manifest that a live version names or that is young; the
  // other manifests are garbage.
  absl::Status MarkManifests() {
    auto it = db_.Scan(Cf::kManifests, "");
    for (; it->Valid(); it->Next()) {
      if (it->key().size() != 32) {
        return absl::DataLossError("a manifest key is not a 32-byte content id");
      }
      const Digest id = DigestAt(it->key());
      ++report_.manifests;
      if (++mark_done_ % 4096 == 0) Progress("mark", mark_done_, mark_total_);
      store::Manifest m;
      if (!m.ParseFromArray(it->value().data(), static_cast<int>(it->value().size())) ||
          m.chunk_ids().size() % 32 != 0) {
        return absl::DataLossError(
            absl::StrCat("manifest of sha256:", id.Hex(), " is malformed"));
      }
      if (!live_contents_.contains(id)) {
        if (m.created_us() < cutoff_us_) {
          garbage_manifests_.push_back(id);
          continue;
        }
        ++report_.manifests_young;
      }
      const absl::string_view ids = m.chunk_ids();
      for (size_t off = 0; off < ids.size(); off += 32) {
        live_chunks_.push_back(DigestAt(ids.substr(off, 32)));
      }
    }
    RETURN_IF_ERROR(it->status());
    report_.manifests_found = garbage_manifests_.size();
    std::sort(live_chunks_.begin(), live_chunks_.end());
    live_chunks_.erase(std::unique(live_chunks_.begin(), live_chunks_.end()),
                       live_chunks_.end());
    return absl::OkStatus();
  }

  // Walks the chunk records (in id order) beside the sorted live ids.
  absl::Status FindGarbageChunks() {
    auto it = db_.Scan(Cf::kChunkMeta, "");
    size_t live = 0;
    for (; it->Valid(); it->Next()) {
      if (it->key().size() != 32) {
        return absl::DataLossError("a chunk record's key is not a 32-byte chunk id");
      }
      const Digest id = DigestAt(it->key());
      ++report_.chunks;
      if (++mark_done_ % 65536 == 0) Progress("mark", mark_done_, mark_total_);
      while (live < live_chunks_.size() && live_chunks_[live] < id) ++live;
      if (live < live_chunks_.size() && live_chunks_[live] == id) {
        ++report_.chunks_live;
        continue;
      }
      store::ChunkInfo info;
      if (!info.ParseFromArray(it->value().data(),
                               static_cast<int>(it->value().size()))) {
        return absl::DataLossError(
            absl::StrCat("the record of chunk ", id.Hex(), " is malformed"));
      }
      if (Young(info)) {
        ++report_.chunks_young;
        continue;
      }
      candidates_.push_back({id, info.stored_size()});
      report_.bytes_found += info.stored_size();
    }
    RETURN_IF_ERROR(it->status());
    report_.chunks_found = candidates_.size();
    Progress("mark", mark_done_, mark_done_);
    live_chunks_ = {};  // the sweep asks the session and the records again
    return absl::OkStatus();
  }

  bool Young(const store::ChunkInfo& info) const {
    return std::max(info.created_us(), info.referenced_us()) >= cutoff_us_;
  }

  // Deletes garbage manifests first: a commit that checks a manifest after this
  // finds it gone and refuses, so no version can name a chunk swept next.
  absl::Status SweepManifests() {
    for (size_t begin = 0; begin < garbage_manifests_.size(); begin += kSweepBatch) {
      const size_t end = std::min(garbage_manifests_.size(), begin + kSweepBatch);
      rocksdb::WriteBatch batch;
      const auto hold = session_->Exclusive();
      for (size_t i = begin; i < end; ++i) {
        const Digest& id = garbage_manifests_[i];
        if (session_->ContentKept(id)) continue;
        batch.Delete(db_.cf(Cf::kManifests), internal::ToSlice(id.Raw()));
        ++report_.manifests_freed;
      }
      RETURN_IF_ERROR(db_.WriteUnlocked(&batch, /*sync=*/false));
    }
    return absl::OkStatus();
  }

  // Adds the chunks of contents that writers referenced since the mark (a commit of
  // a manifest the mark found unnamed, a put of content gc was about to free).
  // REQUIRES: the session's exclusive lock.
  absl::Status KeepNewContents() {
    for (const Digest& content : session_->TakeNewContents()) {
      ASSIGN_OR_RETURN(auto m, internal::ReadRecord<store::Manifest>(
                                   db_, Cf::kManifests, content.Raw(), "manifest"));
      if (!m.has_value()) continue;
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
    std::vector<std::string> keys;
    for (size_t begin = 0; begin < candidates_.size(); begin += kSweepBatch) {
      const size_t end = std::min(candidates_.size(), begin + kSweepBatch);
      keys.clear();
      for (size_t i = begin; i < end; ++i) keys.emplace_back(candidates_[i].id.Raw());
      rocksdb::WriteBatch batch;
      {
        const auto hold = session_->Exclusive();
        RETURN_IF_ERROR(KeepNewContents());
        ASSIGN_OR_RETURN(auto records, db_.MultiGet(Cf::kChunkMeta, keys));
        for (size_t i = begin; i < end; ++i) {
          const Candidate& c = candidates_[i];
          const auto& record = records[i - begin];
          store::ChunkInfo info;
          const bool keep = !record.has_value() || !info.ParseFromString(*record) ||
                            Young(info) || kept_late_.contains(c.id) ||
                            session_->ChunkKept(c.id);
          if (keep) {
            ++report_.chunks_kept;
            continue;
          }
          batch.Delete(db_.cf(Cf::kChunks), internal::ToSlice(c.id.Raw()));
          batch.Delete(db_.cf(Cf::kChunkMeta), internal::ToSlice(c.id.Raw()));
          ++report_.chunks_freed;
          report_.bytes_freed += c.stored_size;
        }
        RETURN_IF_ERROR(db_.WriteUnlocked(&batch, /*sync=*/false));
      }
      Progress("sweep", end, candidates_.size());
    }
    return absl::OkStatus();
  }

  // Compacts the chunk index so compaction drops the deleted chunks and counts
  // their blobs as garbage (blob files holding only garbage are deleted), then
  // rewrites the longest run of oldest blob files whose bytes are at least half
  // garbage. RocksDB picks files for blob garbage collection by age only.
  absl::Status Reclaim() {
    rocksdb::DB* raw = db_.raw();
    rocksdb::CompactRangeOptions plain;
    plain.blob_garbage_collection_policy = rocksdb::BlobGarbageCollectionPolicy::kDisable;
    plain.bottommost_level_compaction =
        rocksdb::BottommostLevelCompaction::kForceOptimized;
    Progress("reclaim", 0, 3);
    // Only the chunks table: the chunk records and manifests gc deleted are small,
    // and RocksDB's own compactions drop their tombstones.
    RETURN_IF_ERROR(internal::FromRocks(
        raw->CompactRange(plain, db_.cf(Cf::kChunks), nullptr, nullptr),
        "gc compaction"));
    Progress("reclaim", 1, 3);

    rocksdb::ColumnFamilyMetaData meta;
    raw->GetColumnFamilyMetaData(db_.cf(Cf::kChunks), &meta);
    std::vector<rocksdb::BlobMetaData> files = meta.blob_files;
    std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
      return a.blob_file_number < b.blob_file_number;
    });
    size_t rewrite = 0;
    uint64_t garbage = 0, live = 0, live_at_rewrite = 0;
    for (size_t i = 0; i < files.size(); ++i) {
      garbage += files[i].garbage_blob_bytes;
      live += files[i].total_blob_bytes - files[i].garbage_blob_bytes;
      if (garbage > 0 && garbage >= live) {
        rewrite = i + 1;
        live_at_rewrite = live;
      }
    }
    Progress("reclaim", 2, 3);
    if (rewrite > 0) {
      rocksdb::CompactRangeOptions force;
      force.blob_garbage_collection_policy = rocksdb::BlobGarbageCollectionPolicy::kForce;
      // RocksDB collects the files in the oldest `cutoff` fraction of all blob
      // files: the half keeps the float product from rounding below `rewrite`.
      force.blob_garbage_collection_age_cutoff =
          rewrite == files.size() ? 1.0 : (rewrite + 0.5) / files.size();
      force.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
      PrefetchBlobFiles(
          std::vector<rocksdb::BlobMetaData>(files.begin(), files.begin() + rewrite));
      RETURN_IF_ERROR(internal::FromRocks(
          raw->CompactRange(force, db_.cf(Cf::kChunks), nullptr, nullptr),
          "gc blob garbage collection"));
      report_.bytes_rewritten = live_at_rewrite;
    }
    Progress("reclaim", 3, 3);
    return absl::OkStatus();
  }

  // The rewrite reads the live blobs in key order, SHA-256 order, so at random
  // across the files: with a cold page cache, one small synchronous read each (a
  // cold gc of 1M chunks spent 29 s there against 6 s warm). Asks the kernel to read
  // the files whole, sequentially, in the background first, when they fit in half
  // of the free memory; otherwise, or if the advice fails, nothing changes.
  static void PrefetchBlobFiles(const std::vector<rocksdb::BlobMetaData>& files) {
    uint64_t bytes = 0;
    for (const auto& f : files) bytes += f.blob_file_size;
    const long pages = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0 || bytes > uint64_t(pages) * uint64_t(page) / 2) return;
    constexpr size_t kBlock = 4 << 20;
    std::unique_ptr<char[]> buffer(new char[kBlock]);
    for (const auto& f : files) {
      std::string path = f.blob_file_path;
      if (!absl::StartsWith(f.blob_file_name, "/")) path += "/";
      path += f.blob_file_name;
      const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
      while (::read(fd, buffer.get(), kBlock) > 0) {
      }
      ::close(fd);
    }
  }

  Store& store_;
  internal::Db& db_;
  const GcOptions& options_;
  GcReport report_;
  int64_t cutoff_us_ = 0;
  std::unique_ptr<internal::GcGate::Session> session_;
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
