// ContentStore: streams content in and out of the store, content-addressed.
//
// Put cuts the stream into FastCDC chunks, hashes each (SHA-256) and compresses it
// (zstd, kept raw when that does not shrink it) on a pool of worker threads, stores
// each new chunk once, and records a manifest keyed by the SHA-256 of the whole
// content. Get streams the chunks back in order and verifies every chunk's hash.
// Memory is bounded by the options, never by the content's size.
#ifndef STRATA_STORE_CONTENT_STORE_H_
#define STRATA_STORE_CONTENT_STORE_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/chunk_store.h"
#include "store/digest.h"
#include "store/fastcdc.h"
#include "store/gc_gate.h"
#include "store/io.h"
#include "store/store.pb.h"

namespace strata {
namespace internal {
class Db;
}

struct ContentStoreOptions {
  // Worker threads hashing and compressing (put) or reading, decompressing and
  // verifying (get). Default 0: one per hardware thread.
  int threads = 0;
  // zstd level per chunk. Default 1: on 64 KiB chunks of CSV it compresses about 3x
  // at ~290 MB/s per core, and higher levels gain little at this block size (level 3
  // was both slower and larger on the benchmark CSV); 19 saves ~15% at 1/20 the speed.
  int zstd_level = 1;
  // zstd's match-finder hash table, log2 entries. Default 10 (a 4 KiB table that
  // stays in L1 for 64 KiB chunks): on the benchmark CSV 30% faster than level 1's
  // own choice and 0.5% smaller; on binaries ~20% faster but ~7% larger. 0 keeps
  // the level's default.
  int zstd_hash_log = 10;
  // Chunk boundaries. Changing them keeps old content readable but stops new puts
  // from sharing chunks with old ones.
  ChunkerOptions chunker;
  // Chunks queued or in flight per worker. Default 4: memory is at most about
  // threads * (queue_per_worker + 1) * max chunk size plus one write batch each.
  int queue_per_worker = 4;
  // Bytes of new chunks a worker gathers before one write. Default 4 MiB.
  size_t write_batch_bytes = 4 << 20;
  // Sync the manifest write (and with it every chunk written before). Default true.
  bool sync = true;
  // Content past this many bytes is written as bulk: chunks skip the write-ahead
  // log and are flushed to blob files once, before the manifest commits. Default
  // 4 MiB: small puts stay cheap (no flush, no small files), large ones write each
  // byte once instead of twice and leave a log small enough that closing the store
  // need not flush it.
  uint64_t bulk_threshold_bytes = 4 << 20;
};

// What a put stored.
struct PutStats {
  Digest content_id;              // SHA-256 of the whole content
  uint64_t size = 0;              // bytes of content
  uint64_t chunks = 0;            // chunks in the manifest
  uint64_t new_chunks = 0;        // chunks that were not stored before
  uint64_t new_stored_bytes = 0;  // bytes those new chunks take after compression
};

// A stored content's size and chunk count.
struct ContentInfo {
  Digest content_id;
  uint64_t size = 0;
  uint64_t chunks = 0;
};

// Called with the number of content bytes processed so far. May be called from the
// calling thread only; must be cheap.
using ProgressFn = std::function<void(uint64_t bytes_done)>;

// Thread-safe: concurrent puts and gets are fine.
class ContentStore {
 public:
  // `db` and `chunks` must outlive this object.
  ContentStore(internal::Db* db, ChunkStore* chunks, const ContentStoreOptions& options);

  // Stores everything `source` yields, then its manifest. The content is readable
  // with Get once this returns OK.
  // Errors: those of `source` (Unavailable on read errors), Unavailable or
  // ResourceExhausted when the store cannot write. Chunks written before a failure
  // stay as garbage for gc.
  absl::StatusOr<PutStats> Put(ByteSource& source, const ProgressFn& progress = nullptr);

