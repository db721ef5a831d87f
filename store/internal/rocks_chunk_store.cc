#include "store/internal/rocks_chunk_store.h"

#include <mutex>
#include <shared_mutex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "rocksdb/write_batch.h"
#include "store/internal/rocks_status.h"
#include "store/status_macros.h"
#include "store/store.pb.h"

namespace strata::internal {
namespace {

// chunks CF value: codec (1 byte), raw size (4 bytes little-endian), payload.
constexpr size_t kHeader = 5;

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

 private:
  Db* db_;
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
