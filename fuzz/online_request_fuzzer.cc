// Feast's online request in protobuf (api/online.proto), any bytes as the body of
// POST /get-online-features with Content-Type application/x-protobuf.
#include <string>

#include "fuzz/harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view body(reinterpret_cast<const char*>(data), size);
  strata::fuzz::Exchange(strata::fuzz::Request("POST", "/get-online-features",
                                               "application/x-protobuf", body));
  return 0;
}
