// OnlineCache: online rows (or their absence) kept in memory in front of the online
// table, for servers that look the same entities up again and again. A cached
// lookup costs a hash probe instead of RocksDB's filter, index and block lookups.
// Internal to features/.
//
// Consistency: ingests in this process write through (Update keeps the newer of
// the cached and the new row, as the merge operator does), and a reader inserts
// what it read only when no update reached the shard since it read (generations),
// so the cache never holds a row older than the table's. Only one process opens a
// store, so no other writer exists.
#ifndef STRATA_FEATURES_ONLINE_CACHE_H_
#define STRATA_FEATURES_ONLINE_CACHE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"

namespace strata::features {

// Thread-safe.
class OnlineCache {
 public:
  // At most about `capacity_bytes` of keys and rows; a shard that would grow past
  // its share is emptied first (simple, and rare when the capacity fits the table).
  explicit OnlineCache(size_t capacity_bytes);

  // A row's bytes in one allocation with its reference count (one cache miss to
  // reach both); null: the key has no row.
  struct Row {
    std::shared_ptr<const char[]> bytes;
    size_t size = 0;
    explicit operator bool() const { return bytes != nullptr; }
  };
  static Row MakeRow(absl::string_view bytes);

  // Looks many keys up at once, copying the rows found into `rows` (no reference
  // counting on rows' cold cache lines): each shard is locked once, the rows of a
  // shard are prefetched before they are copied, so the cache misses of different
  // keys overlap.
  struct Found {
    bool hit = false;
    bool present = false;  // a hit with a row (not a known absence)
    uint32_t offset = 0;   // of the row in `rows`
    uint32_t size = 0;
    uint64_t generation = 0;  // pass to Insert after a miss
  };
  void FindMany(const std::vector<std::string>& keys, std::string* rows,
                std::vector<Found>* out) const;

  // Caches what a reader found for `key` unless an update reached its shard since
  // `generation` (from FindMany).
  void Insert(absl::string_view key, Row row, uint64_t generation);

  // An ingest committed `row` for `key`: replaces the cached row when it is absent
  // or older (by its first `version_bytes` bytes, as the online merge operator).
  void Update(absl::string_view key, absl::string_view row, size_t version_bytes);

  // The table's row of `key` was replaced or removed whatever its age (an online
  // repair): the cached row, if any, is dropped and the next reader reads the table.
  void Erase(absl::string_view key);

  // Keys looked up by FindMany since construction: a hit found the key (a row or a
  // known absence), a miss did not. Counted once per shard and batch, with relaxed
  // atomics; a sum read while lookups run may lag them slightly.
  struct Stats {
    uint64_t hits = 0, misses = 0;
  };
  Stats stats() const;

 private:
  static constexpr int kShards = 8;
  // A key with its hash, computed once for the shard, the prefetch and the probe.
  struct HashedKey {
    absl::string_view key;
    size_t hash;
  };
  static size_t HashKey(absl::string_view key) { return absl::HashOf(key); }
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(const HashedKey& k) const { return k.hash; }
    size_t operator()(absl::string_view k) const { return HashKey(k); }
  };
  struct KeyEq {
    using is_transparent = void;
    static absl::string_view View(const HashedKey& k) { return k.key; }
    static absl::string_view View(absl::string_view k) { return k; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return View(a) == View(b);
    }
  };
  struct Shard {
    mutable std::mutex mu;
    absl::flat_hash_map<std::string, Row, KeyHash, KeyEq> rows;
    size_t bytes = 0;
    uint64_t generation = 0;
    std::atomic<uint64_t> hits{0}, misses{0};
  };
  // The hash's top bits: the table uses the low ones.
  static size_t ShardIndex(size_t hash) { return hash >> 61; }
  void Put(Shard& shard, const HashedKey& key, Row row);

  size_t shard_capacity_;
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace strata::features

#endif  // STRATA_FEATURES_ONLINE_CACHE_H_
