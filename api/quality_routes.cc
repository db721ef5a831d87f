// Data-quality routes: statistics (docs/http-api.md, "Statistics").
#include <string>

#include "absl/strings/str_cat.h"
#include "api/internal/routes.h"
#include "quality/profile_store.h"
#include "quality/render.h"
#include "quality/table_source.h"
#include "store/status_macros.h"

namespace strata::api::internal {
namespace {

// The time in query parameter `name`, if given. Errors: InvalidArgument naming it.
absl::StatusOr<std::optional<features::Micros>> TimeParam(const httplib::Request& req,
                                                          const char* name) {
  if (!req.has_param(name)) return std::nullopt;
  absl::StatusOr<features::Micros> t = quality::ParseTimeBound(req.get_param_value(name));
  if (!t.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": ", t.status().message()));
  }
  return *t;
}

// GET /v1/stats/REF?view=featureview/NAME&from=T&to=T&as_of=T: REF is
// dataset/NAME[@REF] or featureview/NAME[[FROM..TO]]. A dataset's profile is
// stored (profile/NAME) when the request may write, else only computed.
absl::Status GetStats(const RouteContext& ctx, const httplib::Request& req,
                      httplib::Response& res) {
  RETURN_IF_ERROR(CheckParams(req, {"view", "from", "to", "as_of"}));
  quality::StatsRequest request;
  request.ref = req.matches[1].str();
  request.view = req.get_param_value("view");
  ASSIGN_OR_RETURN(request.from, TimeParam(req, "from"));
  ASSIGN_OR_RETURN(request.to, TimeParam(req, "to"));
  ASSIGN_OR_RETURN(request.as_of, TimeParam(req, "as_of"));
  request.store = ctx.authorize(req, Scope::kWrite).ok();
  request.creator = Who(req);
  ASSIGN_OR_RETURN(quality::StatsResult result,
                   quality::Stats(*ctx.store, *ctx.features, request));
  if (WantsProtobuf(req)) {
    WriteProto(res, quality::ToAnswer(result));
  } else {
    WriteJson(res, quality::StatsJson(result));
  }
  return absl::OkStatus();
}

}  // namespace

void AddQualityRoutes(httplib::Server& http, const RouteContext& ctx) {
  http.Get(R"(/v1/stats/(.+))", Bind(ctx, "/v1/stats/{ref}", GetStats));
}

}  // namespace strata::api::internal
