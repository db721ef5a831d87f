// References, names, kinds, durations and type names as users type them
// (store/ref.h, features/definitions.h): what parses prints back to itself.
#include <string>

#include "absl/strings/str_cat.h"
#include "features/definitions.h"
#include "fuzz/harness.h"
#include "store/ref.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto ref = strata::ParseRef(text); ref.ok()) {
    const std::string printed = ref->ToString();
    auto again = strata::ParseRef(printed);
    strata::fuzz::Check(again.ok() && again->ToString() == printed &&
                            again->version == ref->version && again->alias == ref->alias,
                        absl::StrCat("reference \"", text, "\" prints as \"", printed,
                                     "\" which does not parse back to it"));
    strata::fuzz::Check(strata::ValidateArtifactName(ref->artifact.name).ok(),
                        "a parsed reference with an invalid name");
  }
  if (auto id = strata::ParseArtifactId(text); id.ok()) {
    auto again = strata::ParseArtifactId(id->ToString());
    strata::fuzz::Check(again.ok() && *again == *id, "artifact id does not round-trip");
  }
  (void)strata::ParseKind(text);
  (void)strata::ValidateAliasName(text);
  if (auto d = strata::features::ParseDuration(text); d.ok()) {
    strata::fuzz::Check(*d >= 0, absl::StrCat("negative duration from \"", text, "\""));
  }
  if (auto t = strata::features::ParseValueType(text); t.ok()) {
    strata::fuzz::Check(strata::features::ValueTypeName(*t) == text,
                        "a value type name that does not print back");
  }
  return 0;
}
