#include "store/internal/db.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "rocksdb/cache.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/merge_operator.h"
#include "rocksdb/table.h"
#include "rocksdb/transaction_log.h"
#include "store/internal/keys.h"
#include "store/internal/rocks_status.h"
#include "store/status_macros.h"
#include "store/store.pb.h"

namespace strata::internal {
namespace {

// Above this much write-ahead log, closing flushes so the next open need not replay.
// (ContentStoreOptions::bulk_threshold_bytes keeps a large put's log below it.)
constexpr uint64_t kFlushOnCloseLogBytes = 8 << 20;

constexpr std::array<absl::string_view, static_cast<int>(Cf::kCount)> kCfNames = {
    "default",      kCfChunks,     kCfChunkMeta,     kCfManifests, kCfArtifacts,
    kCfVersions,    kCfAliases,    kCfAliasLog,      kCfRuns,      kCfEdges,
    kCfFeatureMeta, kCfFeatureLog, kCfFeatureOnline, kCfTokens, kCfFeatureServed,
    kCfChunkPacks,
};

// See kMergeVersionBytes. Associative: the max of any grouping is the same max, so
// RocksDB may combine operands in any order, and ingests need no lock.
class MaxVersionMerge : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& /*key*/, const rocksdb::Slice* existing,
             const rocksdb::Slice& value, std::string* new_value,
             rocksdb::Logger* /*logger*/) const override {
    if (existing != nullptr && Newer(*existing, value)) {
      new_value->assign(existing->data(), existing->size());
    } else {
      new_value->assign(value.data(), value.size());
    }
    return true;
  }
  const char* Name() const override { return "strata.MaxVersionMerge"; }

 private:
  // True when `a` is strictly newer than `b`; equal versions go to `b`, the later.
  // A value too short to hold a version (never written by strata) loses.
  static bool Newer(const rocksdb::Slice& a, const rocksdb::Slice& b) {
    if (a.size() < kMergeVersionBytes) return false;
    if (b.size() < kMergeVersionBytes) return true;
    return memcmp(a.data(), b.data(), kMergeVersionBytes) > 0;
  }
};

rocksdb::ColumnFamilyOptions MetadataCfOptions(
    const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions cf;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  // Partitioned index and filters: a compacted file of millions of edges has a
  // multi-MB index, bigger than a cache shard, which a whole-file index would
  // re-read and decompress on every seek (a depth-10 lineage walk took 600 ms).
  // Partitions are cached like data blocks; the small top level stays pinned.
  table.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  table.partition_filters = true;
  table.metadata_block_size = 4096;
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.pin_top_level_index_and_filter = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf.compression = rocksdb::kLZ4Compression;
  cf.bottommost_compression = rocksdb::kZSTD;
  cf.write_buffer_size = 16 << 20;
  return cf;
}

// Chunks are 16-256 KiB, already zstd-compressed by ContentStore: they go to
// integrated blob files so compaction moves only small blob indexes. No
// automatic blob garbage collection: it relocates the blobs of the oldest
// files at every compaction whether or not they hold garbage (a quarter of a
// large put rewritten right after it). Only gc deletes chunks; it reclaims
// their space with a manual compaction that forces blob garbage collection.
void TuneChunksCf(const DbOptions& options, rocksdb::ColumnFamilyOptions& cf) {
  cf.enable_blob_files = true;
  cf.min_blob_size = 1024;
  cf.blob_compression_type = rocksdb::kNoCompression;
  cf.enable_blob_garbage_collection = false;
  cf.compression = rocksdb::kNoCompression;
  cf.bottommost_compression = rocksdb::kDisableCompressionOption;
  cf.write_buffer_size = options.chunk_write_buffer_bytes;
  cf.max_write_buffer_number = 3;
  cf.blob_file_size = 256 << 20;
}

// Rows are keys of ~36 bytes (prefix-compressed) and values of packed,
// mostly incompressible numbers, so blocks are not compressed. A historical
// retrieval sweeps the log in key order: 64 KiB blocks make a sixteenth of
// the block reads and cache insertions of 4 KiB ones.
void TuneFeatureLogCf(rocksdb::ColumnFamilyOptions& cf) {
  rocksdb::BlockBasedTableOptions table =
      *cf.table_factory->GetOptions<rocksdb::BlockBasedTableOptions>();
  table.block_size = 64 << 10;
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf.compression = rocksdb::kNoCompression;
  cf.bottommost_compression = rocksdb::kDisableCompressionOption;
  cf.write_buffer_size = 64 << 20;
}

