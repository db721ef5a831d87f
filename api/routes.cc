// Helpers shared by the route groups (api/internal/routes.h).
#include "api/internal/routes.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "store/excerpt.h"

namespace strata::api::internal {

void WriteProto(httplib::Response& res, const google::protobuf::MessageLite& message) {
  res.set_content(message.SerializeAsString(), kProtobuf);
}

Actor Who(const httplib::Request& req) {
  std::string claimed = req.get_header_value("X-Strata-Creator");
  if (req.has_header(kTokenOwnerHeader)) {
    return Actor(req.get_header_value(kTokenOwnerHeader), std::move(claimed));
  }
  return Actor(claimed.empty() ? "http" : std::move(claimed));
}

absl::Status CheckParams(const httplib::Request& req,
                         absl::Span<const absl::string_view> known) {
  for (const auto& [name, value] : req.params) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown query parameter ", Excerpt(name),
          known.size() == 0 ? std::string(" (this route takes none)")
                            : absl::StrCat(" (expected ", absl::StrJoin(known, ", "), ")")));
    }
  }
  return absl::OkStatus();
}

}  // namespace strata::api::internal
