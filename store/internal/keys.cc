#include "store/internal/keys.h"

#include "absl/strings/str_cat.h"

namespace strata::internal {

void AppendBigEndian64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((v >> shift) & 0xff));
  }
}

std::string ArtifactKey(absl::string_view kind, absl::string_view name) {
  return absl::StrCat(kind, "/", name);
}

std::string ArtifactPrefix(absl::string_view artifact_key) {
  std::string k(artifact_key);
  k.push_back('\0');
  return k;
}

std::string VersionKey(absl::string_view artifact_key, uint64_t number) {
  std::string k = ArtifactPrefix(artifact_key);
  AppendBigEndian64(&k, number);
  return k;
}

std::string AliasKey(absl::string_view artifact_key, absl::string_view alias) {
  return absl::StrCat(ArtifactPrefix(artifact_key), alias);
}

std::string AliasLogKey(absl::string_view artifact_key, uint64_t sequence) {
  return VersionKey(artifact_key, sequence);
}

std::string VersionNode(absl::string_view kind, absl::string_view name, uint64_t number) {
  return absl::StrCat(kind, "/", name, "@", number);
}

std::string RunNode(absl::string_view run_id) { return absl::StrCat("run/", run_id); }

std::string EdgeKey(EdgeDirection dir, absl::string_view node, absl::string_view other) {
  std::string k = EdgePrefix(dir, node);
  k.append(other.data(), other.size());
  return k;
}

std::string EdgePrefix(EdgeDirection dir, absl::string_view node) {
  std::string k(1, static_cast<char>(dir));
  k.append(node.data(), node.size());
  k.push_back('\0');
  return k;
}

}  // namespace strata::internal
