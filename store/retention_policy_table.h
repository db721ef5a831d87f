// The store's table of retention policies: one store::RetentionPolicy per target (a
// kind, "dataset", or an artifact, "dataset/clicks"). gc/retention.h owns what a
// policy means and which targets are valid; store/ keeps the records.
#ifndef STRATA_STORE_RETENTION_POLICY_TABLE_H_
#define STRATA_STORE_RETENTION_POLICY_TABLE_H_

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/store.pb.h"

namespace strata {

namespace internal {
class Db;
}

// Thread-safe. Owned by Store (Store::retention_policies()). Every write is synced.
class RetentionPolicyTable {
 public:
  // `db` must outlive this object.
  explicit RetentionPolicyTable(internal::Db* db) : db_(db) {}

  // Stores `policy` for `target`, replacing the one it had.
  // Errors: Unavailable or ResourceExhausted on I/O failure.
  absl::Status Put(const std::string& target, const store::RetentionPolicy& policy);

  // Removes the policy of `target`; returns whether it had one.
  // Errors: Unavailable or ResourceExhausted on I/O failure.
  absl::StatusOr<bool> Erase(const std::string& target);

  // Every policy, by target.
  // Errors: DataLoss "unreadable record: retention policy"; Unavailable on I/O.
  absl::StatusOr<std::map<std::string, store::RetentionPolicy>> List() const;

 private:
  internal::Db* db_;
};

}  // namespace strata

#endif  // STRATA_STORE_RETENTION_POLICY_TABLE_H_
