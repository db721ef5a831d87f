#include "store/tokens.h"

#include <openssl/rand.h>

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "store/digest.h"
#include "store/excerpt.h"
#include "store/ref.h"
#include "store/status_macros.h"
#include "store/tokens.pb.h"

namespace strata {

using store::TokenRecord;

absl::StatusOr<Scope> ParseScope(absl::string_view text) {
  if (text == "read") return Scope::kRead;
  if (text == "write") return Scope::kWrite;
  if (text == "admin") return Scope::kAdmin;
  return absl::InvalidArgumentError(
      absl::StrCat("scope \"", text, "\" is not read, write or admin"));
}

absl::string_view ScopeName(Scope scope) {
  switch (scope) {
    case Scope::kRead:
      return "read";
    case Scope::kWrite:
      return "write";
    case Scope::kAdmin:
      return "admin";
  }
  return "unknown";
}

absl::Status ValidateTokenOwner(absl::string_view owner) {
  if (owner.empty()) return absl::InvalidArgumentError("token owner is empty");
  if (owner.size() > 128) {
    return absl::InvalidArgumentError(absl::StrCat("token owner is ", owner.size(),
                                                   " characters; at most 128 allowed"));
  }
  for (char c : owner) {
    if (c <= ' ' || c > '~') {
      return absl::InvalidArgumentError(
          absl::StrCat("token owner ", Excerpt(owner),
                       ": only printable ASCII characters, no spaces"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> TokenStore::Create(Scope scope, std::string name,
                                               const Actor& creator) {
  NewToken request;
  request.scope = scope;
  request.name = std::move(name);
  request.creator = creator;
  ASSIGN_OR_RETURN(CreatedToken created, Create(request));
  return std::move(created.token);
}

absl::StatusOr<CreatedToken> TokenStore::Create(const NewToken& request) {
  unsigned char secret[32];
  if (RAND_bytes(secret, sizeof(secret)) != 1) {
    return absl::InternalError("no random bytes for a token (OpenSSL RAND_bytes)");
  }
  const std::string token = absl::StrCat(
      "strata_", absl::BytesToHexString(absl::string_view(
                     reinterpret_cast<const char*>(secret), sizeof(secret))));
  const Digest digest = Sha256::Of(token);
  const std::string name = request.name.empty()
                               ? absl::StrCat("token-", digest.Hex().substr(0, 8))
                               : request.name;
  if (absl::Status s = ValidateArtifactName(name); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("token name: ", s.message()));
  }
  const std::string owner = request.owner.empty() ? name : request.owner;
  RETURN_IF_ERROR(ValidateTokenOwner(owner));
  TokenRecord record;
  record.set_sha256(std::string(digest.Raw()));
  record.set_scope(static_cast<int>(request.scope));
  record.set_created_us(absl::ToUnixMicros(absl::Now()));
  record.set_creator(request.creator.who);
  record.set_creator_on_behalf_of(request.creator.on_behalf_of);
  record.set_owner(owner);
  RETURN_IF_ERROR(store_->tokens().Insert(name, record.SerializeAsString()));
  return CreatedToken{token, name, owner};
}

namespace {

// The owner of a token record: tokens made before owners were kept have none, and
// act under their name.
std::string Owner(const std::string& name, const TokenRecord& record) {
  return record.owner().empty() ? name : record.owner();
}

absl::StatusOr<TokenRecord> ParseTokenRecord(absl::string_view bytes) {
  TokenRecord record;
  if (!record.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError("unreadable token record");
  }
  return record;
}

// Every token record, by name.
absl::StatusOr<std::vector<std::pair<std::string, TokenRecord>>> Records(Store& store) {
  ASSIGN_OR_RETURN(auto rows, store.tokens().List());
  std::vector<std::pair<std::string, TokenRecord>> out;
  for (const auto& [name, bytes] : rows) {
    ASSIGN_OR_RETURN(TokenRecord record, ParseTokenRecord(bytes));
    out.emplace_back(name, std::move(record));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<TokenInfo>> TokenStore::List() const {
  ASSIGN_OR_RETURN(auto records, Records(*store_));
  std::vector<TokenInfo> out;
  for (const auto& [name, r] : records) {
    out.push_back({name, Owner(name, r), static_cast<Scope>(r.scope()), r.created_us(),
                   Actor(r.creator(), r.creator_on_behalf_of())});
  }
  return out;
}

absl::Status TokenStore::Revoke(const std::string& name) {
  return Delete(name, /*keep_an_admin=*/false);
}

absl::Status TokenStore::RevokeKeepingAnAdmin(const std::string& name) {
  return Delete(name, /*keep_an_admin=*/true);
}

absl::Status TokenStore::Delete(const std::string& name, bool keep_an_admin) {
  TokenTable::RecordTest is_admin = nullptr;
  if (keep_an_admin) {
    is_admin = [](absl::string_view bytes) -> absl::StatusOr<bool> {
      ASSIGN_OR_RETURN(TokenRecord record, ParseTokenRecord(bytes));
      return record.scope() == static_cast<int>(Scope::kAdmin);
    };
  }
  absl::Status s = store_->tokens().Delete(name, is_admin);
  if (absl::IsFailedPrecondition(s)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "token ", name,
        " is the store's last admin token: without it no one could "
        "manage tokens over HTTP; create another admin token first, or "
        "stop the server and revoke it offline (strata token revoke; "
        "strata token create --scope admin makes a new one)"));
  }
  return s;
}

absl::StatusOr<std::vector<KnownToken>> TokenStore::Digests() const {
  ASSIGN_OR_RETURN(auto records, Records(*store_));
  std::vector<KnownToken> out;
  for (const auto& [name, r] : records) {
    out.push_back({r.sha256(), static_cast<Scope>(r.scope()), Owner(name, r)});
  }
  return out;
}

}  // namespace strata
