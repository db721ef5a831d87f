// Artifact kinds, names, aliases and references (`KIND/NAME[@N|@ALIAS]`): parsing and
// validation rules, in one place.
#ifndef STRATA_STORE_REF_H_
#define STRATA_STORE_REF_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace strata {

// kFeatureService: a named list of features (Feast's FeatureService), applied with
// the feature views it reads (features/registry.h).
// kProfile: the statistics of a dataset version (quality/profile_store.h), written
// by `strata stats`, with an input edge to the version it describes.
enum class Kind { kDataset, kFeatureView, kModel, kConfig, kFeatureService, kProfile };

// "dataset", "featureview", "model", "config", "featureservice", "profile".
absl::string_view KindName(Kind kind);
// Errors: InvalidArgument for anything but the six kind names.
absl::StatusOr<Kind> ParseKind(absl::string_view text);

// Names: segments matching [a-z0-9][a-z0-9._-]* joined by '/', at most 200
// characters in all. Errors: InvalidArgument saying which rule `name` breaks.
absl::Status ValidateArtifactName(absl::string_view name);

// Aliases: [a-z][a-z0-9._-]*, at most 64 characters; "latest" is reserved (it always
// means the newest version). Errors: InvalidArgument.
absl::Status ValidateAliasName(absl::string_view alias);

// One artifact: a kind and a name. Value type.
struct ArtifactId {
  Kind kind = Kind::kDataset;
  std::string name;

  std::string ToString() const;  // "KIND/NAME"
  friend bool operator==(const ArtifactId&, const ArtifactId&) = default;
};

// Errors: InvalidArgument unless `text` is "KIND/NAME" with a valid kind and name.
absl::StatusOr<ArtifactId> ParseArtifactId(absl::string_view text);

// A reference to one version: by number, by alias, or the latest (neither given).
struct Ref {
  ArtifactId artifact;
  uint64_t version = 0;  // > 0 when the reference names a number
  std::string alias;     // non-empty when the reference names an alias

  bool is_latest() const { return version == 0 && alias.empty(); }
  std::string ToString() const;  // "KIND/NAME", "KIND/NAME@N" or "KIND/NAME@ALIAS"
};

// Parses "KIND/NAME", "KIND/NAME@N" (N >= 1), "KIND/NAME@ALIAS", "KIND/NAME@latest".
// Errors: InvalidArgument naming the part that is wrong.
absl::StatusOr<Ref> ParseRef(absl::string_view text);

}  // namespace strata

#endif  // STRATA_STORE_REF_H_