  // Writes bytes [offset, offset + length) of the content to `sink` (clamped to the
  // content's end), verifying every chunk read.
  // Errors: NotFound when no content has this id; DataLoss naming the chunk when a
  // chunk is missing or its bytes do not hash to its id; OutOfRange when offset is
  // past the end; errors of `sink`.
  absl::Status Get(const Digest& content_id, ByteSink& sink,
                   const ProgressFn& progress = nullptr, uint64_t offset = 0,
                   uint64_t length = std::numeric_limits<uint64_t>::max());

  // Errors: NotFound when no content has this id; DataLoss for a malformed manifest.
  absl::StatusOr<ContentInfo> Stat(const Digest& content_id);

  // The chunk protocol, for a client that cuts and hashes content itself and sends
  // only the chunks this store lacks (the HTTP API's uploads):
  //   MissingChunks(ids) -> PutChunks(the missing ones) -> Assemble(ids).

  // The ids among `ids` that are not stored, in order, each once. The stored ones
  // get a fresh reference time, so gc's grace period keeps them for the upload's
  // later requests (docs/operations.md).
  // Errors: Unavailable on I/O failure; DataLoss for a malformed chunk record.
  absl::StatusOr<std::vector<Digest>> MissingChunks(const std::vector<Digest>& ids);
  // Stores raw chunks (each hashed and compressed here, as Put does); returns how
  // many were new. Durable when it returns. Chunks nothing names yet are garbage
  // after gc's grace period.
  // Errors: InvalidArgument for an empty chunk or one larger than the chunker's
  // maximum; Unavailable or ResourceExhausted when the store cannot write.
  absl::StatusOr<uint64_t> PutChunks(const std::vector<std::string>& chunks);
  // Records the content made of the stored chunks `ids`, in order: every chunk is
  // read back and verified, and the whole content hashed. With `expected`, refuses
  // content whose SHA-256 differs, writing nothing. new_chunks in the result is 0:
  // PutChunks counted those.
  // Errors: InvalidArgument for no ids; FailedPrecondition naming the first chunk
  // that is not stored; InvalidArgument when the content is not `expected`;
  // DataLoss when a stored chunk is corrupt.
  absl::StatusOr<PutStats> Assemble(const std::vector<Digest>& ids,
                                    const std::optional<Digest>& expected);

  // For gc, fsck and retention: the manifests themselves.

  // The manifest of `content_id`: its chunks' raw ids (32 bytes each) and sizes in
  // order, the content's size and when the manifest was written.
  // Errors: NotFound when no content has this id; DataLoss when the manifest does
  // not parse or its ids and sizes disagree; Unavailable on I/O failure.
  absl::StatusOr<store::Manifest> ReadManifest(const Digest& content_id);

  // A manifest met by ScanManifests.
  using ManifestVisitor =
      std::function<absl::Status(const Digest& content_id, const store::Manifest& m)>;
  // Calls `visit` with every stored manifest, in content id order, as of one moment;
  // an error from `visit` ends the scan and is returned.
  // Errors: DataLoss "a manifest key is not a 32-byte content id", or "manifest of
  // sha256:HEX is malformed" when it does not parse or its chunk ids are not whole
  // 32-byte ids; Unavailable on I/O failure.
  absl::Status ScanManifests(const ManifestVisitor& visit) const;

  // Deletes the manifests of `ids` (absent ones are skipped) in one atomic write,
  // fsynced when `sync`. REQUIRES: no live version names them (gc decides, under
  // the GcGate's exclusive side).
  // Errors: Unavailable or ResourceExhausted on I/O failure.
  absl::Status DeleteManifests(const std::vector<Digest>& ids, bool sync);

  // About how many manifests are stored, for progress reports; cheap (no I/O).
  uint64_t ApproximateManifestCount() const;

 private:
  int threads() const;
  // Records `manifest` (its chunks filled in) as content stats.content_id of
  // stats.size bytes, referenced in `reservation` first.
  absl::Status WriteManifest(const PutStats& stats, store::Manifest& manifest,
                             GcGate::Reservation* reservation);

  internal::Db* db_;
  ChunkStore* chunks_;
  ContentStoreOptions options_;
  FastCdc chunker_;
};

}  // namespace strata

#endif  // STRATA_STORE_CONTENT_STORE_H_
