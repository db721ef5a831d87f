// FeatureLog: reading one feature view's offline log (docs/format.md, "feature_log")
// under one snapshot: the row in force for an entity at a time, chunk by chunk of
// an entity, every chunk of the view for a trim, and the rows of a window of event
// times. Historical retrieval, the online check and trimming read through it.
// Internal to features/.
#ifndef STRATA_FEATURES_FEATURE_LOG_H_
#define STRATA_FEATURES_FEATURE_LOG_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "features/codec.h"
#include "features/feature_store.h"
#include "rocksdb/iterator.h"
#include "rocksdb/slice.h"

namespace strata::internal {
class Db;
}
namespace rocksdb {
class Snapshot;
}

namespace strata::features {

// Which rows of the log a lookup sees (docs/features.md, "Point-in-time retrieval").
struct LogVisibility {
  // Only chunks of ingests committed at this position (IngestPosition::Includes).
  IngestPosition at;
  // Rows created after it are hidden (what was known then); none: no such bound.
  std::optional<Micros> as_of;
  // Rows created after the lookup's own time are hidden.
  bool created_cutoff = false;
};

// The earliest event time a lookup at `t` may take under `ttl` (0: unbounded).
inline Micros TtlWindowStart(Micros t, Micros ttl) {
  return ttl == 0 || t < INT64_MIN + ttl ? INT64_MIN : t - ttl;
}

// The row in force for one lookup (entity, t) among the chunks offered so far: the
// row with the largest event time in [t - ttl, t] that the visibility rules show,
// ties going to the larger created time, then to the later ingest.
// Offer every chunk of the entity the lookup's position includes, in any order.
struct RowInForce {
  Micros event = 0, created = 0;
  uint64_t ingest = 0;
  bool found = false;

  // Offers `chunk`, of ingest `ingest`, for a lookup at `t` whose window starts at
  // `oldest` (TtlWindowStart). Returns the index of the chunk's row that became the
  // row in force, or SIZE_MAX when none of its rows beats the one held.
  size_t Offer(const codec::LogChunk& chunk, uint64_t ingest, Micros t, Micros oldest,
               const LogVisibility& rules) {
    if (found && event > chunk.event(0)) return SIZE_MAX;  // nothing here can beat it
    // Rows descend by (event, created): the first visible one at or before t is
    // this chunk's candidate.
    for (size_t r = chunk.FirstAtOrBefore(t); r < chunk.size(); ++r) {
      const Micros e = chunk.event(r);
      if (e < oldest || (found && e < event)) break;
      const Micros c = chunk.created(r);
      if (rules.as_of.has_value() && c > *rules.as_of) continue;
      if (rules.created_cutoff && c > t) continue;
      if (!found || e > event ||
          (e == event && (c > created || (c == created && ingest > this->ingest)))) {
        *this = {e, c, ingest, true};
        return r;
      }
      return SIZE_MAX;
    }
    return SIZE_MAX;
  }
};

// One view's offline log read at one snapshot. Thread safety: a FeatureLog is
// immutable and may be shared; each cursor it makes belongs to one thread.
// The db and the snapshot must outlive it and its cursors.
class FeatureLog {
 public:
  // `view_id` 0 (a view that never had rows) reads nothing. `name` names the view in
  // errors. `snapshot` null: the latest state, read by each cursor when it opens.
  FeatureLog(const internal::Db& db, const rocksdb::Snapshot* snapshot, uint32_t view_id,
             std::string name);
  FeatureLog(const FeatureLog&) = delete;
  FeatureLog& operator=(const FeatureLog&) = delete;

  // The key prefix of the view's chunks (BE32 view id).
  const std::string& prefix() const { return prefix_; }
  const std::string& name() const { return name_; }

  // How a cursor reads.
  struct ReadMode {
    // A sweep in key order that reads most blocks once (a join, a trim): large
    // reads, and no churn in the block cache other readers rely on. false: point
    // reads of a few entities, through the cache.
    bool sweep = false;
  };

