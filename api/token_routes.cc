// Token routes, scope admin: create, list, revoke. On a server that authenticates, a
// change takes effect on the next request (the server reloads its tokens after
// each); one that started without tokens stays open and makes none (see Create).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/api.pb.h"
#include "api/internal/routes.h"
#include "api/tokens.h"
#include "store/json_writer.h"
#include "store/status_macros.h"

namespace strata::api::internal {
namespace {

// POST /v1/tokens?scope=read|write|admin[&name=NAME][&owner=OWNER]: the token,
// shown once.
absl::Status Create(const RouteContext& ctx, const httplib::Request& req,
                    httplib::Response& res) {
  RETURN_IF_ERROR(ctx.authorize(req, Scope::kAdmin));
  RETURN_IF_ERROR(CheckParams(req, {"scope", "name", "owner"}));
  if (!req.has_param("scope")) {
    return absl::InvalidArgumentError("scope=read|write|admin is required");
  }
  ASSIGN_OR_RETURN(Scope scope, ParseScope(req.get_param_value("scope")));
  // Anyone who can reach an open server could make themselves a token that a
  // restart would honour; and the token would not be asked for until then.
  if (!ctx.authenticating) {
    return absl::FailedPreconditionError(
        "this server started without tokens and does not authenticate: it makes "
        "none; stop it, create the first admin token offline (strata token create "
        "--scope admin), and start it again");
  }
  ASSIGN_OR_RETURN(CreatedToken created,
                   TokenStore(ctx.store).Create({.scope = scope,
                                                 .name = req.get_param_value("name"),
                                                 .owner = req.get_param_value("owner"),
                                                 .creator = Who(req)}));
  RETURN_IF_ERROR(ctx.reload_tokens());
  res.status = 201;
  res.set_header("Cache-Control", "no-store");
  if (WantsProtobuf(req)) {
    TokenCreated out;
    out.set_name(created.name);
    out.set_scope(static_cast<int>(scope));
    out.set_token(created.token);
    out.set_owner(created.owner);
    WriteProto(res, out);
    return absl::OkStatus();
  }
  JsonWriter w;
  w.BeginObject().Key("name").String(created.name).Key("scope").String(ScopeName(scope));
  w.Key("owner").String(created.owner).Key("token").String(created.token).EndObject();
  WriteJson(res, w.Take());
  return absl::OkStatus();
}

// GET /v1/tokens: names, owners and scopes, never the tokens.
absl::Status List(const RouteContext& ctx, const httplib::Request& req,
                  httplib::Response& res) {
  RETURN_IF_ERROR(ctx.authorize(req, Scope::kAdmin));
  RETURN_IF_ERROR(CheckParams(req, {}));
  ASSIGN_OR_RETURN(std::vector<TokenInfo> all, TokenStore(ctx.store).List());
  if (WantsProtobuf(req)) {
    TokenList out;
    for (const TokenInfo& t : all) {
      TokenEntry& e = *out.add_tokens();
      e.set_name(t.name);
      e.set_owner(t.owner);
      e.set_scope(static_cast<int>(t.scope));
      e.set_created_us(t.created_us);
      e.set_creator(t.creator.who);
      e.set_creator_on_behalf_of(t.creator.on_behalf_of);
    }
    WriteProto(res, out);
    return absl::OkStatus();
  }
  JsonWriter w;
  w.BeginArray();
  for (const TokenInfo& t : all) {
    WriteTokenJson(w, t);
  }
  w.EndArray();
  WriteJson(res, w.Take());
  return absl::OkStatus();
}

// DELETE /v1/tokens/NAME
absl::Status Revoke(const RouteContext& ctx, const httplib::Request& req,
                    httplib::Response& res) {
  RETURN_IF_ERROR(ctx.authorize(req, Scope::kAdmin));
  RETURN_IF_ERROR(CheckParams(req, {}));
  const std::string name = req.matches[1].str();
  RETURN_IF_ERROR(TokenStore(ctx.store).RevokeKeepingAnAdmin(name));
  RETURN_IF_ERROR(ctx.reload_tokens());
  JsonWriter w;
  w.BeginObject().Key("revoked").String(name).EndObject();
  WriteJson(res, w.Take());
  return absl::OkStatus();
}

}  // namespace

void AddTokenRoutes(httplib::Server& http, const RouteContext& ctx) {
  const auto route = [&ctx](std::string label, auto fn) {
    return Bind(ctx, std::move(label), fn);
  };
  http.Post("/v1/tokens", route("/v1/tokens", Create));
  http.Get("/v1/tokens", route("/v1/tokens", List));
  http.Delete(R"(/v1/tokens/([^/]+))", route("/v1/tokens/{name}", Revoke));
}

}  // namespace strata::api::internal
