// Helpers shared by the route groups (api/internal/routes.h).
#include "api/internal/routes.h"

#include <string>

namespace strata::api::internal {

void WriteProto(httplib::Response& res, const google::protobuf::MessageLite& message) {
  res.set_content(message.SerializeAsString(), kProtobuf);
}

std::string Creator(const httplib::Request& req) {
  std::string who = req.get_header_value("X-Strata-Creator");
  return who.empty() ? "http" : who;
}

}  // namespace strata::api::internal