  // The chunks of one entity at a time, those `at` includes only, in key order.
  // Entities are visited in any order, most cheaply in ascending key order.
  class EntityChunks {
   public:
    // Positions at the first chunk of `entity` (VIEW ENTITY, as in a chunk key):
    // steps forward when it is a few keys ahead, seeks otherwise.
    void Seek(absl::string_view entity);
    // Reads the entity's next chunk that the position includes into chunk();
    // false after its last one, or on an error (see status()).
    bool Next();
    const codec::LogChunk& chunk() const { return chunk_; }
    // The ingest that wrote chunk().
    uint64_t ingest() const { return ingest_; }
    // DataLoss for a malformed chunk; RocksDB's error as ours.
    absl::Status status() const { return status_; }

   private:
    friend class FeatureLog;
    EntityChunks(const FeatureLog* log, const IngestPosition* at, ReadMode mode);
    const FeatureLog* log_;
    const IngestPosition* at_;
    std::unique_ptr<rocksdb::Iterator> it_;
    std::string entity_;
    bool fresh_ = false;  // positioned at a key not yet offered
    codec::LogChunk chunk_;
    uint64_t ingest_ = 0;
    absl::Status status_;
  };
  // REQUIRES: `at` outlives the cursor.
  EntityChunks Entities(const IngestPosition& at, ReadMode mode) const;

  // Every chunk of the view in key order, those `at` does not include too (a trim
  // must leave them as they are, and count them).
  class ChunkScan {
   public:
    // Moves to the next chunk; false after the last one, or on an error.
    bool Next();
    absl::string_view key() const { return {it_->key().data(), it_->key().size()}; }
    absl::string_view value() const {
      return {it_->value().data(), it_->value().size()};
    }
    // The chunk's entity (VIEW ENTITY) and ingest.
    absl::string_view entity() const {
      return key().substr(0, key().size() - codec::kLogChunkSuffixBytes);
    }
    uint64_t ingest() const { return ingest_; }
    // Whether the position includes the chunk; only then is chunk() read.
    bool visible() const { return visible_; }
    const codec::LogChunk& chunk() const { return chunk_; }
    // DataLoss for a malformed key or chunk; RocksDB's error as ours.
    absl::Status status() const { return status_; }

   private:
    friend class FeatureLog;
    ChunkScan(const FeatureLog* log, const IngestPosition* at);
    const FeatureLog* log_;
    const IngestPosition* at_;
    std::unique_ptr<rocksdb::Iterator> it_;
    bool started_ = false, visible_ = false;
    uint64_t ingest_ = 0;
    codec::LogChunk chunk_;
    absl::Status status_;
  };
  // REQUIRES: `at` outlives the scan.
  ChunkScan Chunks(const IngestPosition& at) const;

  // The approximate bytes of the view's log, memtables and files (RocksDB's
  // estimate, for progress reports); 0 when it cannot tell.
  uint64_t ApproximateBytes() const;

  // Up to `n` entity keys (VIEW ENTITY) of the log, sorted: all of them when there
  // are at most `n`, else drawn with `rng` by seeking to keys interpolated between
  // the first and the last (an entity after a wide gap is likelier than one in a
  // dense run; for a sample check that is fine). Any ingest's chunks count.
  // Errors: RocksDB's, as ours.
  absl::StatusOr<std::vector<std::string>> SampleEntities(size_t n,
                                                          std::mt19937_64* rng) const;

  // One row of a window scan.
  struct WindowRow {
    absl::string_view entity;  // VIEW ENTITY
    codec::RowStamp stamp;
    absl::string_view row;  // the row's values, codec::ReadRow's input
  };
  // Calls `fn` for every row, entity by entity in key order, whose event time is in
  // [from, to) and that `rules` show (created_cutoff against the row's own event
  // time): per entity and event time only the row in force (largest created, then
  // ingest), newest event first. Stops at fn's first error and returns it.
  // Errors: DataLoss for a malformed chunk; RocksDB's error as ours.
  absl::Status ScanWindow(Micros from, Micros to, const LogVisibility& rules,
                          const std::function<absl::Status(const WindowRow&)>& fn) const;

 private:
  // An iterator over the view's keys (bounded above by the next view's).
  std::unique_ptr<rocksdb::Iterator> NewIterator(ReadMode mode) const;
  absl::Status Malformed(absl::string_view what) const;

  const internal::Db& db_;
  const rocksdb::Snapshot* snapshot_;
  std::string name_, prefix_, prefix_end_;
  rocksdb::Slice upper_;  // prefix_end_
};

}  // namespace strata::features

#endif  // STRATA_FEATURES_FEATURE_LOG_H_
