// Ingest profiles (docs/quality.md, "Statistics"): every ingest into a feature view
// profiles the rows it writes while it runs (an IngestObserver, on the ingest's
// worker threads) and stores the profile beside the committed ingest, as a version
// of `profile/VIEW.ingests` keyed by the ingest's number and event-time range, with
// lineage to the ingest's dataset version (the view version in its metadata). A
// window of the view's log whose rows in force are exactly the rows of whole stored
// pieces is then answered by merging them rather than scanning the log.
//
//   features::FeatureStoreOptions options;
//   options.ingest_observers.push_back(quality::IngestProfiles(&store));
//   features::FeatureStore fs(&store, options);  // every ingest now stores a profile
#ifndef STRATA_QUALITY_INGEST_PROFILE_H_
#define STRATA_QUALITY_INGEST_PROFILE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "features/feature_store.h"
#include "quality/profile.h"
#include "quality/table_source.h"
#include "store/store.h"

namespace strata::quality {

// The artifact holding view `view`'s ingest profiles: "VIEW.ingests".
std::string IngestProfilesName(const std::string& view);

// The metadata keys of an ingest profile version (besides kViewKey and kFormatKey,
// profile_store.h).
inline constexpr char kIngestKey[] = "ingest";          // the ingest's number
inline constexpr char kMinEventKey[] = "min_event_us";  // its rows' event times
inline constexpr char kMaxEventKey[] = "max_event_us";
// Rows profiled that rows of the same ingest hide from every reader (in-file
// duplicates and rows at an entity's event time with a later-created twin): a
// profile with any describes more than the ingest's rows in force.
inline constexpr char kHiddenKey[] = "hidden_rows";

// Observer factories for FeatureStoreOptions::ingest_observers: each ingest gets a
// profiler that profiles its rows (those observers drop left out; a null
// created_timestamp as the time the ingest recorded) and, once the ingest
// committed, stores the profile (AfterCommit; a failure to store it is the
// ingest's error, its rows committed). `store` must outlive the FeatureStore.
features::IngestObserverFactory IngestProfiles(Store* store);

// The profile of window `window` (a kWindow SourceRef) merged from stored ingest
// profiles, when that is provably the profile of the window's rows in force: no
// as_of; every committed ingest of the view with rows in the window lies wholly
// inside it, after the log's retention horizon, has a stored profile with the
// window's columns and no hidden rows; and no two of them share an event time
// (their event-time ranges are disjoint), so no row of one hides a row of another.
// `pieces` receives the number of profiles merged. nullopt when the window must be
// scanned (also when no ingest has rows in it).
// Errors: NotFound for an unknown view; DataLoss for a stored profile that does not
// parse; the store's read errors.
absl::StatusOr<std::optional<TableProfile>> MergedWindowProfile(
    Store& store, features::FeatureStore& fs, const SourceRef& window, uint64_t* pieces);

}  // namespace strata::quality

#endif  // STRATA_QUALITY_INGEST_PROFILE_H_
