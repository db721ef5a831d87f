// The online lookup's answer in the wire format of Feast's get-online-features
// response, as `strata online --json` prints it and POST /v1/online returns it.
#ifndef STRATA_FEATURES_FEAST_JSON_H_
#define STRATA_FEATURES_FEAST_JSON_H_

#include <string>

#include "absl/strings/string_view.h"
#include "features/feature_store.h"

namespace strata::features {

// `result` in the shape of Feast's get-online-features response:
//   {"metadata":{"feature_names":["customer_id","spend_7d"]},
//    "results":[{"values":[1],"statuses":["PRESENT"],
//                "event_timestamps":["1970-01-01T00:00:00Z"]}, ...]}
// one result per name, join keys first; `full_names` names features VIEW__FEATURE.
std::string OnlineResponseJson(const OnlineResult& result, bool full_names);
// The same text, written into a buffer of the calling thread and valid until the
// thread's next call of either function (a server sends it without copying it).
absl::string_view OnlineResponseJsonView(const OnlineResult& result, bool full_names);

}  // namespace strata::features

#endif  // STRATA_FEATURES_FEAST_JSON_H_
