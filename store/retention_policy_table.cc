#include "store/retention_policy_table.h"

#include "absl/strings/str_cat.h"
#include "store/internal/db.h"
#include "store/internal/keys.h"
#include "store/internal/records.h"
#include "store/internal/rocks_status.h"
#include "store/status_macros.h"

namespace strata {
namespace {

using internal::Cf;

// Policies live in the default column family under "retention/TARGET".
std::string PolicyKey(absl::string_view target) {
  return absl::StrCat(internal::kRetentionPrefix, target);
}

}  // namespace

absl::Status RetentionPolicyTable::Put(const std::string& target,
                                       const store::RetentionPolicy& policy) {
  return internal::CommitChange(
             *db_, Change{ChangeKind::kSetRetention, absl::StrCat("retention/", target)},
             [&](rocksdb::Transaction* txn) -> absl::StatusOr<bool> {
               RETURN_IF_ERROR(
                   internal::PutRecord(txn, *db_, Cf::kDefault, PolicyKey(target), policy));
               return true;
             })
      .status();
}

absl::StatusOr<bool> RetentionPolicyTable::Erase(const std::string& target) {
  return internal::CommitChange(
      *db_, Change{ChangeKind::kDeleteRetention, absl::StrCat("retention/", target)},
      [&](rocksdb::Transaction* txn) -> absl::StatusOr<bool> {
        ASSIGN_OR_RETURN(auto existing,
                         internal::GetForUpdate(txn, *db_, Cf::kDefault, PolicyKey(target)));
        if (!existing.has_value()) return false;
        RETURN_IF_ERROR(internal::FromRocks(
            txn->Delete(db_->cf(Cf::kDefault), PolicyKey(target)), "write"));
        return true;
      });
}

absl::StatusOr<std::map<std::string, store::RetentionPolicy>> RetentionPolicyTable::List()
    const {
  std::map<std::string, store::RetentionPolicy> out;
  auto it = db_->Scan(Cf::kDefault, internal::kRetentionPrefix);
  for (; it->Valid(); it->Next()) {
    ASSIGN_OR_RETURN(
        out[std::string(it->key().substr(internal::kRetentionPrefix.size()))],
        internal::ParseRecord<store::RetentionPolicy>(it->value(), "retention policy"));
  }
  RETURN_IF_ERROR(it->status());
  return out;
}

}  // namespace strata
