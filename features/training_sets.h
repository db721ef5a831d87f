// Saved training sets (FeatureStore::SaveHistorical) as readers of the offline log:
// what each needs of a view's log to reproduce, so that a trim (FeatureStore::TrimLog)
// can refuse to break the ones that are kept. Internal to features/; the rule is in
// docs/features.md, "Log retention and training sets".
#ifndef STRATA_FEATURES_TRAINING_SETS_H_
#define STRATA_FEATURES_TRAINING_SETS_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "features/feature_store.h"
#include "features/features.pb.h"
#include "store/store.h"

namespace strata::features {

// Records in a saved training set's metadata what it reads of each view's log
// (HistoricalResult::earliest_spine and reads_from): "log.spine_earliest" and
// "log.reads_from.VIEW" (a timestamp, or "unbounded").
void RecordLogReads(const HistoricalResult& result,
                    std::map<std::string, std::string>* metadata);

// The request a saved training set records, pinned to its view versions and ingest
// position (spine_name: its spine, "dataset/NAME@N").
// Errors: FailedPrecondition when `version` records no request or a malformed one.
absl::StatusOr<HistoricalRequest> SavedRequest(const store::Version& version);

// Whether a request reading at `at` sees every ingest the trim recorded in `h` saw
// committed (and so every answer at or after its horizon is exact).
bool SeesTrim(const IngestPosition& at, const LogHorizon& h);

// What one saved training set reads of one view's offline log.
struct LogReader {
  std::string dataset;                   // "dataset/NAME@N"
  std::optional<Micros> earliest_spine;  // none: an empty spine, which reads nothing
  Micros reads_from = INT64_MAX;         // HistoricalResult::reads_from of the view
  std::optional<Micros> as_of;
  IngestPosition at;  // the ingest position it was saved at
};

// Whether `reader` reproduces with the view's log trimmed as `h` records (nullopt:
// never trimmed), as FeatureStore::Historical decides: no spine row before the
// horizon, and either the request sees the trim (its position and as-of) or every
// answer it read is after the horizon.
bool Reproduces(const LogReader& reader, const std::optional<LogHorizon>& h);

// The latest horizon a trim reading at `trim_at` may record without making `reader`
// unreproducible (INT64_MAX: any; INT64_MIN: none). Reproduces is monotone in the
// horizon, so every earlier horizon is safe too.
Micros LatestSafeHorizon(const LogReader& reader, const IngestPosition& trim_at);

// The kept saved training sets that read `view`'s log and reproduce with its log as
// `current` records: live dataset versions with a recorded request naming the
// view, except those in `expiring` ("dataset/NAME@N": about to be deleted by
// retention). What a set
// reads comes from its metadata; a set saved before that was recorded is
// reproduced (into nothing) to find out, and left out when that fails.
// Errors: Unavailable on I/O failure; DataLoss for records that do not parse.
absl::StatusOr<std::vector<LogReader>> KeptLogReaders(
    Store& store, const FeatureStore& features, const std::string& view,
    const std::optional<LogHorizon>& current, const std::vector<std::string>& expiring);

}  // namespace strata::features

#endif  // STRATA_FEATURES_TRAINING_SETS_H_
