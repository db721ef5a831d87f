#include "features/online_table.h"

#include "features/codec.h"
#include "store/status_macros.h"

namespace strata::features {

absl::StatusOr<std::vector<std::optional<std::string>>> OnlineTable::LookupCopies(
    absl::Span<const std::string> keys) const {
  std::vector<absl::string_view> views(keys.begin(), keys.end());
  std::vector<std::optional<std::string>> rows(keys.size());
  RETURN_IF_ERROR(Lookup(views, [&](size_t i, absl::string_view value) {
    rows[i].emplace(value);
    return absl::OkStatus();
  }));
  return rows;
}

std::string OnlineViewPrefix(uint32_t view) {
  std::string prefix;
  codec::PutBE32(&prefix, view);
  return prefix;
}

}  // namespace strata::features