// Point lookups on the serving path: a whole-file index and filter held by
// the table reader (no block cache lookups for them), and a hash index in
// each data block, leave one cache lookup per key. The online table holds
// one small row per entity, so its index stays a few MB per million.
void TuneFeatureOnlineCf(const std::shared_ptr<rocksdb::Cache>& cache,
                         rocksdb::ColumnFamilyOptions& cf) {
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
  table.cache_index_and_filter_blocks = false;
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf.merge_operator = std::make_shared<MaxVersionMerge>();
  cf.compression = rocksdb::kNoCompression;
  cf.bottommost_compression = rocksdb::kDisableCompressionOption;
}

// Every column family, in Cf order, with its options.
std::vector<rocksdb::ColumnFamilyDescriptor> ColumnFamilies(
    const DbOptions& options, const std::shared_ptr<rocksdb::Cache>& cache) {
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (int i = 0; i < static_cast<int>(Cf::kCount); ++i) {
    rocksdb::ColumnFamilyOptions cf = MetadataCfOptions(cache);
    if (static_cast<Cf>(i) == Cf::kChunks) TuneChunksCf(options, cf);
    if (static_cast<Cf>(i) == Cf::kFeatureLog) TuneFeatureLogCf(cf);
    if (static_cast<Cf>(i) == Cf::kFeatureOnline) TuneFeatureOnlineCf(cache, cf);
    descriptors.emplace_back(std::string(kCfNames[i]), cf);
  }
  return descriptors;
}

rocksdb::DBOptions DatabaseOptions(const DbOptions& options) {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = options.create_if_missing;
  if (options.env != nullptr) db_options.env = options.env;
  // An existing store gets any column family it lacks: `init` creates them one by
  // one, so a store whose init was interrupted is completed here, and a newer
  // strata adding a family starts it empty.
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.bytes_per_sync = 1 << 20;
  db_options.max_total_wal_size = 256 << 20;
  // Every CLI command opens the store: at INFO, RocksDB would write a 130 KB options
  // dump to LOG each time. Warnings and errors still go there.
  db_options.info_log_level = rocksdb::WARN_LEVEL;
  db_options.keep_log_file_num = 3;
  db_options.max_manifest_file_size = 64 << 20;
  db_options.enable_pipelined_write = true;
  // Open is on every CLI command's path: the default 16 file-opening threads per
  // column family cost ~100 ms of thread start-up for a handful of small files.
  db_options.max_file_opening_threads = 1;
  db_options.skip_stats_update_on_db_open = true;
  return db_options;
}

// Opens the database as a TransactionDB, filling `handles` in Cf order.
// Errors: Unavailable when another process holds the store's lock; else as FromRocks.
absl::StatusOr<rocksdb::TransactionDB*> OpenTransactionDb(
    const std::string& dir, const rocksdb::DBOptions& db_options,
    const std::vector<rocksdb::ColumnFamilyDescriptor>& descriptors,
    std::vector<rocksdb::ColumnFamilyHandle*>* handles) {
  rocksdb::TransactionDBOptions txn_options;
  txn_options.transaction_lock_timeout = 30000;  // ms; commits queue behind fsyncs
  txn_options.default_lock_timeout = 30000;

  // A plain DB, then wrapped: TransactionDB::Open would disable auto-compaction
  // during open and re-enable it one column family at a time, rewriting and
  // fsyncing the OPTIONS file each time (a third of a small command's run time),
  // and would keep flushed memtables in memory for snapshot validation, which
  // transactions without snapshots never use.
  rocksdb::DB* base = nullptr;
  rocksdb::TransactionDB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, dir, descriptors, handles, &base);
  if (s.ok()) {
    s = rocksdb::TransactionDB::WrapDB(base, txn_options,
                                       /*compaction_enabled_cf_indices=*/{}, *handles,
                                       &raw);
  }
  if (!s.ok()) {
    if (s.IsIOError() && (absl::StrContains(s.ToString(), "lock") ||
                          absl::StrContains(s.ToString(), "Resource temporarily"))) {
      return absl::UnavailableError(
          absl::StrCat("store ", dir, " is in use by another process"));
    }
    return FromRocks(s, absl::StrCat("opening store ", dir));
  }
  return raw;
}

