// Raw bytes as an HTTP request to the real server (request line, headers, chunked
// or sized bodies, pipelining, the router and every route's parameters). The admin
// token is inserted after the first line so the routes behind authentication are
// reached too; inputs starting with '!' go without it.
#include <string>

#include "absl/strings/str_cat.h"
#include "fuzz/harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string request(reinterpret_cast<const char*>(data), size);
  if (!request.empty() && request[0] == '!') {
    request.erase(0, 1);
  } else if (const size_t eol = request.find("\r\n"); eol != std::string::npos) {
    request.insert(eol + 2, absl::StrCat("Authorization: Bearer ", strata::fuzz::kAdminToken,
                                         "\r\n"));
  }
  strata::fuzz::Exchange(request);
  return 0;
}
