#include "features/online_serving.h"

#include "absl/strings/str_cat.h"
#include "features/codec.h"
#include "features/rocks_online_table.h"
#include "store/status_macros.h"

namespace strata::features {
namespace {

// Online rows written by one ingest above which the view's online range is compacted.
constexpr size_t kCompactOnlineRows = 10000;

}  // namespace

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

OnlineServing::OnlineServing(internal::Db* db, size_t cache_bytes,
                             std::shared_ptr<OnlineTable> table)
    : table_(table != nullptr ? std::move(table)
                              : std::make_shared<RocksOnlineTable>(db)) {
  if (cache_bytes > 0) cache_ = std::make_unique<OnlineCache>(cache_bytes);
}

absl::Status OnlineServing::Write(const OnlineWrite& write, Change change,
                                  OnlineTable::StoreRecords records) {
  RETURN_IF_ERROR(table_->Write(write, std::move(change), records));
  if (cache_ == nullptr) return absl::OkStatus();
  for (const auto& [key, value] : write.upserts) {
    cache_->Update(key, value, kOnlineVersionBytes);
  }
  // Replaced or removed whatever their age: the next reader reads the table.
  for (const auto& row : write.puts) cache_->Erase(row.first);
  for (const std::string& key : write.deletes) cache_->Erase(key);
  return absl::OkStatus();
}

void OnlineServing::Committed(const ResolvedView& view,
                              const std::vector<OnlineRow>& rows) {
  if (cache_ != nullptr) {
    for (const auto& [key, value] : rows) {
      cache_->Update(key, value, codec::kOnlineHeaderBytes);
    }
  }
  if (rows.size() >= kCompactOnlineRows) table_->CompactView(view.id);
}

OnlineCacheStats OnlineServing::cache_stats() const {
  if (cache_ == nullptr) return {};
  const OnlineCache::Stats stats = cache_->stats();
  return {.hits = stats.hits, .misses = stats.misses};
}

}  // namespace strata::features
