// StoreClient's data-quality calls over HTTP: GET /v1/stats/REF and
// GET /v1/drift (docs/http-api.md).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/remote_client.h"
#include "features/values.h"
#include "quality/drift_render.h"
#include "quality/quality.pb.h"
#include "store/status_macros.h"

namespace strata {

absl::StatusOr<quality::StatsResult> RemoteClient::Stats(
    const quality::StatsRequest& request) {
  std::vector<std::string> params;
  if (!request.view.empty()) params.push_back("view=" + UrlEncode(request.view));
  const auto time = [&](const char* name, const std::optional<features::Micros>& t) {
    if (t.has_value()) {
      params.push_back(absl::StrCat(name, "=", UrlEncode(features::FormatTimestamp(*t))));
    }
  };
  time("from", request.from);
  time("to", request.to);
  time("as_of", request.as_of);
  std::string path = "/v1/stats/" + UrlEncode(request.ref);
  if (!params.empty()) absl::StrAppend(&path, "?", absl::StrJoin(params, "&"));
  ASSIGN_OR_RETURN(quality::StatsAnswer answer, Fetch<quality::StatsAnswer>("GET", path));
  return quality::FromAnswer(answer);
}

absl::StatusOr<quality::DriftResult> RemoteClient::Drift(
    const quality::DriftRequest& request) {
  std::string path = absl::StrCat("/v1/drift?baseline=", UrlEncode(request.baseline),
                                  "&current=", UrlEncode(request.current));
  if (!request.features.empty()) {
    absl::StrAppend(&path, "&features=", UrlEncode(absl::StrJoin(request.features, ",")));
  }
  ASSIGN_OR_RETURN(quality::DriftAnswer answer, Fetch<quality::DriftAnswer>("GET", path));
  return quality::FromAnswer(answer);
}

}  // namespace strata
