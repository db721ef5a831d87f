// Db: the RocksDB TransactionDB behind a store, its column families and options.
// Internal to store/ and to features/, whose tables live in the same database (one
// lock, one backup, one WAL); everything else reaches the data through the public
// classes.
#ifndef STRATA_STORE_INTERNAL_DB_H_
#define STRATA_STORE_INTERNAL_DB_H_

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rocksdb/utilities/transaction_db.h"
#include "store/change.h"
#include "store/gc_gate.h"

namespace strata::internal {

enum class Cf : int {
  kDefault = 0,
  kChunks,
  kChunkMeta,
  kManifests,
  kArtifacts,
  kVersions,
  kAliases,
  kAliasLog,
  kRuns,
  kEdges,
  kFeatureMeta,    // features/: views' column dictionaries, ingest records
  kFeatureLog,     // features/: the bitemporal offline log
  kFeatureOnline,  // features/: newest row per (view, entity); MaxVersionMerge
  kTokens,         // api/: API tokens, by name (only their hashes)
  kFeatureServed,  // features/: the served-answer log (a sample of online answers)
  kChunkPacks,     // store/s3/: where each chunk is in the object store (packs)
  kCount,
};

struct DbOptions {
  // Create the database when the directory holds none. Default false: opening a
  // missing store is an error, so a typo in --store does not make an empty store.
  bool create_if_missing = false;
  // fsync the WAL on every metadata commit (versions, aliases, runs). Default true:
  // an acknowledged write survives power loss. Tests may turn it off for speed.
  bool sync_commits = true;
  // Shared block cache for all column families. Default 32 MiB.
  size_t block_cache_bytes = 32 << 20;
  // Memtable size of the chunks CF; up to 3 may be alive at once, which bounds the
  // memory a large put needs. Default 16 MiB: a 2 GB put peaks near 170 MB RSS;
  // larger buffers make fewer, larger blob files but cost memory.
  size_t chunk_write_buffer_bytes = 16 << 20;
  // The environment RocksDB does its file I/O through (StoreOptions::env).
  rocksdb::Env* env = nullptr;
};

// Thread-safe: RocksDB handles are.
class Db {
 public:
  // Opens (or creates) the database in `dir`.
  // Errors: NotFound when there is no store and !create_if_missing; Unavailable
  // "store ... is in use" when another process holds it; FailedPrecondition for an
  // unsupported format version; DataLoss when RocksDB reports corruption.
  static absl::StatusOr<std::unique_ptr<Db>> Open(const std::string& dir,
                                                  const DbOptions& options);
  ~Db();

  rocksdb::TransactionDB* raw() const { return db_; }
  rocksdb::ColumnFamilyHandle* cf(Cf which) const {
    return handles_[static_cast<int>(which)];
  }
  const std::string& dir() const { return dir_; }
  // Coordinates gc with the writers of this process (store/gc_gate.h).
  GcGate& gc_gate() const { return gc_gate_; }

  // Who sees every change before it commits (records.h CommitChange); null: none.
  // Set once, before the store is shared.
  void set_change_observer(ChangeObserver* observer) { change_observer_ = observer; }
  absl::Status OnChange(const Change& change) const {
    return change_observer_ == nullptr ? absl::OkStatus()
                                       : change_observer_->OnChange(change);
  }

  // Point read. Returns nullopt when the key is absent.
  absl::StatusOr<std::optional<std::string>> Get(Cf cf, absl::string_view key) const;

  // Writes `batch` without transaction locks: only for keys no transaction locks
  // (content-addressed chunks and manifests, whose values never change).
  absl::Status WriteUnlocked(rocksdb::WriteBatch* batch, bool sync);

  // Begins a pessimistic transaction whose commit is synced per DbOptions.
  std::unique_ptr<rocksdb::Transaction> Begin() const;

  // An iterator over the keys that start with a prefix; re-positioning one cursor
  // is cheaper than a new one per prefix when a caller visits hundreds (a lineage
  // walk).
  class Cursor {
   public:
    // Positions at the first key starting with `prefix`.
    void Seek(absl::string_view prefix);
    // True while positioned on a key that starts with the last sought prefix.
    bool Valid() const;
    void Next() { it_->Next(); }
    absl::string_view key() const { return {it_->key().data(), it_->key().size()}; }
    absl::string_view value() const { return {it_->value().data(), it_->value().size()}; }
    absl::Status status() const;

   private:
    friend class Db;
    std::string prefix_;
    std::unique_ptr<rocksdb::Iterator> it_;
  };
  std::unique_ptr<Cursor> NewCursor(Cf cf) const;

  // A cursor over the keys of `cf` starting with `prefix`, positioned at the first.
  std::unique_ptr<Cursor> Scan(Cf cf, absl::string_view prefix) const;

  // Batched point reads (one MultiGet): an entry per key, nullopt when absent.
  absl::StatusOr<std::vector<std::optional<std::string>>> MultiGet(
      Cf cf, const std::vector<std::string>& keys) const;

 private:
  Db() = default;
  std::string dir_;
  DbOptions options_;
  rocksdb::TransactionDB* db_ = nullptr;
  mutable GcGate gc_gate_;
  ChangeObserver* change_observer_ = nullptr;
  std::array<rocksdb::ColumnFamilyHandle*, static_cast<int>(Cf::kCount)> handles_{};
};

// Commits `txn`. Errors: Aborted on a lock timeout or conflict (retryable).
absl::Status Commit(rocksdb::Transaction* txn);

// Reads `key` in `txn` and locks it until commit.
absl::StatusOr<std::optional<std::string>> GetForUpdate(rocksdb::Transaction* txn,
                                                        const Db& db, Cf cf,
                                                        absl::string_view key);

}  // namespace strata::internal

#endif  // STRATA_STORE_INTERNAL_DB_H_
