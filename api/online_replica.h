// OnlineReplica: the state of an online-only server (`strata serve --online-only
// --primary URL`): the primary's catalog of feature views (GET /v1/online/catalog),
// read at start and re-read every second (a changed definition or a first ingest is
// served within about a second), and the Redis online store the primary records,
// read for every lookup. It opens no store and takes no lock, so any number of
// replicas can run beside the primary. It keeps no row cache: every answer is what
// Redis holds at that moment.
#ifndef STRATA_API_ONLINE_REPLICA_H_
#define STRATA_API_ONLINE_REPLICA_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "features/online_catalog.h"

namespace strata::api {

struct OnlineReplicaOptions {
  std::string primary;       // http(s)://HOST:PORT of the primary server. Required.
  std::string token;         // a read token for the primary, when it needs one
  std::string ca_file;       // CA certificates (PEM) for an https primary
  std::string online_store;  // another URL of the same Redis; empty: the primary's
  absl::Duration refresh = absl::Seconds(1);
};

struct OnlineReplicaStats {
  uint64_t fetches = 0;   // catalog requests answered (changed or not)
  uint64_t changes = 0;   // of which brought a new catalog
  uint64_t failures = 0;  // catalog requests that failed (the last catalog is kept)
  absl::Time last_fetch = absl::InfinitePast();  // of the last answered request
};

// Thread-safe.
class OnlineReplica {
 public:
  // Reads the catalog once. Errors: InvalidArgument for a malformed primary URL;
  // Unavailable when the primary does not answer; Unauthenticated or
  // PermissionDenied as it answers; FailedPrecondition when its online store is the
  // embedded table (a replica can read only Redis); DataLoss for a catalog that does
  // not parse.
  static absl::StatusOr<std::unique_ptr<OnlineReplica>> Start(OnlineReplicaOptions options);
  ~OnlineReplica();  // stops re-reading

  // The catalog being served, with the online table.
  std::shared_ptr<const features::CatalogLookup> lookup() const;
  OnlineReplicaStats stats() const;

 private:
  struct Impl;
  explicit OnlineReplica(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata::api

#endif  // STRATA_API_ONLINE_REPLICA_H_
