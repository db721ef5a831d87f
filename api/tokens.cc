#include "api/tokens.h"

#include <openssl/crypto.h>

#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "store/digest.h"
#include "store/render.h"

namespace strata::api {

void WriteTokenJson(JsonWriter& w, const TokenInfo& t) {
  w.BeginObject().Key("name").String(t.name).Key("owner").String(t.owner);
  w.Key("scope").String(ScopeName(t.scope)).Key("created_us").Int(t.created_us);
  w.Key("creator").String(t.creator.who);
  WriteOnBehalfOf(w, t.creator.on_behalf_of, "creator_on_behalf_of");
  w.EndObject();
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
    if (parts.size() != 2 && parts.size() != 3) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", n, ": expected \"SCOPE TOKEN [OWNER]\""));
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
    const Digest digest = Sha256::Of(parts[1]);
    std::string owner = parts.size() == 3
                            ? std::string(parts[2])
                            : absl::StrCat("token-", digest.Hex().substr(0, 8));
    if (absl::Status s = ValidateTokenOwner(owner); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", n, ": ", s.message()));
    }
    Add({std::string(digest.Raw()), *scope, std::move(owner)});
  }
  return absl::OkStatus();
}

absl::StatusOr<Bearer> TokenVerifier::Verify(absl::string_view token) const {
  const Digest digest = Sha256::Of(token);
  const absl::string_view raw = digest.Raw();
  const KnownToken* found = nullptr;
  for (const KnownToken& known : tokens_) {
    // Every entry is compared, whatever matched before.
    const bool match = known.sha256.size() == raw.size() &&
                       CRYPTO_memcmp(known.sha256.data(), raw.data(), raw.size()) == 0;
    found = match ? &known : found;
  }
  if (found == nullptr) return absl::UnauthenticatedError("unknown or revoked token");
  return Bearer{found->scope, found->owner};
}

}  // namespace strata::api
