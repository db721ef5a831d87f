// For tests that damage a store on purpose (fsck's) or need its files in a given
// shape (gc's): writes beneath the public API, as a crash or a bug might leave the
// records. Not for production code; gc/ and the other modules reach the store
// through its public classes only.
#ifndef STRATA_STORE_TESTING_RAW_RECORDS_H_
#define STRATA_STORE_TESTING_RAW_RECORDS_H_

#include <string>

#include "absl/status/status.h"
#include "store/lineage.h"
#include "store/store.h"
#include "store/store.pb.h"

namespace strata::testing {

// Points `alias` of `artifact` ("KIND/NAME") at `target`, unchecked: the version
// may not exist or may be deleted.
absl::Status PutRawAlias(Store& store, const std::string& artifact,
                         const std::string& alias, const store::AliasTarget& target);

// Writes or deletes one direction of a lineage edge (Lineage::HasEdgeRecord's
// terms), leaving the other as it is.
absl::Status PutRawEdge(Store& store, LineageDirection direction,
                        const std::string& node, const std::string& other);
absl::Status DeleteRawEdge(Store& store, LineageDirection direction,
                           const std::string& node, const std::string& other);

// Flushes the chunks written so far from memory to table and blob files, as a
// long-running store would have.
absl::Status FlushChunks(Store& store);

}  // namespace strata::testing

#endif  // STRATA_STORE_TESTING_RAW_RECORDS_H_
