// ChunkStore: where content-addressed chunks live. The embedded store keeps them in
// RocksDB blob files; the interface is the seam for an object-store backend.
#ifndef STRATA_STORE_CHUNK_STORE_H_
#define STRATA_STORE_CHUNK_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
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

// What a ChunkStore keeps about a stored chunk beside its bytes.
struct ChunkStat {
  Digest id;
  uint32_t stored_size = 0;  // bytes of the payload as stored
  // When the chunk was last written or touched (ChunkStore::Touch), unix
  // microseconds: gc's grace period counts from here.
  int64_t reference_us = 0;
};

// A cursor over stored chunks (ChunkStore::Scan). Not thread-safe: one per thread.
class ChunkCursor {
 public:
  virtual ~ChunkCursor() = default;
  // True while positioned on a chunk; false at the end or after an error.
  virtual bool Valid() const = 0;
  // REQUIRES: Valid().
  virtual void Next() = 0;
  // REQUIRES: Valid().
  virtual const Digest& id() const = 0;
  // The chunk's sizes and reference time, decoded only when asked for (gc asks only
  // for the chunks nothing names). REQUIRES: Valid().
  // Errors: DataLoss "the record of chunk HEX is malformed".
  virtual absl::StatusOr<ChunkStat> Stat() const = 0;
  // Why Valid() turned false: OK at the end. Errors: Unavailable on I/O failure;
  // DataLoss for a record whose key is not a chunk id.
  virtual absl::Status status() const = 0;
};

// Stores chunks by id. Chunks are immutable: writing an id twice stores it once.
// Implementations are thread-safe. A ChunkStore does not verify hashes; ContentStore
// does, on every read. store/chunk_store_conformance.h is the suite every
// implementation passes.
//
// gc (gc/gc.h) uses Scan, StatMany, Delete, Sync and Reclaim; the chunk protocol's
// uploads use Touch. Whether a chunk may be deleted is gc's decision, made under
// the store's GcGate (store/gc_gate.h): a ChunkStore deletes what it is told to.
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
  // (kDeferred ones by flushing them), so Contains() reports them from now on, and
  // every Delete that returned before it.
  // Contains() only ever reports durable chunks, so a caller that deduplicated
  // against one needs nothing more. Call before committing anything that names
  // chunks this thread wrote. Cheap when no kDeferred write is pending.
  // Errors: Unavailable or ResourceExhausted on I/O failure.
  virtual absl::Status Sync() = 0;

  // Reads one chunk into `*out`, reusing its payload buffer (a reader of many
  // chunks allocates once). Errors: NotFound when absent; DataLoss when the stored
  // record is malformed.
  virtual absl::Status Read(const Digest& id, EncodedChunk* out) = 0;

  // A hint that the chunks `ids` will be read soon, in this order (ContentStore::Get
  // and Assemble give the next 1,024 as they go): a store whose reads wait on a
  // network (an object store) may start fetching them. Never fails; reads stay
  // correct whatever it does. Default: nothing.
  virtual void Prefetch(const std::vector<Digest>& ids) { (void)ids; }

  // As Read, into a new EncodedChunk.
  absl::StatusOr<EncodedChunk> Get(const Digest& id) {
    EncodedChunk chunk;
    absl::Status s = Read(id, &chunk);
    if (!s.ok()) return s;
    return chunk;
  }

  // Every stored chunk (those Contains reports), in ascending order of their raw
  // 32-byte ids. Chunks written or deleted while the cursor lives may or may not be
  // seen. Errors come from the cursor's status().
  virtual std::unique_ptr<ChunkCursor> Scan() = 0;

  // An entry per id of `ids`, in order: nullopt when the chunk is not stored, or
  // when its record is malformed (callers keep what they cannot read; Read reports
  // the damage). Errors: Unavailable on I/O failure.
  virtual absl::StatusOr<std::vector<std::optional<ChunkStat>>> StatMany(
      const std::vector<Digest>& ids) = 0;

  // An entry per id of `ids` (distinct), in order: whether it is stored. Each stored
  // one's reference time becomes now, so gc's grace period keeps it from now on
  // (an upload names the chunks it found stored in a later request). Not durable
  // until the next synced write; losing a touch in a crash costs only protection.
  // Errors: DataLoss "the record of chunk HEX is malformed" (nothing touched);
  // Unavailable on I/O failure.
  virtual absl::StatusOr<std::vector<bool>> Touch(const std::vector<Digest>& ids) = 0;

  // Removes the chunks `ids`; ids not stored are skipped. When it returns, Contains
  // is false and Read NotFound for each (a deleted chunk is never reported stored
  // while its bytes may be gone). Atomic per call here; an implementation that
  // cannot be must still delete each chunk whole. Durable after the next Sync();
  // the space comes back with Reclaim. REQUIRES: nothing live names the chunks
  // (gc decides, under the GcGate's exclusive side).
  // Errors: Unavailable or ResourceExhausted on I/O failure.
  virtual absl::Status Delete(const std::vector<Digest>& ids) = 0;

  // Called as Reclaim advances, with steps done and steps in all.
  using ReclaimProgress = std::function<void(uint64_t done, uint64_t total)>;

  // Gives back the space of deleted chunks: storage holding only deleted chunks is
  // freed, and storage where deleted bytes are at least half is rewritten with its
  // live chunks only (never more live bytes copied than deleted ones freed). Returns
  // the bytes of live chunks rewritten. Safe beside readers and writers; every
  // chunk stored before it stays readable throughout.
  // Errors: Unavailable or ResourceExhausted on I/O failure.
  virtual absl::StatusOr<uint64_t> Reclaim(const ReclaimProgress& progress) = 0;

  // About how many chunks are stored, for progress reports; may be far off, 0 when
  // unknown. Cheap (no I/O).
  virtual uint64_t ApproximateCount() = 0;
};

}  // namespace strata

#endif  // STRATA_STORE_CHUNK_STORE_H_
