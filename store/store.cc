#include "store/store.h"

#include "absl/strings/match.h"
#include "store/internal/db.h"
#include "store/internal/keys.h"
#include "store/internal/rocks_chunk_store.h"
#include "store/render.h"
#include "store/status_macros.h"

namespace strata {

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& dir,
                                                   const StoreOptions& options) {
  internal::DbOptions db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.sync_commits = options.sync;
  db_options.block_cache_bytes = options.block_cache_bytes;
  std::unique_ptr<Store> store(new Store());
  ASSIGN_OR_RETURN(store->db_, internal::Db::Open(dir, db_options));
  store->chunks_ = internal::NewRocksChunkStore(store->db_.get());
  ContentStoreOptions content = options.content;
  content.sync = options.sync;
  store->content_ =
      std::make_unique<ContentStore>(store->db_.get(), store->chunks_.get(), content);
  store->artifacts_ = std::make_unique<ArtifactStore>(store->db_.get());
  store->runs_ = std::make_unique<RunStore>(store->db_.get(), store->artifacts_.get());
  store->lineage_ = std::make_unique<Lineage>(store->db_.get());
  return store;
}

Store::~Store() = default;

absl::StatusOr<std::string> Store::LineageRoot(const std::string& ref_or_run) {
  if (absl::StartsWith(ref_or_run, "run/")) {
    ASSIGN_OR_RETURN(store::Run run, runs_->Get(ref_or_run.substr(4)));
    return internal::RunNode(run.id());
  }
  ASSIGN_OR_RETURN(Ref ref, ParseRef(ref_or_run));
  ASSIGN_OR_RETURN(store::Version v, artifacts_->ResolveRecord(ref));
  return VersionRef(v);
}

const std::string& Store::dir() const { return db_->dir(); }

uint64_t Store::ApproximateSizeBytes() const {
  uint64_t total = 0;
  for (int cf = 0; cf < static_cast<int>(internal::Cf::kCount); ++cf) {
    for (const std::string* property : {&rocksdb::DB::Properties::kLiveSstFilesSize,
                                        &rocksdb::DB::Properties::kLiveBlobFileSize}) {
      uint64_t bytes = 0;
      // A property RocksDB cannot give counts as 0: this is a gauge, not an audit.
      if (db_->raw()->GetIntProperty(db_->cf(static_cast<internal::Cf>(cf)), *property,
                                     &bytes)) {
        total += bytes;
      }
    }
  }
  return total;
}

}  // namespace strata
