// Feature routes: apply, ingest, historical retrieval, reproduce, push.
#include "api/internal/routes.h"

namespace strata::api::internal {

void AddFeatureRoutes(httplib::Server&, const RouteContext&) {}

}  // namespace strata::api::internal
