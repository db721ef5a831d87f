// Which online table a store's feature views are served from: the embedded one
// (RocksDB, in the store) unless the store records a Redis or Redis Cluster
// (issue 18). The choice is recorded in the store, so that every process that opens
// it (a CLI ingest as well as `strata serve`) reads and writes the same table.
//
//   FeatureStoreOptions options;
//   options.online_table = RecordedOnlineTable(*store);  // null: the embedded table
#ifndef STRATA_FEATURES_ONLINE_STORE_H_
#define STRATA_FEATURES_ONLINE_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "features/online_table.h"
#include "features/redis_online_table.h"
#include "store/store.h"

namespace strata::features {

// The name of the embedded table where a URL is expected.
inline constexpr char kEmbeddedOnlineStore[] = "embedded";

// The online store `store` records: a redis:// or redis-cluster:// URL, or
// kEmbeddedOnlineStore. Errors: DataLoss for an unreadable record; Unavailable on
// I/O failure.
absl::StatusOr<std::string> RecordedOnlineStore(Store& store);

// The online table `store` records, for FeatureStoreOptions::online_table: null for
// the embedded table (which FeatureStore makes itself), else one that connects to
// the recorded Redis when first used and again after a failure, so that a store
// whose Redis is down still opens and serves everything but online rows. Each of
// its calls then fails with Unavailable naming the URL (or with the error that kept
// the record from being read). `options.url` is ignored: the record's is used.
// REQUIRES: `store` outlives the table.
std::shared_ptr<OnlineTable> RecordedOnlineTable(Store& store, RedisOptions options = {});

// The Redis at `url` (redis:// or redis-cluster://) as a table that only answers
// lookups (an online-only replica's: it has no store), connected on first use and
// again after a failure, as RecordedOnlineTable's. Its Write fails.
// Errors: InvalidArgument for a malformed URL or kEmbeddedOnlineStore.
absl::StatusOr<std::shared_ptr<OnlineTable>> OnlineTableForLookups(const std::string& url,
                                                                   RedisOptions options = {});

// Records `url` (a redis:// or redis-cluster:// URL, or kEmbeddedOnlineStore) as
// `store`'s online table, after connecting to it; a no-op when it is already the
// one. Rows are not copied: fill a new table with `strata online sync`. Returns
// whether the record changed. REQUIRES: no FeatureStore of `store` is open (it
// would go on using the table it opened with).
// Errors: InvalidArgument for a malformed URL; Unavailable naming the URL when it
// does not answer (nothing recorded); Unavailable on I/O failure.
absl::StatusOr<bool> RecordOnlineStore(Store& store, const std::string& url,
                                       RedisOptions options = {});

}  // namespace strata::features

#endif  // STRATA_FEATURES_ONLINE_STORE_H_
