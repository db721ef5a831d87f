// RedisOnlineTable: the online table in one Redis server or a Redis Cluster
// (issue 18), through hiredis. Internal to features/. The key layout is in
// docs/format.md, "Online table in Redis":
//
//   {sVVVVVVVV.BB}r KEY   a row: its value, KEY the row's key (online_table.h)
//   {sVVVVVVVV.BB}i       the bucket's index: a sorted set of its KEYs, score 0
//
// VVVVVVVV is the view's id and BB the entity's bucket (FNV-1a of the entity
// bytes, modulo kRedisBuckets), both in hex. The hash tag keeps a row and its
// bucket's index in one slot, so one Lua script updates both atomically; a view's
// rows spread over kRedisBuckets slots, so over the nodes of a cluster. Scan reads
// every bucket from `from` (ZRANGEBYLEX) and merges them in key order.
//
// Newest wins in a Lua script (SCRIPT LOAD once, EVALSHA, loaded again on
// NOSCRIPT) comparing the first kOnlineVersionBytes byte by byte, as the RocksDB
// merge operator does. Write commits the store's records (with the ChangeObserver)
// first, then the rows: OK only when both are written; a failure of the rows after
// the records returns Unavailable and an online rebuild repairs it.
//
// Commands go to each node as one pipeline per call (Lookup: one round trip per
// node). In a cluster the slot map comes from CLUSTER SLOTS; MOVED updates it and
// retries, ASK retries once on the named node after ASKING. One connection per
// node, opened again after a failure.
#ifndef STRATA_FEATURES_REDIS_ONLINE_TABLE_H_
#define STRATA_FEATURES_REDIS_ONLINE_TABLE_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "features/online_table.h"
#include "store/internal/db.h"

namespace strata::features {

// Buckets of a view's rows (part of the layout: changing it needs a rebuild).
inline constexpr int kRedisBuckets = 16;

struct RedisOptions {
  // redis://HOST:PORT (one server) or redis-cluster://HOST:PORT[,HOST:PORT...]
  // (any reachable nodes of a cluster).
  std::string url;
  absl::Duration connect_timeout = absl::Seconds(2);
  absl::Duration command_timeout = absl::Seconds(5);
};

// Thread-safe. Does not own `db` (where Write commits the store's records), which
// must outlive it; null for a table that only answers lookups (a replica's), whose
// Write fails with FailedPrecondition.
class RedisOnlineTable final : public OnlineTable {
 public:
  // Connects (to the seeds; a cluster's slot map is read) and loads the script.
  // Errors: InvalidArgument for a malformed url; Unavailable when no node answers.
  static absl::StatusOr<std::unique_ptr<RedisOnlineTable>> Open(internal::Db* db,
                                                                const RedisOptions& options);
  ~RedisOnlineTable() override;

  absl::Status Lookup(absl::Span<const absl::string_view> keys,
                      FoundRow found) const override;
  using OnlineTable::Write;
  absl::Status Write(const OnlineWrite& write, Change change,
                     StoreRecords records) override;
  absl::StatusOr<OnlinePage> Scan(uint32_t view, absl::string_view from,
                                  size_t limit) const override;
  // Nothing to fold: Redis stores plain rows.
  void CompactView(uint32_t) override {}

  class Client;  // the connections and the slot map (redis_online_table.cc)

 private:
  RedisOnlineTable(internal::Db* db, std::unique_ptr<Client> client);
  internal::Db* db_;
  std::unique_ptr<Client> client_;
};

// The Redis key of row `key`, and of the index of its bucket (see above).
std::string RedisRowKey(absl::string_view key);
std::string RedisIndexKey(uint32_t view, int bucket);

}  // namespace strata::features

#endif  // STRATA_FEATURES_REDIS_ONLINE_TABLE_H_
