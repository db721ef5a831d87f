#include "store/chunk_backend.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "rocksdb/write_batch.h"
#include "store/database.h"
#include "store/digest.h"
#include "store/internal/db.h"
#include "store/internal/keys.h"
#include "store/internal/rocks_chunk_store.h"
#include "store/status_macros.h"
#include "store/store.pb.h"
#include "zstd.h"

namespace strata {
namespace {

std::mutex& RegistryMutex() {
  static std::mutex mu;
  return mu;
}

std::map<std::string, ChunkBackendFactory>& Registry() {
  static auto* registry = new std::map<std::string, ChunkBackendFactory>();
  return *registry;
}

absl::Status WriteRecord(internal::Db& db, const ChunkBackend& backend) {
  store::ChunkBackendRecord record;
  record.set_url(backend.url);
  record.set_endpoint(backend.endpoint);
  record.set_region(backend.region);
  record.set_credentials_file(backend.credentials_file);
  record.set_recorded_us(absl::ToUnixMicros(absl::Now()));
  rocksdb::WriteBatch batch;
  batch.Put(db.cf(internal::Cf::kDefault), std::string(internal::kChunkBackendKey),
            record.SerializeAsString());
  return db.WriteUnlocked(&batch, /*sync=*/true);
}

// Whether `chunk` is what its id says: its payload decodes to raw_size bytes whose
// SHA-256 is the id. `raw` is scratch. Errors: DataLoss naming the chunk and `where`.
absl::Status VerifyChunk(const EncodedChunk& chunk, ZSTD_DCtx* dctx, std::string* raw,
                         absl::string_view where) {
  absl::string_view bytes = chunk.payload;
  if (chunk.codec == ChunkCodec::kZstd) {
    raw->resize(chunk.raw_size);
    const size_t got = ZSTD_decompressDCtx(dctx, raw->data(), raw->size(),
                                           chunk.payload.data(), chunk.payload.size());
    if (ZSTD_isError(got) || got != chunk.raw_size) {
      return absl::DataLossError(
          absl::StrCat("chunk ", chunk.id.Hex(), where, " does not decompress"));
    }
    bytes = *raw;
  }
  if (bytes.size() != chunk.raw_size || Sha256::Of(bytes) != chunk.id) {
    return absl::DataLossError(
        absl::StrCat("chunk ", chunk.id.Hex(), where, " is corrupt (hash mismatch)"));
  }
  return absl::OkStatus();
}

// Chunks moved per step: bounded memory (a chunk is at most a few MiB) and one
// PutMany's worth for an object store to pack.
constexpr size_t kBatchChunks = 256;
constexpr uint64_t kBatchBytes = 64 << 20;

// Copies the chunks of `from` that `to` lacks, reading each back from `to` and
// verifying it. Errors: DataLoss naming a chunk; those of either store.
absl::Status CopyChunks(ChunkStore& from, ChunkStore& to, const std::string& url,
                        const MigrationProgress& progress, ChunkMigration* out) {
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  absl::Cleanup free_dctx = [dctx] { ZSTD_freeDCtx(dctx); };
  std::string raw;
  const uint64_t total = from.ApproximateCount();
  std::vector<EncodedChunk> batch;
  uint64_t batch_bytes = 0;
  const std::string locally = " (stored locally)";
  const std::string back = absl::StrCat(" (read back from ", url, ")");
  auto flush = [&]() -> absl::Status {
    if (batch.empty()) return absl::OkStatus();
    RETURN_IF_ERROR(to.PutMany(batch, ChunkStore::Durability::kDeferred));
    RETURN_IF_ERROR(to.Sync());
    EncodedChunk read;
    for (const EncodedChunk& chunk : batch) {
      absl::Status s = to.Read(chunk.id, &read);
      if (absl::IsNotFound(s)) {
        return absl::DataLossError(absl::StrCat(
            "chunk ", chunk.id.Hex(), " was written to ", url, " but is not there"));
      }
      RETURN_IF_ERROR(s);
      RETURN_IF_ERROR(VerifyChunk(read, dctx, &raw, back));
      out->bytes_copied += chunk.payload.size();
    }
    out->copied += batch.size();
    batch.clear();
    batch_bytes = 0;
    return absl::OkStatus();
  };
  std::unique_ptr<ChunkCursor> cursor = from.Scan();
  for (; cursor->Valid(); cursor->Next()) {
    ++out->chunks;
    const Digest id = cursor->id();
    ASSIGN_OR_RETURN(bool there, to.Contains(id));
    if (there) {
      ++out->already;
    } else {
      EncodedChunk chunk;
      RETURN_IF_ERROR(from.Read(id, &chunk));
      RETURN_IF_ERROR(VerifyChunk(chunk, dctx, &raw, locally));
      batch_bytes += chunk.payload.size();
      batch.push_back(std::move(chunk));
      if (batch.size() >= kBatchChunks || batch_bytes >= kBatchBytes)
        RETURN_IF_ERROR(flush());
    }
    if (progress) progress("copy", out->chunks, std::max(total, out->chunks));
  }
  RETURN_IF_ERROR(cursor->status());
  return flush();
}

// Drops every chunk of `local` (each one `to` holds; one it lacks is copied first).
absl::Status DropLocal(ChunkStore& local, ChunkStore& to, const std::string& url,
                       const MigrationProgress& progress, ChunkMigration* out) {
  std::vector<Digest> ids;
  for (auto cursor = local.Scan();; cursor->Next()) {
    if (!cursor->Valid()) {
      RETURN_IF_ERROR(cursor->status());
      break;
    }
    ids.push_back(cursor->id());
  }
  for (size_t begin = 0; begin < ids.size(); begin += kBatchChunks) {
    const size_t end = std::min(ids.size(), begin + kBatchChunks);
    std::vector<Digest> batch(ids.begin() + static_cast<ptrdiff_t>(begin),
                              ids.begin() + static_cast<ptrdiff_t>(end));
    for (const Digest& id : batch) {
      ASSIGN_OR_RETURN(bool there, to.Contains(id));
      if (!there) {
        return absl::FailedPreconditionError(
            absl::StrCat("chunk ", id.Hex(), " is stored locally but not in ", url,
                         "; run `strata migrate --chunks ", url, "` again to copy it"));
      }
    }
    RETURN_IF_ERROR(local.Delete(batch));
    RETURN_IF_ERROR(local.Sync());
    out->local_dropped += batch.size();
    if (progress) progress("drop", end, ids.size());
  }
  ASSIGN_OR_RETURN(out->bytes_reclaimed,
                   local.Reclaim([&](uint64_t done, uint64_t total) {
                     if (progress) progress("reclaim", done, total);
                   }));
  return absl::OkStatus();
}

// The error of a backend whose scheme is missing or unregistered.
absl::Status UnknownBackend(const ChunkBackend& backend) {
  const std::string scheme = backend.scheme();
  if (scheme.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("chunk location ", backend.url,
                     " has no scheme (expected e.g. s3://BUCKET/PREFIX)"));
  }
  return absl::InvalidArgumentError(absl::StrCat("this strata cannot keep chunks in ",
                                                 scheme, ":// (", backend.url, ")"));
}

// Records `backend` in `store`, which must hold no chunk and record no other.
absl::Status RecordOnEmptyStore(Store& store, const ChunkBackend& backend) {
  internal::Db& db = DatabaseOf(store);
  ASSIGN_OR_RETURN(std::optional<ChunkBackend> recorded, RecordedChunkBackend(db));
  if (recorded.has_value()) {
    if (*recorded == backend) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat(
        "store ", store.dir(), " already keeps its chunks in ", recorded->url));
  }
  std::unique_ptr<ChunkStore> local = internal::NewRocksChunkStore(&db);
  auto cursor = local->Scan();
  if (cursor->Valid()) {
    return absl::FailedPreconditionError(
        absl::StrCat("store ", store.dir(),
                     " already holds chunks; move them with `strata migrate --chunks ",
                     backend.url, "`"));
  }
  RETURN_IF_ERROR(cursor->status());
  ASSIGN_OR_RETURN(std::unique_ptr<ChunkStore> check,
                   OpenChunkBackend(backend, &db, BackendUse::kPrepare));
  return WriteRecord(db, backend);
}

}  // namespace

