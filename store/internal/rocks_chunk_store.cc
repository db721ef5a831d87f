#include "store/internal/rocks_chunk_store.h"

#include <algorithm>
#include <mutex>
#include <shared_mutex>

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

class RocksChunkStore : public ChunkStore {
 public:
  explicit RocksChunkStore(Db* db) : db_(db) {}

  // Deferred writes skip the WAL; Sync() flushes the chunk CFs so they reach blob
  // and table files. The gate orders the two: deferred writes hold it shared while
  // they run, and Sync() takes it exclusively, so every deferred write that
  // finished before Sync() began (any chunk Contains() could have reported) is in
  // the memtable that its flush persists.
  absl::Status Sync() override {
    uint64_t target;
    {
      std::unique_lock gate(gate_);
      std::lock_guard lock(mu_);
      if (deferred_written_ == flushed_through_ && flush_started_ == flush_done_) {
        return absl::OkStatus();
      }
      target = deferred_written_;
      ++flush_started_;
    }
    rocksdb::FlushOptions options;
    options.wait = true;
    options.allow_write_stall = true;
    // Deferred batches write chunk_meta too: both column families are flushed.
    absl::Status s = FromRocks(
        db_->raw()->Flush(options, {db_->cf(Cf::kChunks), db_->cf(Cf::kChunkMeta)}),
        "flush chunks");
    std::lock_guard lock(mu_);
    ++flush_done_;
    // A flush covers whatever was written before it began; concurrent Syncs may
    // finish out of order, so only a completed flush advances the mark.
    if (s.ok()) flushed_through_ = std::max(flushed_through_, target);
    return s;
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
    const int64_t now = absl::ToUnixMicros(absl::Now());
    for (const auto& c : chunks) {
      char header[kHeader];
      header[0] = static_cast<char>(c.codec);
      for (int i = 0; i < 4; ++i)
        header[1 + i] = static_cast<char>((c.raw_size >> (8 * i)) & 0xff);
      const rocksdb::Slice key = ToSlice(c.id.Raw());
      const rocksdb::Slice value_parts[] = {rocksdb::Slice(header, kHeader),
                                            ToSlice(c.payload)};
      store::ChunkInfo info;
      info.set_raw_size(c.raw_size);
      info.set_stored_size(static_cast<uint32_t>(c.payload.size()));
      info.set_codec(static_cast<store::ChunkCodec>(c.codec));
      info.set_created_us(now);
      batch.Put(db_->cf(Cf::kChunks), rocksdb::SliceParts(&key, 1),
                rocksdb::SliceParts(value_parts, 2));
      batch.Put(db_->cf(Cf::kChunkMeta), key, info.SerializeAsString());
    }
    if (durability == Durability::kLogged)
      return db_->WriteUnlocked(&batch, /*sync=*/false);
    std::shared_lock gate(gate_);
    rocksdb::WriteOptions wo;
    wo.disableWAL = true;
    rocksdb::TransactionDBWriteOptimizations opt;
    opt.skip_concurrency_control = true;
    opt.skip_duplicate_key_check = true;
    {
      // Counted before the write is visible, so a Sync that could see it flushes.
      std::lock_guard lock(mu_);
      ++deferred_written_;
    }
    return FromRocks(db_->raw()->Write(wo, opt, &batch), "write chunks");
  }

  absl::StatusOr<EncodedChunk> Get(const Digest& id) override {
    rocksdb::PinnableSlice value;
    // ContentStore verifies every chunk's SHA-256, which catches everything a CRC
    // would; and Debian's RocksDB computes CRC32C in software (no SSE4.2), which cost
    // a third of a get's CPU.
    rocksdb::ReadOptions read;
    read.verify_checksums = false;
    rocksdb::Status s =
        db_->raw()->Get(read, db_->cf(Cf::kChunks), ToSlice(id.Raw()), &value);
    if (s.IsNotFound())
      return absl::NotFoundError(absl::StrCat("chunk ", id.Hex(), " is missing"));
    if (!s.ok()) return FromRocks(s, absl::StrCat("reading chunk ", id.Hex()));
    if (value.size() < kHeader || static_cast<uint8_t>(value.data()[0]) > 1) {
      return absl::DataLossError(
          absl::StrCat("chunk ", id.Hex(), " has a malformed record"));
    }
    EncodedChunk c;
    c.id = id;
    c.codec = static_cast<ChunkCodec>(value.data()[0]);
    for (int i = 0; i < 4; ++i) {
      c.raw_size |= static_cast<uint32_t>(static_cast<uint8_t>(value.data()[1 + i]))
                    << (8 * i);
    }
    c.payload.assign(value.data() + kHeader, value.size() - kHeader);
    return c;
  }

 private:
  Db* db_;
  std::shared_mutex gate_;
  std::mutex mu_;
  uint64_t deferred_written_ = 0;  // deferred writes begun
  uint64_t flushed_through_ = 0;   // deferred writes known flushed
  uint64_t flush_started_ = 0;
  uint64_t flush_done_ = 0;
};

}  // namespace

std::unique_ptr<ChunkStore> NewRocksChunkStore(Db* db) {
  return std::make_unique<RocksChunkStore>(db);
}

}  // namespace strata::internal
