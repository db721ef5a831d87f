// Run routes: start, log metrics, finish, show, list.
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/api.pb.h"
#include "api/internal/json_body.h"
#include "api/internal/routes.h"
#include "simdjson.h"
#include "store/json_writer.h"
#include "store/render.h"
#include "store/runs.h"
#include "store/status_macros.h"

namespace strata::api::internal {
namespace {

absl::Status WriteRun(const httplib::Request& req, httplib::Response& res,
                      const store::Run& run) {
  if (WantsProtobuf(req)) {
    WriteProto(res, run);
    return absl::OkStatus();
  }
  JsonWriter w;
  WriteRunJson(w, run);
  WriteJson(res, w.Take());
  return absl::OkStatus();
}

// POST /v1/runs, scope write. Body: {"name":..., "params":{K:V}, "inputs":[REF]}.
absl::Status StartRun(const RouteContext& ctx, const httplib::Request& req,
                      httplib::Response& res) {
  RETURN_IF_ERROR(ctx.authorize(req, Scope::kWrite));
  RETURN_IF_ERROR(CheckParams(req, {}));
  simdjson::dom::parser parser;
  ASSIGN_OR_RETURN(simdjson::dom::object obj, ParseJsonObject(parser, req.body));
  NewRun run;
  run.creator = Who(req);
  for (const auto field : obj) {
    const absl::string_view key = Sv(field.key);
    std::string_view s;
    if (key == "name") {
      if (field.value.get_string().get(s)) {
        return absl::InvalidArgumentError("name must be a string");
      }
      run.name = std::string(s);
    } else if (key == "params") {
      simdjson::dom::object params;
      if (field.value.get_object().get(params)) {
        return absl::InvalidArgumentError("params must be an object of strings");
      }
      for (const auto p : params) {
        if (p.value.get_string().get(s)) {
          return absl::InvalidArgumentError(
              absl::StrCat("params.", Sv(p.key), " must be a string"));
        }
        run.params[std::string(p.key)] = std::string(s);
      }
    } else if (key == "inputs") {
      simdjson::dom::array inputs;
      if (field.value.get_array().get(inputs)) {
        return absl::InvalidArgumentError("inputs must be an array of references");
      }
      for (const auto item : inputs) {
        if (item.get_string().get(s)) {
          return absl::InvalidArgumentError("inputs must be an array of references");
        }
        run.inputs.emplace_back(s);
      }
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown field \"", key, "\" (expected name, params, inputs)"));
    }
  }
  ASSIGN_OR_RETURN(store::Run started, ctx.store->runs().Start(run));
  res.status = 201;
  return WriteRun(req, res, started);
}

// POST /v1/runs/ID/metrics, scope write. Body: {"NAME": NUMBER, ...}.
absl::Status LogMetrics(const RouteContext& ctx, const httplib::Request& req,
                        httplib::Response& res) {
  RETURN_IF_ERROR(ctx.authorize(req, Scope::kWrite));
  RETURN_IF_ERROR(CheckParams(req, {}));
  simdjson::dom::parser parser;
  ASSIGN_OR_RETURN(simdjson::dom::object obj, ParseJsonObject(parser, req.body));
  std::map<std::string, double> metrics;
  for (const auto field : obj) {
    double d;
    if (field.value.get_double().get(d)) {
      return absl::InvalidArgumentError(
          absl::StrCat("metric ", Sv(field.key), " must be a number"));
    }
    metrics[std::string(field.key)] = d;
  }
  if (metrics.empty()) return absl::InvalidArgumentError("no metrics given");
  ASSIGN_OR_RETURN(store::Run run,
                   ctx.store->runs().LogMetrics(req.matches[1].str(), metrics));
  return WriteRun(req, res, run);
}

// POST /v1/runs/ID/finish?status=ok|failed, scope write.
absl::Status FinishRun(const RouteContext& ctx, const httplib::Request& req,
                       httplib::Response& res) {
  RETURN_IF_ERROR(ctx.authorize(req, Scope::kWrite));
  RETURN_IF_ERROR(CheckParams(req, {"status"}));
  const std::string text =
      req.has_param("status") ? req.get_param_value("status") : std::string("ok");
  store::RunStatus status;
  if (text == "ok") {
    status = store::RUN_STATUS_OK;
  } else if (text == "failed") {
    status = store::RUN_STATUS_FAILED;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("status is ok or failed, got \"", text, "\""));
  }
  ASSIGN_OR_RETURN(store::Run run,
                   ctx.store->runs().Finish(req.matches[1].str(), status));
  return WriteRun(req, res, run);
}

// GET /v1/runs/ID
absl::Status ShowRun(const RouteContext& ctx, const httplib::Request& req,
                     httplib::Response& res) {
  RETURN_IF_ERROR(CheckParams(req, {}));
  ASSIGN_OR_RETURN(store::Run run, ctx.store->runs().Get(req.matches[1].str()));
  return WriteRun(req, res, run);
}

// GET /v1/runs: every run, oldest first.
absl::Status ListRuns(const RouteContext& ctx, const httplib::Request& req,
                      httplib::Response& res) {
  RETURN_IF_ERROR(CheckParams(req, {}));
  ASSIGN_OR_RETURN(std::vector<store::Run> runs, ctx.store->runs().List());
  if (WantsProtobuf(req)) {
    RunList list;
    for (auto& r : runs) *list.add_runs() = std::move(r);
    WriteProto(res, list);
    return absl::OkStatus();
  }
  JsonWriter w;
  w.BeginArray();
  for (const auto& r : runs) WriteRunJson(w, r);
  w.EndArray();
  WriteJson(res, w.Take());
  return absl::OkStatus();
}

}  // namespace

void AddRunRoutes(httplib::Server& http, const RouteContext& ctx) {
  const auto route = [&ctx](std::string label, auto fn) {
    return Bind(ctx, std::move(label), fn);
  };
  http.Post("/v1/runs", route("/v1/runs", StartRun));
  http.Get("/v1/runs", route("/v1/runs", ListRuns));
  http.Post(R"(/v1/runs/([^/]+)/metrics)", route("/v1/runs/{id}/metrics", LogMetrics));
  http.Post(R"(/v1/runs/([^/]+)/finish)", route("/v1/runs/{id}/finish", FinishRun));
  http.Get(R"(/v1/runs/([^/]+))", route("/v1/runs/{id}", ShowRun));
}

}  // namespace strata::api::internal
