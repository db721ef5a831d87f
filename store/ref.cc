#include "store/ref.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "store/excerpt.h"
#include "store/status_macros.h"

namespace strata {
namespace {

bool IsNameChar(char c) {
  return absl::ascii_islower(static_cast<unsigned char>(c)) ||
         absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
         c == '-';
}

}  // namespace

absl::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kDataset:
      return "dataset";
    case Kind::kFeatureView:
      return "featureview";
    case Kind::kModel:
      return "model";
    case Kind::kConfig:
      return "config";
    case Kind::kFeatureService:
      return "featureservice";
    case Kind::kProfile:
      return "profile";
  }
  return "unknown";
}

absl::StatusOr<Kind> ParseKind(absl::string_view text) {
  for (Kind k : {Kind::kDataset, Kind::kFeatureView, Kind::kModel, Kind::kConfig,
                 Kind::kFeatureService, Kind::kProfile}) {
    if (text == KindName(k)) return k;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown kind ", Excerpt(text),
      " (kinds: dataset, featureview, model, config, featureservice, profile)"));
}

absl::Status ValidateArtifactName(absl::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("artifact name is empty");
  if (name.size() > 200) {
    return absl::InvalidArgumentError(absl::StrCat("artifact name is ", name.size(),
                                                   " characters; at most 200 allowed"));
  }
  for (absl::string_view segment : absl::StrSplit(name, '/')) {
    if (segment.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("artifact name ", Excerpt(name), " has an empty '/' segment"));
    }
    if (!absl::ascii_islower(static_cast<unsigned char>(segment[0])) &&
        !absl::ascii_isdigit(static_cast<unsigned char>(segment[0]))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "artifact name ", Excerpt(name), ": each segment must start with a-z or 0-9"));
    }
    for (char c : segment) {
      if (!IsNameChar(c)) {
        return absl::InvalidArgumentError(
            absl::StrCat("artifact name ", Excerpt(name),
                         ": only a-z, 0-9, '.', '_', '-' and '/' are allowed"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateAliasName(absl::string_view alias) {
  if (alias.empty()) return absl::InvalidArgumentError("alias is empty");
  if (alias.size() > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("alias is ", alias.size(), " characters; at most 64 allowed"));
  }
  if (!absl::ascii_islower(static_cast<unsigned char>(alias[0]))) {
    return absl::InvalidArgumentError(
        absl::StrCat("alias ", Excerpt(alias), " must start with a letter a-z"));
  }
  for (char c : alias) {
    if (!IsNameChar(c)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "alias ", Excerpt(alias), ": only a-z, 0-9, '.', '_' and '-' are allowed"));
    }
  }
  if (alias == "latest") {
    return absl::InvalidArgumentError(
        "alias 'latest' is reserved for the newest version");
  }
  return absl::OkStatus();
}

std::string ArtifactId::ToString() const {
  return absl::StrCat(KindName(kind), "/", name);
}

absl::StatusOr<ArtifactId> ParseArtifactId(absl::string_view text) {
  const size_t slash = text.find('/');
  if (slash == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(Excerpt(text), " is not KIND/NAME (for example model/churn)"));
  }
  if (text.find('@') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(Excerpt(text), " names a version; expected KIND/NAME without @"));
  }
  ArtifactId id;
  ASSIGN_OR_RETURN(id.kind, ParseKind(text.substr(0, slash)));
  id.name = std::string(text.substr(slash + 1));
  RETURN_IF_ERROR(ValidateArtifactName(id.name));
  return id;
}

std::string Ref::ToString() const {
  std::string s = artifact.ToString();
  if (version > 0) absl::StrAppend(&s, "@", version);
  if (!alias.empty()) absl::StrAppend(&s, "@", alias);
  return s;
}

absl::StatusOr<Ref> ParseRef(absl::string_view text) {
  Ref ref;
  const size_t at = text.find('@');
  ASSIGN_OR_RETURN(ref.artifact, ParseArtifactId(text.substr(0, at)));
  if (at == absl::string_view::npos) return ref;
  absl::string_view tail = text.substr(at + 1);
  if (tail.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        Excerpt(text), ": nothing after '@' (expected a version or an alias)"));
  }
  if (tail.find('@') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(Excerpt(text),
                     ": more than one '@' (KIND/NAME@VERSION or "
                     "KIND/NAME@ALIAS names one version)"));
  }
  if (tail == "latest") return ref;
  if (absl::ascii_isdigit(static_cast<unsigned char>(tail[0]))) {
    if (tail.find_first_not_of("0123456789") != absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          Excerpt(text), ": ", Excerpt(tail),
          " is not a version number (digits) nor an alias (starts with a-z)"));
    }
    uint64_t n = 0;
    if (!absl::SimpleAtoi(tail, &n)) {
      return absl::InvalidArgumentError(
          absl::StrCat(Excerpt(text), ": version ", Excerpt(tail), " is out of range"));
    }
    if (n == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(Excerpt(text), ": versions are numbered from 1"));
    }
    ref.version = n;
    return ref;
  }
  RETURN_IF_ERROR(ValidateAliasName(tail));
  ref.alias = std::string(tail);
  return ref;
}

}  // namespace strata
