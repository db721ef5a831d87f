// Request bodies of every route that reads one (JSON, JSON lines, CSV, YAML, chunk
// ids), sent over loopback to a real server on the shared store: the first byte
// picks the route, the rest is the body. Every answer is 2xx or 4xx (Exchange
// aborts on a 5xx or a server that stops answering).
#include <string>

#include "fuzz/harness.h"

namespace {

struct Route {
  const char* method;
  const char* target;
  const char* content_type;
};

constexpr Route kRoutes[] = {
    {"POST", "/get-online-features", "application/json"},
    {"POST", "/v1/online-features", "application/json"},
    {"POST", "/push", "application/json"},
    {"POST", "/v1/push", "application/json"},
    {"POST", "/v1/features/historical?features=customer_stats:spend_7d",
     "application/json"},
    {"POST", "/v1/features/historical?features=customer_stats:segment&full_names=true",
     "text/csv"},
    {"POST", "/v1/features/historical?features=customer_stats:spend_7d",
     "application/x-ndjson"},
    {"POST", "/v1/features/apply", "application/json"},
    {"POST", "/v1/features/apply", "application/yaml"},
    {"POST", "/v1/features/customer_stats/ingest", "application/x-ndjson"},
    {"POST", "/v1/features/customer_stats/ingest", "text/csv"},
    {"POST", "/v1/runs", "application/json"},
    {"POST", "/v1/runs/fuzz-run/metrics", "application/json"},
    {"POST", "/v1/runs/fuzz-run/finish", "application/json"},
    {"POST", "/v1/tokens?scope=read&name=fuzz", "application/json"},
    {"PUT", "/v1/retention/model/m?keep_last=3", "application/json"},
    {"POST", "/v1/chunks/missing", "application/octet-stream"},
    {"POST", "/v1/chunks", "application/octet-stream"},
    {"POST", "/v1/artifacts/model/fuzz?meta=stage%3Dfuzz", "application/octet-stream"},
    {"PUT", "/v1/artifacts/model/fuzz/aliases/production?version=1", "application/json"},
    {"POST", "/v1/features/reproduce/dataset/fuzz", "application/json"},
    {"POST", "/v1/gc?dry_run=true", "application/json"},
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Route& route = kRoutes[data[0] % (sizeof(kRoutes) / sizeof(kRoutes[0]))];
  const absl::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  strata::fuzz::Exchange(
      strata::fuzz::Request(route.method, route.target, route.content_type, body));
  return 0;
}
