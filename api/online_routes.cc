// Online routes: Feast's get-online-features.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/internal/routes.h"
#include "simdjson.h"
#include "store/internal/records.h"
#include "store/status_macros.h"

namespace strata::api::internal {
namespace {

// A Feast get-online-features request.
struct OnlineRequest {
  std::vector<std::string> features;
  features::EntityColumns entities;
  bool full_names = false;
};

absl::StatusOr<OnlineRequest> ParseOnlineRequest(const std::string& body,
                                                 size_t max_entities) {
  const auto bad = [](absl::string_view what) {
    return absl::InvalidArgumentError(what);
  };
  // The whole document is validated (trailing text included) before it is read.
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto error = parser.parse(body).get(doc); error) {
    return bad(absl::StrCat("the body is not valid JSON (",
                            simdjson::error_message(error), ")"));
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj)) return bad("the body is not a JSON object");
  OnlineRequest out;
  bool have_features = false, have_entities = false;
  for (const auto field : obj) {
    const absl::string_view key = Sv(field.key);
    if (key == "features") {
      have_features = true;
      simdjson::dom::array array;
      if (field.value.get_array().get(array)) {
        return bad("features must be an array of \"view:feature\" strings");
      }
      for (const auto item : array) {
        std::string_view s;
        if (item.get_string().get(s)) {
          return bad("features must be an array of \"view:feature\" strings");
        }
        out.features.emplace_back(s);
      }
    } else if (key == "entities") {
      have_entities = true;
      simdjson::dom::object entities;
      if (field.value.get_object().get(entities)) {
        return bad("entities must be an object of join key -> array of values");
      }
      for (const auto entity : entities) {
        const absl::string_view name = Sv(entity.key);
        auto& column =
            out.entities.emplace_back(std::string(name), std::vector<features::Value>());
        simdjson::dom::array values;
        if (entity.value.get_array().get(values)) {
          return bad(absl::StrCat("entities.", name, " must be an array"));
        }
        for (const auto value : values) {
          if (column.second.size() == max_entities) {
            return absl::ResourceExhaustedError(
                absl::StrCat("more than ", max_entities,
                             " entities in one request (--max-online-entities)"));
          }
          const auto where =
              absl::StrCat("entities.", name, "[", column.second.size(), "]");
          int64_t n;
          std::string_view s;
          if (value.is_number()) {
            if (value.get_int64().get(n))
              return bad(absl::StrCat(where, " is not an int64"));
            column.second.emplace_back(n);
          } else if (!value.get_string().get(s)) {
            column.second.emplace_back(std::string(s));
          } else {
            return bad(absl::StrCat(where, " must be an integer or a string"));
          }
        }
      }
    } else if (key == "full_feature_names") {
      if (field.value.get_bool().get(out.full_names)) {
        return bad("full_feature_names must be true or false");
      }
    } else {
      return bad(absl::StrCat("unknown field \"", key,
                              "\" (expected features, entities, full_feature_names)"));
    }
  }
  if (!have_features) return bad("the request has no features");
  if (!have_entities) return bad("the request has no entities");
  return out;
}

// POST /get-online-features and /v1/online-features: Feast's request and response.
absl::Status Online(const RouteContext& ctx, const httplib::Request& req,
                    httplib::Response& res) {
  ASSIGN_OR_RETURN(OnlineRequest request,
                   ParseOnlineRequest(req.body, ctx.options->max_online_entities));
  ASSIGN_OR_RETURN(features::OnlineResult result,
                   ctx.features->Online(request.features, request.entities,
                                        ::strata::internal::NowMicros()));
  WriteJson(res, features::OnlineResponseJson(result, request.full_names));
  return absl::OkStatus();
}

}  // namespace

void AddOnlineRoutes(httplib::Server& http, const RouteContext& ctx) {
  for (const char* path : {"/get-online-features", "/v1/online-features"}) {
    http.Post(path,
              Handle(path, [&ctx](const httplib::Request& req, httplib::Response& res) {
                return Online(ctx, req, res);
              }));
  }
}

}  // namespace strata::api::internal
