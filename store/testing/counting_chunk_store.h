// CountingChunkStore: a ChunkStore that forwards every call to another and counts
// them, for tests that check a Store goes through an injected ChunkStore
// (StoreOptions::chunk_store). A real implementation underneath, not a mock.
#ifndef STRATA_STORE_TESTING_COUNTING_CHUNK_STORE_H_
#define STRATA_STORE_TESTING_COUNTING_CHUNK_STORE_H_

#include <atomic>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "store/chunk_store.h"

namespace strata::testing {

// Thread-safe, as the store it wraps.
class CountingChunkStore : public ChunkStore {
 public:
  // Calls of each method so far.
  struct Counts {
    std::atomic<uint64_t> contains{0}, put_many{0}, sync{0}, read{0}, scan{0},
        stat_many{0}, touch{0}, del{0}, reclaim{0};
  };

  // `counts` must outlive this object (a test keeps it after the store closes).
  CountingChunkStore(std::unique_ptr<ChunkStore> inner, Counts* counts)
      : inner_(std::move(inner)), counts_(counts) {}

  absl::StatusOr<bool> Contains(const Digest& id) override {
    ++counts_->contains;
    return inner_->Contains(id);
  }
  absl::Status PutMany(const std::vector<EncodedChunk>& chunks,
                       Durability durability) override {
    ++counts_->put_many;
    return inner_->PutMany(chunks, durability);
  }
  absl::Status Sync() override {
    ++counts_->sync;
    return inner_->Sync();
  }
  absl::Status Read(const Digest& id, EncodedChunk* out) override {
    ++counts_->read;
    return inner_->Read(id, out);
  }
  std::unique_ptr<ChunkCursor> Scan() override {
    ++counts_->scan;
    return inner_->Scan();
  }
  absl::StatusOr<std::vector<std::optional<ChunkStat>>> StatMany(
      const std::vector<Digest>& ids) override {
    ++counts_->stat_many;
    return inner_->StatMany(ids);
  }
  absl::StatusOr<std::vector<bool>> Touch(const std::vector<Digest>& ids) override {
    ++counts_->touch;
    return inner_->Touch(ids);
  }
  absl::Status Delete(const std::vector<Digest>& ids) override {
    ++counts_->del;
    return inner_->Delete(ids);
  }
  absl::StatusOr<uint64_t> Reclaim(const ReclaimProgress& progress) override {
    ++counts_->reclaim;
    return inner_->Reclaim(progress);
  }
  uint64_t ApproximateCount() override { return inner_->ApproximateCount(); }

 private:
  std::unique_ptr<ChunkStore> inner_;
  Counts* counts_;
};

}  // namespace strata::testing

#endif  // STRATA_STORE_TESTING_COUNTING_CHUNK_STORE_H_
