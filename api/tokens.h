// API tokens: bearer tokens with a scope and an owner, kept in the store by name as
// their SHA-256 only, and checked by the server in constant time. A server that
// authenticates records the owner of a request's token as who made each change.
#ifndef STRATA_API_TOKENS_H_
#define STRATA_API_TOKENS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "store/actor.h"
#include "store/json_writer.h"
#include "store/store.h"

namespace strata::api {

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

// {"name","owner","scope","created_us","creator","creator_on_behalf_of":null|NAME}:
// GET /v1/tokens and `strata token ls --json`.
void WriteTokenJson(JsonWriter& w, const TokenInfo& token);

// A token a verifier accepts: its SHA-256 (32 bytes), scope and owner.
struct KnownToken {
  std::string sha256;
  Scope scope = Scope::kRead;
  std::string owner;
};

// Who presented a valid token, and what it allows.
struct Bearer {
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

// Checks presented tokens against known SHA-256 digests.
class TokenVerifier {
 public:
  void Add(KnownToken token) { tokens_.push_back(std::move(token)); }
  // Adds the tokens of a file: a line per token, "SCOPE TOKEN [OWNER]" (OWNER
  // defaults to "token-" and the first 8 hex digits of the token's SHA-256, as
  // stored tokens are named); blank lines and lines starting with # are skipped.
  // Errors: InvalidArgument naming FILE:LINE.
  absl::Status AddFile(const std::string& path);
  bool empty() const { return tokens_.empty(); }
  // The scope and owner of `token`. Every known digest is compared, each in
  // constant time. Errors: Unauthenticated.
  absl::StatusOr<Bearer> Verify(absl::string_view token) const;

 private:
  std::vector<KnownToken> tokens_;
};

}  // namespace strata::api

#endif  // STRATA_API_TOKENS_H_
