// Feature definitions, YAML or JSON (features/definitions.h): any bytes give
// definitions or an error; what is accepted is valid by the registry's own rules
// (each view may replace itself).
#include <string>

#include "features/definitions.h"
#include "fuzz/harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto defs = strata::features::ParseDefinitions(text, "fuzz.yaml");
  if (!defs.ok()) {
    strata::fuzz::Check(!defs.status().message().empty(), "an error without a message");
    return 0;
  }
  for (const auto& view : defs->feature_views()) {
    strata::fuzz::Check(!view.name().empty(), "an accepted view without a name");
    strata::fuzz::Check(strata::features::CheckCompatible(view, view).ok(),
                        "an accepted view that cannot replace itself");
  }
  return 0;
}
