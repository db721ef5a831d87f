#include "store/internal/rocks_chunk_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "rocksdb/metadata.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"
#include "store/internal/rocks_status.h"
#include "store/status_macros.h"
#include "store/store.pb.h"

namespace strata::internal {
namespace {

// chunks CF value: codec (1 byte), raw size (4 bytes little-endian), payload.
constexpr size_t kHeader = 5;

// The time gc's grace period counts from: the later of the chunk's write and its
// last touch.
int64_t ReferenceMicros(const store::ChunkInfo& info) {
  return std::max(info.created_us(), info.referenced_us());
}

absl::Status MalformedRecord(const Digest& id) {
  return absl::DataLossError(absl::StrCat("the record of chunk ", id.Hex(), " is malformed"));
}

// Walks the chunk_meta CF, whose keys are the chunk ids.
class RocksChunkCursor : public ChunkCursor {
 public:
  explicit RocksChunkCursor(std::unique_ptr<Db::Cursor> it) : it_(std::move(it)) {
    Settle();
  }

  bool Valid() const override { return valid_; }
  void Next() override {
    it_->Next();
    Settle();
  }
  const Digest& id() const override { return id_; }
  absl::StatusOr<ChunkStat> Stat() const override {
    store::ChunkInfo info;
    const absl::string_view value = it_->value();
    if (!info.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      return MalformedRecord(id_);
    }
    return ChunkStat{id_, info.stored_size(), ReferenceMicros(info)};
  }
  absl::Status status() const override {
    return status_.ok() ? it_->status() : status_;
  }

 private:
  void Settle() {
    valid_ = it_->Valid();
    if (!valid_) return;
    if (it_->key().size() != 32) {
      status_ = absl::DataLossError("a chunk record's key is not a 32-byte chunk id");
      valid_ = false;
      return;
    }
    std::memcpy(id_.bytes.data(), it_->key().data(), 32);
  }

