// Online lookup: one batched lookup per view in the online table (OnlineTable), with
// the online cache in front of it.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "features/codec.h"
#include "features/feature_store.h"
#include "features/online_serving.h"
#include "features/served_log.h"
#include "features/view_catalog.h"
#include "store/render.h"
#include "store/json_writer.h"
#include "store/status_macros.h"

namespace strata::features {

namespace {

// The requested features of one view, in the order of the request.
struct ViewRequest {
  std::shared_ptr<const ResolvedView> view;
  std::vector<uint32_t> columns;  // the column id of each
  std::vector<size_t> outputs;    // the place of each in the result
  std::vector<int> indexes;       // the index of each in view->def.features()
  std::vector<bool> requested;    // by feature index
};

// The number of entities: every join key column's length.
// Errors: InvalidArgument when they differ or there are none.
absl::StatusOr<size_t> EntityCount(const EntityColumns& entities) {
  if (entities.empty()) return absl::InvalidArgumentError("no entities given");
  const size_t n = entities.front().second.size();
  for (const auto& [name, values] : entities) {
    if (values.size() != n) {
      return absl::InvalidArgumentError(absl::StrCat("join key ", name, " has ",
                                                     Count(values.size(), "value"), ", but ",
                                                     entities.front().first, " has ", n));
    }
  }
  return n;
}

// `features` grouped by view, in order of first appearance; sets each feature's
// type and an empty column of `n` values in `result`.
// Errors: NotFound for an unknown view or feature; InvalidArgument for a malformed
// or repeated feature.
absl::StatusOr<std::vector<ViewRequest>> GroupByView(const ViewResolver& views,
                                                     const std::vector<std::string>& features,
                                                     size_t n, OnlineResult* result) {
  std::vector<ViewRequest> groups;
  for (size_t f = 0; f < features.size(); ++f) {
    ASSIGN_OR_RETURN(auto parts, SplitFeatureRefView(features[f]));
    ViewRequest* g = nullptr;
    for (auto& existing : groups) {
      if (existing.view->def.name() == parts.first) g = &existing;
    }
    if (g == nullptr) {
      ASSIGN_OR_RETURN(auto view, views(std::string(parts.first)));
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
    g->indexes.push_back(index);
    result->types[f] = g->view->def.features(index).type();
    result->values.emplace_back(result->types[f], n);
  }
  return groups;
}

// Decodes the online rows of one view's entities into the result's columns.
class RowDecoder {
 public:
  RowDecoder(const ViewRequest& request, Micros now, OnlineResult* result)
      : request_(request),
        view_(*request.view),
        now_(now),
        ttl_(view_.def.ttl_seconds() * 1000000),
        slots_(codec::ColumnSlots(request.columns, view_.column_types.size())),
        width_(view_.column_types.size()) {
    for (size_t out : request.outputs) columns_.push_back(&result->values[out]);
    // Rows of a view whose columns are all 8 bytes wide are usually dense: every
    // column, in id order, as AppendRow writes a row without nulls.
    dense_ = width_ < 128;
    for (ValueType t : view_.column_types) {
      dense_ = dense_ && (t == VALUE_TYPE_INT64 || t == VALUE_TYPE_DOUBLE ||
                          t == VALUE_TYPE_TIMESTAMP);
    }
  }

  // Entity `i`'s online row `value`. Errors: DataLoss for a malformed row.
  absl::Status Decode(size_t i, absl::string_view value) const {
    if (value.size() < codec::kOnlineHeaderBytes) {
      return absl::DataLossError("malformed online row");
    }
    const codec::RowStamp h = codec::DecodeOnlineHeader(value);
    const bool stale = ttl_ > 0 && h.event < now_ - ttl_;
    const FeatureStatus status =
        stale ? FeatureStatus::kOutsideMaxAge : FeatureStatus::kNullValue;
    for (OnlineColumn* column : columns_) column->SetFound(i, status, h.event);
    if (stale) return absl::OkStatus();  // the values are withheld
    const absl::string_view row = value.substr(codec::kOnlineHeaderBytes);
    const std::vector<uint32_t>& wanted = request_.columns;
    if (dense_ && row.size() == 1 + 9 * width_ && static_cast<uint8_t>(row[0]) == width_) {
      // Every entry is 9 bytes, at a known place: read the wanted ones directly,
      // checking each one's column id.
      size_t c = 0;
      for (; c < wanted.size(); ++c) {
        const char* p = row.data() + 1 + 9 * wanted[c];
        if (static_cast<uint8_t>(*p) != wanted[c]) break;
        uint64_t bits;
        std::memcpy(&bits, p + 1, 8);
        columns_[c]->SetNumber(i, codec::LittleEndian64(bits));
      }
      if (c == wanted.size()) return absl::OkStatus();
    }
    return codec::VisitRow(row, slots_, view_.column_types, [&](int slot, auto&& v) {
      columns_[slot]->SetValue(i, std::forward<decltype(v)>(v));
    });
  }

 private:
  const ViewRequest& request_;
  const ResolvedView& view_;
  const Micros now_, ttl_;
  const std::vector<int> slots_;  // by column id
  std::vector<OnlineColumn*> columns_;  // by slot
  const size_t width_;
  bool dense_;
};

// Decodes the rows of `keys` with `decoder`: those in `cache` (when there is one)
// from it, the rest with one lookup of `table`, whose findings are then cached.
absl::Status ReadRows(const OnlineTable& table, OnlineCache* cache,
                      const std::vector<std::string>& keys, const RowDecoder& decoder) {
  const auto decode = [&](size_t i, absl::string_view value) {
    return decoder.Decode(i, value);
  };
  if (cache == nullptr) {
    const std::vector<absl::string_view> all(keys.begin(), keys.end());
    return table.Lookup(all, decode);
  }
  std::vector<OnlineCache::Found> lookups;
  std::string cached_rows;
  cache->FindMany(keys, &cached_rows, &lookups);
  std::vector<size_t> misses;
  std::vector<absl::string_view> miss_keys;
  for (size_t i = 0; i < keys.size(); ++i) {
    const OnlineCache::Found& hit = lookups[i];
    if (!hit.hit) {
      misses.push_back(i);
      miss_keys.push_back(keys[i]);
    } else if (hit.present) {
      RETURN_IF_ERROR(
          decoder.Decode(i, absl::string_view(cached_rows).substr(hit.offset, hit.size)));
    }
  }
  if (misses.empty()) return absl::OkStatus();
  std::vector<bool> found(misses.size(), false);
  RETURN_IF_ERROR(table.Lookup(miss_keys, [&](size_t m, absl::string_view value) {
    const size_t i = misses[m];
    found[m] = true;
    cache->Insert(keys[i], OnlineCache::MakeRow(value), lookups[i].generation);
    return decoder.Decode(i, value);
  }));
  for (size_t m = 0; m < misses.size(); ++m) {
    if (!found[m]) cache->Insert(keys[misses[m]], OnlineCache::Row(), lookups[misses[m]].generation);
  }
  return absl::OkStatus();
}

// Offers `log` the entities of `result` it samples, once per view of `groups`.
void OfferServed(ServedLog& log, const std::vector<ViewRequest>& groups,
                 const OnlineResult& result, Micros now) {
  const size_t n = result.entities.front().second.size();
  std::vector<size_t> sampled;
  for (size_t i = 0; i < n; ++i) {
    if (log.Sample()) sampled.push_back(i);
  }
  if (sampled.empty()) return;
  for (const ViewRequest& g : groups) {
    const ResolvedView& view = *g.view;
    ServedSample sample;
    sample.view = g.view;
    sample.served_at = now;
    sample.entities = sampled.size();
    std::vector<const std::vector<Value>*> keys;
    for (const std::string& key : view.join_key_names) {
      for (const auto& [name, values] : result.entities) {
        if (name == key) keys.push_back(&values);
      }
    }
    if (keys.size() != view.join_key_names.size()) continue;  // checked by EntityKeys
    sample.features = g.indexes;
    sample.keys.reserve(sampled.size() * keys.size());
    sample.values.reserve(sampled.size() * g.outputs.size());
    sample.statuses.reserve(sampled.size() * g.outputs.size());
    for (size_t i : sampled) {
      for (const std::vector<Value>* k : keys) sample.keys.push_back((*k)[i]);
      for (size_t out : g.outputs) {
        OnlineValue v = result.values[out][i];
        sample.values.push_back(std::move(v.value));
        sample.statuses.push_back(v.status);
      }
    }
    log.Offer(std::move(sample));
  }
}

}  // namespace

absl::StatusOr<OnlineResult> LookupOnline(const ViewResolver& views,
                                          const OnlineTable& table, OnlineCache* cache,
                                          ServedLog* served,
                                          const std::vector<std::string>& features,
                                          const EntityColumns& entities, Micros now) {
  if (features.empty()) return absl::InvalidArgumentError("no features requested");
  ASSIGN_OR_RETURN(const size_t n, EntityCount(entities));
  OnlineResult result;
  result.entities = entities;
  result.features = features;
  result.types.resize(features.size());
  result.values.reserve(features.size());
  ASSIGN_OR_RETURN(const std::vector<ViewRequest> groups,
                   GroupByView(views, features, n, &result));
  std::vector<std::string> keys(n);
  for (const ViewRequest& g : groups) {
    RETURN_IF_ERROR(EntityKeys(*g.view, result.entities, &keys));
    if (g.view->id == 0) continue;  // nothing ingested: every entity NOT_FOUND
    const RowDecoder decoder(g, now, &result);
    RETURN_IF_ERROR(ReadRows(table, cache, keys, decoder));
  }
  if (served != nullptr) OfferServed(*served, groups, result, now);
  return result;
}

absl::StatusOr<OnlineResult> FeatureStore::Online(
    const std::vector<std::string>& features, const EntityColumns& entities,
    Micros now) const {
  return LookupOnline([this](const std::string& name) { return views_->View(name, 0); },
                      online_->table(), online_->cache(), served_.get(), features,
                      entities, now);
}

}  // namespace strata::features