std::string ChunkBackend::scheme() const {
  const size_t colon = url.find("://");
  return colon == std::string::npos ? "" : url.substr(0, colon);
}

void RegisterChunkBackend(const std::string& scheme, ChunkBackendFactory factory) {
  std::lock_guard lock(RegistryMutex());
  Registry()[scheme] = std::move(factory);
}

absl::StatusOr<std::unique_ptr<ChunkStore>> OpenChunkBackend(const ChunkBackend& backend,
                                                             internal::Db* db,
                                                             BackendUse use) {
  ChunkBackendFactory factory;
  {
    std::lock_guard lock(RegistryMutex());
    auto it = Registry().find(backend.scheme());
    if (it == Registry().end()) return UnknownBackend(backend);
    factory = it->second;
  }
  return factory(backend, db, use);
}

absl::StatusOr<std::optional<ChunkBackend>> RecordedChunkBackend(const internal::Db& db) {
  ASSIGN_OR_RETURN(std::optional<std::string> value,
                   db.Get(internal::Cf::kDefault, internal::kChunkBackendKey));
  if (!value.has_value()) return std::nullopt;
  store::ChunkBackendRecord record;
  if (!record.ParseFromString(*value) || record.url().empty()) {
    return absl::DataLossError(
        absl::StrCat("store ", db.dir(), ": unreadable record of where its chunks are"));
  }
  return ChunkBackend{.url = record.url(),
                      .endpoint = record.endpoint(),
                      .region = record.region(),
                      .credentials_file = record.credentials_file()};
}

