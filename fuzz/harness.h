// What the fuzz targets share: a scratch store with the example feature view and a
// few rows, and a real api::Server on it that a target talks to over loopback.
// Each target is one LLVMFuzzerTestOneInput; built with STRATA_FUZZ=ON it links
// libFuzzer, otherwise replay_main.cc runs its corpus and seeded mutations (the
// smoke pass of `make test`). A finding is a crash, a sanitizer report, or a
// target's own check (Check) failing: each aborts with what it saw.
#ifndef STRATA_FUZZ_HARNESS_H_
#define STRATA_FUZZ_HARNESS_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "features/feature_store.h"
#include "store/store.h"

namespace strata::fuzz {

// Aborts with `what` when `ok` is false: the input broke an invariant.
void Check(bool ok, absl::string_view what);

// The process's scratch store (created on first use under $TMPDIR, deleted at exit)
// with testing's example definitions applied and three rows ingested.
Store& SharedStore();
features::FeatureStore& SharedFeatures();
// A directory for scratch files, inside the store's scratch directory.
const std::string& ScratchDir();

// The admin token the shared server accepts.
inline constexpr absl::string_view kAdminToken = "fuzz-admin-token-0123456789abcdef";

// Sends `request` (raw bytes: request line, headers, body) to the shared server
// (started on first use on 127.0.0.1, port 0, tokens required, 1 MiB bodies,
// 2 s I/O timeout) on a new connection, half-closes, and returns what came back
// (possibly several responses, possibly none). Aborts when an answer's status is
// 5xx, or when the server stops answering /healthz.
std::string Exchange(const std::string& request);

// An HTTP/1.1 request with a Content-Length and the admin token.
std::string Request(absl::string_view method, absl::string_view target,
                    absl::string_view content_type, absl::string_view body);

// The status of the first response in `answer`, 0 when there is none.
int FirstStatus(absl::string_view answer);

}  // namespace strata::fuzz

#endif  // STRATA_FUZZ_HARNESS_H_
