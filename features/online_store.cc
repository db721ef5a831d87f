#include "features/online_store.h"

#include <mutex>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "features/features.pb.h"
#include "rocksdb/write_batch.h"
#include "store/database.h"
#include "store/internal/db.h"
#include "store/internal/records.h"
#include "store/status_macros.h"

namespace strata::features {
namespace {

constexpr char kOnlineStoreKey[] = "online_store";

absl::Status CheckUrl(const std::string& url) {
  if (url == kEmbeddedOnlineStore || absl::StartsWith(url, "redis://") ||
      absl::StartsWith(url, "redis-cluster://")) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("online store ", url, " is not ", kEmbeddedOnlineStore,
                   ", redis://HOST:PORT or redis-cluster://HOST:PORT[,HOST:PORT...]"));
}

// `store` null: a table for lookups only.
absl::StatusOr<std::shared_ptr<OnlineTable>> Connect(Store* store, const std::string& url,
                                                     RedisOptions options) {
  if (url == kEmbeddedOnlineStore) return std::shared_ptr<OnlineTable>();
  options.url = url;
  absl::StatusOr<std::unique_ptr<RedisOnlineTable>> table = RedisOnlineTable::Open(
      store == nullptr ? nullptr : &DatabaseOf(*store), options);
  if (!table.ok()) {
    return absl::Status(table.status().code(), absl::StrCat("online store ", url, ": ",
                                                            table.status().message()));
  }
  return std::shared_ptr<OnlineTable>(*std::move(table));
}

// The recorded Redis, connected on first use (RecordedOnlineTable).
class ConnectingTable final : public OnlineTable {
 public:
  ConnectingTable(Store* store, std::string url, RedisOptions options, absl::Status error)
      : store_(store),
        url_(std::move(url)),
        options_(std::move(options)),
        error_(std::move(error)) {}

  absl::Status Lookup(absl::Span<const absl::string_view> keys,
                      FoundRow found) const override {
    ASSIGN_OR_RETURN(std::shared_ptr<OnlineTable> table, Table());
    return table->Lookup(keys, found);
  }
  using OnlineTable::Write;
  absl::Status Write(const OnlineWrite& write, Change change,
                     StoreRecords records) override {
    ASSIGN_OR_RETURN(std::shared_ptr<OnlineTable> table, Table());
    return table->Write(write, std::move(change), records);
  }
  absl::StatusOr<OnlinePage> Scan(uint32_t view, absl::string_view from,
                                  size_t limit) const override {
    ASSIGN_OR_RETURN(std::shared_ptr<OnlineTable> table, Table());
    return table->Scan(view, from, limit);
  }
  void CompactView(uint32_t) override {}

 private:
  absl::StatusOr<std::shared_ptr<OnlineTable>> Table() const {
    std::lock_guard lock(mu_);
    if (!error_.ok()) return error_;
    if (table_ == nullptr) {
      ASSIGN_OR_RETURN(table_, Connect(store_, url_, options_));
    }
    return table_;
  }

  Store* store_;
  std::string url_;
  RedisOptions options_;
  absl::Status error_;  // why the record could not be read
  mutable std::mutex mu_;
  mutable std::shared_ptr<OnlineTable> table_;  // null until connected
};

}  // namespace

absl::StatusOr<std::string> RecordedOnlineStore(Store& store) {
  ASSIGN_OR_RETURN(std::optional<OnlineStoreRecord> record,
                   internal::ReadRecord<OnlineStoreRecord>(
                       DatabaseOf(store), internal::Cf::kFeatureMeta, kOnlineStoreKey,
                       "the record of the online store"));
  if (!record.has_value() || record->url().empty())
    return std::string(kEmbeddedOnlineStore);
  return record->url();
}

std::shared_ptr<OnlineTable> RecordedOnlineTable(Store& store, RedisOptions options) {
  absl::StatusOr<std::string> url = RecordedOnlineStore(store);
  if (url.ok() && *url == kEmbeddedOnlineStore) return nullptr;
  return std::make_shared<ConnectingTable>(&store, url.value_or(""), std::move(options),
                                           url.status());
}

absl::StatusOr<std::shared_ptr<OnlineTable>> OnlineTableForLookups(const std::string& url,
                                                                   RedisOptions options) {
  RETURN_IF_ERROR(CheckUrl(url));
  if (url == kEmbeddedOnlineStore) {
    return absl::InvalidArgumentError(
        "an online-only replica needs a Redis online store, not the embedded table");
  }
  return std::shared_ptr<OnlineTable>(
      std::make_shared<ConnectingTable>(nullptr, url, std::move(options), absl::OkStatus()));
}

absl::StatusOr<bool> RecordOnlineStore(Store& store, const std::string& url,
                                       RedisOptions options) {
  RETURN_IF_ERROR(CheckUrl(url));
  ASSIGN_OR_RETURN(std::string recorded, RecordedOnlineStore(store));
  if (recorded == url) return false;
  ASSIGN_OR_RETURN(std::shared_ptr<OnlineTable> check,
                   Connect(&store, url, std::move(options)));
  internal::Db& db = DatabaseOf(store);
  rocksdb::WriteBatch batch;
  if (url == kEmbeddedOnlineStore) {
    batch.Delete(db.cf(internal::Cf::kFeatureMeta), kOnlineStoreKey);
  } else {
    OnlineStoreRecord record;
    record.set_url(url);
    record.set_recorded_us(absl::ToUnixMicros(absl::Now()));
    batch.Put(db.cf(internal::Cf::kFeatureMeta), kOnlineStoreKey,
              record.SerializeAsString());
  }
  RETURN_IF_ERROR(db.WriteUnlocked(&batch, /*sync=*/true));
  return true;
}

}  // namespace strata::features
