// Reading and writing records inside transactions, shared by the store classes.
#ifndef STRATA_STORE_INTERNAL_RECORDS_H_
#define STRATA_STORE_INTERNAL_RECORDS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "store/change.h"
#include "store/internal/db.h"
#include "store/store.pb.h"

namespace strata::internal {

inline int64_t NowMicros() { return absl::ToUnixMicros(absl::Now()); }

// Parses `bytes` into a T. Errors: DataLoss naming `what`.
template <typename T>
absl::StatusOr<T> ParseRecord(absl::string_view bytes, absl::string_view what) {
  T record;
  if (!record.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(absl::StrCat("unreadable record: ", what));
  }
  return record;
}

// Reads and parses one record; nullopt when absent.
template <typename T>
absl::StatusOr<std::optional<T>> ReadRecord(const Db& db, Cf cf, absl::string_view key,
                                            absl::string_view what) {
  auto value = db.Get(cf, key);
  if (!value.ok()) return value.status();
  if (!value->has_value()) return std::optional<T>();
  auto parsed = ParseRecord<T>(**value, what);
  if (!parsed.ok()) return parsed.status();
  return std::optional<T>(std::move(*parsed));
}

// As ReadRecord, locking the key in `txn` until it ends.
template <typename T>
absl::StatusOr<std::optional<T>> LockRecord(rocksdb::Transaction* txn, const Db& db,
                                            Cf cf, absl::string_view key,
                                            absl::string_view what) {
  auto value = GetForUpdate(txn, db, cf, key);
  if (!value.ok()) return value.status();
  if (!value->has_value()) return std::optional<T>();
  auto parsed = ParseRecord<T>(**value, what);
  if (!parsed.ok()) return parsed.status();
  return std::optional<T>(std::move(*parsed));
}

absl::Status PutRecord(rocksdb::Transaction* txn, const Db& db, Cf cf,
                       absl::string_view key,
                       const google::protobuf::MessageLite& record);

// Writes the lineage edge from -> to, in both directions.
absl::Status PutEdge(rocksdb::Transaction* txn, const Db& db, absl::string_view from,
                     absl::string_view to, store::EdgeKind kind, int64_t now_us);

// Runs `body` in a fresh transaction and commits it, retrying (a few times) when the
// commit or a lock wait is Aborted by a conflict or timeout. The one commit path:
// `change` describes what `body` writes; `body` may set its subject. The store's
// ChangeObserver (StoreOptions::change_observer) sees it after `body` and before the
// commit, and can refuse it. Whatever must join every change's atomic write is
// added here, once.
template <typename F>
auto CommitChange(const Db& db, Change& change, F body) -> decltype(body(nullptr)) {
  for (int attempt = 0;; ++attempt) {
    auto txn = db.Begin();
    auto result = body(txn.get());
    absl::Status s = result.status();
    if (s.ok()) s = db.OnChange(change);
    if (s.ok()) s = Commit(txn.get());
    if (s.ok()) return result;
    if (!absl::IsAborted(s) || attempt >= 4) return s;
  }
}

// As above, for a change whose subject is known before it starts.
template <typename F>
auto CommitChange(const Db& db, Change&& change, F body) -> decltype(body(nullptr)) {
  return CommitChange(db, change, std::move(body));
}

}  // namespace strata::internal

#endif  // STRATA_STORE_INTERNAL_RECORDS_H_
