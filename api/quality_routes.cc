// Data-quality routes: statistics and drift (docs/http-api.md, "Statistics",
// "Drift").
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/internal/routes.h"
#include "quality/drift_render.h"
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

// GET /v1/drift?baseline=REF&current=REF&features=F,...: each REF a dataset
// version or featureview/NAME[FROM..TO].
absl::Status GetDrift(const RouteContext& ctx, const httplib::Request& req,
                      httplib::Response& res) {
  RETURN_IF_ERROR(CheckParams(req, {"baseline", "current", "features"}));
  quality::DriftRequest request;
  request.baseline = req.get_param_value("baseline");
  request.current = req.get_param_value("current");
  if (request.baseline.empty() || request.current.empty()) {
    return absl::InvalidArgumentError("baseline and current are required");
  }
  if (req.has_param("features")) {
    request.features =
        absl::StrSplit(req.get_param_value("features"), ',', absl::SkipEmpty());
  }
  ASSIGN_OR_RETURN(quality::DriftResult result,
                   quality::Drift(*ctx.store, *ctx.features, request));
  if (ctx.drift_gauges != nullptr) ctx.drift_gauges->Record(result);
  if (WantsProtobuf(req)) {
    WriteProto(res, quality::ToAnswer(result));
  } else {
    WriteJson(res, quality::DriftJson(result));
  }
  return absl::OkStatus();
}

}  // namespace

void AddQualityRoutes(httplib::Server& http, const RouteContext& ctx) {
  http.Get(R"(/v1/stats/(.+))", Bind(ctx, "/v1/stats/{ref}", GetStats));
  http.Get("/v1/drift", Bind(ctx, "/v1/drift", GetDrift));
}

}  // namespace strata::api::internal
