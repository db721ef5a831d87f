// What every route of the HTTP API shares: the server's state as routes see it,
// the one path from absl::Status to a JSON error response, and the registration
// of each route group. Internal to api/.
#ifndef STRATA_API_INTERNAL_ROUTES_H_
#define STRATA_API_INTERNAL_ROUTES_H_

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "api/features_api.pb.h"
#include "api/server.h"
#include "api/tokens.h"
#include "features/feature_store.h"
#include "google/protobuf/message_lite.h"
#include "httplib.h"
#include "quality/drift_gauges.h"
#include "store/actor.h"
#include "store/store.h"

namespace strata::api::internal {

constexpr const char* kJson = "application/json";
constexpr const char* kProtobuf = "application/x-protobuf";

// The server as its routes see it. Everything outlives the routes.
struct RouteContext {
  Store* store = nullptr;
  features::FeatureStore* features = nullptr;
  const ServerOptions* options = nullptr;
  // OK when `req` carries a token of scope `needed` or above, or the server needs
  // none. Errors: Unauthenticated, PermissionDenied.
  std::function<absl::Status(const httplib::Request& req, Scope needed)> authorize;
  // Reloads the store's tokens that requests are checked against (after a token
  // route changed them). Errors: as TokenStore::Digests.
  std::function<absl::Status()> reload_tokens;
  // Whether requests need a token (Server::authenticating), fixed at Start.
  bool authenticating = false;
  // The latest drift results, for /metrics (owned by the server).
  quality::DriftGauges* drift_gauges = nullptr;
  // What answers get-online-features: the store's FeatureStore, or on an
  // online-only replica (store and features null) the primary's catalog
  // (api/online_replica.h).
  std::function<absl::StatusOr<features::OnlineResult>(
      const std::vector<std::string>& features, const features::EntityColumns& entities,
      features::Micros now)>
      online;
  std::function<absl::StatusOr<features::ResolvedFeatures>(
      const std::vector<std::string>& features)>
      resolve_features;
};

using RouteFn =
    std::function<absl::Status(const httplib::Request& req, httplib::Response& res)>;

// A handler for the route labelled `label` in metrics and the access log (a path
// pattern such as "/v1/artifacts/{ref}"), whose errors become JSON error responses.
httplib::Server::Handler Handle(std::string label, RouteFn fn);

// Handle for a route function of the form fn(ctx, req, res).
template <typename Fn>
httplib::Server::Handler Bind(const RouteContext& ctx, std::string label, Fn fn) {
  return Handle(std::move(label),
                [&ctx, fn](const httplib::Request& req, httplib::Response& res) {
                  return fn(ctx, req, res);
                });
}

// The label of the route that handled this thread's current request ("other" when
// none did: unknown paths, refused requests). Reset by ResetRouteLabel.
const std::string& RouteLabel();
void ResetRouteLabel();

// {"error":{"code":"INVALID_ARGUMENT","message":"..."}}
std::string ErrorJson(absl::StatusCode code, absl::string_view message);
// Sets the status for `status` (HttpStatus) and the JSON error body.
void WriteError(httplib::Response& res, const absl::Status& status);
void WriteJson(httplib::Response& res, std::string body);

// Whether the client asked for protobuf ("Accept: application/x-protobuf").
bool WantsProtobuf(const httplib::Request& req);
// Sets `message`, serialized, as the body.
void WriteProto(httplib::Response& res, const google::protobuf::MessageLite& message);

// Where the server puts the owner of the request's token, once it has checked it
// (a client's own header of this name is dropped first).
constexpr const char* kTokenOwnerHeader = "X-Strata-Token-Owner";

// Who is acting, for records. On a server that authenticates: the owner of the
// request's token, on behalf of the X-Strata-Creator header (the CLI sends its
// user) when that names someone else. Without authentication: X-Strata-Creator,
// else "http".
Actor Who(const httplib::Request& req);

// InvalidArgument "unknown query parameter X (expected A, B)" for a query parameter
// of `req` not in `known` (none expected: "(this route takes none)"): a misspelt
// option must not be silently ignored. Every route calls it first.
absl::Status CheckParams(const httplib::Request& req,
                         absl::Span<const absl::string_view> known);

inline absl::string_view Sv(std::string_view s) { return {s.data(), s.size()}; }

// Route groups, each in its own file.
void AddArtifactRoutes(httplib::Server& http, const RouteContext& ctx);
void AddRunRoutes(httplib::Server& http, const RouteContext& ctx);
void AddTokenRoutes(httplib::Server& http, const RouteContext& ctx);
void AddFeatureRoutes(httplib::Server& http, const RouteContext& ctx);
void AddValidateRoutes(httplib::Server& http, const RouteContext& ctx);

// What a view's validation rules found, for protobuf answers (feature_routes.cc).
RulesOutcome RulesOutcomeProto(const features::RulesOutcome& outcome);
void AddOnlineRoutes(httplib::Server& http, const RouteContext& ctx);
// Only get-online-features (both paths): what an online-only replica serves.
void AddOnlineLookupRoutes(httplib::Server& http, const RouteContext& ctx);
void AddMaintenanceRoutes(httplib::Server& http, const RouteContext& ctx);
void AddQualityRoutes(httplib::Server& http, const RouteContext& ctx);

}  // namespace strata::api::internal

#endif  // STRATA_API_INTERNAL_ROUTES_H_
