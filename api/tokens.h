// API tokens as the server sees them: presented bearer tokens checked in constant
// time against the store's (store/tokens.h), and their JSON form. A server that
// authenticates records the owner of a request's token as who made each change.
#ifndef STRATA_API_TOKENS_H_
#define STRATA_API_TOKENS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "store/json_writer.h"
#include "store/tokens.h"

namespace strata::api {

// {"name","owner","scope","created_us","creator","creator_on_behalf_of":null|NAME}:
// GET /v1/tokens and `strata token ls --json`.
void WriteTokenJson(JsonWriter& w, const TokenInfo& token);

// Who presented a valid token, and what it allows.
struct Bearer {
  Scope scope = Scope::kRead;
  std::string owner;
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
