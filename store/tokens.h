// API tokens: bearer tokens with a scope and an owner, kept in the store by name as
// their SHA-256 only. The server checks them (api/tokens.h); the command line and
// the HTTP API create, list and revoke them (a local StoreClient through TokenStore,
// a remote one over HTTP), so they live with the store, beside TokenTable, which
// keeps their records' bytes.
#ifndef STRATA_STORE_TOKENS_H_
#define STRATA_STORE_TOKENS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "store/actor.h"
#include "store/store.h"

namespace strata {

// Each scope includes the ones below it.
enum class Scope : int { kRead = 1, kWrite = 2, kAdmin = 3 };
// "read", "write" or "admin". Errors: InvalidArgument naming the choices.
absl::StatusOr<Scope> ParseScope(absl::string_view text);
absl::string_view ScopeName(Scope scope);

// Owners are 1 to 128 printable ASCII characters without spaces ("ci-bot",
// "ana@example.com"). Errors: InvalidArgument saying what is wrong.
absl::Status ValidateTokenOwner(absl::string_view owner);

struct NewToken {
  Scope scope = Scope::kRead;
  // What `token ls` and `token revoke` call it, an artifact-like name. Default:
  // "token-" and 8 hex digits.
  std::string name;
  // Who acts with it: the `who` recorded for every change its requests make. A new
  // token for the same owner (a rotation) keeps the audit trail's name. Default:
  // the name.
  std::string owner;
  Actor creator;  // who made it
};

struct CreatedToken {
  std::string token;  // "strata_" and 64 hex digits; not kept, shown once
  std::string name;
  std::string owner;
};

struct TokenInfo {
  std::string name;
  std::string owner;  // the name for tokens made before owners were kept
  Scope scope = Scope::kRead;
  int64_t created_us = 0;
  Actor creator;
};

// A token a verifier accepts: its SHA-256 (32 bytes), scope and owner.
struct KnownToken {
  std::string sha256;
  Scope scope = Scope::kRead;
  std::string owner;
};

// The tokens of a store. Thread-compatible.
class TokenStore {
 public:
  explicit TokenStore(Store* store) : store_(store) {}

  // Creates a token. Only its SHA-256 is kept.
  // Errors: InvalidArgument for a bad name or owner, AlreadyExists for a taken name.
  absl::StatusOr<CreatedToken> Create(const NewToken& request);
  // Create, owned by its name; returns the token's text. Errors: as Create.
  absl::StatusOr<std::string> Create(Scope scope, std::string name, const Actor& creator);
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
  // Every token's SHA-256, scope and owner, for a TokenVerifier.
  absl::StatusOr<std::vector<KnownToken>> Digests() const;

 private:
  absl::Status Delete(const std::string& name, bool keep_an_admin);

  Store* store_;
};

}  // namespace strata

#endif  // STRATA_STORE_TOKENS_H_
