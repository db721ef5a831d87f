#include "store/internal/rocks_chunk_store.h"

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

  absl::StatusOr<bool> Contains(const Digest& id) override {
    std::string value;
    rocksdb::Status s =
        db_->raw()->Get(rocksdb::ReadOptions(), db_->cf(Cf::kChunkMeta), ToSlice(id.Raw()), &value);
    if (s.IsNotFound()) return false;
    if (!s.ok()) return FromRocks(s, "chunk lookup");
    return true;
  }

  absl::Status PutMany(const std::vector<EncodedChunk>& chunks) override {
    rocksdb::WriteBatch batch;
    const int64_t now = absl::ToUnixMicros(absl::Now());
    for (const auto& c : chunks) {
      std::string value;
      value.reserve(kHeader + c.payload.size());
      value.push_back(static_cast<char>(c.codec));
      for (int i = 0; i < 4; ++i) value.push_back(static_cast<char>((c.raw_size >> (8 * i)) & 0xff));
      value.append(c.payload);
      store::ChunkInfo info;
      info.set_raw_size(c.raw_size);
      info.set_stored_size(static_cast<uint32_t>(c.payload.size()));
      info.set_codec(static_cast<store::ChunkCodec>(c.codec));
      info.set_created_us(now);
      batch.Put(db_->cf(Cf::kChunks), ToSlice(c.id.Raw()), value);
      batch.Put(db_->cf(Cf::kChunkMeta), ToSlice(c.id.Raw()), info.SerializeAsString());
    }
    return db_->WriteUnlocked(&batch, /*sync=*/false);
  }

  absl::StatusOr<EncodedChunk> Get(const Digest& id) override {
    rocksdb::PinnableSlice value;
    rocksdb::Status s =
        db_->raw()->Get(rocksdb::ReadOptions(), db_->cf(Cf::kChunks), ToSlice(id.Raw()), &value);
    if (s.IsNotFound()) return absl::NotFoundError(absl::StrCat("chunk ", id.Hex(), " is missing"));
    if (!s.ok()) return FromRocks(s, absl::StrCat("reading chunk ", id.Hex()));
    if (value.size() < kHeader || static_cast<uint8_t>(value.data()[0]) > 1) {
      return absl::DataLossError(absl::StrCat("chunk ", id.Hex(), " has a malformed record"));
    }
    EncodedChunk c;
    c.id = id;
    c.codec = static_cast<ChunkCodec>(value.data()[0]);
    for (int i = 0; i < 4; ++i) {
      c.raw_size |= static_cast<uint32_t>(static_cast<uint8_t>(value.data()[1 + i])) << (8 * i);
    }
    c.payload.assign(value.data() + kHeader, value.size() - kHeader);
    return c;
  }

 private:
  Db* db_;
};

}  // namespace

std::unique_ptr<ChunkStore> NewRocksChunkStore(Db* db) {
  return std::make_unique<RocksChunkStore>(db);
}

}  // namespace strata::internal
