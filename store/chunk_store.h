// ChunkStore: where content-addressed chunks live. The embedded store keeps them in
// RocksDB blob files; the interface is the seam for an object-store backend.
#ifndef STRATA_STORE_CHUNK_STORE_H_
#define STRATA_STORE_CHUNK_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/digest.h"

namespace strata {

enum class ChunkCodec : uint8_t { kRaw = 0, kZstd = 1 };

// A chunk as stored: `payload` is the raw bytes (kRaw) or their zstd frame (kZstd).
struct EncodedChunk {
  Digest id;  // SHA-256 of the raw bytes
  uint32_t raw_size = 0;
  ChunkCodec codec = ChunkCodec::kRaw;
  std::string payload;
};

// Stores chunks by id. Chunks are immutable: writing an id twice stores it once.
// Implementations are thread-safe. A ChunkStore does not verify hashes; ContentStore
// does, on every read.
class ChunkStore {
 public:
  virtual ~ChunkStore() = default;

  // Whether a chunk with `id` is stored. Errors: Unavailable on I/O failure.
  virtual absl::StatusOr<bool> Contains(const Digest& id) = 0;

  // How a write reaches durable storage.
  enum class Durability {
    // Durable with the next synced metadata commit (a write-ahead log). Best for
    // small writes.
    kLogged,
    // Skips the log, for bulk writes: durable only after Sync(). Halves the bytes
    // written for large puts.
    kDeferred,
  };

  // Stores every chunk of `chunks`. Not atomic across chunks: after a failure some
  // may be stored, which is harmless (unreferenced chunks are garbage).
  // Errors: Unavailable or ResourceExhausted on I/O failure.
  virtual absl::Status PutMany(const std::vector<EncodedChunk>& chunks,
                               Durability durability = Durability::kLogged) = 0;

  // Makes every chunk written by a PutMany that returned before this call durable
  // (kDeferred ones by flushing them), so Contains() reports them from now on.
  // Contains() only ever reports durable chunks, so a caller that deduplicated
  // against one needs nothing more. Call before committing anything that names
  // chunks this thread wrote. Cheap when no kDeferred write is pending.
  // Errors: Unavailable or ResourceExhausted on I/O failure.
  virtual absl::Status Sync() = 0;

  // Reads one chunk into `*out`, reusing its payload buffer (a reader of many
  // chunks allocates once). Errors: NotFound when absent; DataLoss when the stored
  // record is malformed.
  virtual absl::Status Read(const Digest& id, EncodedChunk* out) = 0;

  // As Read, into a new EncodedChunk.
  absl::StatusOr<EncodedChunk> Get(const Digest& id) {
    EncodedChunk chunk;
    absl::Status s = Read(id, &chunk);
    if (!s.ok()) return s;
    return chunk;
  }
};

}  // namespace strata

#endif  // STRATA_STORE_CHUNK_STORE_H_