  std::unique_ptr<Db::Cursor> it_;
  bool valid_ = false;
  Digest id_;
  absl::Status status_;
};

// The rewrite reads the live blobs in key order, SHA-256 order, so at random
// across the files: with a cold page cache, one small synchronous read each (a
// cold gc of 1M chunks spent 29 s there against 6 s warm). Asks the kernel to read
// the files whole, sequentially, in the background first, when they fit in half
// of the free memory; otherwise, or if the advice fails, nothing changes.
void PrefetchBlobFiles(const std::vector<rocksdb::BlobMetaData>& files) {
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

// The invariant every path keeps: a chunk_meta record exists only for a chunk whose
// bytes are durable, or will be with the same WAL sync. Contains() reads chunk_meta,
// so nothing can deduplicate against bytes a crash could still lose.
//
// - Logged writes put bytes and meta in one WAL batch: both or neither survive.
// - Deferred writes put only the bytes, without WAL; their meta records wait in
//   `pending_meta_` until Sync() has flushed the chunks CF to blob and table files,
//   and are then written through the WAL.
class RocksChunkStore : public ChunkStore {
 public:
  explicit RocksChunkStore(Db* db) : db_(db) {}

  absl::Status Sync() override {
    // Syncs run one at a time: a caller whose records another Sync took waits here
    // until that Sync has flushed them and written their meta.
    std::lock_guard sync(sync_mu_);
    if (unsynced_deletes_.exchange(false)) {
      RETURN_IF_ERROR(FromRocks(db_->raw()->FlushWAL(/*sync=*/true), "syncing deletes"));
    }
    std::vector<std::pair<std::string, std::string>> meta;
    {
      // Exclusive: every deferred write that began before this point has finished,
      // so its bytes are in the memtable the flush below persists.
      std::unique_lock gate(gate_);
      std::lock_guard lock(mu_);
      meta.swap(pending_meta_);
    }
    if (meta.empty()) return absl::OkStatus();
    rocksdb::FlushOptions options;
    options.wait = true;
    options.allow_write_stall = true;
    RETURN_IF_ERROR(
        FromRocks(db_->raw()->Flush(options, db_->cf(Cf::kChunks)), "flush chunks"));
    rocksdb::WriteBatch batch;
    for (const auto& [key, value] : meta) batch.Put(db_->cf(Cf::kChunkMeta), key, value);
    return db_->WriteUnlocked(&batch, /*sync=*/false);
  }

  absl::StatusOr<bool> Contains(const Digest& id) override {
    std::string value;
    rocksdb::Status s = db_->raw()->Get(rocksdb::ReadOptions(), db_->cf(Cf::kChunkMeta),
                                        ToSlice(id.Raw()), &value);
    if (s.IsNotFound()) return false;
    if (!s.ok()) return FromRocks(s, "chunk lookup");
    return true;
  }

  absl::Status PutMany(const std::vector<EncodedChunk>& chunks,
                       Durability durability) override {
    // One batch per thread, cleared and reused: Clear() keeps its buffer, and a
    // fresh multi-MB batch per call cost most of a put's page faults.
    thread_local rocksdb::WriteBatch batch;
    batch.Clear();
    const bool logged = durability == Durability::kLogged;
    std::vector<std::pair<std::string, std::string>> deferred_meta;
    const int64_t now = absl::ToUnixMicros(absl::Now());
    for (const auto& c : chunks) {
      char header[kHeader];
      header[0] = static_cast<char>(c.codec);
      for (int i = 0; i < 4; ++i) {
        header[1 + i] = static_cast<char>((c.raw_size >> (8 * i)) & 0xff);
      }
      const rocksdb::Slice key = ToSlice(c.id.Raw());
      const rocksdb::Slice value_parts[] = {rocksdb::Slice(header, kHeader),
                                            ToSlice(c.payload)};
      batch.Put(db_->cf(Cf::kChunks), rocksdb::SliceParts(&key, 1),
                rocksdb::SliceParts(value_parts, 2));
      store::ChunkInfo info;
      info.set_raw_size(c.raw_size);
      info.set_stored_size(static_cast<uint32_t>(c.payload.size()));
      info.set_codec(static_cast<store::ChunkCodec>(c.codec));
      info.set_created_us(now);
      if (logged) {
        batch.Put(db_->cf(Cf::kChunkMeta), key, info.SerializeAsString());
      } else {
        deferred_meta.emplace_back(std::string(c.id.Raw()), info.SerializeAsString());
      }
    }
    if (logged) return db_->WriteUnlocked(&batch, /*sync=*/false);

    std::shared_lock gate(gate_);
    rocksdb::WriteOptions wo;
    wo.disableWAL = true;
    rocksdb::TransactionDBWriteOptimizations opt;
    opt.skip_concurrency_control = true;
    opt.skip_duplicate_key_check = true;
    RETURN_IF_ERROR(FromRocks(db_->raw()->Write(wo, opt, &batch), "write chunks"));
    std::lock_guard lock(mu_);
    for (auto& m : deferred_meta) pending_meta_.push_back(std::move(m));
    return absl::OkStatus();
  }

  absl::Status Read(const Digest& id, EncodedChunk* out) override {
    rocksdb::PinnableSlice value;
    // ContentStore verifies every chunk's SHA-256, which catches everything a CRC
    // would; and Debian's RocksDB computes CRC32C in software (no SSE4.2), which cost
    // a third of a get's CPU.
    rocksdb::ReadOptions read;
    read.verify_checksums = false;
    rocksdb::Status s =
        db_->raw()->Get(read, db_->cf(Cf::kChunks), ToSlice(id.Raw()), &value);
    if (s.IsNotFound()) {
      return absl::NotFoundError(absl::StrCat("chunk ", id.Hex(), " is missing"));
    }
    if (!s.ok()) return FromRocks(s, absl::StrCat("reading chunk ", id.Hex()));
    if (value.size() < kHeader || static_cast<uint8_t>(value.data()[0]) > 1) {
      return absl::DataLossError(
          absl::StrCat("chunk ", id.Hex(), " has a malformed record"));
    }
    out->id = id;
    out->codec = static_cast<ChunkCodec>(value.data()[0]);
    out->raw_size = 0;
    for (int i = 0; i < 4; ++i) {
      out->raw_size |= static_cast<uint32_t>(static_cast<uint8_t>(value.data()[1 + i]))
                       << (8 * i);
    }
    out->payload.assign(value.data() + kHeader, value.size() - kHeader);
    return absl::OkStatus();
  }

  std::unique_ptr<ChunkCursor> Scan() override {
    return std::make_unique<RocksChunkCursor>(db_->Scan(Cf::kChunkMeta, ""));
  }

  absl::StatusOr<std::vector<std::optional<ChunkStat>>> StatMany(
      const std::vector<Digest>& ids) override {
    ASSIGN_OR_RETURN(auto records, db_->MultiGet(Cf::kChunkMeta, Keys(ids)));
    std::vector<std::optional<ChunkStat>> out(ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      store::ChunkInfo info;
      if (!records[i].has_value() || !info.ParseFromString(*records[i])) continue;
      out[i] = ChunkStat{ids[i], info.stored_size(), ReferenceMicros(info)};
    }
    return out;
  }

  absl::StatusOr<std::vector<bool>> Touch(const std::vector<Digest>& ids) override {
    const std::vector<std::string> keys = Keys(ids);
    ASSIGN_OR_RETURN(auto metas, db_->MultiGet(Cf::kChunkMeta, keys));
    const int64_t now = absl::ToUnixMicros(absl::Now());
    std::vector<bool> stored(ids.size());
    rocksdb::WriteBatch touch;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (!metas[i].has_value()) continue;
      store::ChunkInfo info;
      if (!info.ParseFromString(*metas[i])) return MalformedRecord(ids[i]);
      stored[i] = true;
      info.set_referenced_us(now);
      touch.Put(db_->cf(Cf::kChunkMeta), ToSlice(keys[i]), info.SerializeAsString());
    }
    if (touch.Count() > 0) RETURN_IF_ERROR(db_->WriteUnlocked(&touch, /*sync=*/false));
    return stored;
  }

  absl::Status Delete(const std::vector<Digest>& ids) override {
    rocksdb::WriteBatch batch;
    for (const Digest& id : ids) {
      batch.Delete(db_->cf(Cf::kChunks), ToSlice(id.Raw()));
      batch.Delete(db_->cf(Cf::kChunkMeta), ToSlice(id.Raw()));
    }
    RETURN_IF_ERROR(db_->WriteUnlocked(&batch, /*sync=*/false));
    unsynced_deletes_ = true;
    return absl::OkStatus();
  }

  // Compacts the chunk index so compaction drops the deleted chunks and counts
  // their blobs as garbage (blob files holding only garbage are deleted), then
  // rewrites the longest run of oldest blob files whose bytes are at least half
  // garbage. RocksDB picks files for blob garbage collection by age only.
  absl::StatusOr<uint64_t> Reclaim(const ReclaimProgress& progress) override {
    const auto report = [&](uint64_t done) {
      if (progress) progress(done, 3);
    };
    rocksdb::DB* raw = db_->raw();
    rocksdb::CompactRangeOptions plain;
    plain.blob_garbage_collection_policy = rocksdb::BlobGarbageCollectionPolicy::kDisable;
    plain.bottommost_level_compaction =
        rocksdb::BottommostLevelCompaction::kForceOptimized;
    report(0);
    // Only the chunks table: the chunk records and manifests gc deleted are small,
    // and RocksDB's own compactions drop their tombstones.
    RETURN_IF_ERROR(
        FromRocks(raw->CompactRange(plain, db_->cf(Cf::kChunks), nullptr, nullptr),
                  "gc compaction"));
    report(1);

    rocksdb::ColumnFamilyMetaData meta;
    raw->GetColumnFamilyMetaData(db_->cf(Cf::kChunks), &meta);
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
    report(2);
    uint64_t rewritten = 0;
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
      RETURN_IF_ERROR(
          FromRocks(raw->CompactRange(force, db_->cf(Cf::kChunks), nullptr, nullptr),
                    "gc blob garbage collection"));
      rewritten = live_at_rewrite;
    }
    report(3);
    return rewritten;
  }

  uint64_t ApproximateCount() override {
    uint64_t n = 0;
    db_->raw()->GetIntProperty(db_->cf(Cf::kChunkMeta), "rocksdb.estimate-num-keys", &n);
    return n;
  }

 private:
  static std::vector<std::string> Keys(const std::vector<Digest>& ids) {
    std::vector<std::string> keys;
    keys.reserve(ids.size());
    for (const Digest& id : ids) keys.emplace_back(id.Raw());
    return keys;
  }

  Db* db_;
  std::atomic<bool> unsynced_deletes_{false};  // a Delete since the last Sync
  std::mutex sync_mu_;      // one Sync at a time
  std::shared_mutex gate_;  // deferred writes shared, Sync's hand-over exclusive
  std::mutex mu_;           // guards pending_meta_
  std::vector<std::pair<std::string, std::string>> pending_meta_;  // chunk id, ChunkInfo
};

}  // namespace

std::unique_ptr<ChunkStore> NewRocksChunkStore(Db* db) {
  return std::make_unique<RocksChunkStore>(db);
}

}  // namespace strata::internal
