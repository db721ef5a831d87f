// Where a store keeps its chunks. By default in the store itself (RocksDB blob files,
// the embedded ChunkStore); a store can instead record an object store (issue 18:
// `strata init --chunks s3://BUCKET/PREFIX`, `strata migrate --chunks ...`), and every
// later Store::Open builds that ChunkStore, so no command needs flags for it. Metadata
// (manifests, versions, the object store's own index) stays in RocksDB.
//
// Backends plug in by URL scheme: a binary that can reach one registers its factory
// (RegisterChunkBackend("s3", ...)) before opening stores. A store that records a
// scheme this binary did not register does not open.
#ifndef STRATA_STORE_CHUNK_BACKEND_H_
#define STRATA_STORE_CHUNK_BACKEND_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/chunk_store.h"
#include "store/store.h"

namespace strata {
namespace internal {
class Db;
}

// A recorded chunk backend.
struct ChunkBackend {
  std::string url;               // SCHEME://..., e.g. s3://BUCKET/PREFIX
  std::string endpoint;          // s3: http(s)://HOST[:PORT]
  std::string region;            // s3: the signing region
  std::string credentials_file;  // s3: where the keys are; empty: the environment

  // The URL's scheme: "s3" for s3://B/P. Empty when the URL has none.
  std::string scheme() const;
  bool operator==(const ChunkBackend&) const = default;
};

// Why a backend is opened: to use it (every Store::Open: validate the settings, but
// reach nothing, so a store whose object store is down still opens and lists), or to
// start using it (init, migrate: reach it and make what it needs, such as a bucket).
enum class BackendUse { kOpen, kPrepare };

// Builds the ChunkStore `backend` describes, for the store whose metadata is `db`
// (where it may keep an index; it must outlive the result). Validates the backend's
// settings. Errors: InvalidArgument naming a bad setting; under kPrepare, Unavailable
// when the backend cannot be reached and PermissionDenied when it refuses the keys.
using ChunkBackendFactory = std::function<absl::StatusOr<std::unique_ptr<ChunkStore>>(
    const ChunkBackend& backend, internal::Db* db, BackendUse use)>;

// Registers `factory` for URLs of `scheme`, replacing any earlier one. Thread-safe;
// call before the stores that need it are opened.
void RegisterChunkBackend(const std::string& scheme, ChunkBackendFactory factory);

// The ChunkStore of `backend`, through its scheme's factory. Errors: InvalidArgument
// for a URL without a scheme, or for a scheme nothing registered ("this strata cannot
// keep chunks in SCHEME://"); those of the factory.
absl::StatusOr<std::unique_ptr<ChunkStore>> OpenChunkBackend(
    const ChunkBackend& backend, internal::Db* db, BackendUse use = BackendUse::kOpen);

// The backend `db` records; nullopt for the embedded one.
// Errors: DataLoss for an unreadable record; Unavailable on I/O failure.
absl::StatusOr<std::optional<ChunkBackend>> RecordedChunkBackend(const internal::Db& db);

// Records `backend` in the store at `dir`, which must hold no chunk: a new store (made
// when there is none) starts with its chunks there. The store must not be open.
// Errors: FailedPrecondition when the store already holds chunks (move them with
// MigrateChunks) or records another backend; as OpenChunkBackend, which is called to
// check the backend before anything is recorded; as Store::Open.
absl::Status InitChunkBackend(const std::string& dir, const ChunkBackend& backend,
                              const StoreOptions& options);

// What MigrateChunks did.
struct ChunkMigration {
  uint64_t chunks = 0;           // chunks of the embedded store
  uint64_t copied = 0;           // of which copied now
  uint64_t already = 0;          // of which the backend already had (an earlier run's)
  uint64_t bytes_copied = 0;     // stored bytes copied now
  uint64_t local_dropped = 0;    // local copies dropped
  uint64_t bytes_reclaimed = 0;  // live bytes RocksDB rewrote giving space back
};

// Called as a migration advances: the phase ("copy", "verify", "drop"), steps done
// and steps in all.
using MigrationProgress =
    std::function<void(const std::string& phase, uint64_t done, uint64_t total)>;

// Moves the chunks of the embedded store at `dir` to `backend`: copies every chunk the
// backend lacks, reads each one back and checks it against its SHA-256, records the
// backend (from then on the store reads only it), then drops the local copies and
// gives their space back. Resumable: a run stopped anywhere is finished by running it
// again (chunks already copied are not copied again; a store that already records
// `backend` only drops what is left locally). Takes the store's lock for the whole
// run. Errors: FailedPrecondition when the store records another backend; DataLoss
// naming a chunk that is damaged locally or reads back wrong (nothing is recorded);
// as OpenChunkBackend and Store::Open; Unavailable on I/O failure.
absl::StatusOr<ChunkMigration> MigrateChunks(const std::string& dir,
                                             const ChunkBackend& backend,
                                             const StoreOptions& options,
                                             const MigrationProgress& progress);

}  // namespace strata

#endif  // STRATA_STORE_CHUNK_BACKEND_H_
