#include "features/feature_store.h"

#include <cstring>

#include "features/online_serving.h"
#include "features/served_log.h"
#include "features/tables.h"
#include "features/view_catalog.h"
#include "store/database.h"
#include "store/status_macros.h"

namespace strata::features {

OnlineColumn::OnlineColumn(ValueType type, size_t entities)
    : type_(type),
      statuses_(entities, FeatureStatus::kNotFound),
      words_(type == VALUE_TYPE_STRING || type == VALUE_TYPE_BYTES ? entities
                                                                   : 2 * entities) {
  if (type == VALUE_TYPE_STRING || type == VALUE_TYPE_BYTES) strings_.resize(entities);
}

OnlineValue OnlineColumn::operator[](size_t i) const {
  OnlineValue v;
  v.status = statuses_[i];
  v.event_time = event_time(i);
  if (v.status != FeatureStatus::kPresent) return v;
  if (type_ == VALUE_TYPE_STRING || type_ == VALUE_TYPE_BYTES) {
    v.value = strings_[i];
    return v;
  }
  const uint64_t bits = words_[size() + i];
  if (type_ == VALUE_TYPE_DOUBLE) {
    double d;
    std::memcpy(&d, &bits, 8);
    v.value = d;
  } else if (type_ == VALUE_TYPE_BOOL) {
    v.value = bits != 0;
  } else {  // int64, timestamp
    v.value = static_cast<int64_t>(bits);
  }
  return v;
}

absl::string_view FeatureStatusName(FeatureStatus status) {
  switch (status) {
    case FeatureStatus::kPresent:
      return "PRESENT";
    case FeatureStatus::kNotFound:
      return "NOT_FOUND";
    case FeatureStatus::kNullValue:
      return "NULL_VALUE";
    case FeatureStatus::kOutsideMaxAge:
      return "OUTSIDE_MAX_AGE";
  }
  return "UNKNOWN";
}

FeatureStore::FeatureStore(Store* store, const FeatureStoreOptions& options)
    : store_(store),
      registry_(store),
      online_(std::make_unique<OnlineServing>(
          &DatabaseOf(*store), options.online_cache_bytes, options.online_table)),
      tables_(std::make_unique<FeatureTables>(&DatabaseOf(*store), &online_->table())),
      views_(std::make_unique<ViewCatalog>(store, &registry_, tables_.get())),
      ingest_observers_(options.ingest_observers) {
  if (options.served_log.fraction > 0) {
    served_ = std::make_unique<ServedLog>(&DatabaseOf(*store), options.served_log);
  }
}

FeatureStore::~FeatureStore() = default;

OnlineTable& FeatureStore::online_table() { return online_->table(); }

absl::StatusOr<IngestPosition> FeatureStore::Position() const {
  return tables_->Position();
}

absl::StatusOr<std::vector<IngestRecord>> FeatureStore::Ingests(uint64_t from) const {
  return tables_->Ingests(from);
}

absl::Status FeatureStore::FlushServedLog() {
  return served_ == nullptr ? absl::OkStatus() : served_->Flush();
}

ServedLogStats FeatureStore::served_log_stats() const {
  return served_ == nullptr ? ServedLogStats() : served_->stats();
}

absl::StatusOr<std::optional<Micros>> FeatureStore::LogRetentionHorizon(
    const std::string& view) const {
  ASSIGN_OR_RETURN(std::optional<features::LogHorizon> horizon, tables_->Horizon(view));
  if (!horizon.has_value()) return std::optional<Micros>();
  return std::optional<Micros>(horizon->horizon_us());
}

OnlineCacheStats FeatureStore::online_cache_stats() const {
  return online_->cache_stats();
}

}  // namespace strata::features
