// Store: one strata store on disk, and the entry point to everything in it.
//
//   auto store = Store::Open("/data/strata", {});
//   auto stats = (*store)->content().Put(*source);
//   (*store)->artifacts().Commit({.artifact = ..., .content_id = stats->content_id});
#ifndef STRATA_STORE_STORE_H_
#define STRATA_STORE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "store/artifacts.h"
#include "store/change.h"
#include "store/chunk_store.h"
#include "store/content_store.h"
#include "store/gc_gate.h"
#include "store/lineage.h"
#include "store/retention_policy_table.h"
#include "store/runs.h"
#include "store/token_table.h"

namespace rocksdb {
class Env;
}

namespace strata {
namespace internal {
class Db;
}

struct StoreOptions {
  // Create an empty store when `dir` holds none. Default false: opening a missing
  // store is NotFound, so a mistyped path does not silently make a new one.
  bool create_if_missing = false;
  // fsync every commit. Default true: acknowledged writes survive power loss. Tests
  // may set false to run faster; a process crash still loses nothing.
  bool sync = true;
  // Block cache shared by every column family. Default 32 MiB.
  size_t block_cache_bytes = 32 << 20;
  // Put/get pipeline settings; `content.sync` is overridden by `sync`.
  ContentStoreOptions content;
  // For fault-injection tests: the environment RocksDB does its file I/O through
  // (one failing writes or syncs). Must outlive the store. Default: the process's.
  rocksdb::Env* env = nullptr;
  // Sees every change of the store's records inside its atomic write, and can
  // refuse it (store/change.h). Must outlive the store. Default: none.
  ChangeObserver* change_observer = nullptr;
  // Where the store's chunks live. Open calls it once with the embedded ChunkStore
  // (RocksDB blob files inside the store) and uses what it returns: another
  // implementation (an object store), or one wrapping the embedded one (a test's
  // counting wrapper). Everything that reads or writes chunks, gc and fsck
  // included, goes through the result. An error fails Open with it. Default
  // (unset): the embedded ChunkStore.
  std::function<absl::StatusOr<std::unique_ptr<ChunkStore>>(
      std::unique_ptr<ChunkStore> embedded)>
      chunk_store;
};

// Thread-safe: one Store may serve many threads. Only one process may open a store
// at a time.
class Store {
 public:
  // Errors: NotFound when there is no store in `dir` and !create_if_missing;
  // Unavailable "store ... is in use by another process"; FailedPrecondition when the
  // store's format is newer than this build; DataLoss on corruption; those of
  // options.chunk_store.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& dir,
                                                     const StoreOptions& options);
  ~Store();

  ContentStore& content() { return *content_; }
  ArtifactStore& artifacts() { return *artifacts_; }
  RunStore& runs() { return *runs_; }
  const Lineage& lineage() const { return *lineage_; }
  ChunkStore& chunks() { return *chunks_; }
  // The API's tokens (api/tokens.h gives the records their meaning).
  TokenTable& tokens() { return *tokens_; }
  // Retention policies (gc/retention.h gives them their meaning).
  RetentionPolicyTable& retention_policies() { return *retention_policies_; }
  // Coordinates gc with this process's writers (store/gc_gate.h): gc begins a
  // session on it; ContentStore and ArtifactStore reserve what they name.
  GcGate& gc_gate();
  const std::string& dir() const;

  // The lineage node that `ref_or_run` names: a reference ("model/churn@production")
  // resolved to "KIND/NAME@N", or "run/ID" for an existing run.
  // Errors: as ParseRef and ArtifactStore::Resolve, or RunStore::Get.
  absl::StatusOr<std::string> LineageRoot(const std::string& ref_or_run);

  // Bytes of the store's live SST and blob files, summed over its column families
  // (RocksDB's live-sst-files-size and live-blob-file-size): what the data occupies
  // on disk, excluding the write-ahead log, unflushed memtables and files that only
  // an old snapshot or iterator still holds. Cheap (no I/O); thread-safe.
  uint64_t ApproximateSizeBytes() const;

  // Writes a consistent copy of the store, as of one moment, into `dir`, which must
  // not exist (its parent must): a RocksDB checkpoint, after a flush. Files on the
  // same filesystem as the store are hard links (SST and blob files are never
  // changed once written), others are copied. Safe while other threads read and
  // write: what they commit after that moment is not in the copy. The copy is a
  // store: RestoreStore makes a new store of it, and Open reads it in place.
  // Errors: AlreadyExists when `dir` exists; NotFound when its parent does not;
  // Unavailable or ResourceExhausted on I/O failure (nothing is left at `dir`).
  absl::Status Backup(const std::string& dir);

 private:
  friend internal::Db& DatabaseOf(Store& store);
  Store() = default;
  std::unique_ptr<internal::Db> db_;
  std::unique_ptr<ChunkStore> chunks_;
  std::unique_ptr<ContentStore> content_;
  std::unique_ptr<ArtifactStore> artifacts_;
  std::unique_ptr<RunStore> runs_;
  std::unique_ptr<Lineage> lineage_;
  std::unique_ptr<TokenTable> tokens_;
  std::unique_ptr<RetentionPolicyTable> retention_policies_;
};

// Makes a new store in `dir` from the backup in `backup_dir` (Store::Backup): copies
// every file into a sibling of `dir`, opens the copy to check it, and renames it
// into place, so `dir` appears only whole. The backup is left as it was.
// Errors: NotFound when `backup_dir` holds no store; AlreadyExists when `dir`
// exists; those of Store::Open for a damaged backup; Unavailable or
// ResourceExhausted on I/O failure.
absl::Status RestoreStore(const std::string& backup_dir, const std::string& dir);

}  // namespace strata

#endif  // STRATA_STORE_STORE_H_
