// POST /v1/validate: `strata validate` against a server (docs/http-api.md): a
// dataset version checked against a feature view's validation rules, or those of
// the definitions file in the body; nothing is written.
#include <string>

#include "api/features_api.pb.h"
#include "api/internal/routes.h"
#include "features/render.h"
#include "features/rules.h"
#include "store/status_macros.h"

namespace strata::api::internal {
namespace {

// The body (a definitions file, small) is read whole by the server: the route
// takes the non-streaming handler.
absl::Status Validate(const RouteContext& ctx, const httplib::Request& req,
                      httplib::Response& res) {
  RETURN_IF_ERROR(ctx.authorize(req, Scope::kRead));
  RETURN_IF_ERROR(CheckParams(req, {"ref", "view", "source"}));
  if (!req.has_param("ref")) {
    return absl::InvalidArgumentError("validate needs ref=dataset/NAME[@REF]");
  }
  const std::string& rules = req.body;
  if (rules.empty() && !req.has_param("view")) {
    return absl::InvalidArgumentError(
        "validate needs view=NAME[@REF] or a definitions file as the body");
  }
  ASSIGN_OR_RETURN(
      features::ValidationReport report,
      features::ValidateDataset(*ctx.features, req.get_param_value("ref"),
                                req.get_param_value("view"), rules,
                                req.has_param("source") ? req.get_param_value("source")
                                                        : std::string("body")));
  ValidateResponse proto;
  proto.set_dataset(report.dataset);
  proto.set_featureview(report.featureview);
  proto.set_rules_from(report.rules_from);
  proto.set_rows(report.rows);
  for (const auto& [rule, count] : report.by_rule) (*proto.mutable_by_rule())[rule] = count;
  *proto.mutable_rules() = RulesOutcomeProto(report.outcome);
  if (WantsProtobuf(req)) {
    WriteProto(res, proto);
    return absl::OkStatus();
  }
  WriteJson(res, features::ValidationReportJson(report));
  return absl::OkStatus();
}

}  // namespace

void AddValidateRoutes(httplib::Server& http, const RouteContext& ctx) {
  http.Post("/v1/validate", Bind(ctx, "/v1/validate", Validate));
}

}  // namespace strata::api::internal