// Writes the format record of a new store, or checks an existing store's.
// Errors: DataLoss for an unreadable record; FailedPrecondition for another version.
absl::Status CheckFormat(Db& db) {
  ASSIGN_OR_RETURN(auto format_value, db.Get(Cf::kDefault, kFormatKey));
  if (!format_value.has_value()) {
    store::FormatInfo info;
    info.set_format_version(kFormatVersion);
    info.set_created_us(absl::ToUnixMicros(absl::Now()));
    rocksdb::WriteBatch batch;
    batch.Put(db.cf(Cf::kDefault), std::string(kFormatKey), info.SerializeAsString());
    return db.WriteUnlocked(&batch, /*sync=*/true);
  }
  store::FormatInfo info;
  if (!info.ParseFromString(*format_value)) {
    return absl::DataLossError(
        absl::StrCat("store ", db.dir(), ": unreadable format record"));
  }
  if (info.format_version() != kFormatVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("store ", db.dir(), " has format version ", info.format_version(),
                     "; this strata reads version ", kFormatVersion));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Db>> Db::Open(const std::string& dir,
                                             const DbOptions& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const bool exists = fs::exists(fs::path(dir) / "CURRENT", ec);
  if (!exists && !options.create_if_missing) {
    return absl::NotFoundError(
        absl::StrCat("no strata store at ", dir, " (run `strata init` to create one)"));
  }

  auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  ASSIGN_OR_RETURN(rocksdb::TransactionDB * raw,
                   OpenTransactionDb(dir, DatabaseOptions(options),
                                     ColumnFamilies(options, cache), &handles));
  std::unique_ptr<Db> db(new Db());
  db->dir_ = dir;
  db->options_ = options;
  db->db_ = raw;
  for (size_t i = 0; i < handles.size(); ++i) db->handles_[i] = handles[i];
  RETURN_IF_ERROR(CheckFormat(*db));
  return db;
}

Db::~Db() {
  if (db_ == nullptr) return;
  // A large log would make the next open slow (it is replayed): flush every
  // memtable so it can go. A small one is cheaper to replay than to flush ten
  // column families (an SST and fsyncs each), which a small command would pay.
  rocksdb::VectorLogPtr logs;
  uint64_t log_bytes = 0;
  if (db_->GetSortedWalFiles(logs).ok()) {
    for (const auto& log : logs) log_bytes += log->SizeFileBytes();
  }
  if (log_bytes > kFlushOnCloseLogBytes) {
    std::vector<rocksdb::ColumnFamilyHandle*> all(handles_.begin(), handles_.end());
    rocksdb::FlushOptions flush;
    flush.allow_write_stall = true;
    db_->Flush(flush, all).PermitUncheckedError();
  }
  for (auto* h : handles_) {
    if (h != nullptr) db_->DestroyColumnFamilyHandle(h);
  }
  db_->Close();
  delete db_;
}

absl::StatusOr<std::optional<std::string>> Db::Get(Cf which,
                                                   absl::string_view key) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf(which), ToSlice(key), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocks(s, "read");
  return value;
}

absl::Status Db::WriteUnlocked(rocksdb::WriteBatch* batch, bool sync) {
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  rocksdb::TransactionDBWriteOptimizations opt;
  opt.skip_concurrency_control = true;
  opt.skip_duplicate_key_check = true;
  return FromRocks(db_->Write(wo, opt, batch), "write");
}

std::unique_ptr<rocksdb::Transaction> Db::Begin() const {
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_commits;
  rocksdb::TransactionOptions to;
  to.deadlock_detect = true;
  return std::unique_ptr<rocksdb::Transaction>(db_->BeginTransaction(wo, to));
}

void Db::Cursor::Seek(absl::string_view prefix) {
  prefix_.assign(prefix.data(), prefix.size());
  it_->Seek(ToSlice(prefix));
}

bool Db::Cursor::Valid() const {
  return it_->Valid() && it_->key().starts_with(rocksdb::Slice(prefix_));
}

absl::Status Db::Cursor::status() const { return FromRocks(it_->status(), "scan"); }

std::unique_ptr<Db::Cursor> Db::NewCursor(Cf which) const {
  auto out = std::unique_ptr<Cursor>(new Cursor());
  out->it_.reset(db_->NewIterator(rocksdb::ReadOptions(), cf(which)));
  return out;
}

std::unique_ptr<Db::Cursor> Db::Scan(Cf which, absl::string_view prefix) const {
  auto cursor = NewCursor(which);
  cursor->Seek(prefix);
  return cursor;
}

absl::StatusOr<std::vector<std::optional<std::string>>> Db::MultiGet(
    Cf which, const std::vector<std::string>& keys) const {
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db_->MultiGet(rocksdb::ReadOptions(), cf(which), keys.size(), slices.data(),
                values.data(), statuses.data());
  std::vector<std::optional<std::string>> out(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    if (!statuses[i].ok()) return FromRocks(statuses[i], "read");
    out[i] = values[i].ToString();
  }
  return out;
}

absl::Status Commit(rocksdb::Transaction* txn) {
  return FromRocks(txn->Commit(), "commit");
}

absl::StatusOr<std::optional<std::string>> GetForUpdate(rocksdb::Transaction* txn,
                                                        const Db& db, Cf cf,
                                                        absl::string_view key) {
  std::string value;
  rocksdb::Status s =
      txn->GetForUpdate(rocksdb::ReadOptions(), db.cf(cf), ToSlice(key), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocks(s, "read for update");
  return value;
}

}  // namespace strata::internal
