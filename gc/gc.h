// CollectGarbage: frees the content no live version needs (strata gc,
// docs/operations.md).
//
//   GcOptions options;
//   options.grace = absl::Hours(1);
//   ASSIGN_OR_RETURN(GcReport report, CollectGarbage(*store, options));
#ifndef STRATA_GC_GC_H_
#define STRATA_GC_GC_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "store/store.h"

namespace strata::gc {

struct GcOptions {
  // Only report what would be freed; write nothing. Default false.
  bool dry_run = false;
  // Chunks and manifests younger than this are kept even when nothing names them:
  // a put or an upload in flight may be about to. Counted from when a chunk was
  // written or last reported stored to an upload, and from when a manifest was
  // written. Default 1 hour. Puts and commits in this process are protected however
  // short it is (a put's content for a minute after the put); an upload through the
  // chunk protocol (POST /v1/chunks/missing, then the chunks and the commit) must
  // send each request within the grace period of the one before.
  absl::Duration grace = absl::Hours(1);
  // After the sweep, compact the chunk index so that blob files full of garbage
  // are deleted, and rewrite the oldest blob files while at least half of what they
  // hold is garbage (never more bytes copied than freed). Default true; false
  // leaves the space to RocksDB's own compactions, which free whole files only.
  bool reclaim = true;
  // Called as work advances: `phase` is "mark", "sweep" or "reclaim"; `done` and
  // `total` count records read (mark), candidates checked (sweep) or steps
  // (reclaim). From the calling thread only.
  std::function<void(absl::string_view phase, uint64_t done, uint64_t total)> progress;
  // For tests: runs after the mark phase and before anything is deleted, so a test
  // can write concurrently at the worst moment.
  std::function<void()> after_mark;
};

struct GcReport {
  bool dry_run = false;
  absl::Duration grace;
  uint64_t versions = 0;          // version records read
  uint64_t deleted_versions = 0;  // of them, deleted (their content is collectable)
  uint64_t manifests = 0;         // manifests read
  uint64_t manifests_young = 0;   // named by no live version, within the grace period
  uint64_t manifests_found = 0;   // named by no live version and older than grace
  uint64_t manifests_freed = 0;
  uint64_t chunks = 0;        // chunk records read
  uint64_t chunks_live = 0;   // named by a live or young manifest
  uint64_t chunks_young = 0;  // named by none, but within the grace period
  uint64_t chunks_found = 0;  // garbage: named by none and older than grace
  uint64_t bytes_found = 0;   // stored (compressed) bytes of chunks_found
  uint64_t chunks_freed = 0;  // deleted (chunks_found less what writers took)
  uint64_t bytes_freed = 0;
  uint64_t chunks_kept = 0;  // found, then kept: a writer referenced them
  // Reclaim: bytes of blob files rewritten (copied live blobs) and the store's
  // live file bytes before gc and after.
  uint64_t bytes_rewritten = 0;
  uint64_t disk_bytes_before = 0;
  uint64_t disk_bytes_after = 0;
};

// Marks every chunk named by a manifest that a live (not deleted) version names or
// that is younger than the grace period, then deletes the other manifests and
// chunks older than the grace period, in batches, and reclaims their space.
// Safe while this process's other threads put, upload and commit: what they
// reference while gc runs is kept (store/gc_gate.h). A crash at any
// point leaves a consistent store (each batch is atomic); gc again finishes.
// Errors: FailedPrecondition when gc is already running on this store;
// Unavailable or ResourceExhausted on I/O failure; DataLoss for records that do
// not parse.
absl::StatusOr<GcReport> CollectGarbage(Store& store, const GcOptions& options);

// Every counter of `report` with its name: "versions", "deleted_versions",
// "manifests", "manifests_young", "manifests_found", "manifests_freed", "chunks",
// "chunks_live", "chunks_young", "chunks_found", "bytes_found", "chunks_freed",
// "bytes_freed", "chunks_kept", "bytes_rewritten", "disk_bytes_before",
// "disk_bytes_after". The JSON report and api.proto's GcReportView use these names.
std::vector<std::pair<absl::string_view, uint64_t*>> GcReportCounters(GcReport& report);

}  // namespace strata::gc

#endif  // STRATA_GC_GC_H_
