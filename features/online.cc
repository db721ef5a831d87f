// Online lookup: one MultiGet per view in the online table, whose merge operator
// keeps each entity's newest row.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "features/codec.h"
#include "features/feature_store.h"
#include "features/impl.h"
#include "store/internal/rocks_status.h"
#include "store/render.h"
#include "store/json_writer.h"
#include "store/status_macros.h"

namespace strata::features {

absl::Status EntityKeys(const ResolvedView& view, EntityColumns& entities,
                        std::vector<std::string>* keys) {
  const size_t n = entities.empty() ? 0 : entities.front().second.size();
  std::vector<std::vector<Value>*> key_columns;
  for (size_t k = 0; k < view.join_key_names.size(); ++k) {
    std::vector<Value>* column = nullptr;
    for (auto& [name, vals] : entities) {
      if (name == view.join_key_names[k]) column = &vals;
    }
    if (column == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("no values for join key ", view.join_key_names[k],
                       " of feature view ", view.def.name()));
    }
    key_columns.push_back(column);
  }
  const std::string prefix = view.Prefix();
  keys->resize(n);
  for (size_t i = 0; i < n; ++i) {
    std::string& key = (*keys)[i];
    key = prefix;
    for (size_t k = 0; k < key_columns.size(); ++k) {
      Value& v = (*key_columns[k])[i];
      if (view.join_key_types[k] == VALUE_TYPE_INT64 &&
          std::holds_alternative<std::string>(v)) {
        // A string holding an int64, by the rules of files (docs/features.md).
        auto parsed =
            ParseValue(std::get<std::string>(v), VALUE_TYPE_INT64, TimeUnit::kSeconds);
        if (!parsed.ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat("join key ", view.join_key_names[k], " value ", i + 1, ": ",
                           parsed.status().message()));
        }
        v = *parsed;
      }
      const bool ok = view.join_key_types[k] == VALUE_TYPE_INT64
                          ? std::holds_alternative<int64_t>(v)
                          : std::holds_alternative<std::string>(v);
      if (!ok) {
        return absl::InvalidArgumentError(absl::StrCat(
            "join key ", view.join_key_names[k], " value ", i + 1, " is not ",
            view.join_key_types[k] == VALUE_TYPE_INT64 ? "an int64" : "a string"));
      }
      codec::AppendEntityPart(&key, v);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<OnlineResult> FeatureStore::Online(
    const std::vector<std::string>& features, const EntityColumns& entities,
    Micros now) const {
  if (features.empty()) return absl::InvalidArgumentError("no features requested");
  if (entities.empty()) return absl::InvalidArgumentError("no entities given");
  const size_t n = entities.front().second.size();
  for (const auto& [name, values] : entities) {
    if (values.size() != n) {
      return absl::InvalidArgumentError(absl::StrCat("join key ", name, " has ",
                                                     Count(values.size(), "value"), ", but ",
                                                     entities.front().first, " has ", n));
    }
  }
  OnlineResult result;
  result.entities = entities;
  result.features = features;
  result.types.resize(features.size());
  result.values.reserve(features.size());

  // Requested features grouped by view, in order of first appearance.
  struct Group {
    std::shared_ptr<const ResolvedView> view;
    std::vector<uint32_t> columns;
    std::vector<size_t> outputs;
    std::vector<bool> requested;  // by feature index
  };
  std::vector<Group> groups;
  for (size_t f = 0; f < features.size(); ++f) {
    ASSIGN_OR_RETURN(auto parts, SplitFeatureRefView(features[f]));
    Group* g = nullptr;
    for (auto& existing : groups) {
      if (existing.view->def.name() == parts.first) g = &existing;
    }
    if (g == nullptr) {
      ASSIGN_OR_RETURN(auto view, impl_->View(std::string(parts.first), 0));
      g = &groups.emplace_back();
      g->view = std::move(view);
    }
    const int index = g->view->FeatureIndex(parts.second);
    if (index < 0) {
      return absl::NotFoundError(
          absl::StrCat("feature view ", parts.first, " has no feature ", parts.second));
    }
    if (g->requested.size() <= static_cast<size_t>(index)) {
      g->requested.resize(g->view->def.features_size());
    }
    if (g->requested[index]) {
      return absl::InvalidArgumentError(
          absl::StrCat("feature ", features[f], " is requested twice"));
    }
    g->requested[index] = true;
    g->columns.push_back(g->view->feature_columns[index]);
    g->outputs.push_back(f);
    result.types[f] = g->view->def.features(index).type();
    result.values.emplace_back(result.types[f], n);
  }

  const internal::Db& db = store_->internal_db();
  OnlineCache* cache = impl_->online_cache.get();
  std::vector<std::string> keys(n);
  std::vector<rocksdb::Slice> slices(n);
  std::vector<rocksdb::PinnableSlice> values;  // for cache misses
  std::vector<rocksdb::Status> statuses;
  for (const Group& g : groups) {
    const ResolvedView& view = *g.view;
    RETURN_IF_ERROR(EntityKeys(view, result.entities, &keys));
    for (size_t i = 0; i < n; ++i) slices[i] = rocksdb::Slice(keys[i]);
    if (view.id == 0) continue;  // nothing ingested: every entity NOT_FOUND

    // Rows from the cache, the rest with one MultiGet (and then cached).
    std::vector<absl::string_view> found(n);
    std::vector<bool> present(n, false);
    std::vector<uint64_t> generations;
    std::vector<size_t> misses;
    std::vector<rocksdb::Slice> miss_keys;
    std::vector<OnlineCache::Found> lookups;
    std::string cached_rows;
    if (cache != nullptr) cache->FindMany(keys, &cached_rows, &lookups);
    for (size_t i = 0; i < n; ++i) {
      if (cache != nullptr) {
        const OnlineCache::Found& hit = lookups[i];
        if (hit.hit) {
          if (hit.present) {
            found[i] = absl::string_view(cached_rows).substr(hit.offset, hit.size);
            present[i] = true;
          }
          continue;
        }
        generations.push_back(hit.generation);
      }
      misses.push_back(i);
      miss_keys.push_back(slices[i]);
    }
    if (!misses.empty()) {
      values.clear();
      values.resize(misses.size());
      statuses.assign(misses.size(), rocksdb::Status());
      db.raw()->MultiGet(rocksdb::ReadOptions(), db.cf(internal::Cf::kFeatureOnline),
                         misses.size(), miss_keys.data(), values.data(), statuses.data());
      for (size_t m = 0; m < misses.size(); ++m) {
        const size_t i = misses[m];
        if (!statuses[m].IsNotFound()) {
          RETURN_IF_ERROR(internal::FromRocks(statuses[m], "reading the online table"));
          found[i] = absl::string_view(values[m].data(), values[m].size());
          present[i] = true;
        }
        if (cache != nullptr) {
          cache->Insert(keys[i],
                        present[i] ? OnlineCache::MakeRow(found[i]) : OnlineCache::Row(),
                        generations[m]);
        }
      }
    }

    const Micros ttl = view.def.ttl_seconds() * 1000000;
    const std::vector<int> slots =
        codec::ColumnSlots(g.columns, view.column_types.size());
    std::vector<OnlineColumn*> columns;  // by slot
    for (size_t out : g.outputs) columns.push_back(&result.values[out]);
    // Rows of a view whose columns are all 8 bytes wide are usually dense: every
    // column, in id order, as AppendRow writes a row without nulls.
    const size_t width = view.column_types.size();
    bool dense = width < 128;
    for (ValueType t : view.column_types) {
      dense = dense && (t == VALUE_TYPE_INT64 || t == VALUE_TYPE_DOUBLE ||
                        t == VALUE_TYPE_TIMESTAMP);
    }
    for (size_t i = 0; i < n; ++i) {
      if (!present[i]) continue;
      const absl::string_view value = found[i];
      if (value.size() < codec::kOnlineHeaderBytes) {
        return absl::DataLossError("malformed online row");
      }
      const codec::RowStamp h = codec::DecodeOnlineHeader(value);
      const bool stale = ttl > 0 && h.event < now - ttl;
      const FeatureStatus status =
          stale ? FeatureStatus::kOutsideMaxAge : FeatureStatus::kNullValue;
      for (OnlineColumn* column : columns) column->SetFound(i, status, h.event);
      if (stale) continue;  // the values are withheld
      const absl::string_view row = value.substr(codec::kOnlineHeaderBytes);
      if (dense && row.size() == 1 + 9 * width && static_cast<uint8_t>(row[0]) == width) {
        // Every entry is 9 bytes, at a known place: read the wanted ones directly,
        // checking each one's column id.
        size_t c = 0;
        for (; c < g.columns.size(); ++c) {
          const char* p = row.data() + 1 + 9 * g.columns[c];
          if (static_cast<uint8_t>(*p) != g.columns[c]) break;
          uint64_t bits;
          std::memcpy(&bits, p + 1, 8);
          columns[c]->SetNumber(i, codec::LittleEndian64(bits));
        }
        if (c == g.columns.size()) continue;
      }
      RETURN_IF_ERROR(codec::VisitRow(value.substr(codec::kOnlineHeaderBytes), slots,
                                      view.column_types, [&](int slot, auto&& v) {
                                        columns[slot]->SetValue(
                                            i, std::forward<decltype(v)>(v));
                                      }));
    }
  }
  return result;
}

OnlineCacheStats FeatureStore::online_cache_stats() const {
  const OnlineCache* cache = impl_->online_cache.get();
  if (cache == nullptr) return {};
  const OnlineCache::Stats stats = cache->stats();
  return {.hits = stats.hits, .misses = stats.misses};
}

}  // namespace strata::features
