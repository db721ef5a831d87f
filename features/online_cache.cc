#include "features/online_cache.h"

#include <cstring>

namespace strata::features {
namespace {

// Hash-table bookkeeping per entry, roughly.
constexpr size_t kEntryOverhead = 64;

size_t Cost(absl::string_view key, const OnlineCache::Row& row) {
  return key.size() + row.size + kEntryOverhead;
}

}  // namespace

OnlineCache::OnlineCache(size_t capacity_bytes)
    : shard_capacity_(capacity_bytes / kShards) {}

OnlineCache::Row OnlineCache::MakeRow(absl::string_view bytes) {
  Row row;
  auto owned = std::make_shared<char[]>(bytes.size());
  std::memcpy(owned.get(), bytes.data(), bytes.size());
  row.bytes = std::move(owned);
  row.size = bytes.size();
  return row;
}

void OnlineCache::FindMany(const std::vector<std::string>& keys, std::string* rows,
                           std::vector<Found>* out) const {
  out->assign(keys.size(), Found());
  rows->clear();
  rows->reserve(keys.size() * 512);
  // Keys grouped by shard: a counting sort of their indices.
  std::vector<HashedKey> hashed(keys.size());
  std::vector<uint8_t> shard_of(keys.size());
  std::array<uint32_t, kShards + 1> start{};
  for (size_t i = 0; i < keys.size(); ++i) {
    hashed[i] = {keys[i], HashKey(keys[i])};
    shard_of[i] = static_cast<uint8_t>(ShardIndex(hashed[i].hash));
    ++start[shard_of[i] + 1];
  }
  for (int s = 0; s < kShards; ++s) start[s + 1] += start[s];
  std::vector<uint32_t> order(keys.size());
  {
    std::array<uint32_t, kShards> next;
    std::copy(start.begin(), start.end() - 1, next.begin());
    for (size_t i = 0; i < keys.size(); ++i) order[next[shard_of[i]]++] = i;
  }
  std::vector<const Row*> hits(keys.size(), nullptr);
  for (int s = 0; s < kShards; ++s) {
    if (start[s] == start[s + 1]) continue;
    Shard& shard = shards_[s];
    std::lock_guard lock(shard.mu);
    uint32_t shard_hits = 0;
    // Prefetch every probe first, so the table's misses overlap too.
    for (uint32_t k = start[s]; k < start[s + 1]; ++k) {
      shard.rows.prefetch(hashed[order[k]]);
    }
    for (uint32_t k = start[s]; k < start[s + 1]; ++k) {
      const uint32_t i = order[k];
      Found& f = (*out)[i];
      f.generation = shard.generation;
      auto it = shard.rows.find(hashed[i]);
      if (it == shard.rows.end()) continue;
      f.hit = true;
      ++shard_hits;
      if (!it->second) continue;
      hits[i] = &it->second;
      const char* p = it->second.bytes.get();
      for (size_t at = 0; at < it->second.size; at += 64) __builtin_prefetch(p + at);
    }
    for (uint32_t k = start[s]; k < start[s + 1]; ++k) {
      const uint32_t i = order[k];
      if (hits[i] == nullptr) continue;
      Found& f = (*out)[i];
      f.present = true;
      f.offset = static_cast<uint32_t>(rows->size());
      f.size = static_cast<uint32_t>(hits[i]->size);
      rows->append(hits[i]->bytes.get(), hits[i]->size);
    }
    // Written under the shard's lock, read without it: no atomic read-modify-write.
    shard.hits.store(shard.hits.load(std::memory_order_relaxed) + shard_hits,
                     std::memory_order_relaxed);
    shard.misses.store(shard.misses.load(std::memory_order_relaxed) + start[s + 1] -
                           start[s] - shard_hits,
                       std::memory_order_relaxed);
  }
}

OnlineCache::Stats OnlineCache::stats() const {
  Stats total;
  for (const Shard& shard : shards_) {
    total.hits += shard.hits.load(std::memory_order_relaxed);
    total.misses += shard.misses.load(std::memory_order_relaxed);
  }
  return total;
}

void OnlineCache::Put(Shard& shard, const HashedKey& key, Row row) {
  const size_t cost = Cost(key.key, row);
  if (cost > shard_capacity_) return;
  auto it = shard.rows.find(key);
  if (it != shard.rows.end()) {
    shard.bytes -= Cost(key.key, it->second);
    it->second = std::move(row);
  } else {
    if (shard.bytes + cost > shard_capacity_) {
      shard.rows.clear();
      shard.bytes = 0;
    }
    shard.rows.emplace(std::string(key.key), std::move(row));
  }
  shard.bytes += cost;
}

void OnlineCache::Insert(absl::string_view key, Row row, uint64_t generation) {
  const HashedKey hashed{key, HashKey(key)};
  Shard& shard = shards_[ShardIndex(hashed.hash)];
  std::lock_guard lock(shard.mu);
  if (shard.generation != generation) return;
  Put(shard, hashed, std::move(row));
}

void OnlineCache::Update(absl::string_view key, absl::string_view row,
                         size_t version_bytes) {
  const HashedKey hashed{key, HashKey(key)};
  Shard& shard = shards_[ShardIndex(hashed.hash)];
  std::lock_guard lock(shard.mu);
  ++shard.generation;
  auto it = shard.rows.find(hashed);
  if (it == shard.rows.end()) return;  // not cached: the next reader reads the table
  const Row& cached = it->second;
  if (cached && cached.size >= version_bytes && row.size() >= version_bytes &&
      std::memcmp(cached.bytes.get(), row.data(), version_bytes) > 0) {
    return;  // the cached row is newer
  }
  Put(shard, hashed, MakeRow(row));
}

void OnlineCache::Erase(absl::string_view key) {
  const HashedKey hashed{key, HashKey(key)};
  Shard& shard = shards_[ShardIndex(hashed.hash)];
  std::lock_guard lock(shard.mu);
  ++shard.generation;  // a reader that read the old row does not insert it
  auto it = shard.rows.find(hashed);
  if (it == shard.rows.end()) return;
  shard.bytes -= Cost(key, it->second);
  shard.rows.erase(it);
}

}  // namespace strata::features
