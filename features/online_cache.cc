#include "features/online_cache.h"

#include <cstring>

#include "absl/hash/hash.h"

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

void OnlineCache::FindMany(const std::vector<std::string>& keys,
                           std::vector<Lookup>* out) const {
  out->assign(keys.size(), Lookup());
  std::array<std::vector<uint32_t>, kShards> by_shard;
  std::vector<size_t> hashes(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    hashes[i] = absl::HashOf(absl::string_view(keys[i]));
    by_shard[hashes[i] % kShards].push_back(static_cast<uint32_t>(i));
  }
  for (int s = 0; s < kShards; ++s) {
    if (by_shard[s].empty()) continue;
    Shard& shard = shards_[s];
    std::lock_guard lock(shard.mu);
    for (uint32_t i : by_shard[s]) {
      Lookup& l = (*out)[i];
      l.generation = shard.generation;
      if (auto it = shard.rows.find(absl::string_view(keys[i])); it != shard.rows.end()) {
        l.hit = true;
        l.row = it->second;
      }
    }
  }
  for (const Lookup& l : *out) {
    if (l.row) {
      const char* p = l.row.bytes.get();
      for (size_t at = 0; at < l.row.size; at += 64) __builtin_prefetch(p + at);
    }
  }
}

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
  if (cached && cached.size >= version_bytes && row.size() >= version_bytes &&
      std::memcmp(cached.bytes.get(), row.data(), version_bytes) > 0) {
    return;  // the cached row is newer
  }
  Put(shard, key, MakeRow(row));
}

}  // namespace strata::features
