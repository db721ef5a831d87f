// Statistics as `strata stats` asks for them: a dataset version's profile is
// computed once per content (and view) and stored as a version of the artifact
// `profile/NAME` with an input edge to the version it describes, so a second
// request reads it back; a feature-view window is merged from the profiles its
// ingests stored (quality/ingest_profile.h) when they describe exactly its rows in
// force, else profiled by a scan of the log. docs/quality.md, "Statistics".
#ifndef STRATA_QUALITY_PROFILE_STORE_H_
#define STRATA_QUALITY_PROFILE_STORE_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "features/feature_store.h"
#include "quality/profile.h"
#include "quality/quality.pb.h"
#include "store/actor.h"
#include "store/store.h"

namespace strata::quality {

struct StatsRequest {
  // "dataset/NAME[@REF]" or "featureview/NAME[FROM..TO]" (ParseSourceRef); a bare
  // "featureview/NAME" takes its window from `from` and `to`.
  std::string ref;
  // A dataset's column types from this feature view ("featureview/NAME" or NAME).
  std::string view;
  // A window's bounds and knowledge time (see SourceRef), overriding the ref's.
  std::optional<features::Micros> from, to, as_of;
  // Whether a dataset's profile, when computed, is stored. Default true.
  bool store = true;
  Actor creator;  // of the profile version
  // Called with the bytes (or rows) done and the total when known (else 0).
  std::function<void(uint64_t done, uint64_t total)> progress;
};

struct StatsResult {
  TableProfile profile;
  std::string source;    // "dataset/NAME@N", or the window (SourceRef::ToString)
  std::string stored;    // "profile/NAME@N", or empty when not stored
  bool computed = true;  // false: read back from `stored`, or merged
  // A window: the stored ingest profiles merged into its profile; 0 when the log
  // was scanned.
  uint64_t merged = 0;
};

// The metadata keys of a stored profile version.
inline constexpr char kDescribesKey[] = "describes";  // "dataset/NAME@N"
inline constexpr char kContentKey[] = "content";      // the dataset's content id, hex
inline constexpr char kViewKey[] = "view";            // "featureview/NAME@N" or ""
inline constexpr char kFormatKey[] = "profile_format";

// The statistics of `request.ref`: for a dataset version, the stored profile of
// its content (with the same view version), else computed and, when
// request.store, stored as the next version of profile/NAME (one atomic commit);
// for a window, MergedWindowProfile when it applies, else a scan.
// Thread-safe as Store and FeatureStore are; two concurrent first requests may
// both compute and store.
// Errors: as ParseSourceRef and ScanSource; InvalidArgument for a view with a
// window, or window bounds with a dataset; DataLoss for a stored profile that does
// not parse.
absl::StatusOr<StatsResult> Stats(Store& store, features::FeatureStore& fs,
                                  const StatsRequest& request);

// The answer as a message, and back. Errors: InvalidArgument for a malformed one.
StatsAnswer ToAnswer(const StatsResult& result);
absl::StatusOr<StatsResult> FromAnswer(const StatsAnswer& answer);

}  // namespace strata::quality

#endif  // STRATA_QUALITY_PROFILE_STORE_H_
