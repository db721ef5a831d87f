#include "store/digest.h"

#include <openssl/evp.h>

#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace strata {

std::string Digest::Hex() const { return absl::BytesToHexString(Raw()); }

absl::StatusOr<Digest> Digest::FromHex(absl::string_view hex) {
  if (absl::StartsWith(hex, "sha256:")) hex.remove_prefix(7);
  if (hex.size() != 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("a sha256 digest has 64 hex characters, got ", hex.size()));
  }
  for (char c : hex) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError(absl::StrCat("not a hex digest: ", hex));
    }
  }
  return FromRaw(absl::HexStringToBytes(hex));
}

absl::StatusOr<Digest> Digest::FromRaw(absl::string_view raw) {
  if (raw.size() != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("a raw sha256 digest has 32 bytes, got ", raw.size()));
  }
  Digest d;
  std::copy(raw.begin(), raw.end(), reinterpret_cast<char*>(d.bytes.data()));
  return d;
}

struct Sha256::Ctx {
  EVP_MD_CTX* md = nullptr;
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
  ctx_->md = EVP_MD_CTX_new();
  if (ctx_->md == nullptr || EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) != 1) {
    std::abort();  // Only on allocation failure inside OpenSSL.
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_->md); }

void Sha256::Update(absl::string_view data) {
  EVP_DigestUpdate(ctx_->md, data.data(), data.size());
}

Digest Sha256::Finish() {
  Digest d;
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_->md, d.bytes.data(), &len);
  EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr);
  return d;
}

Digest Sha256::Of(absl::string_view data) {
  Digest d;
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), d.bytes.data(), &len, EVP_sha256(), nullptr);
  return d;
}

}  // namespace strata
