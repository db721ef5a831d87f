#include "api/tokens.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/api.pb.h"
#include "store/digest.h"
#include "store/internal/db.h"
#include "store/internal/records.h"
#include "store/internal/rocks_status.h"
#include "store/ref.h"
#include "store/status_macros.h"

namespace strata::api {

using internal::Cf;

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

absl::StatusOr<std::string> TokenStore::Create(Scope scope, std::string name,
                                               const std::string& creator,
                                               std::string* name_out) {
  unsigned char secret[32];
  if (RAND_bytes(secret, sizeof(secret)) != 1) {
    return absl::InternalError("no random bytes for a token (OpenSSL RAND_bytes)");
  }
  const std::string token = absl::StrCat(
      "strata_", absl::BytesToHexString(absl::string_view(
                     reinterpret_cast<const char*>(secret), sizeof(secret))));
  const Digest digest = Sha256::Of(token);
  if (name.empty()) name = absl::StrCat("token-", digest.Hex().substr(0, 8));
  if (absl::Status s = ValidateArtifactName(name); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("token name: ", s.message()));
  }
  internal::Db& db = store_->internal_db();
  TokenRecord record;
  record.set_sha256(std::string(digest.Raw()));
  record.set_scope(static_cast<int>(scope));
  record.set_created_us(internal::NowMicros());
  record.set_creator(creator);
  RETURN_IF_ERROR(
      internal::InTransaction(db, [&](rocksdb::Transaction* txn) -> absl::StatusOr<bool> {
        ASSIGN_OR_RETURN(auto existing, internal::LockRecord<TokenRecord>(
                                            txn, db, Cf::kTokens, name, "token"));
        if (existing.has_value()) {
          return absl::AlreadyExistsError(
              absl::StrCat("a token is already named ", name));
        }
        RETURN_IF_ERROR(internal::PutRecord(txn, db, Cf::kTokens, name, record));
        return true;
      }).status());
  if (name_out != nullptr) *name_out = name;
  return token;
}

namespace {

// Every token record, by name.
absl::StatusOr<std::vector<std::pair<std::string, TokenRecord>>> Records(Store& store) {
  std::vector<std::pair<std::string, TokenRecord>> out;
  auto c = store.internal_db().Scan(Cf::kTokens, "");
  for (; c->Valid(); c->Next()) {
    ASSIGN_OR_RETURN(auto record,
                     internal::ParseRecord<TokenRecord>(c->value(), "token"));
    out.emplace_back(std::string(c->key()), std::move(record));
  }
  RETURN_IF_ERROR(c->status());
  return out;
}

// Whether an admin token other than `name` exists, locking it in `txn` so that a
// concurrent revoke of that one waits for (or conflicts with) this transaction.
absl::StatusOr<bool> LockAnotherAdmin(rocksdb::Transaction* txn, internal::Db& db,
                                      const std::string& name) {
  std::vector<std::string> names;
  auto c = db.Scan(Cf::kTokens, "");
  for (; c->Valid(); c->Next()) {
    if (c->key() != name) names.emplace_back(c->key());
  }
  RETURN_IF_ERROR(c->status());
  for (const std::string& other : names) {
    ASSIGN_OR_RETURN(auto record, internal::LockRecord<TokenRecord>(txn, db, Cf::kTokens,
                                                                    other, "token"));
    if (record.has_value() && record->scope() == static_cast<int>(Scope::kAdmin)) {
      return true;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<std::vector<TokenInfo>> TokenStore::List() const {
  ASSIGN_OR_RETURN(auto records, Records(*store_));
  std::vector<TokenInfo> out;
  for (const auto& [name, r] : records) {
    out.push_back({name, static_cast<Scope>(r.scope()), r.created_us(), r.creator()});
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
  internal::Db& db = store_->internal_db();
  return internal::InTransaction(
             db,
             [&](rocksdb::Transaction* txn) -> absl::StatusOr<bool> {
               ASSIGN_OR_RETURN(auto existing, internal::LockRecord<TokenRecord>(
                                                   txn, db, Cf::kTokens, name, "token"));
               if (!existing.has_value()) {
                 return absl::NotFoundError(absl::StrCat("no token named ", name));
               }
               if (keep_an_admin &&
                   existing->scope() == static_cast<int>(Scope::kAdmin)) {
                 ASSIGN_OR_RETURN(bool another, LockAnotherAdmin(txn, db, name));
                 if (!another) {
                   return absl::FailedPreconditionError(absl::StrCat(
                       "token ", name,
                       " is the store's last admin token: without it no one could "
                       "manage tokens over HTTP; create another admin token first, or "
                       "stop the server and revoke it offline (strata token revoke; "
                       "strata token create --scope admin makes a new one)"));
                 }
               }
               RETURN_IF_ERROR(internal::FromRocks(txn->Delete(db.cf(Cf::kTokens), name),
                                                   "deleting a token"));
               return true;
             })
      .status();
}

absl::StatusOr<std::vector<std::pair<std::string, Scope>>> TokenStore::Digests() const {
  ASSIGN_OR_RETURN(auto records, Records(*store_));
  std::vector<std::pair<std::string, Scope>> out;
  for (const auto& [name, r] : records) {
    out.emplace_back(r.sha256(), static_cast<Scope>(r.scope()));
  }
  return out;
}

absl::Status TokenVerifier::AddFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    const absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text[0] == '#') continue;
    std::vector<absl::string_view> parts =
        absl::StrSplit(text, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (parts.size() != 2) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", n, ": expected \"SCOPE TOKEN\""));
    }
    auto scope = ParseScope(parts[0]);
    if (!scope.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", n, ": ", scope.status().message()));
    }
    if (parts[1].size() < 16) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", n, ": a token of fewer than 16 characters"));
    }
    Add(std::string(Sha256::Of(parts[1]).Raw()), *scope);
  }
  return absl::OkStatus();
}

absl::StatusOr<Scope> TokenVerifier::Verify(absl::string_view token) const {
  const Digest digest = Sha256::Of(token);
  const absl::string_view raw = digest.Raw();
  int found = 0;
  for (const auto& [sha256, scope] : tokens_) {
    // Every entry is compared, whatever matched before.
    const bool match = sha256.size() == raw.size() &&
                       CRYPTO_memcmp(sha256.data(), raw.data(), raw.size()) == 0;
    found = match ? static_cast<int>(scope) : found;
  }
  if (found == 0) return absl::UnauthenticatedError("unknown or revoked token");
  return static_cast<Scope>(found);
}

}  // namespace strata::api
