// Digest: a SHA-256 value, and Sha256: an incremental hasher (OpenSSL EVP).
#ifndef STRATA_STORE_DIGEST_H_
#define STRATA_STORE_DIGEST_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace strata {

// A SHA-256 digest. Content ids and chunk ids are Digests. Value type.
struct Digest {
  std::array<uint8_t, 32> bytes{};

  // Lower-case hex, 64 characters (what `sha256sum` prints).
  std::string Hex() const;
  // The 32 raw bytes, as used in keys.
  absl::string_view Raw() const {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
  }
  // Errors: InvalidArgument unless `hex` is 64 hex characters (an optional
  // "sha256:" prefix is accepted).
  static absl::StatusOr<Digest> FromHex(absl::string_view hex);
  // Errors: InvalidArgument unless `raw` is 32 bytes.
  static absl::StatusOr<Digest> FromRaw(absl::string_view raw);

  friend bool operator==(const Digest&, const Digest&) = default;
  friend auto operator<=>(const Digest&, const Digest&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const Digest& d) {
    return H::combine(std::move(h), d.Raw());
  }
};

// Incremental SHA-256. Not thread-safe; one instance per stream.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(absl::string_view data);
  // Returns the digest; the hasher is reset and may be reused.
  Digest Finish();

  // One-shot digest of `data`.
  static Digest Of(absl::string_view data);

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

}  // namespace strata

#endif  // STRATA_STORE_DIGEST_H_
