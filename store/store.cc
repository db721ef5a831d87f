#include "store/store.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "rocksdb/utilities/checkpoint.h"
#include "store/chunk_backend.h"
#include "store/internal/db.h"
#include "store/internal/keys.h"
#include "store/internal/rocks_chunk_store.h"
#include "store/internal/rocks_status.h"
#include "store/render.h"
#include "store/status_macros.h"

namespace strata {

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& dir,
                                                   const StoreOptions& options) {
  internal::DbOptions db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.sync_commits = options.sync;
  db_options.block_cache_bytes = options.block_cache_bytes;
  db_options.env = options.env;
  std::unique_ptr<Store> store(new Store());
  ASSIGN_OR_RETURN(store->db_, internal::Db::Open(dir, db_options));
  store->db_->set_change_observer(options.change_observer);
  ASSIGN_OR_RETURN(std::optional<ChunkBackend> backend,
                   RecordedChunkBackend(*store->db_));
  if (backend.has_value()) {
    absl::StatusOr<std::unique_ptr<ChunkStore>> chunks =
        OpenChunkBackend(*backend, store->db_.get());
    if (!chunks.ok()) {
      return absl::Status(absl::IsInvalidArgument(chunks.status())
                              ? absl::StatusCode::kFailedPrecondition
                              : chunks.status().code(),
                          absl::StrCat("store ", dir, " keeps its chunks in ",
                                       backend->url, ": ", chunks.status().message()));
    }
    store->chunks_ = *std::move(chunks);
  } else {
    store->chunks_ = internal::NewRocksChunkStore(store->db_.get());
  }
  if (options.chunk_store) {
    ASSIGN_OR_RETURN(store->chunks_, options.chunk_store(std::move(store->chunks_)));
  }
  ContentStoreOptions content = options.content;
  content.sync = options.sync;
  store->content_ =
      std::make_unique<ContentStore>(store->db_.get(), store->chunks_.get(), content);
  store->artifacts_ = std::make_unique<ArtifactStore>(store->db_.get());
  store->runs_ = std::make_unique<RunStore>(store->db_.get(), store->artifacts_.get());
  store->tokens_ = std::make_unique<TokenTable>(store->db_.get());
  store->retention_policies_ = std::make_unique<RetentionPolicyTable>(store->db_.get());
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

GcGate& Store::gc_gate() { return db_->gc_gate(); }

const std::string& Store::dir() const { return db_->dir(); }

namespace {

// Whether `path` exists; an error for a path that cannot be examined.
absl::StatusOr<bool> Exists(const std::filesystem::path& path) {
  std::error_code error;
  const bool exists = std::filesystem::exists(path, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot examine ", path.string(), ": ", error.message()));
  }
  return exists;
}

// The parent of `dir` must exist and `dir` must not.
absl::Status CheckNewDir(const std::string& dir) {
  const std::filesystem::path path = std::filesystem::absolute(dir);
  ASSIGN_OR_RETURN(bool exists, Exists(path));
  if (exists) return absl::AlreadyExistsError(absl::StrCat(dir, " already exists"));
  ASSIGN_OR_RETURN(bool parent, Exists(path.parent_path()));
  if (!parent) {
    return absl::NotFoundError(absl::StrCat("the directory ", path.parent_path().string(),
                                            " (to hold ", dir, ") does not exist"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Store::Backup(const std::string& dir) {
  RETURN_IF_ERROR(CheckNewDir(dir));
  rocksdb::Checkpoint* raw = nullptr;
  RETURN_IF_ERROR(internal::FromRocks(rocksdb::Checkpoint::Create(db_->raw(), &raw),
                                      "preparing a backup"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  // Builds in DIR.tmp and renames it, removing it on failure.
  return internal::FromRocks(checkpoint->CreateCheckpoint(dir, /*log_size_for_flush=*/0),
                             absl::StrCat("backing up to ", dir));
}

absl::Status RestoreStore(const std::string& backup_dir, const std::string& dir) {
  ASSIGN_OR_RETURN(bool backup, Exists(std::filesystem::path(backup_dir) / "CURRENT"));
  if (!backup) {
    return absl::NotFoundError(
        absl::StrCat(backup_dir, " holds no store backup (no CURRENT file)"));
  }
  RETURN_IF_ERROR(CheckNewDir(dir));
  const std::filesystem::path target = std::filesystem::absolute(dir);
  const std::filesystem::path staging = target.string() + ".restoring";
  std::error_code error;
  std::filesystem::remove_all(staging, error);  // a previous attempt's
  std::filesystem::copy(backup_dir, staging, std::filesystem::copy_options::recursive,
                        error);
  absl::Status s;
  if (error) {
    s = absl::UnavailableError(absl::StrCat("cannot copy ", backup_dir, " to ",
                                            staging.string(), ": ", error.message()));
  }
  if (s.ok()) {
    StoreOptions options;
    auto opened = Store::Open(staging.string(), options);  // checks, then closes
    s = opened.status();
    if (!s.ok()) {
      s = absl::Status(s.code(), absl::StrCat("the backup in ", backup_dir,
                                              " does not open: ", s.message()));
    }
  }
  if (s.ok()) {
    std::filesystem::rename(staging, target, error);
    if (error) {
      s = absl::UnavailableError(absl::StrCat("cannot rename ", staging.string(), " to ",
                                              dir, ": ", error.message()));
    }
  }
  if (!s.ok()) std::filesystem::remove_all(staging, error);
  return s;
}

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