absl::Status InitChunkBackend(const std::string& dir, const ChunkBackend& backend,
                              const StoreOptions& options) {
  {
    // The scheme first: a mistyped URL makes no store.
    const std::string scheme = backend.scheme();
    std::lock_guard lock(RegistryMutex());
    if (scheme.empty() || !Registry().contains(scheme)) {
      return UnknownBackend(backend);
    }
  }
  std::error_code ec;
  const bool existed = std::filesystem::exists(dir, ec);
  StoreOptions create = options;
  create.create_if_missing = true;
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, Store::Open(dir, create));
  absl::Status status = RecordOnEmptyStore(*store, backend);
  if (!status.ok() && !existed) {
    // Leave nothing of a directory this call made.
    store.reset();
    std::filesystem::remove_all(dir, ec);
  }
  return status;
}

absl::StatusOr<ChunkMigration> MigrateChunks(const std::string& dir,
                                             const ChunkBackend& backend,
                                             const StoreOptions& options,
                                             const MigrationProgress& progress) {
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, Store::Open(dir, options));
  internal::Db& db = DatabaseOf(*store);
  ASSIGN_OR_RETURN(std::optional<ChunkBackend> recorded, RecordedChunkBackend(db));
  if (recorded.has_value() && !(*recorded == backend)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "store ", dir, " keeps its chunks in ", recorded->url, ", not in ", backend.url));
  }
  std::unique_ptr<ChunkStore> local = internal::NewRocksChunkStore(&db);
  ASSIGN_OR_RETURN(std::unique_ptr<ChunkStore> remote,
                   OpenChunkBackend(backend, &db, BackendUse::kPrepare));
  ChunkMigration out;
  if (!recorded.has_value()) {
    RETURN_IF_ERROR(CopyChunks(*local, *remote, backend.url, progress, &out));
    RETURN_IF_ERROR(WriteRecord(db, backend));
  }
  RETURN_IF_ERROR(DropLocal(*local, *remote, backend.url, progress, &out));
  return out;
}

}  // namespace strata
