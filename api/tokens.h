// API tokens: bearer tokens with a scope, kept in the store by name as their
// SHA-256 only, and checked by the server in constant time.
#ifndef STRATA_API_TOKENS_H_
#define STRATA_API_TOKENS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "store/store.h"

namespace strata::api {

// Each scope includes the ones below it.
enum class Scope : int { kRead = 1, kWrite = 2, kAdmin = 3 };
// "read", "write" or "admin". Errors: InvalidArgument naming the choices.
absl::StatusOr<Scope> ParseScope(absl::string_view text);
absl::string_view ScopeName(Scope scope);

struct TokenInfo {
  std::string name;
  Scope scope = Scope::kRead;
  int64_t created_us = 0;
  std::string creator;
};

// The tokens of a store. Thread-compatible.
class TokenStore {
 public:
  explicit TokenStore(Store* store) : store_(store) {}

  // Creates a token and returns its text ("strata_" and 64 hex digits), which is not
  // kept: only its SHA-256 is. `name` defaults to "token-" and 8 hex digits.
  // Errors: InvalidArgument for a bad name, AlreadyExists for a taken one.
  // With `name_out`, the name the token got is stored there.
  absl::StatusOr<std::string> Create(Scope scope, std::string name,
                                     const std::string& creator,
                                     std::string* name_out = nullptr);
  // Every token, by name.
  absl::StatusOr<std::vector<TokenInfo>> List() const;
  // Deletes a token, whatever is left: the offline path (`strata token revoke` on a
  // local store), where a new admin token can always be made. Errors: NotFound.
  absl::Status Revoke(const std::string& name);
  // As Revoke, but keeps the store manageable over HTTP: revoking the store's last
  // admin token is refused. Safe against concurrent revokes (each locks the other
  // admin tokens it counts on).
  // Errors: NotFound; FailedPrecondition for the last admin token, saying how to
  // recover offline.
  absl::Status RevokeKeepingAnAdmin(const std::string& name);
  // Every token's SHA-256 and scope, for a TokenVerifier.
  absl::StatusOr<std::vector<std::pair<std::string, Scope>>> Digests() const;

 private:
  absl::Status Delete(const std::string& name, bool keep_an_admin);

  Store* store_;
};

// Checks presented tokens against known SHA-256 digests.
class TokenVerifier {
 public:
  void Add(std::string sha256, Scope scope) {
    tokens_.emplace_back(std::move(sha256), scope);
  }
  // Adds the tokens of a file: a line per token, "SCOPE TOKEN"; blank lines and lines
  // starting with # are skipped. Errors: InvalidArgument naming FILE:LINE.
  absl::Status AddFile(const std::string& path);
  bool empty() const { return tokens_.empty(); }
  // The scope of `token`. Every known digest is compared, each in constant time.
  // Errors: Unauthenticated.
  absl::StatusOr<Scope> Verify(absl::string_view token) const;

 private:
  std::vector<std::pair<std::string, Scope>> tokens_;
};

}  // namespace strata::api

#endif  // STRATA_API_TOKENS_H_
