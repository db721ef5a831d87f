#include "store/token_table.h"

#include "absl/strings/str_cat.h"
#include "store/internal/db.h"
#include "store/internal/records.h"
#include "store/internal/rocks_status.h"
#include "store/status_macros.h"

namespace strata {

using internal::Cf;

absl::Status TokenTable::Insert(const std::string& name, absl::string_view record) {
  internal::Db& db = *db_;
  return internal::CommitChange(
             db, Change{ChangeKind::kInsertToken, absl::StrCat("token/", name)},
             [&](rocksdb::Transaction* txn) -> absl::StatusOr<bool> {
               ASSIGN_OR_RETURN(auto existing,
                                internal::GetForUpdate(txn, db, Cf::kTokens, name));
               if (existing.has_value()) {
                 return absl::AlreadyExistsError(
                     absl::StrCat("a token is already named ", name));
               }
               RETURN_IF_ERROR(internal::FromRocks(
                   txn->Put(db.cf(Cf::kTokens), name,
                            rocksdb::Slice(record.data(), record.size())),
                   "writing a token"));
               return true;
             })
      .status();
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> TokenTable::List()
    const {
  std::vector<std::pair<std::string, std::string>> out;
  auto c = db_->Scan(Cf::kTokens, "");
  for (; c->Valid(); c->Next()) {
    out.emplace_back(std::string(c->key()), std::string(c->value()));
  }
  RETURN_IF_ERROR(c->status());
  return out;
}

absl::Status TokenTable::Delete(const std::string& name, const RecordTest& keep_another) {
  internal::Db& db = *db_;
  return internal::CommitChange(
             db, Change{ChangeKind::kDeleteToken, absl::StrCat("token/", name)},
             [&](rocksdb::Transaction* txn) -> absl::StatusOr<bool> {
               ASSIGN_OR_RETURN(auto existing,
                                internal::GetForUpdate(txn, db, Cf::kTokens, name));
               if (!existing.has_value()) {
                 return absl::NotFoundError(absl::StrCat("no token named ", name));
               }
               bool needs_another = false;
               if (keep_another) {
                 ASSIGN_OR_RETURN(needs_another, keep_another(*existing));
               }
               if (needs_another) {
                 std::vector<std::string> others;
                 auto c = db.Scan(Cf::kTokens, "");
                 for (; c->Valid(); c->Next()) {
                   if (c->key() != name) others.emplace_back(c->key());
                 }
                 RETURN_IF_ERROR(c->status());
                 bool another = false;
                 for (const std::string& other : others) {
                   ASSIGN_OR_RETURN(auto record,
                                    internal::GetForUpdate(txn, db, Cf::kTokens, other));
                   if (!record.has_value()) continue;
                   ASSIGN_OR_RETURN(another, keep_another(*record));
                   if (another) break;
                 }
                 if (!another) {
                   return absl::FailedPreconditionError(
                       absl::StrCat("token ", name, " is the last of its kind"));
                 }
               }
               RETURN_IF_ERROR(internal::FromRocks(txn->Delete(db.cf(Cf::kTokens), name),
                                                   "deleting a token"));
               return true;
             })
      .status();
}

}  // namespace strata
