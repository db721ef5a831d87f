#include "features/online_cache.h"

#include <cstring>

#include "absl/hash/hash.h"

namespace strata::features {
namespace {

// Hash-table bookkeeping per entry, roughly.
constexpr size_t kEntryOverhead = 64;

size_t Cost(absl::string_view key, const OnlineCache::Row& row) {
  return key.size() + (row ? row->size() : 0) + kEntryOverhead;
}

}  // namespace

OnlineCache::OnlineCache(size_t capacity_bytes)
    : shard_capacity_(capacity_bytes / kShards) {}

OnlineCache::Shard& OnlineCache::ShardOf(absl::string_view key) const {
  return shards_[absl::HashOf(key) % kShards];
}

OnlineCache::Lookup OnlineCache::Find(absl::string_view key) const {
  Shard& shard = ShardOf(key);
  std::lock_guard lock(shard.mu);
  Lookup out;
  out.generation = shard.generation;
  if (auto it = shard.rows.find(key); it != shard.rows.end()) {
    out.hit = true;
    out.row = it->second;
  }
  return out;
}

void OnlineCache::Put(Shard& shard, absl::string_view key, Row row) {
  const size_t cost = Cost(key, row);
  if (cost > shard_capacity_) return;
  auto it = shard.rows.find(key);
  if (it != shard.rows.end()) {
    shard.bytes -= Cost(key, it->second);
    it->second = std::move(row);
  } else {
    if (shard.bytes + cost > shard_capacity_) {
      shard.rows.clear();
      shard.bytes = 0;
    }
    shard.rows.emplace(std::string(key), std::move(row));
  }
  shard.bytes += cost;
}

void OnlineCache::Insert(absl::string_view key, Row row, uint64_t generation) {
  Shard& shard = ShardOf(key);
  std::lock_guard lock(shard.mu);
  if (shard.generation != generation) return;
  Put(shard, key, std::move(row));
}

void OnlineCache::Update(absl::string_view key, absl::string_view row,
                         size_t version_bytes) {
  Shard& shard = ShardOf(key);
  std::lock_guard lock(shard.mu);
  ++shard.generation;
  auto it = shard.rows.find(key);
  if (it == shard.rows.end()) return;  // not cached: the next reader reads the table
  const Row& cached = it->second;
  if (cached && cached->size() >= version_bytes && row.size() >= version_bytes &&
      std::memcmp(cached->data(), row.data(), version_bytes) > 0) {
    return;  // the cached row is newer
  }
  Put(shard, key, std::make_shared<const std::string>(row));
}

}  // namespace strata::features
