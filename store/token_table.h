// The store's table of API tokens: one record per token name, whose meaning
// TokenStore (store/tokens.h) owns. This table keeps the bytes, the transactions and
// the locks; the column family stays behind this interface.
#ifndef STRATA_STORE_TOKEN_TABLE_H_
#define STRATA_STORE_TOKEN_TABLE_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace strata {

namespace internal {
class Db;
}

// Thread-safe. Owned by Store (Store::tokens()).
class TokenTable {
 public:
  explicit TokenTable(internal::Db* db) : db_(db) {}

  // Adds `record` under `name`, in one transaction with the check that the name is
  // free. Errors: AlreadyExists "a token is already named NAME"; Unavailable on I/O.
  absl::Status Insert(const std::string& name, absl::string_view record);

  // Every (name, record), in name order, as of one moment.
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> List() const;

  // A predicate over a record; errors (an unreadable record) end the call with them.
  using RecordTest = std::function<absl::StatusOr<bool>(absl::string_view record)>;

  // Deletes the record `name`. When `keep_another` is set and `keep_another(record)`
  // holds for it, another record for which it holds must remain: that one is locked
  // until the delete commits, so two concurrent deletes cannot remove the last two.
  // Errors: NotFound "no token named NAME"; FailedPrecondition when it would delete
  // the last such record (the message names NAME; callers say why it matters);
  // Unavailable on I/O.
  absl::Status Delete(const std::string& name, const RecordTest& keep_another = nullptr);

 private:
  internal::Db* db_;
};

}  // namespace strata

#endif  // STRATA_STORE_TOKEN_TABLE_H_
